// The committed layout tables (go_layouts_1_NN.cc, one per release, scripts/gen_layouts.py)
// agree with the DWARF of a program built now by the same Go release: every
// struct field, type size, global and constant the fallback would answer.
// Fails when a toolchain update moved a field and the table was not
// regenerated.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "goruntime/build_info.h"
#include "goruntime/dwarf_index.h"
#include "goruntime/go_layouts.h"
#include "test_support.h"

namespace cgostack {
namespace {

class GoLayoutsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GoLayoutsTest, TableMatchesTheToolchainsDwarf) {
  std::string bin = testing::BuildFixture("deadlock", GetParam());
  ASSERT_FALSE(bin.empty());
  auto exe = ElfImage::Open(bin);
  const GoLayoutTable* table = GoLayoutsFor(GetParam());
  ASSERT_NE(table, nullptr) << "no table for Go " << GetParam() << ": run scripts/gen_layouts.py";
  EXPECT_EQ(table->go_version, ReadBuildInfo(*exe)->go_version) << "toolchain changed: run scripts/gen_layouts.py";
  DwarfIndex dwarf(exe), tab(exe, *table);
  for (const auto& type : kLayoutStructs) {
    EXPECT_EQ(dwarf.TypeSize(type), tab.TypeSize(type)) << type;
    auto want = dwarf.AllFields(type);
    for (const auto& [path, f] : want) {
      auto got = tab.Field(type, path);
      ASSERT_TRUE(got) << type << "." << path;
      EXPECT_EQ(got->offset, f.offset) << type << "." << path;
      EXPECT_EQ(got->size, f.size) << type << "." << path;
    }
    // Blank fields ("_") repeat within a struct; the table keeps one.
    std::set<std::string> paths;
    for (const auto& [path, f] : want) paths.insert(path);
    EXPECT_EQ(paths.size(), tab.AllFields(type).size()) << type;
  }
  for (const auto& name : kLayoutGlobals) {
    auto want = dwarf.Global(name), got = tab.Global(name);
    ASSERT_EQ(want.has_value(), got.has_value()) << name;
    if (!want) continue;
    EXPECT_EQ(got->address, want->address) << name << " (symbol table against DWARF)";
    EXPECT_EQ(got->size, want->size) << name;
    EXPECT_EQ(tab.ArrayCount(got->type), dwarf.ArrayCount(want->type)) << name;
  }
  for (const auto& prefix : kLayoutConstantPrefixes)
    EXPECT_EQ(dwarf.ConstantsWithPrefix(prefix), tab.ConstantsWithPrefix(prefix)) << prefix;
}

INSTANTIATE_TEST_SUITE_P(GoReleases, GoLayoutsTest, ::testing::Values(testing::kOldestGo, testing::kNewestGo),
                         [](const auto& info) {
                           std::string n = info.param;
                           n.erase(std::remove(n.begin(), n.end(), '.'), n.end());
                           return "go" + n;
                         });

TEST(GoLayouts, ReleaseFromVersion) {
  EXPECT_EQ(GoRelease("go1.27.3"), "1.27");
  EXPECT_EQ(GoRelease("go1.19"), "1.19");
  EXPECT_EQ(GoRelease("go1.22rc1"), "1.22");
  EXPECT_EQ(GoRelease("devel +abc"), "");
}

}  // namespace
}  // namespace cgostack

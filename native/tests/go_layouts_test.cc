// The committed layout tables (go_layouts_1_NN.cc, one per release and
// GOARCH, scripts/gen_layouts.py; arm64's a patch of amd64's) agree with the
// DWARF of a program built now by the same Go release for the same GOARCH:
// every struct field, type size, global and constant the fallback would
// answer.  Fails when a toolchain update moved a field and the table was
// not regenerated, or when a patch does not give arm64's layouts.  Every
// release of the run's matrix (CGOSTACK_GO_MATRIX), both GOARCHes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "goruntime/build_info.h"
#include "goruntime/dwarf_index.h"
#include "goruntime/go_layouts.h"
#include "test_support.h"

namespace cgostack {
namespace {

struct Param {
  std::string release, goarch;
};
void PrintTo(const Param& p, std::ostream* os) { *os << "Go " << p.release << " " << p.goarch; }

class GoLayoutsTest : public ::testing::TestWithParam<Param> {};

TEST_P(GoLayoutsTest, TableMatchesTheToolchainsDwarf) {
  const auto& [release, goarch] = GetParam();
  const auto& matrix = testing::GoMatrix();
  if (std::find(matrix.begin(), matrix.end(), release) == matrix.end())
    GTEST_SKIP() << "Go " << release << " is not in this run's matrix (CGOSTACK_GO_MATRIX)";
  int rc = 0;
  if (goarch == "arm64" && (testing::RunCommand("command -v aarch64-linux-gnu-gcc", &rc), rc != 0))
    GTEST_SKIP() << "needs aarch64-linux-gnu-gcc (scripts/setup.sh --arm64)";
  std::string bin = testing::BuildFixture("deadlock", release, goarch == "amd64" ? "" : goarch);
  ASSERT_FALSE(bin.empty());
  auto exe = ElfImage::Open(bin);
  const GoLayoutTable* table = GoLayoutsFor(release, goarch);
  ASSERT_NE(table, nullptr) << "no " << goarch << " table for Go " << release << ": run scripts/gen_layouts.py";
  EXPECT_EQ(table->goarch, goarch);
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

std::vector<Param> AllParams() {
  std::vector<Param> out;
  for (const char* goarch : {"amd64", "arm64"})
    for (const std::string& r : testing::GoReleases(false)) out.push_back({r, goarch});
  return out;
}

INSTANTIATE_TEST_SUITE_P(GoReleases, GoLayoutsTest, ::testing::ValuesIn(AllParams()), [](const auto& info) {
  std::string n = info.param.release;
  n.erase(std::remove(n.begin(), n.end(), '.'), n.end());
  return "go" + n + "_" + info.param.goarch;
});

TEST(GoLayouts, ReleaseFromVersion) {
  EXPECT_EQ(GoRelease("go1.27.3"), "1.27");
  EXPECT_EQ(GoRelease("go1.19"), "1.19");
  EXPECT_EQ(GoRelease("go1.22rc1"), "1.22");
  EXPECT_EQ(GoRelease("devel +abc"), "");
}

}  // namespace
}  // namespace cgostack

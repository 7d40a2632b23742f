// Layouts read from a real Go executable's DWARF agree with the offsets
// measured in docs/go-runtime-facts.md, on the oldest and newest Go release.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>

#include "goruntime/build_info.h"
#include "goruntime/dwarf_index.h"
#include "error.h"
#include "test_support.h"

namespace cgostack {
namespace {

struct Expected {
  const char* go;
  uint64_t g_size, goid, atomicstatus, waitreason, lockedm, syscallsp;
  uint64_t m_procid, m_curg;
};

// Names the parameter in test listings ("Go 1.19"), not as raw bytes.
void PrintTo(const Expected& e, std::ostream* os) { *os << "Go " << e.go; }

class DwarfIndexTest : public ::testing::TestWithParam<Expected> {};

TEST_P(DwarfIndexTest, RuntimeLayoutsMatchTheRelease) {
  const Expected& e = GetParam();
  std::string bin = testing::BuildFixture("deadlock", e.go);
  ASSERT_FALSE(bin.empty());
  auto exe = ElfImage::Open(bin);
  DwarfIndex dw(exe);
  EXPECT_EQ(dw.TypeSize("runtime.g").value_or(0), e.g_size);
  EXPECT_EQ(dw.RequireField("runtime.g", "goid").offset, e.goid);
  EXPECT_EQ(dw.RequireField("runtime.g", "atomicstatus").offset, e.atomicstatus);
  EXPECT_EQ(dw.RequireField("runtime.g", "waitreason").offset, e.waitreason);
  EXPECT_EQ(dw.RequireField("runtime.g", "lockedm").offset, e.lockedm);
  EXPECT_EQ(dw.RequireField("runtime.g", "syscallsp").offset, e.syscallsp);
  EXPECT_EQ(dw.RequireField("runtime.g", "sched.sp").offset, 56u) << "nested gobuf field";
  EXPECT_EQ(dw.RequireField("runtime.m", "procid").offset, e.m_procid);
  EXPECT_EQ(dw.RequireField("runtime.m", "curg").offset, e.m_curg);
  EXPECT_FALSE(dw.Field("runtime.g", "no_such_field"));
  EXPECT_THROW(dw.RequireField("runtime.g", "no_such_field"), Error);

  auto allgs = dw.Global("runtime.allgs");
  ASSERT_TRUE(allgs);
  EXPECT_EQ(allgs->size, 24u) << "a slice header";
  EXPECT_EQ(allgs->address, exe->SymbolAddress("runtime.allgs")) << "DWARF and ELF symbol agree";
  EXPECT_EQ(dw.Constant("runtime._Gwaiting").value_or(-1), 4);
  EXPECT_EQ(dw.Constant("runtime._Gdead").value_or(-1), 6);

  auto wrs = dw.Global("runtime.waitReasonStrings");
  ASSERT_TRUE(wrs);
  EXPECT_GT(dw.ArrayCount(wrs->type).value_or(0), 20u);
}

TEST_P(DwarfIndexTest, BuildInfoNamesTheToolchainAndCgo) {
  const Expected& e = GetParam();
  std::string bin = testing::BuildFixture("deadlock", e.go);
  ASSERT_FALSE(bin.empty());
  auto exe = ElfImage::Open(bin);
  auto bi = ReadBuildInfo(*exe);
  ASSERT_TRUE(bi);
  EXPECT_EQ(bi->go_version.rfind(std::string("go") + e.go, 0), 0u) << bi->go_version;
  bool cgo = false;
  for (const auto& [k, v] : bi->settings) cgo |= (k == "CGO_ENABLED" && v == "1");
  EXPECT_TRUE(cgo);
}

// Offsets read from the DWARF of each release (docs/go-runtime-facts.md).
INSTANTIATE_TEST_SUITE_P(GoReleases, DwarfIndexTest,
                         ::testing::Values(Expected{"1.19", 392, 152, 144, 176, 232, 112, 72, 192},
                                           Expected{"1.27", 456, 152, 144, 176, 208, 104, 64, 184}),
                         [](const auto& info) {
                           std::string n = info.param.go;
                           n.erase(std::remove(n.begin(), n.end(), '.'), n.end());
                           return "go" + n;
                         });

TEST(DwarfIndexErrors, NonGoExecutableIsRejectedWithOneLine) {
  auto exe = ElfImage::Open("/bin/true");
  try {
    DwarfIndex dw(exe);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("/bin/true"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace cgostack

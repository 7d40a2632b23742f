// core_writer against core_file: what a snapshot writes, CoreFile reads back
// (threads, registers, blocked masks, memory, NT_FILE, auxv), including more
// segments than e_phnum can count (PN_XNUM).
#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "arch/arch.h"
#include "target/core_file.h"
#include "target/core_writer.h"

namespace cgostack {
namespace {

// A thread's NT_PRSTATUS registers in the host's layout, every word
// distinct (and distinct between threads), as PTRACE_GETREGSET gives them.
std::vector<uint8_t> Gregs(int lwp) {
  std::vector<uint8_t> g(HostArch().prstatus_regs_size);
  for (size_t i = 0; i + 8 <= g.size(); i += 8) {
    uint64_t w = 0x7ffd000000000000ull + (uint64_t(lwp) << 16) + i;
    std::memcpy(&g[i], &w, 8);
  }
  return g;
}

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/cgostack-core-writer-" + std::to_string(::getpid()) + "-" + name;
}

CoreContents TwoThreads(std::vector<std::vector<uint8_t>>* bytes, size_t segments) {
  CoreContents c;
  c.pid = 4242;
  c.fname = "prog";
  c.psargs = "prog -x";
  for (int lwp : {4242, 4243}) {
    CoreThread t;
    t.lwp = lwp;
    t.gregs = Gregs(lwp);
    t.fpregs.assign(512, 0);
    t.sighold = lwp == 4243 ? (1ull << (SIGURG - 1)) : 0;
    c.threads.push_back(t);
  }
  uint64_t auxv[] = {AT_ENTRY, 0x401020, AT_NULL, 0};
  c.auxv.assign(reinterpret_cast<const char*>(auxv), sizeof auxv);
  c.files.push_back({0x400000, 0x402000, 0, "/usr/bin/prog"});
  for (size_t i = 0; i < segments; ++i) {
    bytes->emplace_back(24 + i % 7, static_cast<uint8_t>(i));
    c.segments.push_back({0x10000000 + i * 64, bytes->back().size(), PF_R | PF_W,
                          {{bytes->back().data(), bytes->back().size()}}});
  }
  return c;
}

void ExpectReadBack(const std::string& path, size_t segments) {
  auto core = CoreFile::Open(path);
  ASSERT_EQ(core->threads().size(), 2u);
  EXPECT_EQ(core->threads()[0].lwp, 4242);
  // The registers read back are those written, decoded by the machine's
  // own layout (every one of them: the same pc, sp, frame pointer, ...).
  for (size_t i = 0; i < 2; ++i) {
    Registers want;
    std::vector<uint8_t> g = Gregs(core->threads()[i].lwp);
    HostArch().from_prstatus(g.data(), &want);
    const Registers& got = core->threads()[i].regs;
    EXPECT_EQ(got.pc, want.pc);
    EXPECT_EQ(got.sp, want.sp);
    EXPECT_EQ(got.fp, want.fp);
    EXPECT_EQ(got.gpr, want.gpr);
    EXPECT_NE(got.pc, 0u);
  }
  EXPECT_NE(core->threads()[0].regs.pc, core->threads()[1].regs.pc);
  EXPECT_EQ(core->threads()[1].blocked_signals.value_or(0), 1ull << (SIGURG - 1));
  EXPECT_EQ(core->pid(), 4242);
  EXPECT_EQ(core->Auxv(AT_ENTRY), 0x401020u);
  ASSERT_EQ(core->mappings().size(), 1u);
  EXPECT_EQ(core->mappings()[0].path, "/usr/bin/prog");
  EXPECT_FALSE(core->siginfo());
  for (size_t i : {size_t{0}, segments / 2, segments - 1}) {
    uint8_t b = 0xff;
    ASSERT_TRUE(core->memory()->TryRead(0x10000000 + i * 64 + 3, &b, 1)) << i;
    EXPECT_EQ(b, static_cast<uint8_t>(i));
  }
  uint8_t b;
  EXPECT_FALSE(core->memory()->TryRead(0x10000000 + 40, &b, 1));  // a hole between segments
}

TEST(CoreWriterTest, CoreFileReadsBackWhatWasWritten) {
  std::vector<std::vector<uint8_t>> bytes;
  std::string path = TempPath("small");
  WriteCore(path, TwoThreads(&bytes, 5));
  ExpectReadBack(path, 5);
  std::remove(path.c_str());
}

TEST(CoreWriterTest, MoreSegmentsThanEPhnumHolds) {
  std::vector<std::vector<uint8_t>> bytes;
  bytes.reserve(70000);
  std::string path = TempPath("xnum");
  WriteCore(path, TwoThreads(&bytes, 70000));
  ExpectReadBack(path, 70000);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace cgostack

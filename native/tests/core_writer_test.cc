// core_writer against core_file: what a snapshot writes, CoreFile reads back
// (threads, registers, blocked masks, memory, NT_FILE, auxv), including more
// segments than e_phnum can count (PN_XNUM).  And ProcessCopy against this
// very process: batched copies equal the bytes, unreadable pages are skipped.
#include <elf.h>
#include <sys/mman.h>
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
#include "target/process_copy.h"

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

TEST(ProcessCopyTest, CopiesThisProcessAndSkipsUnreadablePages) {
  long page = ::sysconf(_SC_PAGESIZE);
  auto* p = static_cast<uint8_t*>(::mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  for (long i = 0; i < 3 * page; ++i) p[i] = static_cast<uint8_t>(i * 7);
  ASSERT_EQ(::mprotect(p + page, page, PROT_NONE), 0);
  ProcessCopy copy(::getpid());
  uint64_t a = reinterpret_cast<uint64_t>(p);
  copy.Prefetch({{a, a + 3 * page}, {a + 10, a + 20}});
  uint8_t b;
  ASSERT_TRUE(copy.TryRead(a + 5, &b, 1));
  EXPECT_EQ(b, 35);
  EXPECT_FALSE(copy.TryRead(a + page + 1, &b, 1));
  ASSERT_TRUE(copy.TryRead(a + 2 * page + 1, &b, 1));
  EXPECT_EQ(b, static_cast<uint8_t>((2 * page + 1) * 7));
  // The copy is of one instant: later writes do not show, and once sealed
  // nothing more is copied.
  p[0] = 0xee;
  copy.Seal();
  ASSERT_TRUE(copy.TryRead(a, &b, 1));
  EXPECT_EQ(b, 0);
  EXPECT_FALSE(copy.TryRead(reinterpret_cast<uint64_t>(&page), &b, 1));
  EXPECT_EQ(copy.Joined().size(), 2u);
  ::munmap(p, 3 * page);
}

// Clear() keeps the buffers for the next copy (snapshot's rehearsal): the
// copy made after it holds the memory as it is then, in pieces that do not
// alias the bytes of the copy before.
TEST(ProcessCopyTest, CopyAfterClearHoldsTheNewState) {
  std::vector<uint8_t> a(10000, 1), b(300, 2);
  uint64_t pa = reinterpret_cast<uint64_t>(a.data()), pb = reinterpret_cast<uint64_t>(b.data());
  ProcessCopy copy(::getpid());
  copy.Prefetch({{pa, pa + a.size()}, {pb, pb + b.size()}});
  uint64_t first = copy.bytes_copied();
  EXPECT_GE(first, a.size() + b.size());
  copy.Clear();
  copy.Reserve(1 << 20);
  EXPECT_EQ(copy.bytes_copied(), 0u);
  a[9999] = 7;
  b[0] = 9;
  copy.Prefetch({{pb, pb + b.size()}, {pa, pa + a.size()}});
  copy.Seal();
  uint8_t x = 0, y = 0, z = 0;
  ASSERT_TRUE(copy.TryRead(pa + 9999, &x, 1));
  ASSERT_TRUE(copy.TryRead(pb, &y, 1));
  ASSERT_TRUE(copy.TryRead(pa, &z, 1));
  EXPECT_EQ(x, 7);
  EXPECT_EQ(y, 9);
  EXPECT_EQ(z, 1);
  EXPECT_EQ(copy.bytes_copied(), first);
}

// A copy large enough to be shared between worker threads (16 MiB in
// 4,000 pieces, two unreadable pages inside): every byte equals the
// memory, the unreadable pages are skipped wherever the workers' shares
// end, and after Seal() a read of what was not copied is a missed page.
TEST(ProcessCopyTest, LargeCopySharedBetweenWorkers) {
  long page = ::sysconf(_SC_PAGESIZE);
  size_t pages = (16u << 20) / page;  // four times ProcessCopy's kParallelFrom (4 MiB)
  auto* p = static_cast<uint8_t*>(::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  for (size_t i = 0; i < pages * page; ++i) p[i] = static_cast<uint8_t>(i * 13 + i / 4096);
  size_t bad1 = pages / 3, bad2 = pages - 2;
  ASSERT_EQ(::mprotect(p + bad1 * page, page, PROT_NONE), 0);
  ASSERT_EQ(::mprotect(p + bad2 * page, page, PROT_NONE), 0);
  uint64_t a = reinterpret_cast<uint64_t>(p);
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  // Pieces of 3 KiB every 4 KiB (a gap between each), then one large range
  // over the second half.
  for (size_t i = 0; i < pages / 2; ++i) ranges.emplace_back(a + i * page + 100, a + i * page + 100 + 3072);
  ranges.emplace_back(a + (pages / 2) * page, a + pages * page);
  ProcessCopy copy(::getpid());
  copy.Prefetch(ranges);
  copy.Seal();
  std::vector<uint8_t> got(page);
  for (size_t i = 0; i < pages / 2; ++i) {
    if (i == bad1) {
      uint8_t b;
      EXPECT_FALSE(copy.TryRead(a + i * page + 100, &b, 1));
      continue;
    }
    ASSERT_TRUE(copy.TryRead(a + i * page + 100, got.data(), 3072)) << i;
    ASSERT_EQ(std::memcmp(got.data(), p + i * page + 100, 3072), 0) << i;
  }
  for (size_t i = pages / 2; i < pages; ++i) {
    if (i == bad2) continue;
    ASSERT_TRUE(copy.TryRead(a + i * page, got.data(), page)) << i;
    ASSERT_EQ(std::memcmp(got.data(), p + i * page, page), 0) << i;
  }
  EXPECT_EQ(copy.bytes_copied(), (pages / 2 - 1) * 3072 + (pages - pages / 2 - 1) * page);
  EXPECT_TRUE(copy.missed_pages().empty());
  uint8_t b;
  EXPECT_FALSE(copy.TryRead(a + 10, &b, 1));  // in a gap: not copied
  EXPECT_EQ(copy.missed_pages().size(), 1u);
  ::munmap(p, pages * page);
}

}  // namespace
}  // namespace cgostack

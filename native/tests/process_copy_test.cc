// ProcessCopy (a live process's memory copied with process_vm_readv, for a
// snapshot) against this very process: batched copies equal the bytes,
// unreadable pages are skipped; pieces less than a page apart read by one
// remote iovec with the bytes between them thrown away, also around an
// unreadable page; a copy after Clear(); a copy shared between workers.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "target/process_copy.h"

namespace cgostack {
namespace {

constexpr uint64_t kPage = 4096;

// `pages` pages mapped read-write, each byte holding a pattern of its
// address, unmapped at the end.
struct Pages {
  explicit Pages(size_t pages) : size(pages * kPage) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(p, MAP_FAILED);
    base = reinterpret_cast<uint64_t>(p);
    for (uint64_t a = base; a < base + size; ++a) *reinterpret_cast<uint8_t*>(a) = Expected(a);
  }
  ~Pages() { ::munmap(reinterpret_cast<void*>(base), size); }
  static uint8_t Expected(uint64_t a) { return static_cast<uint8_t>(a * 7 + (a >> 12)); }
  uint64_t base;
  size_t size;
};

// Whether the copy holds [s, e) as this process has it.
void ExpectHeld(const ProcessCopy& copy, uint64_t s, uint64_t e) {
  std::vector<uint8_t> buf(e - s);
  ASSERT_EQ(copy.Read(s, buf.data(), buf.size()), buf.size()) << std::hex << s;
  for (uint64_t a = s; a < e; ++a) ASSERT_EQ(buf[a - s], Pages::Expected(a)) << std::hex << a;
}

TEST(ProcessCopyTest, NearbyPiecesAreCopiedAloneWithoutTheBytesBetweenThem) {
  Pages pages(4);
  uint64_t b = pages.base;
  // Two stacks' used tops in one page, one piece straddling two pages,
  // one a page and more away from the rest.
  std::vector<std::pair<uint64_t, uint64_t>> want = {
      {b + 1368, b + 2048}, {b + 3464, b + 4096}, {b + 4096 + 1000, b + 8192 + 100}, {b + 3 * kPage + 3000, b + 3 * kPage + 3100}};
  ProcessCopy copy(::getpid());
  copy.Prefetch(want);
  copy.Seal();
  uint64_t total = 0;
  for (auto [s, e] : want) {
    ExpectHeld(copy, s, e);
    total += e - s;
  }
  EXPECT_EQ(copy.bytes_copied(), total) << "the bytes between the pieces are not kept";
  EXPECT_EQ(copy.calls(), 1u);
  uint8_t byte;
  EXPECT_EQ(copy.Read(b + 2048, &byte, 1), 0u) << "between two pieces: not copied";
  EXPECT_EQ(copy.missed_pages().size(), 1u);
  std::vector<ProcessCopy::Range> joined = copy.Joined();
  ASSERT_EQ(joined.size(), want.size()) << "only adjacent pieces are joined in the core";
}

TEST(ProcessCopyTest, AnUnreadablePageInsideJoinedPiecesIsSkippedAndTheRestCopied) {
  Pages pages(5);
  uint64_t b = pages.base, bad = b + kPage;
  ASSERT_EQ(::mprotect(reinterpret_cast<void*>(bad), kPage, PROT_NONE), 0);
  std::vector<std::pair<uint64_t, uint64_t>> want = {
      {b + 3000, b + 3500},                 // readable
      {b + 3900, bad + 100},                // into the unreadable page
      {bad + 2000, bad + 2100},             // wholly in it
      {bad + 4000, bad + kPage + 200},      // out of it
      {bad + kPage + 1000, bad + kPage + 1100},
      {bad + 3 * kPage - 100, bad + 3 * kPage + 10},
  };
  ProcessCopy copy(::getpid());
  copy.Prefetch(want);
  copy.Seal();
  ExpectHeld(copy, b + 3000, b + 3500);
  ExpectHeld(copy, b + 3900, bad);
  ExpectHeld(copy, bad + kPage, bad + kPage + 200);
  ExpectHeld(copy, bad + kPage + 1000, bad + kPage + 1100);
  ExpectHeld(copy, bad + 3 * kPage - 100, bad + 3 * kPage + 10);
  EXPECT_EQ(copy.bytes_copied(), 500u + 196u + 200u + 100u + 110u);
  uint8_t byte;
  EXPECT_EQ(copy.Read(bad + 2000, &byte, 1), 0u);
  EXPECT_TRUE(copy.missed_pages().empty()) << "an unreadable page is known as such, not a miss";
  EXPECT_EQ(copy.WhyUnreadable(bad + 2000), "");
  // The gap before a piece in the unreadable page: the call stops there.
  ProcessCopy gap(::getpid());
  gap.Prefetch({{b + 3900, b + 4000}, {bad + 500, bad + 600}, {bad + kPage + 10, bad + kPage + 20}});
  gap.Seal();
  ExpectHeld(gap, b + 3900, b + 4000);
  ExpectHeld(gap, bad + kPage + 10, bad + kPage + 20);
  EXPECT_EQ(gap.bytes_copied(), 110u);
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

// MemorySource behaviour the walkers rely on: reads that cross segment and
// layer boundaries, partial reads at the end of mapped memory, and bounded
// Go string reads.
#include <gtest/gtest.h>

#include <cstring>

#include "error.h"
#include "target/memory.h"

namespace cgostack {
namespace {

std::shared_ptr<SegmentMemory> Mem(std::vector<SegmentMemory::Segment> segs) {
  return std::make_shared<SegmentMemory>(nullptr, std::move(segs));
}

TEST(SegmentMemoryTest, ReadsAcrossAdjacentSegmentsAndStopsAtHoles) {
  static const uint8_t a[] = {1, 2, 3, 4};
  static const uint8_t b[] = {5, 6, 7, 8};
  auto mem = Mem({{0x1004, 4, b}, {0x1000, 4, a}});  // unsorted on purpose
  uint8_t buf[8] = {};
  ASSERT_EQ(mem->Read(0x1002, buf, 6), 6u);
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + 6), (std::vector<uint8_t>{3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(mem->Read(0x1006, buf, 8), 2u) << "only the readable prefix is returned";
  EXPECT_EQ(mem->Read(0x0fff, buf, 2), 0u) << "an unmapped start reads nothing";
  EXPECT_THROW(mem->ReadU64(0x1004), Error);
}

TEST(LayeredMemoryTest, EarlierLayerWinsAndGapsAreFilledFromLaterLayers) {
  static const uint8_t core[] = {0xc0, 0xc1};
  static const uint8_t file[] = {0xf0, 0xf1, 0xf2, 0xf3};
  LayeredMemory mem;
  mem.Add(Mem({{0x2000, 2, core}}));
  mem.Add(Mem({{0x2000, 4, file}}));
  uint8_t buf[4];
  ASSERT_EQ(mem.Read(0x2000, buf, 4), 4u);
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + 4), (std::vector<uint8_t>{0xc0, 0xc1, 0xf2, 0xf3}));
}

TEST(MemorySourceTest, GoStringRejectsImplausibleLength) {
  uint8_t bytes[32] = {};
  uint64_t hdr[2] = {0x3010, 5};
  std::memcpy(bytes, hdr, 16);
  std::memcpy(bytes + 16, "hello", 5);
  auto mem = Mem({{0x3000, sizeof bytes, bytes}});
  EXPECT_EQ(mem->ReadGoString(0x3000), "hello");
  hdr[1] = 1ull << 40;
  std::memcpy(bytes, hdr, 16);
  EXPECT_THROW(mem->ReadGoString(0x3000), Error);
}

}  // namespace
}  // namespace cgostack

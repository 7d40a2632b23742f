// Holder inference's machine-code events (arch/mutex_code.h), decoded by
// Capstone, on hand-assembled functions of both machines: the address of a
// global, the inlined Lock (compare-and-swap) and Unlock (atomic add) and a
// direct call are found at their offsets; bytes that merely look like an
// atomic inside another instruction, and an address register overwritten
// before use, are not.
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "arch/arch.h"
#include "arch/disassembler.h"
#include "arch/mutex_code.h"
#include "test_support.h"

namespace cgostack {
namespace {

using Event = std::tuple<CodeEvent::Kind, size_t, size_t, uint64_t>;

std::vector<Event> Scan(const Arch& arch, const std::string& code, uint64_t entry) {
  Disassembler dis(arch);
  std::vector<CodeEvent> events;
  MutexCodeRulesFor(arch).scan(dis, code, entry, &events);
  std::vector<Event> out;
  for (const CodeEvent& e : events) out.emplace_back(e.kind, e.at, e.end, e.value);
  return out;
}

TEST(MutexCodeTest, Amd64LockUnlockCallAndAddress) {
  const std::string code(
      "\x48\x8d\x05\x00\x01\x00\x00"  // 0:  lea rax, [rip + 0x100]
      "\xb9\x01\x00\x00\x00"          // 7:  mov ecx, 1
      "\xf0\x0f\xb1\x08"              // 12: lock cmpxchg [rax], ecx
      "\xf0\x0f\xc1\x08"              // 16: lock xadd [rax], ecx
      "\xe8\x10\x00\x00\x00"          // 20: call +0x10
      "\xb8\xf0\x0f\xb1\x00"          // 25: mov eax, 0xb10ff0 (holds the bytes of lock cmpxchg)
      "\xcc\xcc",                     // 30: int3 padding
      32);
  EXPECT_EQ(Scan(ArchAmd64(), code, 0x1000),
            (std::vector<Event>{{CodeEvent::kAddress, 0, 7, 0x1107},
                                {CodeEvent::kLock, 12, 16, 0},
                                {CodeEvent::kUnlock, 16, 20, 0},
                                {CodeEvent::kCall, 20, 25, 0x1029}}));
}

TEST(MutexCodeTest, Arm64AdrpPairsLseAtomicsAndBranchWithLink) {
  const std::string code = testing::Arm64Code({
      0xb0000000,  // 0:  adrp x0, page + 0x1000
      0x91004000,  // 4:  add x0, x0, #0x10
      0x88e1fc02,  // 8:  casal w1, w2, [x0]
      0xb8e10002,  // 12: ldaddal w1, w2, [x0]
      0x94000002,  // 16: bl +8
      0xd2800020,  // 20: mov x0, #1 (x0 no longer holds the page)
      0x91002001,  // 24: add x1, x0, #8
  });
  EXPECT_EQ(Scan(ArchArm64(), code, 0x10000),
            (std::vector<Event>{{CodeEvent::kAddress, 4, 8, 0x11010},
                                {CodeEvent::kLock, 8, 12, 0},
                                {CodeEvent::kUnlock, 12, 16, 0},
                                {CodeEvent::kCall, 16, 20, 0x10018}}));
}

TEST(MutexCodeTest, UndecodableBytesDoNotStopTheSweep) {
  // An arm64 word Capstone 4 does not decode (0: UDF #0, permanently
  // undefined; newer releases name it), then a call: the call is still
  // found, at its own offset.
  const std::string code = testing::Arm64Code({0x00000000, 0x94000004});
  EXPECT_EQ(Scan(ArchArm64(), code, 0x20000), (std::vector<Event>{{CodeEvent::kCall, 4, 8, 0x20014}}));
}

}  // namespace
}  // namespace cgostack

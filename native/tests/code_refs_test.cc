// The global finder's code references (arch/code_refs.h), decoded by
// Capstone, on hand-assembled functions of both machines: every global a
// function addresses, loads or stores (x86-64 RIP-relative operands;
// aarch64 ADRP pages completed by ADD or by a load's or store's offset,
// also through a W register's X), and direct calls, at their pcs and in
// order; a register overwritten (or loaded into from its own address) no
// longer leads anywhere.
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "arch/arch.h"
#include "arch/code_refs.h"
#include "test_support.h"

namespace cgostack {
namespace {

using Ref = std::tuple<uint64_t, uint64_t, bool, bool>;  // pc, target, is_call, is_store

std::vector<Ref> Refs(const Arch& arch, const std::string& code, uint64_t entry) {
  std::vector<CodeRef> refs;
  FindCodeRefs(arch, code, entry, &refs);
  std::vector<Ref> out;
  for (const CodeRef& r : refs) out.emplace_back(r.pc, r.target, r.is_call, r.is_store);
  return out;
}

TEST(CodeRefsTest, Amd64RipRelativeOperandsAndCalls) {
  const std::string code(
      "\x48\x8d\x05\x00\x01\x00\x00"  // 0x1000: lea rax, [rip + 0x100]
      "\x89\x05\x10\x00\x00\x00"      // 0x1007: mov [rip + 0x10], eax
      "\xe8\x10\x00\x00\x00"          // 0x100d: call +0x10
      "\x8b\x05\x20\x00\x00\x00"      // 0x1012: mov eax, [rip + 0x20]
      "\x8b\x00",                     // 0x1018: mov eax, [rax] (not RIP-relative)
      26);
  EXPECT_EQ(Refs(ArchAmd64(), code, 0x1000), (std::vector<Ref>{{0x1000, 0x1107, false, false},
                                                                {0x1007, 0x101d, false, true},
                                                                {0x100d, 0x1022, true, false},
                                                                {0x1012, 0x1038, false, false}}));
}

TEST(CodeRefsTest, Arm64AdrpPagesCompletedByAddLoadsAndStores) {
  const std::string code = testing::Arm64Code({
      0xb000001b,  // 0x10000: adrp x27, 0x11000
      0xf9400f60,  // 0x10004: ldr x0, [x27, #0x18]
      0x94000040,  // 0x10008: bl 0x10108
      0xd000001b,  // 0x1000c: adrp x27, 0x12000
      0xb9002360,  // 0x10010: str w0, [x27, #0x20]
      0xb0000001,  // 0x10014: adrp x1, 0x11000
      0x91010021,  // 0x10018: add x1, x1, #0x40
      0xc89ffc22,  // 0x1001c: stlr x2, [x1]
      0xb9400823,  // 0x10020: ldr w3, [x1, #8]
      0xf9400821,  // 0x10024: ldr x1, [x1, #16] (x1 no longer an address after it)
      0xf9400024,  // 0x10028: ldr x4, [x1]
      0x5280003b,  // 0x1002c: mov w27, #1 (nor x27)
      0xf9400765,  // 0x10030: ldr x5, [x27, #8]
  });
  EXPECT_EQ(Refs(ArchArm64(), code, 0x10000), (std::vector<Ref>{{0x10004, 0x11018, false, false},
                                                                 {0x10008, 0x10108, true, false},
                                                                 {0x10010, 0x12020, false, true},
                                                                 {0x10018, 0x11040, false, false},
                                                                 {0x1001c, 0x11040, false, true},
                                                                 {0x10020, 0x11048, false, false},
                                                                 {0x10024, 0x11050, false, false}}));
}

}  // namespace
}  // namespace cgostack

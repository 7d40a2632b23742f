#include "arch/arm64_addresses.h"

namespace cgostack {

namespace {

// The X register a W register is the low half of (Capstone numbers them
// apart; X29 and X30 are FP and LR, outside the X0-X28 run).
unsigned Folded(unsigned reg) {
  if (reg < ARM64_REG_W0 || reg > ARM64_REG_W30) return reg;
  unsigned n = reg - ARM64_REG_W0;
  if (n == 29) return ARM64_REG_X29;
  if (n == 30) return ARM64_REG_X30;
  return ARM64_REG_X0 + n;
}

bool IsStore(unsigned id) {
  switch (id) {
    case ARM64_INS_STR: case ARM64_INS_STRB: case ARM64_INS_STRH:
    case ARM64_INS_STUR: case ARM64_INS_STURB: case ARM64_INS_STURH:
    case ARM64_INS_STP: case ARM64_INS_STNP:
    case ARM64_INS_STLR: case ARM64_INS_STLRB: case ARM64_INS_STLRH:
    case ARM64_INS_STXR: case ARM64_INS_STXRB: case ARM64_INS_STXRH:
    case ARM64_INS_STLXR: case ARM64_INS_STLXRB: case ARM64_INS_STLXRH:
    case ARM64_INS_STXP: case ARM64_INS_STLXP:
      return true;
    default:
      return false;
  }
}

}  // namespace

Arm64Addresses::Use Arm64Addresses::Step(const cs_insn& insn) {
  Use use;
  if (insn.id == 0) return use;  // bytes Capstone does not decode: no register known to change
  const cs_arm64& a = insn.detail->arm64;
  if (insn.id == ARM64_INS_ADRP && a.op_count == 2 && a.operands[1].type == ARM64_OP_IMM) {
    regs_[Folded(a.operands[0].reg)] = {static_cast<uint64_t>(a.operands[1].imm), true};
    return use;
  }
  Known completed{0, false};
  bool completes = false;
  if (insn.id == ARM64_INS_ADD && a.op_count == 3 && a.operands[1].type == ARM64_OP_REG &&
      a.operands[2].type == ARM64_OP_IMM) {
    auto base = regs_.find(Folded(a.operands[1].reg));
    if (base != regs_.end()) {
      uint64_t imm = static_cast<uint64_t>(a.operands[2].imm);
      if (a.operands[2].shift.type == ARM64_SFT_LSL) imm <<= a.operands[2].shift.value;
      use = {Use::kAddress, base->second.value + imm, base->second.page};
      completed = {use.address, false};
      completes = true;
    }
  } else {
    for (uint8_t i = 0; i < a.op_count; ++i) {
      const cs_arm64_op& op = a.operands[i];
      if (op.type != ARM64_OP_MEM || op.mem.index != ARM64_REG_INVALID) continue;
      auto base = regs_.find(Folded(op.mem.base));
      if (base == regs_.end()) continue;
      // A pre- or post-indexed access moves its base: that address is the
      // first access's only (the writeback below forgets the register).
      use = {IsStore(insn.id) ? Use::kStore : Use::kLoad, base->second.value + static_cast<int64_t>(op.mem.disp),
             false};
      break;
    }
  }
  // Any other write of a register ends what it held; a load into its own
  // base register (LDR x27, [x27, #lo]) too.
  for (uint8_t i = 0; i < a.op_count; ++i)
    if (a.operands[i].type == ARM64_OP_REG && (a.operands[i].access & CS_AC_WRITE))
      regs_.erase(Folded(a.operands[i].reg));
  if (a.writeback)
    for (uint8_t i = 0; i < a.op_count; ++i)
      if (a.operands[i].type == ARM64_OP_MEM) regs_.erase(Folded(a.operands[i].mem.base));
  if (completes) regs_[Folded(a.operands[0].reg)] = completed;
  return use;
}

}  // namespace cgostack

#include "arch/code_refs.h"

#include <elf.h>

#include "arch/arm64_addresses.h"
#include "arch/disassembler.h"

namespace cgostack {

namespace {

void Amd64Refs(const Disassembler& dis, std::string_view code, uint64_t entry, std::vector<CodeRef>* out) {
  dis.Sweep(code, entry, [&](const cs_insn& insn) {
    if (insn.id == 0) return;  // bytes Capstone does not decode
    const cs_x86& x86 = insn.detail->x86;
    uint64_t next = insn.address + insn.size;
    if (insn.id == X86_INS_CALL && x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM) {
      out->push_back({insn.address, static_cast<uint64_t>(x86.operands[0].imm), true, false});
      return;
    }
    for (uint8_t i = 0; i < x86.op_count; ++i) {
      const cs_x86_op& op = x86.operands[i];
      if (op.type != X86_OP_MEM || op.mem.base != X86_REG_RIP || op.mem.index != X86_REG_INVALID) continue;
      // Intel operand order: the destination first.
      bool store = insn.id == X86_INS_MOV && i == 0;
      out->push_back({insn.address, next + static_cast<uint64_t>(op.mem.disp), false, store});
    }
  });
}

void Arm64Refs(const Disassembler& dis, std::string_view code, uint64_t entry, std::vector<CodeRef>* out) {
  Arm64Addresses addresses;
  dis.Sweep(code, entry, [&](const cs_insn& insn) {
    Arm64Addresses::Use use = addresses.Step(insn);
    if (use.kind != Arm64Addresses::Use::kNone) {
      out->push_back({insn.address, use.address, false, use.kind == Arm64Addresses::Use::kStore});
      return;
    }
    if (insn.id != ARM64_INS_BL) return;
    const cs_arm64& a = insn.detail->arm64;
    if (a.op_count == 1 && a.operands[0].type == ARM64_OP_IMM)
      out->push_back({insn.address, static_cast<uint64_t>(a.operands[0].imm), true, false});
  });
}

}  // namespace

void FindCodeRefs(const Arch& arch, std::string_view code, uint64_t entry, std::vector<CodeRef>* out) {
  Disassembler dis(arch);
  (arch.elf_machine == EM_AARCH64 ? Arm64Refs : Amd64Refs)(dis, code, entry, out);
}

}  // namespace cgostack

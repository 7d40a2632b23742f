#include "goruntime/machine_code.h"

#include <algorithm>
#include <string_view>

#include "arch/disassembler.h"
#include "error.h"
#include "report/format.h"

namespace cgostack {

namespace {

constexpr uint64_t kMaxFunctionBytes = 64 * 1024;

}  // namespace

std::vector<CodeRef> DecodeCodeRefs(const MemorySource& memory, uint64_t entry, uint64_t end) {
  std::vector<CodeRef> refs;
  if (end <= entry) return refs;
  uint64_t size = std::min(end - entry, kMaxFunctionBytes);
  std::vector<uint8_t> code(size);
  size = memory.Read(entry, code.data(), code.size());
  if (size == 0) throw Error("cannot read the machine code at " + Hex(entry));

  Disassembler dis(ArchAmd64());
  dis.Sweep(std::string_view(reinterpret_cast<const char*>(code.data()), size), entry, [&](const cs_insn& insn) {
    if (insn.id == 0) return;  // bytes Capstone does not decode
    const cs_x86& x86 = insn.detail->x86;
    uint64_t next = insn.address + insn.size;
    if (insn.id == X86_INS_CALL && x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM) {
      refs.push_back({insn.address, static_cast<uint64_t>(x86.operands[0].imm), true, false});
      return;
    }
    for (uint8_t i = 0; i < x86.op_count; ++i) {
      const cs_x86_op& op = x86.operands[i];
      if (op.type != X86_OP_MEM || op.mem.base != X86_REG_RIP || op.mem.index != X86_REG_INVALID) continue;
      CodeRef r;
      r.pc = insn.address;
      r.target = next + static_cast<uint64_t>(op.mem.disp);
      // Intel operand order: the destination first.
      r.is_store = insn.id == X86_INS_MOV && i == 0;
      refs.push_back(r);
    }
  });
  return refs;
}

}  // namespace cgostack

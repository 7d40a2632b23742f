#include "goruntime/machine_code.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <memory>

#include "error.h"
#include "report/format.h"

namespace cgostack {

namespace {

constexpr uint64_t kMaxFunctionBytes = 64 * 1024;

struct CapstoneHandle {
  csh handle = 0;
  ~CapstoneHandle() {
    if (handle) cs_close(&handle);
  }
};

}  // namespace

std::vector<CodeRef> DecodeCodeRefs(const MemorySource& memory, uint64_t entry, uint64_t end) {
  std::vector<CodeRef> refs;
  if (end <= entry) return refs;
  uint64_t size = std::min(end - entry, kMaxFunctionBytes);
  std::vector<uint8_t> code(size);
  size = memory.Read(entry, code.data(), code.size());
  if (size == 0) throw Error("cannot read the machine code at " + Hex(entry));

  CapstoneHandle cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs.handle) != CS_ERR_OK)
    throw Error("cannot open the Capstone x86-64 disassembler");
  cs_option(cs.handle, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = cs_malloc(cs.handle);
  std::unique_ptr<cs_insn, void (*)(cs_insn*)> free_insn(insn, [](cs_insn* i) { cs_free(i, 1); });

  const uint8_t* p = code.data();
  size_t left = size;
  uint64_t pc = entry;
  while (left > 0 && cs_disasm_iter(cs.handle, &p, &left, &pc, insn)) {
    const cs_x86& x86 = insn->detail->x86;
    uint64_t next = insn->address + insn->size;
    if (insn->id == X86_INS_CALL && x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM) {
      refs.push_back({insn->address, static_cast<uint64_t>(x86.operands[0].imm), true, false});
      continue;
    }
    for (uint8_t i = 0; i < x86.op_count; ++i) {
      const cs_x86_op& op = x86.operands[i];
      if (op.type != X86_OP_MEM || op.mem.base != X86_REG_RIP || op.mem.index != X86_REG_INVALID) continue;
      CodeRef r;
      r.pc = insn->address;
      r.target = next + static_cast<uint64_t>(op.mem.disp);
      // Intel operand order: the destination first.
      r.is_store = insn->id == X86_INS_MOV && i == 0;
      refs.push_back(r);
    }
  }
  return refs;
}

}  // namespace cgostack

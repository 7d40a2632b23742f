#include "arch/mutex_code.h"

#include <elf.h>

#include <cstring>

#include "arch/arm64_addresses.h"
#include "arch/disassembler.h"

namespace cgostack {

namespace {

bool IsLocked(const cs_insn& insn) { return insn.detail->x86.prefix[0] == X86_PREFIX_LOCK; }

void ScanAmd64(const Disassembler& dis, std::string_view code, uint64_t entry, std::vector<CodeEvent>* out) {
  dis.Sweep(code, entry, [&](const cs_insn& insn) {
    if (insn.id == 0) return;  // bytes Capstone does not decode
    size_t at = insn.address - entry, end = at + insn.size;
    const cs_x86& x86 = insn.detail->x86;
    switch (insn.id) {
      case X86_INS_LEA:  // LEA r64, [rip + disp]: the address of a global
        if (x86.op_count == 2 && x86.operands[1].type == X86_OP_MEM && x86.operands[1].mem.base == X86_REG_RIP &&
            x86.operands[1].mem.index == X86_REG_INVALID)
          out->push_back({CodeEvent::kAddress, at, end, insn.address + insn.size + x86.operands[1].mem.disp});
        break;
      case X86_INS_CMPXCHG:
        if (IsLocked(insn)) out->push_back({CodeEvent::kLock, at, end, 0});
        break;
      case X86_INS_XADD:
        if (IsLocked(insn)) out->push_back({CodeEvent::kUnlock, at, end, 0});
        break;
      case X86_INS_CALL:
        if (x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM)
          out->push_back({CodeEvent::kCall, at, end, static_cast<uint64_t>(x86.operands[0].imm)});
        break;
      default:
        break;
    }
  });
}

// The ARMv8.1 LSE atomics Go's sync.Mutex intrinsics use.  Capstone 4.0
// (Debian 12) predates them and passes their words as data; Capstone 5
// (Debian 13) names them.  Either way they are told apart by their
// encoding classes (Arm ARM C6.2: CASAL, LDADDAL, 32- and 64-bit forms).
enum class LseAtomic { kNone, kCasal, kLdaddal };
LseAtomic LseAtomicOf(const cs_insn& insn) {
  if (insn.size != 4) return LseAtomic::kNone;
  uint32_t word;
  std::memcpy(&word, insn.bytes, 4);
  if ((word & 0xbfe0fc00) == 0x88e0fc00) return LseAtomic::kCasal;
  if ((word & 0xbfe0fc00) == 0xb8e00000) return LseAtomic::kLdaddal;
  return LseAtomic::kNone;
}

void ScanArm64(const Disassembler& dis, std::string_view code, uint64_t entry, std::vector<CodeEvent>* out) {
  Arm64Addresses addresses;
  dis.Sweep(code, entry, [&](const cs_insn& insn) {
    size_t at = insn.address - entry, end = at + insn.size;
    switch (LseAtomicOf(insn)) {
      case LseAtomic::kCasal:
        out->push_back({CodeEvent::kLock, at, end, 0});
        return;
      case LseAtomic::kLdaddal:
        out->push_back({CodeEvent::kUnlock, at, end, 0});
        return;
      case LseAtomic::kNone:
        break;
    }
    // The address of a global: ADRP then ADD of the same page (not a
    // field reached from an address already complete).
    Arm64Addresses::Use use = addresses.Step(insn);
    if (use.kind == Arm64Addresses::Use::kAddress && use.of_page)
      out->push_back({CodeEvent::kAddress, at, end, use.address});
    if (insn.id == ARM64_INS_BL) {
      const cs_arm64& a = insn.detail->arm64;
      if (a.op_count == 1 && a.operands[0].type == ARM64_OP_IMM)
        out->push_back({CodeEvent::kCall, at, end, static_cast<uint64_t>(a.operands[0].imm)});
    }
  });
}

const MutexCodeRules kAmd64 = {ScanAmd64, 48};
// Go's arm64 Lock fast path: the address, the internal/cpu.ARM64.HasATOMICS
// check, then CASALW (or the LDAXRW/STLXRW loop): about a dozen instructions.
const MutexCodeRules kArm64 = {ScanArm64, 96};

}  // namespace

const MutexCodeRules& MutexCodeRulesFor(const Arch& arch) { return arch.elf_machine == EM_AARCH64 ? kArm64 : kAmd64; }

}  // namespace cgostack

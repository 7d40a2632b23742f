#include "arch/mutex_code.h"

#include <elf.h>

#include <cstring>

namespace cgostack {

namespace {

uint8_t U8(std::string_view c, size_t i) { return static_cast<uint8_t>(c[i]); }

void ScanAmd64(std::string_view code, uint64_t entry, std::vector<CodeEvent>* out) {
  for (size_t i = 0; i + 3 <= code.size(); ++i) {
    if (i + 7 <= code.size() && (U8(code, i) == 0x48 || U8(code, i) == 0x4c) && U8(code, i + 1) == 0x8d &&
        (U8(code, i + 2) & 0xc7) == 0x05) {  // LEA r64, [rip + disp32]: REX.W, 0x8d, ModRM mod=00 rm=101
      int32_t disp;
      std::memcpy(&disp, code.data() + i + 3, 4);
      out->push_back({CodeEvent::kAddress, i, i + 7, entry + i + 7 + static_cast<int64_t>(disp)});
    }
    if (U8(code, i) == 0xf0 && U8(code, i + 1) == 0x0f && U8(code, i + 2) == 0xb1)  // LOCK CMPXCHG
      out->push_back({CodeEvent::kLock, i, i + 3, 0});
    if (U8(code, i) == 0xf0 && U8(code, i + 1) == 0x0f && U8(code, i + 2) == 0xc1)  // LOCK XADD
      out->push_back({CodeEvent::kUnlock, i, i + 3, 0});
    if (U8(code, i) == 0xe8 && i + 5 <= code.size()) {  // CALL rel32
      int32_t rel;
      std::memcpy(&rel, code.data() + i + 1, 4);
      out->push_back({CodeEvent::kCall, i, i + 5, entry + i + 5 + static_cast<int64_t>(rel)});
    }
  }
}

int64_t SignExtend(uint64_t v, unsigned bits) { return static_cast<int64_t>(v << (64 - bits)) >> (64 - bits); }

void ScanArm64(std::string_view code, uint64_t entry, std::vector<CodeEvent>* out) {
  // The page each register got from the last ADRP, by register number.
  uint64_t page[32] = {};
  bool has_page[32] = {};
  for (size_t i = 0; i + 4 <= code.size(); i += 4) {
    uint32_t insn;
    std::memcpy(&insn, code.data() + i, 4);
    uint64_t pc = entry + i;
    unsigned rd = insn & 31, rn = (insn >> 5) & 31;
    if ((insn & 0x9f000000) == 0x90000000) {  // ADRP Xd, label
      uint64_t imm = (((insn >> 5) & 0x7ffff) << 2) | ((insn >> 29) & 3);
      page[rd] = (pc & ~uint64_t{0xfff}) + static_cast<uint64_t>(SignExtend(imm, 21) * 4096);
      has_page[rd] = true;
      continue;
    }
    if ((insn & 0xff800000) == 0x91000000 && has_page[rn]) {  // ADD Xd, Xn, #imm12{, LSL #12}
      uint64_t imm = (insn >> 10) & 0xfff;
      if (insn & (1u << 22)) imm <<= 12;
      out->push_back({CodeEvent::kAddress, i, i + 4, page[rn] + imm});
    } else if ((insn & 0xbfe0fc00) == 0x88e0fc00) {  // CASAL Ws/Xs, Wt/Xt, [Xn]
      out->push_back({CodeEvent::kLock, i, i + 4, 0});
    } else if ((insn & 0xbfe0fc00) == 0xb8e00000) {  // LDADDAL Ws/Xs, Wt/Xt, [Xn]
      out->push_back({CodeEvent::kUnlock, i, i + 4, 0});
    } else if ((insn & 0xfc000000) == 0x94000000) {  // BL imm26
      out->push_back({CodeEvent::kCall, i, i + 4, pc + static_cast<uint64_t>(SignExtend(insn & 0x3ffffff, 26) * 4)});
    }
    has_page[rd] = false;  // any other write of the register (rd of most encodings) ends the pair
  }
}

const MutexCodeRules kAmd64 = {ScanAmd64, 48};
// Go's arm64 Lock fast path: the address, the internal/cpu.ARM64.HasATOMICS
// check, then CASALW (or the LDAXRW/STLXRW loop): about a dozen instructions.
const MutexCodeRules kArm64 = {ScanArm64, 96};

}  // namespace

const MutexCodeRules& MutexCodeRulesFor(const Arch& arch) { return arch.elf_machine == EM_AARCH64 ? kArm64 : kAmd64; }

}  // namespace cgostack

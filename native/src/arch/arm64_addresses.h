// How aarch64 code forms the address of a global, followed one instruction
// at a time: ADRP puts the symbol's 4 KiB page in a register, then either
// an ADD of the low 12 bits completes the address (Go's `MOVD $sym(SB), Rn`,
// GCC's `adrp; add`), or a load or store takes them as its offset (Go's
// `MOVD sym(SB), Rn` and `MOVD Rn, sym(SB)`, through REGTMP R27:
// cmd/internal/obj/arm64 asm7.go, relocations R_ADDRARM64 and
// R_ARM64_PCREL_LDST*).  Shared by every reader of arm64 machine code that
// needs a global's address (holder inference's mutex events, the global
// finder's code references), so both follow registers the same way.
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <unordered_map>

namespace cgostack {

class Arm64Addresses {
 public:
  struct Use {
    enum Kind { kNone, kAddress, kLoad, kStore } kind = kNone;
    uint64_t address = 0;
    // kAddress: the ADD's register held an ADRP page (the address of a
    // symbol), not an address an earlier ADD completed (a field of it).
    bool of_page = false;
  };

  // Follows one instruction (Capstone, details on; insn.id 0 for bytes it
  // does not decode) and says what it did with a known address: an ADD
  // that completed one, or a load or store through one (the address
  // accessed).  A register written any other way is forgotten.
  Use Step(const cs_insn& insn);

 private:
  struct Known {
    uint64_t value;
    bool page;  // from ADRP
  };
  std::unordered_map<unsigned, Known> regs_;  // by X register (W aliases folded)
};

}  // namespace cgostack

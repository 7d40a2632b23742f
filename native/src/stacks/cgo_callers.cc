#include "stacks/cgo_callers.h"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <cstdlib>

namespace cgostack {

bool CgoCallers::Contains(uint64_t ret) const {
  uint64_t bias = target_.load_bias();
  if (ret <= bias) return false;
  auto hit = target_.exe().SymbolAt(ret - 1 - bias);
  return hit && hit->name == "x_cgo_callers";
}

std::optional<uint64_t> CgoCallers::Cfa(uint64_t ret, uint64_t sp) const {
  if (!Contains(ret)) return std::nullopt;
  Dwarf_CFI* cfi = dwarf_getcfi_elf(target_.exe().elf());
  if (!cfi) return std::nullopt;
  Dwarf_Frame* frame = nullptr;
  // The call instruction's CFA rule: pc - 1 lies inside it.
  if (dwarf_cfi_addrframe(cfi, ret - 1 - target_.load_bias(), &frame) != 0) return std::nullopt;
  Dwarf_Op* ops = nullptr;
  size_t nops = 0;
  std::optional<uint64_t> cfa;
  // A C function's CFA is its stack pointer plus a constant (DW_CFA_def_cfa
  // on the SP register): the one form read here.
  const Arch& arch = target_.arch();
  if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1) {
    bool on_sp = (ops[0].atom == DW_OP_bregx && ops[0].number == arch.dwarf_sp) ||
                 (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31 &&
                  static_cast<unsigned>(ops[0].atom - DW_OP_breg0) == arch.dwarf_sp);
    int64_t offset = static_cast<int64_t>(ops[0].atom == DW_OP_bregx ? ops[0].number2 : ops[0].number);
    if (on_sp) cfa = sp + static_cast<uint64_t>(offset);
  }
  std::free(frame);
  return cfa;
}

}  // namespace cgostack

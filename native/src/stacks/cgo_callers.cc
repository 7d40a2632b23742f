#include "stacks/cgo_callers.h"

#include <dwarf.h>

#include <cstdlib>

namespace cgostack {

CgoCallers::~CgoCallers() {
  if (cfi_) dwarf_cfi_end(cfi_);
}

Dwarf_Frame* CgoCallers::FrameAt(uint64_t addr) const {
  if (!cfi_tried_) {
    cfi_tried_ = true;
    cfi_ = dwarf_getcfi_elf(target_.exe().elf());
  }
  Dwarf_Frame* frame = nullptr;
  if (!cfi_ || dwarf_cfi_addrframe(cfi_, addr, &frame) != 0) return nullptr;
  return frame;
}

bool CgoCallers::Contains(uint64_t ret) const {
  uint64_t bias = target_.load_bias();
  if (ret <= bias + 1) return false;
  uint64_t addr = ret - 1 - bias;
  if (target_.exe().SymbolAddress("x_cgo_callers")) {
    auto hit = target_.exe().SymbolAt(addr);
    return hit && hit->name == "x_cgo_callers";
  }
  Dwarf_Frame* frame = FrameAt(addr);
  if (!frame) return false;
  bool signal = false;
  dwarf_frame_info(frame, nullptr, nullptr, &signal);
  std::free(frame);
  return !signal;
}

std::optional<uint64_t> CgoCallers::Cfa(uint64_t ret, uint64_t sp) const {
  if (!Contains(ret)) return std::nullopt;
  // The call instruction's CFA rule: pc - 1 lies inside it.
  Dwarf_Frame* frame = FrameAt(ret - 1 - target_.load_bias());
  if (!frame) return std::nullopt;
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

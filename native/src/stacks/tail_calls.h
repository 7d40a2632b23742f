// Frames for tail calls, reconstructed from DWARF call-site information as
// GDB does (gdb/dwarf2/loc.c call_site_find_chain, frame-tailcall.c): a
// function that ends in a jump to another leaves no frame, but the call
// site in the caller names the function it called, and that function's
// tail-call sites name where it jumped.  When exactly the chain from the
// one to the callee is known, GDB shows a frame per tail-call site on it
// (DwflUnwinder::TailCallFrame names it); the standalone tool shows the
// same frames so its stacks match GDB's.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace cgostack {

class TailCalls {
 public:
  explicit TailCalls(Dwfl* dwfl) : dwfl_(dwfl) {}
  // The pcs of the frames between a callee (whose function starts at
  // `callee_entry`) and its caller (whose frame's pc is the return address
  // `caller_pc`), innermost first: each is the return address of a tail
  // call site, as GDB reports a tail-call frame's pc.  Empty when there
  // are none or the call-site information does not tell.
  std::vector<uint64_t> Between(uint64_t caller_pc, uint64_t callee_entry);

 private:
  struct Site {
    uint64_t return_pc = 0;  // absolute
    uint64_t target = 0;     // absolute entry of the called function, 0 if unknown
  };
  // The call sites of the function starting at `entry` (tail calls only, or
  // the one returning to `return_pc`).
  std::vector<Site> Sites(uint64_t entry_or_pc, bool by_return_pc, uint64_t return_pc);
  uint64_t TargetOf(Dwarf_Die* site, Dwarf_Addr bias);
  uint64_t SymbolAddress(const std::string& name);
  void Search(uint64_t function, uint64_t callee_entry, std::vector<uint64_t>* path,
              std::vector<std::vector<uint64_t>>* chains, int depth);

  Dwfl* dwfl_;
  std::unordered_map<uint64_t, std::vector<Site>> tail_sites_;  // by function entry
  std::unordered_map<std::string, uint64_t> symbols_;           // defined functions, all modules
  bool symbols_loaded_ = false;
};

}  // namespace cgostack

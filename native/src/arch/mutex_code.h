// The machine code a Go function uses on a sync.Mutex, as holder
// inference (locks/holder_inference.h) reads it, per machine: where a
// register gets the address of a global, the inlined fast paths of Lock
// (an atomic compare-and-swap) and Unlock (an atomic add), and direct
// calls (whose callee may be (*Mutex).Lock / Unlock).  A separate table from
// arch.h: only holder inference needs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "arch/arch.h"

namespace cgostack {

struct CodeEvent {
  enum Kind { kAddress, kLock, kUnlock, kCall } kind;
  size_t at;       // offset of the (first) instruction in the function
  size_t end;      // offset just after it (the address is in the register from here)
  uint64_t value;  // kAddress: the address; kCall: the call's target
};

class Disassembler;

struct MutexCodeRules {
  // Appends the events found in `code` (the function at `entry`), in code
  // order, decoded by Capstone (arch/disassembler.h).  x86-64: LEA
  // r64,[rip+disp]; LOCK CMPXCHG; LOCK XADD; CALL rel.  aarch64: ADRP then
  // ADD of the same register; CASAL(W) / LDADDAL(W) (Go's intrinsics with
  // LSE atomics; without them the same code has an LDAXR/STLXR loop next to
  // them); BL.
  void (*scan)(const Disassembler& dis, std::string_view code, uint64_t entry, std::vector<CodeEvent>* out);
  // How many bytes after the address the lock or unlock may come: the
  // inlined fast path (on arm64 behind the LSE feature check) or the call's
  // argument set-up.
  size_t window;
};

// The rules of `arch`'s machine.
const MutexCodeRules& MutexCodeRulesFor(const Arch& arch);

}  // namespace cgostack

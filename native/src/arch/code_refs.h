// What a function's machine code refers to, per machine, decoded by
// Capstone (arch/disassembler.h): the globals it addresses, loads or
// stores, and its direct calls, in instruction order.  x86-64: every
// RIP-relative memory operand (the way Go code addresses a package-level
// variable), a MOV to one being a store; CALL rel.  aarch64: every address
// an ADRP page completes (ADD, or the offset of a load or store:
// arch/arm64_addresses.h), including a field reached through it; BL.  The
// global finder (goruntime/global_finder.h) finds the runtime's globals in
// executables without a symbol table by these.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "arch/arch.h"

namespace cgostack {

struct CodeRef {
  uint64_t pc = 0;        // run-time address of the instruction
  uint64_t target = 0;    // run-time address referred to (data, or the callee)
  bool is_call = false;   // a direct call: target is the callee's entry
  bool is_store = false;  // a store to target
};

// Appends the references of `code` (loaded at `entry`) for `arch`'s machine.
// Throws Error when Capstone cannot be opened; bytes it cannot decode
// (padding, data in text) are stepped over.
void FindCodeRefs(const Arch& arch, std::string_view code, uint64_t entry, std::vector<CodeRef>* out);

}  // namespace cgostack

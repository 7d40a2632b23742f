// What a runtime function's machine code refers to, decoded with Capstone
// (x86-64): every RIP-relative memory operand (the way Go code addresses a
// package-level variable) and every direct call, in instruction order.
// Used to find the runtime's globals in executables without a symbol table
// (global_finder.h); the decoding itself is Capstone's, not ours.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target/memory.h"

namespace cgostack {

struct CodeRef {
  uint64_t pc = 0;        // run-time address of the instruction
  uint64_t target = 0;    // run-time address referred to (data, or the callee)
  bool is_call = false;   // a direct CALL: target is the callee's entry
  bool is_store = false;  // MOV with the RIP-relative operand as destination
};

// Decodes [entry, end) read from `memory` (at most 64 KiB).  Throws Error
// when Capstone cannot be opened or the code cannot be read; bytes Capstone
// cannot decode (padding, data in text) are stepped over.
std::vector<CodeRef> DecodeCodeRefs(const MemorySource& memory, uint64_t entry, uint64_t end);

}  // namespace cgostack

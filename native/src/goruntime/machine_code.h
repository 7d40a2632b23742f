// What a runtime function's machine code refers to (arch/code_refs.h: the
// globals it uses, its direct calls), read from the target's memory.  Used
// to find the runtime's globals in executables without a symbol table
// (global_finder.h); the decoding itself is Capstone's, not ours.
#pragma once

#include <cstdint>
#include <vector>

#include "arch/code_refs.h"
#include "target/memory.h"

namespace cgostack {

// Decodes [entry, end) read from `memory` (at most 64 KiB) as `arch`'s
// machine code.  Throws Error when Capstone cannot be opened or the code
// cannot be read; bytes Capstone cannot decode are stepped over.
std::vector<CodeRef> DecodeCodeRefs(const Arch& arch, const MemorySource& memory, uint64_t entry, uint64_t end);

}  // namespace cgostack

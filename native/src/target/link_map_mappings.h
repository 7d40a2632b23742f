// The files mapped into a process whose core has no NT_FILE note (the
// cores qemu-user writes for its guest): the dynamic linker's list of
// loaded objects (struct r_debug, found through the executable's DT_DEBUG)
// names each shared object and its load bias, and the object's own program
// headers (read from the file GDB's sysroot rules find on this machine)
// give where each PT_LOAD lies.  GDB finds a core's libraries the same way
// when the core has no NT_FILE (solib-svr4.c).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target/core_file.h"
#include "target/elf_image.h"
#include "target/library_search.h"
#include "target/memory.h"

namespace cgostack {

struct LinkMapMappings {
  std::vector<FileMapping> mappings;  // the executable's, then each library's PT_LOADs
  // Objects the link map names that are not on this machine (no file
  // under the sysroot or search path): their extents are unknown.
  std::vector<std::string> missing;
};

// The run-time address of `exe`'s PT_DYNAMIC loaded at `load_bias`, 0 if
// it has none (a static executable).
uint64_t DynamicAddress(const ElfImage& exe, uint64_t load_bias);

// Mappings for the executable `exe` (loaded at `load_bias`) and for every
// library in its link map (read from `mem`) that `search` finds.
LinkMapMappings MappingsFromLinkMap(const ElfImage& exe, uint64_t load_bias, const MemorySource& mem,
                                    const LibrarySearch& search);

}  // namespace cgostack

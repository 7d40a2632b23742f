// runtime.firstmoduledata found without a symbol table: the runtime's
// moduledata (runtime/symtab.go) starts with a pointer to the pcHeader, i.e.
// to the start of .gopclntab, followed by funcnametab, a slice starting at
// pcHeader + pcHeader.funcnameOffset.  The word pair is searched for in the
// executable's data sections as loaded in the target (so a PIE's relocated
// pointers are what is compared).  From it come moduledata.text (which Go
// 1.26+ no longer copies into pcHeader.textStart) and moduledata.gofunc (the
// base of the inline trees), by field name from the layouts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "goruntime/dwarf_index.h"
#include "target/elf_image.h"
#include "target/memory.h"

namespace cgostack {

struct GoModuleData {
  uint64_t address = 0;  // run-time address of runtime.firstmoduledata
  uint64_t text = 0;     // moduledata.text, run-time
  uint64_t gofunc = 0;   // moduledata.gofunc, run-time (0 if the layout lacks it)
};

// nullopt with *why set when no data section holds a matching moduledata.
std::optional<GoModuleData> FindFirstModuleData(ElfImage& exe, const MemorySource& memory, uint64_t load_bias,
                                                DwarfIndex& layouts, std::string* why);

}  // namespace cgostack

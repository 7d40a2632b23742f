// The vDSO of a core as a libdwfl module, from the core's own bytes.  When
// the modules are reported from the core's NT_FILE note (safe_modules.h)
// instead of dwfl_core_file_report, nothing else would report the vDSO: it
// is no file, so NT_FILE does not list it.  Its CFI is what unwinds a
// thread stopped inside it (a Go nanotime through the vDSO's clock_gettime;
// arm64's signal trampoline).  The kernel dumps it whole (it is not file
// backed); AT_SYSINFO_EHDR in the core's auxv says where it is.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "target/target.h"

namespace cgostack {

// The module name the vDSO is reported under (as /proc/PID/maps names it).
extern const char kVdsoModuleName[];

// The vDSO image copied out of the core, for the module's find_elf: it
// must outlive the Dwfl (libdwfl's Elf points into it).
struct VdsoImage {
  std::vector<char> bytes;
};

// Reports the vDSO of core `target` to `dwfl` (between dwfl_report_begin
// and dwfl_report_end), its image copied into `image`.  Nothing when the
// core has no AT_SYSINFO_EHDR or its bytes do not hold an ELF image.
void ReportVdso(Dwfl* dwfl, Target& target, VdsoImage* image);

// For a find_elf callback: the vDSO's Elf (in memory) if `modname` and the
// module's `userdata` are ReportVdso's, else nullptr.
Elf* VdsoElf(const char* modname, void* userdata);

}  // namespace cgostack

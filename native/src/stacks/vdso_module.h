// The vDSO: where it is, what frames in it are named after, and, for a core,
// a libdwfl module made from the core's own bytes.  When the modules are
// reported from the core's NT_FILE note (safe_modules.h) instead of
// dwfl_core_file_report, nothing else would report the vDSO: it is no file,
// so NT_FILE does not list it.  Its CFI is what unwinds a thread stopped
// inside it (a Go nanotime through the vDSO's clock_gettime; arm64's signal
// trampoline).  The kernel dumps it whole (it is not file backed);
// AT_SYSINFO_EHDR in the auxv says where it is.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "target/target.h"

namespace cgostack {

// The module name the vDSO is reported under (as /proc/PID/maps names it).
extern const char kVdsoModuleName[];

// The vDSO image copied out of the target's memory, for the module's
// find_elf: it must outlive the Dwfl (libdwfl's Elf points into it).
struct VdsoImage {
  std::vector<char> bytes;
  uint64_t start = 0, end = 0;  // the addresses it spans in the process
};

// The target's vDSO image; nullopt when its auxv names none or its bytes do
// not hold an ELF image.
std::optional<VdsoImage> ReadVdso(const Target& target);

// The vDSO's extent and the object name its frames get in every view: its
// own DT_SONAME (linux-vdso.so.1 on x86-64 and arm64: the name the dynamic
// linker's list and ldd give it; GDB names it no shared library), else
// "[vdso]".  nullopt without a vDSO.
struct VdsoObject {
  uint64_t start = 0, end = 0;
  std::string name;
};
std::optional<VdsoObject> FindVdso(const Target& target);

// Reports the vDSO of core `target` to `dwfl` (between dwfl_report_begin
// and dwfl_report_end), its image copied into `image`.  Nothing when the
// core has no AT_SYSINFO_EHDR or its bytes do not hold an ELF image.
void ReportVdso(Dwfl* dwfl, Target& target, VdsoImage* image);

// For a find_elf callback: the vDSO's Elf (in memory) if `modname` and the
// module's `userdata` are ReportVdso's, else nullptr.
Elf* VdsoElf(const char* modname, void* userdata);

}  // namespace cgostack

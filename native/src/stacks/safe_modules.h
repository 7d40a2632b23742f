// libdwfl must never open() a FIFO or a device: a core whose NT_FILE note or
// link map names one (a library replaced by a FIFO since, or a crafted
// core) would block dwfl_core_file_report forever in open(), and a device
// can have side effects.  libdwfl opens files itself in three places:
// dwfl_core_file_report (names from NT_FILE and the link map), the find_elf
// callback (and the file name it leaves primed), and find_debuginfo
// (.gnu_debuglink names next to a library).  So:
//  - SpecialFilesNamedByCore looks at every name first (stat, no open);
//  - when one is special, ReportCoreModules replaces dwfl_core_file_report:
//    it reports each ELF file of NT_FILE from a descriptor opened and
//    checked by target/regular_file.h, and skips (with a warning) the
//    special ones;
//  - the find_elf and find_debuginfo callbacks here wrap libdwfl's standard
//    ones and refuse names that are not regular files.
#pragma once

#include <elfutils/libdwfl.h>

#include <string>
#include <vector>

#include "target/target.h"

namespace cgostack {

// Names in the core's NT_FILE note or link map that exist but are not
// regular files, each as "PATH (a FIFO)".
std::vector<std::string> SpecialFilesNamedByCore(const Target& target);

// Reports the core's ELF files (executable and libraries) from NT_FILE
// through checked descriptors; each special file is a warning of `target`.
void ReportCoreModules(Dwfl* dwfl, Target& target);

// Whether ReportCoreModules (with the vDSO, vdso_module.h) reports what
// dwfl_core_file_report would: the core has an NT_FILE note and every ELF
// file it maps is a regular file here.  dwfl_core_file_report sniffs the
// first page of every core segment for an ELF header, one page fault each:
// on a core with thousands of threads, thousands of stack reservations
// (issue 15).  It stays for an ELF object no longer on disk (deleted
// since, or a core from elsewhere), which it still identifies by the
// build-id in the core's copy of its headers.  (A core without NT_FILE,
// qemu's, is reported from the link map: dwfl_unwinder.cc.)
bool CanReportFromFileNote(Target& target);

// libdwfl callbacks: the standard ones, but a name that is not a regular
// file is skipped (a warning of the target being unwound, see
// SafeModulesScope).
int FindElfRegularOnly(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
                       char** file_name, Elf** elfp);
int FindProcElfRegularOnly(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
                           char** file_name, Elf** elfp);
int FindDebuginfoRegularOnly(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
                             const char* file_name, const char* debuglink_file, GElf_Word debuglink_crc,
                             char** debuginfo_file_name);

// While alive, warnings of the callbacks above (on this thread) go to
// `target`.
class SafeModulesScope {
 public:
  explicit SafeModulesScope(Target& target);
  ~SafeModulesScope();

 private:
  Target* previous_;
};

}  // namespace cgostack

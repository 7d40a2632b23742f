// In GDB, the Go module's separate debug file is the one GDB itself loaded
// (the objfile's separate debug objfile), and a lookup of our own follows
// GDB's `set debug-file-directory`, so the plugin and GDB never disagree on
// which DWARF describes the program.  The plugin hands both over before it
// opens a session (GDB's settings are process-wide, and so is this); the
// CLI hands over nothing and gets GDB's defaults (debug_file_lookup.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "target/debug_file_lookup.h"
#include "target/elf_image.h"

namespace cgostack {

// `debug_dirs`: GDB's debug-file-directory, split at ':' (empty: the
// default, /usr/lib/debug).  `loaded`: objfile path -> the separate debug
// file GDB loaded for it.
void UseDebuggerDebugFiles(std::vector<std::string> debug_dirs, std::map<std::string, std::string> loaded);

// The debug file of `exe`: the one the debugger loaded for it when it has
// `exe`'s build-id ("gdb"), else FindSeparateDebugFile in the debugger's
// directories.
std::optional<DebugFile> FindDebugFileAsDebugger(ElfImage& exe);

}  // namespace cgostack

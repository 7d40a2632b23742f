// Separate debug info for an executable stripped of it, looked up the way
// GDB does by default (gdb/symfile.c, "Separate Debug Files" in its manual):
//   1. by build-id: DIR/.build-id/xx/yyyy.debug (the -dbgsym packages' layout);
//   2. by .gnu_debuglink: next to the executable, in its .debug/
//      subdirectory, and under DIR + the executable's directory;
//   3. from the debuginfod servers DEBUGINFOD_URLS names, when it is set
//      (debuginfod_client.h);
// with DIR = /usr/lib/debug.  A build-id candidate must carry the same
// build-id; a debuglink candidate must have the CRC-32 the link records.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "target/elf_image.h"

namespace cgostack {

struct DebugFile {
  std::string path;
  std::string how;  // "build-id", ".gnu_debuglink" or "debuginfod"
};

// The debug file of `exe`, or nullopt.  `debug_dirs` defaults to GDB's
// debug-file-directory, /usr/lib/debug.
std::optional<DebugFile> FindSeparateDebugFile(ElfImage& exe,
                                              const std::vector<std::string>& debug_dirs = {"/usr/lib/debug"});

}  // namespace cgostack

// Debug files from debuginfod servers, through elfutils' client
// (libdebuginfod), as GDB and libdwfl fetch them: asked only when the user
// names servers in DEBUGINFOD_URLS; the client keeps what it downloads in
// its cache (DEBUGINFOD_CACHE_PATH, default ~/.cache/debuginfod_client) and
// returns the cached file's path.  libdwfl asks the same servers by itself
// for the libraries it unwinds through (dwfl_standard_find_debuginfo).
// libdebuginfod.so.1 is loaded (dlopen) only when a server is to be asked.
#pragma once

#include <optional>
#include <string>

namespace cgostack {

// The debug file with build-id `hex_build_id` (lowercase hex), or nullopt:
// DEBUGINFOD_URLS unset or empty, no server has it, or it is not a regular
// file with that build-id.  Each build-id is asked once per process (a
// snapshot must not wait on the network twice while the process is held).
std::optional<std::string> DebuginfodDebugFile(const std::string& hex_build_id);

}  // namespace cgostack

// A DWARF handle already open for a debug file, asked for by the file's
// path: libdwfl's in the CLI, which inflated libc's compressed debug info
// to name C frames, so that the lock graph reads libc's few pthread types
// from it instead of inflating the file a second time (glibc_layouts.h).
#pragma once

#include <elfutils/libdw.h>

#include <functional>
#include <string>

namespace cgostack {

// nullptr when no such handle is open.
using HeldDwarf = std::function<Dwarf*(const std::string& debug_file)>;

}  // namespace cgostack

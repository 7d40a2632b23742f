// Library names as the dynamic linker recorded them (link_map.l_name), the
// names GDB gives shared objects.  libdwfl reports a live process's modules
// from /proc/PID/maps, which has real paths
// (/usr/lib/x86_64-linux-gnu/libc.so.6 where GDB says
// /lib/x86_64-linux-gnu/libc.so.6 on a merged-/usr system); a core's
// modules already come from its link map.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <map>
#include <string>

#include "target/memory.h"

namespace cgostack {

// l_addr (the load bias) -> l_name for every object in the dynamic linker's
// list, found through its `_r_debug` (struct r_debug, <link.h>).  Empty if
// the process has no dynamic linker or its list cannot be read.
std::map<uint64_t, std::string> LinkMapNames(Dwfl* dwfl, const MemorySource& mem);

// The same list found without libdwfl, through the executable's DT_DEBUG
// (which ld.so points at _r_debug): before libdwfl opens any of them.
// `dynamic` is the run-time address of the executable's PT_DYNAMIC.
std::map<uint64_t, std::string> LinkMapNamesFromDynamic(uint64_t dynamic, const MemorySource& mem);

}  // namespace cgostack

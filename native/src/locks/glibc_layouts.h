// Where glibc keeps the fields of its pthread objects, taken from the
// target's own libc: from its DWARF when debug information for it is found
// (libc6-dbg installs it under /usr/lib/debug/.build-id), otherwise from a
// table per glibc release keyed by the version string in that libc's
// .rodata ("... stable release version 2.41.").  The mutex and rwlock
// layouts have not moved since glibc 2.25 (the fields the lock graph reads
// are ABI: static initialisers depend on them); the condition variable did:
// glibc 2.41 removed __g_refs, moving __wrefs from offset 36 to 28 and
// __g_signals from 40 to 32 (bits/thread-shared-types.h).
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "target/held_dwarf.h"

namespace cgostack {

class Target;

struct GlibcLayouts {
  // struct __pthread_mutex_s
  uint64_t mutex_lock = 0, mutex_count = 4, mutex_owner = 8, mutex_kind = 16;
  // struct __pthread_rwlock_arch_t
  uint64_t rwlock_readers = 0, rwlock_wrphase_futex = 8, rwlock_writers_futex = 12, rwlock_cur_writer = 24;
  // struct __pthread_cond_s
  uint64_t cond_wrefs = 36, cond_g_signals = 40;

  std::string version;  // "2.41"; empty when the target's libc was not read
  std::string libc;     // the libc file the version (and DWARF) came from
  std::string source;   // how the layouts were found, for the user
  std::string debug_file;  // the libc's debug file whose DWARF gave them; "" if none was found
  // Non-empty when the layouts are a guess (no libc found, an unknown
  // release): the lock graph reports it when it reads a pthread object.
  std::string warning;
};

// The layouts of the glibc release named by `version` ("2.36"), from the
// built-in table; nullopt for a release before 2.25 (an older design of the
// condition variable and rwlock that is not decoded).  A release newer than
// the table's newest gets the newest layouts and a warning.
std::optional<GlibcLayouts> GlibcLayoutsForVersion(const std::string& version);

// The release in a libc's read-only data ("stable release version 2.41."),
// empty if there is none.
std::string GlibcVersionInRodata(std::string_view rodata);

// The layouts the struct definitions in `debug_file`'s DWARF give, or
// nullopt if it has none of them.
std::optional<GlibcLayouts> GlibcLayoutsFromDwarf(const std::string& debug_file);
// The same from a DWARF handle someone already holds for it (not closed).
std::optional<GlibcLayouts> GlibcLayoutsFromDwarf(Dwarf* dwarf, const std::string& debug_file);

// The layouts for the libc `target` uses (found among its file mappings),
// by the best source available; never throws.  A libc file (under the
// target's sysroot, else at its own path) is read only if its build-id is
// the one the process's copy carries (the first page of the mapping, which
// cores hold); otherwise a warning names both, and the layouts come from
// the debug file with the process's build-id (under /usr/lib/debug, the
// sysroot's, or from debuginfod when DEBUGINFOD_URLS is set), else the table for the
// release the process's memory or the file's name (libc-2.31.so) gives.
GlibcLayouts FindGlibcLayouts(const Target& target, const HeldDwarf& held = {});

}  // namespace cgostack

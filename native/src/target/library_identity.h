// Libraries on disk that are not the ones a core's process mapped: libdwfl
// rejects such a file (its build-id differs from the one the core's memory
// recorded), which leaves that library's C frames without names.  That must
// never pass silently (issue 16.6): one warning per library, naming both
// build-ids; the frames then rest on what the core itself holds.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <string>

#include "target/target.h"

namespace cgostack {

// Adds a warning to `target` for each module of `dwfl` (reported from the
// core) whose file on disk carries another build-id.
void WarnAboutReplacedLibraries(Dwfl* dwfl, Target& target);

// For a library the core mapped at `start` (offset 0) and that is to be
// read from `file` (under --sysroot: libdwfl then takes the file as it
// is): the warning when the file's build-id is not the one the core's copy
// of its first page records; "" when they agree or either is unknown.
std::string ReplacedLibraryWarning(Target& target, const std::string& file, uint64_t start);

}  // namespace cgostack

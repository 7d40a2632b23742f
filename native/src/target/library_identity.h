// Libraries on disk that are not the ones a core's process mapped: libdwfl
// rejects such a file (its build-id differs from the one the core's memory
// recorded), which leaves that library's C frames without names.  That must
// never pass silently (issue 16.6): one warning per library, naming both
// build-ids; the frames then rest on what the core itself holds.
#pragma once

#include <elfutils/libdwfl.h>

#include "target/target.h"

namespace cgostack {

// Adds a warning to `target` for each module of `dwfl` (reported from the
// core) whose file on disk carries another build-id.
void WarnAboutReplacedLibraries(Dwfl* dwfl, Target& target);

}  // namespace cgostack

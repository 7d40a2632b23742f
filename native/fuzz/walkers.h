// What the goroutine-walker fuzz target and its seed generator run over a
// target: every report the GDB commands produce (cgo-info, cgo-goroutines
// with stacks, cgo-threads with the stack-switch rules and stitching, and
// the lock graph: semaphore treaps, channels, holder inference).  Expected
// failures (cgostack::Error) are swallowed here, as the command boundary
// would print them; anything else (a crash, a sanitizer report, another
// exception, a hang) is a finding.
#pragma once

#include "goruntime/go_runtime.h"

namespace cgostack::fuzz {

void RunWalkers(GoRuntime& rt);

}  // namespace cgostack::fuzz

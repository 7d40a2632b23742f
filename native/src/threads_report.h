// OS threads of the process with their M and, for threads inside the Go
// signal handler, the context the signal interrupted.  The start of
// `cgo-threads` (stitched stacks come with the cross-language work).
#pragma once

#include "go_runtime.h"
#include "json_writer.h"

namespace cgostack {

void WriteThreadsReport(GoRuntime& rt, JsonWriter& w);

}  // namespace cgostack

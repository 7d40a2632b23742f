// The `cgo-goroutines` model as JSON (schema in docs/json-schema.md), written
// with the streaming JsonWriter.
#pragma once

#include <string>
#include <vector>

#include "goroutine_query.h"
#include "goroutines.h"
#include "json_writer.h"

namespace cgostack {

// Writes {"go_version", "total", ["stacks"], "goroutines", "warnings"}.
void WriteGoroutinesReport(GoRuntime& rt, const GoroutineQuery& q, JsonWriter& w);

// One frame list (shared by goroutine entries and groups).
void WriteGoFrames(const std::vector<GoFrame>& frames, size_t max_frames, JsonWriter& w);

}  // namespace cgostack

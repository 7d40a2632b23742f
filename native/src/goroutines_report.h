// The `cgo-goroutines` model as JSON (schema in docs/json-schema.md), written
// with the streaming JsonWriter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "goroutine_query.h"
#include "goroutines.h"
#include "json_writer.h"

namespace cgostack {

// Every live goroutine with what a report says around them.
struct GoroutineSnapshot {
  std::string go_version;
  std::vector<Goroutine> goroutines;
  std::optional<int64_t> now_ns;  // live processes only
  std::vector<std::string> warnings;
};
GoroutineSnapshot ReadGoroutines(GoRuntime& rt, bool with_frames);

// Writes {"go_version", "total", ["stacks"], "goroutines", "warnings"}.
void WriteGoroutinesReport(GoRuntime& rt, const GoroutineQuery& q, JsonWriter& w);

// One frame list (shared by goroutine entries and groups).
void WriteGoFrames(const std::vector<GoFrame>& frames, size_t max_frames, JsonWriter& w);

}  // namespace cgostack

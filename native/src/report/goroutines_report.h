// The `cgo-goroutines` model as JSON (schema in docs/json-schema.md), written
// with the streaming JsonWriter.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "report/goroutine_query.h"
#include "goruntime/goroutines.h"
#include "report/json_writer.h"

namespace cgostack {

// Every live goroutine with what a report says around them.
struct GoroutineSnapshot {
  std::string go_version;
  std::vector<Goroutine> goroutines;
  std::optional<int64_t> now_ns;  // live processes only
  std::vector<std::string> warnings;
};
// `stitch`, when given, completes each goroutine's frames (cross-language
// stacks, thread_stacks.h).
using StitchFn = std::function<void(Goroutine*)>;
// The report's warning for `n` goroutines whose pprof labels were cut.
std::string LabelsCutWarning(size_t n);
// In goid order.
GoroutineSnapshot ReadGoroutines(GoRuntime& rt, bool with_frames, const StitchFn& stitch = nullptr);

// Writes {"go_version", "total", ["stacks"], "goroutines", "warnings"}.
// Returns whether the report is partial: a warning, or a goroutine (or,
// with frames, its stack) that could not be read.
bool WriteGoroutinesReport(GoRuntime& rt, const GoroutineQuery& q, JsonWriter& w, const StitchFn& stitch = nullptr);

// One frame list (goroutines and threads): Go frames, C frames and the
// boundaries between them (schema in docs/json-schema.md).
void WriteFrames(const std::vector<StackFrame>& frames, size_t max_frames, JsonWriter& w);

}  // namespace cgostack

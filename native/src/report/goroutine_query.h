// What a goroutine report should contain.  Choosing and grouping goroutines
// is the plugin's job (gdb_plugin/cgostack_gdb/goroutine_filter.py); the
// backend decides only how much to read and how to ship it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cgostack {

struct GoroutineQuery {
  bool with_frames = true;
  size_t max_frames = SIZE_MAX;  // frames written per goroutine
  // Read every Go frame (--frames all); else a deep stack keeps its first
  // and last 50 with an elided boundary between (GoroutineOptions).
  bool all_frames = false;
  // Write each distinct stack once under "stacks" and give goroutines a
  // "stack" index instead of "frames".  For the plugin: 100,000 goroutines
  // blocked in a few dozen places then cost a few dozen frame lists.
  bool stack_table = false;
  // Write goroutines as "rows" of values with their names once in
  // "columns", instead of one object each (see goroutines_report.cc).
  bool rows = false;
  // GDB's thread number per LWP, so the JSON can name the thread to select.
  std::map<int64_t, int64_t> gdb_threads;
  // The goroutine a core's process crashed on and the crash summary
  // (crash_report.h), written as its "crash" field; others get null.
  std::optional<uint64_t> crash_goid;
  std::string crash;
};

}  // namespace cgostack

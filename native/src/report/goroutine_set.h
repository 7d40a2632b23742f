// Every goroutine of the target, read once for a view: each distinct stack
// is kept once (100,000 goroutines usually stop in a few hundred places), so
// views filter, group and render each stack once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/goroutines.h"
#include "report/goroutines_report.h"

namespace cgostack {

struct GoroutineSet {
  std::string go_version;
  std::optional<int64_t> now_ns;  // live processes only
  std::vector<std::string> warnings;
  std::vector<Goroutine> goroutines;  // goid order; frames moved into `stacks`
  std::vector<uint32_t> stack_of;     // per goroutine, its entry in `stacks`
  std::vector<std::vector<StackFrame>> stacks;
  std::map<int64_t, int64_t> gdb_threads;  // GDB's thread number per LWP
  bool with_frames = false;
  bool partial = false;  // a warning, or an unreadable goroutine or stack
  size_t labels_cut = 0;  // goroutines whose pprof labels were cut (GoroutineReader)
  // The goroutine a core's process crashed on, and the crash summary.
  std::optional<uint64_t> crash_goid;
  std::string crash;

  const std::vector<StackFrame>& frames(size_t i) const { return stacks[stack_of[i]]; }
  std::optional<int64_t> GdbThread(const std::optional<int64_t>& lwp) const;
};

// Reads every goroutine (in goid order); `stitch` completes each one's
// frames with its thread's native frames when given.  `all_frames` keeps
// every Go frame of a deep stack (else its first and last 50, go_unwind.h).
GoroutineSet ReadGoroutineSet(GoRuntime& rt, bool with_frames, const StitchFn& stitch,
                              std::map<int64_t, int64_t> gdb_threads, bool all_frames = false);

}  // namespace cgostack

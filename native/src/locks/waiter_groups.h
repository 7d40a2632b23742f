// Thousands of waiters made readable: the waits_for edges into one lock
// from the same code location with the same evidence become one group, with
// a count and the goroutine ids (ranges where consecutive).  The location
// is the waiter's first frame in the program's own code (the executable's C
// or the user's Go), not a library's internal function such as
// __lll_lock_wait.  Written additively as the lock graph's "waiter_groups".
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "locks/lock_graph.h"
#include "report/json_writer.h"

namespace cgostack {

struct Goroutine;

struct WaiterGroup {
  std::string lock;      // lock node id
  std::string where;     // "descend (cthreads.c:57)", "" if no frame is the program's
  std::string evidence;  // the edges' evidence
  size_t count = 0;      // waiters (goroutines, or threads without one)
  std::vector<uint64_t> goids;  // ascending
  std::vector<std::string> other_waiters;  // node ids of waiters without a goroutine
};

// The first frame of a goroutine's stack in the program's own code: a C frame of the
// executable `exe_path`, or a Go frame outside the runtime, the standard
// library's locking and cgo's glue; "function (file:line)".
std::string OwnCodeLocation(const std::vector<StackFrame>& frames, std::string_view exe_path);

// Groups in the order their locks first appear among the edges, largest first.
std::vector<WaiterGroup> GroupWaiters(const LockGraph& g);

// "21-520, 600, 602-610"
std::string IdRanges(const std::vector<uint64_t>& sorted_ids);

void WriteWaiterGroups(const std::vector<WaiterGroup>& groups, JsonWriter& w);

}  // namespace cgostack

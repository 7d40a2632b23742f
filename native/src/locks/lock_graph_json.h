// The lock graph as JSON (docs/json-schema.md): nodes, edges, cycles,
// diagnoses, the glibc layouts used, warnings and waiter groups.
#pragma once

#include <cstddef>
#include <cstdint>

#include "locks/lock_graph.h"
#include "report/json_writer.h"

namespace cgostack {

// `max_waiters`: write at most this many waits_for edges into each lock
// (the lock node then says how many more there are in "waiters_not_listed")
// and only the nodes something written refers to.  The text view shows ten
// waiters per lock; 100,000 goroutines on one channel need not cross to it.
void WriteLockGraph(const LockGraph& g, JsonWriter& w, size_t max_waiters = SIZE_MAX);

}  // namespace cgostack

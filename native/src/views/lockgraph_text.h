// Text and Graphviz forms of `lockgraph`: the diagnoses first (what a
// person needs), then every lock with its holder and waiters.
#pragma once

#include <cstddef>
#include <string>

#include "locks/lock_graph.h"

namespace cgostack::views {

inline constexpr size_t kTextWaiters = 10;  // waiters listed per lock in text

std::string RenderLockGraph(const LockGraph& g);
// Graphviz source; with more than `max_nodes` nodes only those on cycles,
// in diagnoses, or next to a lock with an owner are drawn.  Labels are
// escaped for the terminal as well as for DOT (a DOT file is often cat'ed).
std::string RenderLockGraphDot(const LockGraph& g, size_t max_nodes = 2000);

}  // namespace cgostack::views

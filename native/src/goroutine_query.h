// Which goroutines a command asked for, and grouping of identical stacks.
// Done in C++ beside the data: with 100,000 goroutines, shipping them all to
// Python to drop most of them costs seconds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "goroutines.h"

namespace cgostack {

struct GoroutineQuery {
  std::vector<uint64_t> goids;           // only these (empty: all)
  std::vector<std::string> states;       // case-insensitive substring of status or wait reason
  std::vector<std::string> functions;    // substring of any frame's function
  bool include_system = true;            // runtime-internal goroutines
  bool group = false;                    // one entry per identical stack
  bool with_frames = true;
  size_t max_frames = SIZE_MAX;          // frames written per goroutine or group
  // GDB's thread number per LWP, so the JSON can name the thread to select.
  std::map<int64_t, int64_t> gdb_threads;
};

struct GoroutineGroup {
  std::vector<const Goroutine*> members;  // first one stands for the group
};

bool Matches(const GoroutineQuery& q, const Goroutine& g);

// Groups goroutines whose state (status + wait reason) and Go stack
// (function, file, line of every frame) are identical; largest group first.
std::vector<GoroutineGroup> GroupByStack(const std::vector<const Goroutine*>& gs);

}  // namespace cgostack

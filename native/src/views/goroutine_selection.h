// Choosing and folding goroutines for `goroutines` views.
//
// Filter semantics (also in the commands' help text):
//   goids       only these goroutines; naming a goid shows it even if it is a
//               system goroutine
//   --state S   S equals the status (case-insensitive: "runnable",
//               "syscall") or is a case-insensitive substring of the wait
//               reason of a waiting goroutine ("mutex" matches
//               "sync.Mutex.Lock" and "sync.RWMutex.RLock"); repeated or
//               comma-separated values: any of them
//   --function  a substring (case-sensitive, as Go names are) of the function
//               of any frame or of the start function; repeated: all of them
//   system      runtime-internal goroutines are hidden unless asked for, as
//               the runtime's own traceback hides them; the hidden ones that
//               pass the other filters are counted
// Different filters combine with AND.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/goroutine_set.h"

namespace cgostack::views {

struct GoroutineFilter {
  std::vector<uint64_t> goids;
  std::vector<std::string> states;     // lowercased
  std::vector<std::string> functions;
  bool system = false;                 // show system goroutines
};

// What the runtime's traceback shows in brackets (goroutineheader in
// runtime/traceback.go): the wait reason while waiting, else the status.
std::string_view StateLabel(const std::string& status, const std::string& wait_reason);

// The goroutines a view shows (indices into the set, goid order) with the
// counts its summary line needs.
struct Selection {
  std::vector<size_t> shown;
  size_t total = 0, hidden_system = 0, filtered_out = 0;
  std::vector<uint64_t> not_found;
};

Selection Select(const GoroutineSet& set, const GoroutineFilter& filter);

// Goroutines with the same state and stack (function, file and line of every
// frame, the creation site, any read error), largest group first (ties:
// lowest first goid).  Members keep the selection's order.
struct Group {
  std::vector<size_t> members;  // indices into the set; the first one stands for all
  size_t locked_to_thread = 0;  // how many
};

std::vector<Group> GroupGoroutines(const GoroutineSet& set, const std::vector<size_t>& goroutines);

}  // namespace cgostack::views

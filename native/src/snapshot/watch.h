// `cgostack watch --pid PID --interval 1s --count 3` (issue 20.2): several
// snapshots of a live process (take_snapshot.h), then what did not move
// between them next to what did.  A goroutine or a thread Go does not run
// is stuck when every snapshot shows it in the same state and wait, with the
// same stack (Go and C pcs) and the same lock and holder (from the lock
// graph); a deadlock cycle seen in every snapshot is stuck.  Anything that
// changed is progressing: a busy lock that changes hands; so is a thread
// that was running when stopped (in Go, or in C outside any system call: a
// computation), even at the same pc.  How long a goroutine has waited comes from the
// runtime's own g.waitsince when it recorded one, else it is at least the
// time between the first and the last snapshot.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cgostack {

struct WatchOptions {
  int pid = 0;
  double interval_s = 1;
  int count = 3;
};

// {"snapshots", "interval_s", "pause_ms", "stuck": [...], "progressing": [...],
//  "warnings"}; see docs/json-schema.md.  Throws Error.
nlohmann::json Watch(const WatchOptions& options);
// The text view of Watch's result.
std::string WatchText(const nlohmann::json& report);

}  // namespace cgostack

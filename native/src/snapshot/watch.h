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
//
// The comparison (WatchLooks) is the same for the CLI, whose looks are
// snapshots opened as cores, and for GDB's cgo-watch, whose looks are the
// stops of the process GDB holds (gdb_plugin/cgostack_gdb/watch_cmd.py).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "session.h"
#include "views/command_options.h"

namespace cgostack {

struct WatchOptions {
  int pid = 0;
  double interval_s = 1;
  int count = 3;
};

// --interval and --count of the `watch` option table (views/command_options),
// checked: throws views::UsageError naming `prog` and `hint`.
WatchOptions ParseWatchOptions(const views::ParsedOptions& parsed, const std::string& prog, const std::string& hint);

// The looks of one watch and their comparison.
class WatchLooks {
 public:
  WatchLooks();
  ~WatchLooks();
  // One look: what every goroutine and thread of `session` is doing
  // (goroutines, threads and lock graph, with the stacks of the native
  // frames handed over to it), taken at `taken_ns` (CLOCK_MONOTONIC);
  // `pause_s`: how long a snapshot held the process for it (negative: not
  // a snapshot; GDB holds it as long as it likes).  `held_ns`: how long the
  // process was held between the first look and this one (GDB, while it
  // looked), which did not count as time to progress in.
  void Add(Session& session, int64_t taken_ns, double pause_s = -1, int64_t held_ns = 0);
  void Warn(const std::string& warning) { warnings_.push_back(warning); }
  size_t size() const;
  // {"snapshots", "interval_s", "pause_ms_max" (null without snapshots),
  //  "watched_s", "stuck": [...], "progressing": [...], "warnings"}; see
  //  docs/json-schema.md.  Needs two
  // looks (throws Error otherwise).
  nlohmann::json Report(double interval_s) const;

 private:
  struct Look;
  std::vector<std::unique_ptr<Look>> looks_;
  std::vector<std::string> warnings_;
  double max_pause_s_ = -1;  // -1: no look was a snapshot
};

// The CLI's watch: `count` snapshots `interval_s` apart, each opened as a
// core with C frames from libdwfl.  Throws Error.
nlohmann::json Watch(const WatchOptions& options);
// The text view of a watch report.
std::string WatchText(const nlohmann::json& report);

}  // namespace cgostack

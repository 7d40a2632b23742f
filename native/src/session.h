// One debugging session: a Target and the Go runtime view over it, opened
// once and reused by every command (DWARF indexing is the expensive part).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/go_runtime.h"
#include "report/goroutine_query.h"
#include "target/target.h"
#include "stacks/thread_stacks.h"
#include "report/crash_report.h"
#include "report/threads_report.h"

namespace cgostack {

class Session {
 public:
  static std::unique_ptr<Session> OpenCore(const std::string& exe, const std::string& core,
                                           const LibrarySearch& search = {});
  static std::unique_ptr<Session> OpenLive(const std::string& exe, int pid);
  // A live process whose memory is read through `memory` (a snapshot's
  // copy, target/process_copy.h) instead of /proc/PID/mem.
  static std::unique_ptr<Session> OpenLiveThrough(const std::string& exe, int pid,
                                                  std::shared_ptr<const MemorySource> memory);

  Target& target() { return *target_; }
  GoRuntime& runtime() { return *runtime_; }

  // `cgo-info` as a JSON string.
  std::string InfoJson();
  // `cgo-goroutines` as JSON.  With `output_path` the JSON goes straight to
  // that file (100,000 stacks are hundreds of megabytes; "-" is standard
  // output) and "" is returned.
  std::string GoroutinesJson(const GoroutineQuery& query, const std::string& output_path);
  // The goroutine and thread a core's process crashed on and the crash
  // summary every report marks them with ("crash"); null for a live
  // process, or when the signal was sent from outside (a dump someone
  // asked for).  Found once, the one source of every report's mark.
  struct CrashMark {
    std::optional<uint64_t> goid;
    int lwp = 0;
    std::string summary;
  };
  const CrashMark* crash_mark();
  // `cgo-info`'s model, with the crash record of a core.
  nlohmann::json InfoReport();
  // `cgo-threads` as JSON (to `output_path` as for GoroutinesJson).
  std::string ThreadsJson(const ThreadsQuery& query, const std::string& output_path);

  // `cgo-lockgraph` as JSON (to `output_path` as for GoroutinesJson).
  // `max_waiters` as for WriteLockGraph (the text view's summary).
  std::string LockGraphJson(const std::string& output_path, size_t max_waiters = SIZE_MAX);

  // Whether the last GoroutinesJson or ThreadsJson was partial (warnings,
  // unreadable goroutines or stacks): the CLI's exit status 2.
  bool last_report_partial() const { return last_report_partial_; }

  // The threads' stack state (built on first use).  ResetThreads drops it:
  // a live process that ran has new stacks, Ms and native frames.
  ThreadStacks& stacks();
  void ResetThreads() {
    stacks_.reset();
    crash_mark_.reset();
    crash_mark_known_ = false;
  }
  // A live process ran since the session was opened: its threads, their
  // registers and stacks are new, the executable (its DWARF index, pc
  // tables, the runtime's layouts and globals' addresses) is not.  Cheaper
  // than opening a session again, which indexes the DWARF (a debugger
  // stops many times on its own: breakpoints under an ignore count,
  // signals it passes).  For a session that reads the process itself
  // (OpenLive), not a snapshot's copy, whose threads are the copy's.
  void ProcessRan() {
    target_->RereadLiveThreads();
    ResetThreads();
  }
  // Whether native frames were handed over (goroutines get C frames stitched in).
  bool has_native_chains() const { return stacks_ && stacks_->has_chains(); }
  // The files reports are read from: an --output must not name one.
  const std::vector<std::string>& inputs() const { return inputs_; }

 private:
  explicit Session(std::unique_ptr<Target> target);
  void RememberInputs();
  // The crash record of a core (crash_report.h); nullopt when live.
  std::optional<CrashRecord> Crash();
  std::unique_ptr<Target> target_;
  std::unique_ptr<GoRuntime> runtime_;
  std::unique_ptr<ThreadStacks> stacks_;
  std::optional<CrashMark> crash_mark_;
  bool crash_mark_known_ = false;
  bool last_report_partial_ = false;
  std::vector<std::string> inputs_;
};

}  // namespace cgostack

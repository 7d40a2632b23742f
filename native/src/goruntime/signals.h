// Signal names and the signals the Go runtime needs delivered, read from
// the runtime's own table (runtime.sigtable: flags and "SIGURG: urgent
// condition on socket" names, indexed by signal number).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "goruntime/go_runtime.h"

namespace cgostack {

class SignalTable {
 public:
  explicit SignalTable(GoRuntime& rt);
  // "SIGQUIT"; "SIG<n>" for numbers the table does not name.
  std::string Name(int sig) const;
  // Signals a thread running Go code must not block: those the runtime
  // unblocks on every thread it runs (sigtable flag _SigUnblock, e.g.
  // SIGSEGV, SIGPROF), plus the preemption signal (runtime.sigPreempt,
  // SIGURG), in signal order.
  const std::vector<int>& RuntimeNeeds() const { return needs_; }
  // The names of the signals in `mask` (bit n-1 = signal n) the runtime needs.
  std::vector<std::string> NeededAndBlocked(uint64_t mask) const;

 private:
  std::vector<std::string> names_;  // index = signal number
  std::vector<int> needs_;
};

}  // namespace cgostack

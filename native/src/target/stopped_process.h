// A live process held still for reading without GDB: every thread is
// stopped with ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT, so no SIGSTOP is
// queued), as GDB does on attach, and its registers read; the destructor
// detaches and the process runs on, with any signal that arrived during
// the stop delivered again.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "target/core_file.h"

namespace cgostack {

class StoppedProcess {
 public:
  // Seizes every thread (PTRACE_SEIZE: traced, but running on) and, unless
  // `stop_now` is false, stops them (Stop()).  Throws Error (no such
  // process, not permitted, already traced).
  explicit StoppedProcess(int pid, bool stop_now = true);
  ~StoppedProcess();
  StoppedProcess(const StoppedProcess&) = delete;
  StoppedProcess& operator=(const StoppedProcess&) = delete;

  // Registers of every stopped thread, by LWP.
  const std::map<int, Registers>& registers() const { return regs_; }
  // The same registers as the kernel lays them out in NT_PRSTATUS's
  // pr_reg (HostArch().prstatus_regs_size bytes), and the floating-point
  // registers as in NT_PRFPREG, by LWP: what a snapshot's core holds.
  const std::map<int, std::vector<uint8_t>>& raw_registers() const { return raw_gregs_; }
  const std::map<int, std::vector<uint8_t>>& raw_fp_registers() const { return raw_fpregs_; }
  // The signal each thread stopped with (0: stopped by our interrupt); it
  // is delivered again on detach.
  const std::map<int, int>& stop_signals() const { return pending_signal_; }
  // Threads that did not stop (one in uninterruptible sleep, state D, in a
  // hung file system or a vfork): the others are held without them, and
  // these have no registers.  Each with its /proc state ("D (disk sleep)").
  const std::map<int, std::string>& not_stopped() const { return not_stopped_; }
  // Stops every thread: the seized ones, and any created since (seized
  // now).  A snapshot seizes first and stops later, so that the seizing,
  // a third of the ptrace calls, is not part of the pause.  Throws Error.
  void Stop();
  // Detaches now (the destructor does it otherwise): the process runs on.
  void Resume() { Detach(); }

  // How long the stop waits while no thread stops any more.
  static constexpr int kStopPatienceMs = 2000;

 private:
  // PTRACE_SEIZE (false: the thread is gone).
  bool Seize(int tid);
  // PTRACE_INTERRUPT of a seized thread (false: the thread is gone).
  bool Interrupt(int tid);
  // Waits for the interrupted threads to stop, all at once; those that
  // exit instead are dropped; true if any stopped.
  bool WaitStopped(std::vector<int> tids);
  // Whether the wait status of `tid` is its stop (recorded) rather than its end.
  bool Stopped(int tid, int status);
  void Detach();
  int pid_;
  std::set<int> seized_;  // every thread seized (stopped or not)
  std::map<int, int> pending_signal_;  // per stopped thread: signal to deliver on detach
  std::map<int, std::string> not_stopped_;  // seized, interrupted, never stopped
  std::map<int, Registers> regs_;
  std::map<int, std::vector<uint8_t>> raw_gregs_, raw_fpregs_;
};

}  // namespace cgostack

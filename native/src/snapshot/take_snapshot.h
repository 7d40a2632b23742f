// `cgostack snapshot --pid PID -o FILE` (issue 20): a hung process is held
// only while the memory the analysis needs is copied, then runs on, and the
// copy is written as an ELF core that every cgostack command and GDB open.
//
// The order, and why:
//  1. Before stopping: open the executable, index its DWARF and pc tables
//     (the slow part of any session), read auxv, comm, cmdline, ids; and
//     rehearse step 3 on the running process, so that the buffers the copy
//     goes into are mapped before the stop (their page faults were half
//     the pause at 100,000 goroutines).
//  2. Stop every thread (stopped_process.h: every thread seized while it
//     still runs, in step 1, then all interrupted, then all waited for);
//     registers, FP registers and signal masks by ptrace.
//  3. Copy in batches with process_vm_readv (process_copy.h): every
//     thread's stack from its stack pointer up, the data and bss of every
//     object, the vDSO and each object's first page (its ELF headers and
//     build-id note, which GDB looks for), the Go heap's in-use spans and
//     the runtime's off-heap structures (persistentalloc chunks: mcaches,
//     mspans), the futex words threads wait on; then every goroutine's
//     used stack [sched.sp, stack.hi) found through runtime.allgs; the
//     link map.  The executable's read-only pages are its file's (as for a
//     core) and not copied.
//  4. Resume the process.  Only steps 2-4 hold it.
//  5. (snapshot) The reports run against the copy, as they will against
//     the snapshot: what they read that step 3 did not copy is named in a
//     warning; then the core is written (core_writer.h).  (The CLI's
//     one-shot --pid commands make their report from the copy instead.)
//     The analysis used to run while the process was held, copying what
//     it missed; at 2,000 threads it was most of the pause.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "session.h"
#include "target/core_writer.h"
#include "target/proc_maps.h"
#include "target/process_copy.h"

namespace cgostack {

struct SnapshotStats {
  int pid = 0;
  double prepare_s = 0;  // step 1 (the process runs)
  double pause_s = 0;    // steps 2-4 up to the resume: how long it was held
  double pause_cpu_s = 0;  // CPU time (user + system) cgostack spent in it
  double stop_s = 0;     // of which stopping the threads
  double copy_s = 0;     // of which the batched copies of step 3
  double analysis_s = 0; // the reports run against the copy after the resume
  std::map<std::string, double> analysis_steps_ms;  // the same, by report
  double write_s = 0;    // writing the core (the process runs)
  // Step 3 part by part (what each kind of memory costs while the process
  // is held): wall and CPU time, bytes, process_vm_readv calls, and the
  // separately copied pieces.
  struct CopyStep {
    std::string name;
    double ms = 0, cpu_ms = 0;
    uint64_t bytes = 0;
    size_t calls = 0, pieces = 0;
  };
  std::vector<CopyStep> copy_steps;
  uint64_t bytes_copied = 0, file_size = 0;
  size_t segments = 0, threads = 0, goroutines = 0, copy_calls = 0;
  // Pages those reports read that had not been copied while the process
  // was held (each also in a warning): 0 when the ranges chosen up front
  // hold everything the reports need.
  size_t missed_pages = 0;
  // What the analysis could not read while the process was held (the
  // snapshot is written anyway: the same reports fail the same way on it).
  std::vector<std::string> warnings;
  nlohmann::json ToJson() const;
};

// A live process as copied while it was held (steps 1-4): the session
// reads the copy, which the process, running on, no longer changes.
struct LiveCopy {
  std::unique_ptr<Session> session;
  std::shared_ptr<ProcessCopy> copy;
  CoreContents core;               // threads and process; no segments yet
  std::vector<ProcMapping> maps;   // /proc/PID/maps while it was held
  SnapshotStats stats;             // up to the resume
};

// Steps 1-4.  `output` (may be empty) is refused before the stop when it
// names an input.  Throws Error (one line) when the process cannot be
// stopped or read; the process is resumed in every case.
LiveCopy CopyLiveProcess(int pid, const std::string& output = "");

// Takes a snapshot of process `pid` into the core file `output`.  Throws
// Error (one line) when the process cannot be stopped or read; the process
// is resumed in every case.
SnapshotStats TakeSnapshot(int pid, const std::string& output);

// The executable of a live process: /proc/PID/exe's target, or that link
// itself when the file was deleted or replaced since.
std::string LiveExecutable(int pid);

}  // namespace cgostack

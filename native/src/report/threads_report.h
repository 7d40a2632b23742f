// `cgo-threads`: every OS thread of the process (Go's Ms, C threads with an
// extra M, C threads Go never saw) with its M, P, goroutines, what it is
// doing, its blocked signals and its stitched stack.  Schema in
// docs/json-schema.md.
#pragma once

#include "arch/arch.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "goruntime/go_runtime.h"
#include "report/json_writer.h"
#include "stacks/signal_frame.h"
#include "stacks/thread_stacks.h"

namespace cgostack {

struct ThreadsQuery {
  bool with_frames = true;
  bool signal_frames = false;  // show the Go signal handler's frames
  std::map<int64_t, int64_t> gdb_threads;  // GDB's thread number per LWP
  // The thread a core's process crashed on and the crash summary
  // (crash_report.h), written as its "crash" field; others get null.
  int crash_lwp = 0;
  std::string crash;
};

// One OS thread as the threads report and view show it: the model, built
// once, written as JSON (WriteThreadsReport) or text (views/threads_text).
struct ThreadRow {
  int64_t lwp = 0;
  std::string crash;  // the crash summary on the thread a core crashed on
  std::optional<int64_t> m;
  std::string_view kind;      // "go", "c_extra_m", "c"
  std::string_view activity;  // ThreadActivity
  std::optional<uint64_t> goroutine, locked_goroutine;
  bool in_callback = false;
  int64_t cgo_calls = 0;
  struct P {
    bool present = false;
    std::optional<int64_t> id;
    std::string status, error;
    bool status_read = false;
    std::string_view held_as;  // "p", or "oldp" (given up for a syscall or cgo call)
  } p;
  std::string signal;  // the Go signal handler it is in, if any
  std::vector<SignalFrame> handlers;
  std::vector<std::string> handler_signals;  // their names
  std::optional<std::vector<std::string>> signals_blocked, runtime_signals_blocked;  // unknown in gcore cores
  bool with_frames = false;
  bool has_frames = false;  // native frames were collected
  std::vector<StackFrame> frames;
  std::string frames_error;
};

struct ThreadRows {
  std::string go_version;
  const Arch* arch = &ArchAmd64();  // the target's: names its registers
  std::vector<ThreadRow> threads;
  std::vector<std::string> warnings;
  bool partial = false;  // a warning, or (with frames) a stack that stops early or is missing
};

ThreadRows BuildThreadRows(GoRuntime& rt, ThreadStacks& stacks, const ThreadsQuery& q);
void WriteThreadRows(const ThreadRows& rows, const ThreadsQuery& q, JsonWriter& w);

// Returns whether the report is partial: a warning, or (with frames) a
// thread whose stack stops early or is missing.
bool WriteThreadsReport(GoRuntime& rt, ThreadStacks& stacks, const ThreadsQuery& q, JsonWriter& w);

// A thread's registers where its own code was: below any Go signal handler
// it is in (the handlers, innermost first, alongside).
struct ThreadRegisters {
  bool known = false;
  Registers regs{};
  std::vector<SignalFrame> handlers;
};
ThreadRegisters RegistersOf(GoRuntime& rt, const ThreadState& ts);

// "running_go", "cgo_call", "go_callback", "idle", "syscall", "in_c",
// "signal_handler" (schema: docs/json-schema.md, cgo-threads).
std::string_view ThreadActivity(GoRuntime& rt, ThreadStacks& stacks, const ThreadContext& t,
                                std::optional<uint64_t> pc, bool in_handler);
// Whether its current or locked goroutine is inside a callback from C.
bool ThreadInCallback(ThreadStacks& stacks, const ThreadContext& t);

}  // namespace cgostack

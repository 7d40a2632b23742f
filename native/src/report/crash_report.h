// Why a core's process stopped: the `crash` record of `cgo-info` (schema in
// docs/json-schema.md).  The signals come from the core's NT_SIGINFO (the
// one that made the kernel dump) and from the siginfo the kernel put in each
// Go signal-handler frame on every thread's stack; the thread whose
// outermost signal is a fault (else an abort or raise from inside, else a
// signal another process sent, else the dumping thread) is the one that
// crashed.  Panic value, throw message and glibc's abort message come from
// crash_facts.h.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/go_runtime.h"
#include "stacks/thread_stacks.h"

namespace cgostack {

struct CrashSignal {
  int signo = 0;
  int code = 0;
  int32_t sender_pid = 0;  // sent signals (code <= 0) only
  uint64_t fault_address = 0;
  bool fault = false;      // the kernel raised it for an instruction (si_code > 0)
  bool requested = false;  // another process sent it
  bool handled = false;    // a Go signal-handler frame for it is on the stack
  uint64_t sigpanic_pc = 0;  // Go < 1.21: turned into runtime.sigpanic; the faulting pc (g.sigpc)
};

struct CrashRecord {
  int lwp = 0;
  std::vector<CrashSignal> chain;  // innermost first: the cause is chain.back()
  std::optional<uint64_t> goid;
  uint64_t g = 0;
  bool in_c = false;
  std::vector<StackFrame> frames;  // the crashing thread's stack from the faulting frame
  std::optional<size_t> frame;     // index in frames of the frame to blame
  std::string frames_error;
};

// The crash record of a core, or nullopt for a live process.  Frames need
// the session's native chains (the plugin's or libdwfl's); without them
// only the Go function or ELF symbol at the interrupted pc is known.
std::optional<CrashRecord> FindCrash(GoRuntime& rt, ThreadStacks& stacks);

// "SIGSEGV", "SEGV_MAPERR"/"SI_TKILL"/..., per Linux's siginfo.h.
std::string SignalCodeName(int signo, int code);

// One line for people: "SIGSEGV at 0x0 in engine::Weigh; the runtime then
// raised SIGABRT to dump core".
std::string CrashSummary(const CrashRecord& c, const SignalTable& signals);

// The `crash` object of cgo-info (null for a live process).
nlohmann::json CrashJson(GoRuntime& rt, ThreadStacks& stacks);

}  // namespace cgostack

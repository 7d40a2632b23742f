// How to get from one Go frame to its caller on a thread, including across
// the places where the runtime switches stacks: the Go signal handler
// (runtime.sigtramp), cgo calls (runtime.asmcgocall: goroutine stack ->
// system stack), callbacks from C (runtime.cgocallback: system stack ->
// goroutine stack, and crosscall2's C caller), runtime.mcall and
// runtime.systemstack.  Native frames (C) are unwound by someone else (GDB's
// unwinder in the plugin, libdwfl in a standalone tool); each time that
// unwinder reaches a Go pc it asks Step for the caller.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "target/core_file.h"
#include "goruntime/goroutines.h"
#include "goruntime/thread_context.h"
#include "stacks/cgo_callers.h"

namespace cgostack {

struct FrameStep {
  uint64_t entry = 0;     // the frame's function entry
  uint64_t cfa = 0;       // the frame's canonical frame address (caller's SP)
  bool outermost = false; // no caller (runtime.goexit, mstart, ...) or unknown
  // The function ends every stack (TOPFRAME in the runtime's assembly:
  // runtime.goexit, mstart, rt0_go): the Go linker's CFI for it marks the
  // return address undefined on link-register machines, which ends a DWARF
  // unwinder's walk there (GDB's too).
  bool top_frame = false;
  // The frame lies on a goroutine's stack (its thread's current or locked
  // goroutine), not on the thread's system stack; system_stack_lo is the
  // low end of that thread's g0 stack (0: not a Go thread, or unknown).  A
  // debugger that orders frames by stack address needs both: goroutine
  // stacks are heap memory, which may lie above the threads' stacks
  // (qemu-user's guest layout) or below them (x86-64, arm64 kernels).
  bool on_goroutine_stack = false;
  uint64_t system_stack_lo = 0;
  std::string error;      // why unwinding stops here, if it does unexpectedly
  // The caller's registers.  pc, sp and fp are always set unless
  // outermost; the other callee-saved registers (Arch::callee_saved) only when
  // `callee_saved` (crosscall2 saved C's), all registers when `all`
  // (the context a signal interrupted).
  Registers caller{};
  bool callee_saved = false;
  bool all = false;
  // The stack switch taken, "" for an ordinary call: "signal", "cgocall",
  // "cgocallback", "callback" (crosscall2 into C), "mcall", "systemstack",
  // "sigpanic" (the caller's pc is a faulting instruction, as for "signal"),
  // "vdso" (a function that called the vDSO on g0's stack: its caller is
  // the one the runtime recorded in m.vdsoPC/vdsoSP).
  std::string_view switch_kind;
  int signal = 0;  // "signal": the signal being handled (siginfo.si_signo)
};

class StackSwitcher {
 public:
  StackSwitcher(GoRuntime& rt, ThreadContexts& threads);
  // Whether pc is in a Go function (.gopclntab); `return_address` means pc
  // follows a call (pc-1 is looked up, as a call may end a function).
  bool IsGo(uint64_t pc, bool return_address) const;
  // The caller of the Go frame `frame` (pc, sp, fp; lr when known) on thread `lwp`;
  // nullopt if frame.pc is not Go.
  std::optional<FrameStep> Step(int lwp, const Registers& frame, bool return_address);
  // SPs of the runtime.cgocallback frames on goroutine `gp`'s stack,
  // innermost first: one per callback from C it is inside (cached).
  const std::vector<uint64_t>& CallbackFrames(uint64_t gp);
  // The Go function of a frame at `pc`: pc-1 is looked up after a call,
  // except for runtime.systemstack_switch, whose pc (saved by
  // gosave_systemstack_switch, not by a call) may be its entry (Go 1.19).
  std::optional<GoPclntab::Func> FuncAt(uint64_t pc, bool return_address) const;

 private:
  bool PlainStep(uint64_t pc, uint64_t sp, const GoPclntab::Func& f, FrameStep* out, uint64_t lr = 0);
  bool AsmcgocallStep(const ThreadContext& t, const Registers& frame, FrameStep* out);
  bool CgocallbackStep(const ThreadContext& t, const Registers& frame, const GoPclntab::Func& f, FrameStep* out,
                       bool via_goexit = true);
  // How many links of t.callback_g0_sp, innermost first, are callbacks'
  // frames on the system stack (cached per thread); pc and f: a
  // runtime.cgocallback frame's, whose size the system-stack copy shares.
  size_t CallbackLinks(const ThreadContext& t, uint64_t pc, const GoPclntab::Func& f);
  bool GoexitStep(const ThreadContext& t, const Registers& frame, FrameStep* out);
  void CrossCall2Step(const Registers& frame, const GoPclntab::Func& f, FrameStep* out);
  bool McallStep(const ThreadContext& t, const Registers& frame, FrameStep* out);
  GoRuntime& rt_;
  ThreadContexts& threads_;
  const GoPclntab& tab_;
  const MemorySource& mem_;
  CgoCallers cgo_callers_;
  std::unique_ptr<GoroutineReader> goroutines_;
  // Per goroutine (g address), from the runtime's own unwinding of it:
  // SPs of its cgocallback frames, and the (sp -> pc) of the
  // runtime.systemstack_switch frames below them (where the runtime's
  // traceback shows the cgo call a callback came out of).
  void ReadCallbacks(uint64_t gp);
  std::map<uint64_t, std::vector<uint64_t>> callback_frames_;
  std::map<uint64_t, std::vector<uint64_t>> callback_pcs_;  // the pcs of those frames
  std::map<uint64_t, std::map<uint64_t, uint64_t>> switch_frames_;
  std::map<int, size_t> callback_links_;  // per LWP: CallbackLinks
};

}  // namespace cgostack

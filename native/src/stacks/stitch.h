// One cross-language stack.  A thread's native unwinder (GDB's, through the
// plugin, or libdwfl) walks the thread from its registers, asking
// StackSwitcher for every Go frame's caller, and hands the resulting chain
// here.  A thread's stack is that chain with Go frames symbolized and
// boundaries where the stack switches; a goroutine's is its Go frames (as
// the runtime's traceback has them) with the C parts of its thread's chain
// spliced in: the C frames of a cgo call on top, and the C frames below
// each callback after that callback's runtime.cgocallback frame.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "goruntime/goroutines.h"
#include "goruntime/signals.h"
#include "stacks/stack_switch.h"

namespace cgostack {

// A frame as the native unwinder reports it.
struct NativeFrame {
  uint64_t pc = 0;  // return address except for the innermost frame
  uint64_t sp = 0;
  std::string function;  // "" if the unwinder has no symbol
  std::string file;      // "" without debug info
  int32_t line = 0;
  std::string object;    // shared object or executable path
  bool inlined = false;  // an inlined call (same pc and sp as the next frame)
  // Not a frame: the count of frames a deep run of C frames left out
  // between its first and last kNativeHeadFrames/kNativeTailFrames (the
  // stitched stacks show it as an "elided" boundary, as for Go frames).
  uint64_t elided = 0;
  // A frame for a function that left by a tail call (GDB's TAILCALL_FRAME;
  // libdwfl's frames rebuilt from DWARF call sites, stacks/tail_calls).
  bool tail_call = false;
  // The signal trampoline a C frame returns to (GDB's SIGTRAMP_FRAME,
  // glibc's __restore_rt): not the program's code but the kernel's signal
  // frame, whose ucontext is at this frame's SP (SignalUcontext).  Chains
  // hold one only where no Go runtime.sigtramp frame the kernel entered
  // marks the crossing: below a C signal handler, or below cgo's
  // x_cgo_callers (cgo_callers.h).  The views show it as a signal boundary.
  bool signal_trampoline = false;
};

// How much of a run of consecutive C frames a chain keeps when the run is
// deeper: its first and last 50, as the runtime's traceback keeps of a
// deep Go stack (runtime/traceback.go, Go 1.21+).  Both unwinders (libdwfl
// and the plugin's walk of GDB's frames) cut runs the same way.
inline constexpr size_t kNativeHeadFrames = 50, kNativeTailFrames = 50;

struct NativeChain {
  std::vector<NativeFrame> frames;  // innermost first
  std::string error;                // why the unwinder stopped early, if it did
};

class Stitcher {
 public:
  Stitcher(GoRuntime& rt, StackSwitcher& switcher, const SignalTable& signals);
  // `lwp`'s stack from its chain.  Go signal-handler frames become one
  // "signal" boundary unless `signal_frames`.  Views point into `chain`.
  std::vector<StackFrame> ThreadStack(int lwp, const NativeChain& chain, bool signal_frames);
  // Splices the C parts of the chain of `g`'s thread into g->frames.
  void StitchGoroutine(int lwp, const NativeChain& chain, Goroutine* g);

 private:
  struct Item;  // a chain frame, classified
  std::vector<Item> Classify(int lwp, const NativeChain& chain);
  void AppendGo(const Item& item, std::vector<StackFrame>* out);
  StackFrame Boundary(std::string_view kind, int signal = 0, int hidden = 0);
  // A non-Go chain frame: a C frame, or a signal boundary for a trampoline.
  StackFrame ChainFrame(const Item& item);

  GoRuntime& rt_;
  StackSwitcher& switcher_;
  const SignalTable& signals_;
  const GoPclntab& tab_;
  std::vector<std::string> signal_names_;  // index = signal number; views of boundaries point here
  std::vector<GoPclntab::Location> scratch_;
};

}  // namespace cgostack

// Everything a session knows about its threads' stacks: the runtime's view
// of each thread (ThreadContexts), the stack-switch rules (StackSwitcher),
// the native frame chains an unwinder handed over, and the stitching of the
// two (Stitcher).  Dropped and rebuilt whenever a live process has run.
#pragma once

#include <map>
#include <memory>

#include "goruntime/signals.h"
#include "stacks/stitch.h"
#include "goruntime/thread_context.h"
#include "target/held_dwarf.h"

namespace cgostack {

class ThreadStacks {
 public:
  explicit ThreadStacks(GoRuntime& rt);
  ThreadContexts& contexts() { return contexts_; }
  StackSwitcher& switcher() { return switcher_; }
  const SignalTable& signals() const { return signals_; }
  Stitcher& stitcher() { return stitcher_; }

  // Keeps `lwp`'s chain, cut before the first caller whose pc lies in the
  // executable's data: an unwinder that read a data address as a return
  // address (GDB's heuristics past an outermost frame) produced garbage.
  void SetChain(int lwp, NativeChain chain);
  const NativeChain* Chain(int lwp) const;
  bool has_chains() const { return !chains_.empty(); }
  // Splices the C frames of the goroutine's thread (its M's, or the M it
  // is locked to) into its Go frames.
  void StitchGoroutine(Goroutine* g);
  // DWARF the unwinder that handed the chains over holds open (a debug
  // file by path), for readers of the same file (glibc_layouts.h); empty
  // when there is none.  The unwinder clears it when it goes.
  void SetHeldDwarf(HeldDwarf held) { held_dwarf_ = std::move(held); }
  const HeldDwarf& held_dwarf() const { return held_dwarf_; }

 private:
  ThreadContexts contexts_;
  StackSwitcher switcher_;
  SignalTable signals_;
  Stitcher stitcher_;
  GoRuntime& rt_;
  std::map<int, NativeChain> chains_;
  HeldDwarf held_dwarf_;
};

}  // namespace cgostack

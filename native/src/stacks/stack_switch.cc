#include "stacks/stack_switch.h"

#include <algorithm>

#include "error.h"
#include "stacks/signal_frame.h"

namespace cgostack {

namespace {

bool ReadWord(const MemorySource& mem, uint64_t addr, uint64_t* v) { return mem.TryRead(addr, v, sizeof *v); }

}  // namespace

StackSwitcher::StackSwitcher(GoRuntime& rt, ThreadContexts& threads)
    : rt_(rt), threads_(threads), tab_(rt.Pclntab()), mem_(rt.target().memory()), cgo_callers_(rt.target()) {}

std::optional<GoPclntab::Func> StackSwitcher::FuncAt(uint64_t pc, bool return_address) const {
  if (return_address && pc) {
    auto at = tab_.FindFunc(pc);
    if (at && at->entry == pc && tab_.Kind(*at) == GoFuncKind::kSystemstackSwitch) return at;
    return tab_.FindFunc(pc - 1);
  }
  return tab_.FindFunc(pc);
}

bool StackSwitcher::IsGo(uint64_t pc, bool return_address) const { return FuncAt(pc, return_address).has_value(); }

bool StackSwitcher::PlainStep(uint64_t pc, uint64_t sp, const GoPclntab::Func& f, FrameStep* out, uint64_t lr) {
  auto delta = tab_.SpDelta(f, pc);
  if (!delta || *delta < 0) {
    out->outermost = true;
    out->error = "no stack-pointer table entry for pc " + std::to_string(pc);
    return false;
  }
  // The runtime's rule (traceback.go): caller SP = SP + pcsp(pc) (+ 8 on
  // amd64), the return address where the architecture saves it; a
  // function with a frame saved the caller's frame pointer.
  const Arch& arch = rt_.target().arch();
  uint64_t caller_sp = arch.CallerSp(sp, *delta);
  out->cfa = caller_sp;
  uint64_t ret = lr;
  auto slot = arch.ReturnAddressSlot(sp, *delta);
  if ((slot && !ReadWord(mem_, *slot, &ret)) || ret == 0) {
    out->outermost = true;
    return false;
  }
  out->caller.pc = ret;
  out->caller.sp = caller_sp;
  if (*delta > 0) ReadWord(mem_, arch.SavedFpSlot(sp, *delta), &out->caller.fp);
  return true;
}

// runtime.asmcgocall, after it switched to the system stack and called C:
// it left the goroutine's stack depth (stack.hi - its SP, as the stack may
// move during a callback) and the g next to its SP there (where: the
// Arch's asmcgocall_slots).  When asmcgocall was already on the system
// stack ("nosave") the g slot is 0 and the depth slot is the old SP.
// Whichever layout yields a g whose stack holds the resulting SP is used.
bool StackSwitcher::AsmcgocallStep(const ThreadContext& t, const Registers& frame, FrameStep* out) {
  if (t.curg.OnStack(frame.sp)) return false;  // not switched yet: an ordinary frame
  const Arch& arch = rt_.target().arch();
  for (size_t layout = 0; layout < arch.asmcgocall_slots_count; ++layout) {
    auto [depth_at, g_at] = arch.asmcgocall_slots[layout];
    uint64_t depth = 0, gp = 0;
    if (!ReadWord(mem_, frame.sp + depth_at, &depth) || !ReadWord(mem_, frame.sp + g_at, &gp)) continue;
    uint64_t go_sp;
    if (gp) {
      GView g = gp == t.curg.address ? t.curg : threads_.ReadG(gp);
      if (depth > g.stack_hi - g.stack_lo) continue;
      go_sp = g.stack_hi - depth;
      if (!g.OnStack(go_sp)) continue;
    } else {
      go_sp = depth;
      if (go_sp <= frame.sp) continue;
    }
    uint64_t ret = 0;
    uint64_t at = go_sp;
    if (arch.asmcgocall_go_frame) {
      // Its own frame there (link-register machines): the saved LR at
      // 0(SP), the goroutine's frame pointer below SP.
      if (!ReadWord(mem_, at, &ret) || !IsGo(ret, true)) continue;
      out->caller.sp = go_sp + arch.asmcgocall_go_frame;
      ReadWord(mem_, arch.SavedFpSlot(go_sp, static_cast<int64_t>(arch.asmcgocall_go_frame)), &out->caller.fp);
    } else {
      // asmcgocall is declared with no frame ($0-20), but newer assemblers
      // push BP on entry when a function calls (seen in Go 1.27): the return
      // address into runtime.cgocall is at the saved SP or one word above it,
      // and a frame pointer never looks like a Go pc.
      if (!ReadWord(mem_, at, &ret) || !IsGo(ret, true)) {
        at = go_sp + 8;
        if (!ReadWord(mem_, at, &ret) || !IsGo(ret, true)) continue;
      }
      out->caller.sp = at + 8;
      // The goroutine's BP: pushed at entry, else untouched by asmcgocall and
      // preserved by C.
      out->caller.fp = frame.fp;
      if (at != go_sp) ReadWord(mem_, go_sp, &out->caller.fp);
    }
    out->cfa = frame.sp;
    out->caller.pc = ret;
    out->switch_kind = "cgocall";
    if (gp) {
      GView g = gp == t.curg.address ? t.curg : threads_.ReadG(gp);
      // runtime.cgocallback points g0.sched.sp at its own system-stack
      // frame for as long as the callback runs (asm_amd64.s, asm_arm64.s,
      // Go 1.19-1.27), and asmcgocall switches to g0.sched.sp: so
      // g0.sched.sp below this asmcgocall frame means a callback came out
      // of this cgo call and is still active, even where the goroutine is
      // still _Gsyscall with this call's g.syscallsp (cgocallbackg before
      // exitsyscall, or after reentersyscall).
      bool callback_above = t.g0.address && t.g0.sched_sp && t.g0.sched_sp < frame.sp;
      if (g.syscallsp == out->caller.sp && g.syscallpc && !callback_above) {
        // The goroutine's own cgo call (entersyscall saved its caller's pc
        // and SP): the runtime's traceback (traceback1) shows runtime.cgocall
        // at g.syscallpc, the entersyscall call, not at the asmcgocall call;
        // every view follows it, so they all show the same line.
        auto here = tab_.FindFunc(ret - 1), saved = tab_.FindFunc(g.syscallpc - 1);
        if (here && saved && here->entry == saved->entry) out->caller.pc = g.syscallpc;
      } else {
        // A cgo call a callback came out of: gosave_systemstack_switch left
        // runtime.systemstack_switch as the goroutine's pc at this SP, and
        // the runtime's traceback shows that frame between the callback's
        // runtime.cgocallback and runtime.cgocall; so do we.
        ReadCallbacks(gp);
        auto& switches = switch_frames_[gp];
        auto sw = switches.find(go_sp);
        if (sw != switches.end()) {
          uint64_t fp = out->caller.fp;
          out->caller.pc = sw->second;
          out->caller.sp = go_sp;
          out->caller.fp = arch.asmcgocall_go_frame ? fp : frame.fp;
        }
      }
    }
    return true;
  }
  return false;
}

void StackSwitcher::ReadCallbacks(uint64_t gp) {
  auto [it, fresh] = callback_frames_.try_emplace(gp);
  if (!fresh) return;
  std::map<uint64_t, uint64_t>& switches = switch_frames_[gp];
  if (!goroutines_) goroutines_ = std::make_unique<GoroutineReader>(rt_);
  Goroutine g = goroutines_->Read(gp, GoroutineOptions{});
  bool after_callback = false;
  for (const StackFrame& f : g.frames) {
    if (f.inlined) continue;
    if (after_callback && f.function == "runtime.systemstack_switch") switches[f.sp] = f.pc;
    after_callback = f.function == "runtime.cgocallback";
    if (after_callback) {
      it->second.push_back(f.sp);
      callback_pcs_[gp].push_back(f.pc);
    }
  }
}

const std::vector<uint64_t>& StackSwitcher::CallbackFrames(uint64_t gp) {
  ReadCallbacks(gp);
  return callback_frames_[gp];
}

// runtime.cgocallback runs on the system stack, then opens a frame of the
// same size on the goroutine stack to call cgocallbackg (asm_amd64.s, Go
// 1.19-1.27).  Seen on the goroutine stack, its caller is therefore the
// system-stack copy of the frame (the n-th innermost callback frame matches
// the n-th link of the g0.sched.sp chain, ThreadContext::callback_g0_sp),
// whose caller is crosscall2 and below it C.
bool StackSwitcher::CgocallbackStep(const ThreadContext& t, const Registers& frame, const GoPclntab::Func& f,
                                    FrameStep* out, bool via_goexit) {
  const GView* g = t.curg.OnStack(frame.sp) ? &t.curg : t.lockedg.OnStack(frame.sp) ? &t.lockedg : nullptr;
  if (!g || t.callback_g0_sp.empty()) return false;
  const std::vector<uint64_t>& frames = CallbackFrames(g->address);
  size_t level = std::find(frames.begin(), frames.end(), frame.sp) - frames.begin();
  if (level == frames.size()) {
    level = 0;  // the goroutine's stack could not be read: assume innermost
  } else {
    // Fewer links than callback frames: the innermost callbacks' links were
    // popped while their frames stay (unwindm, deferred by cgocallbackg1,
    // runs as a panic unwinds: it sets g0.sched.sp back to the value
    // cgocallback saved, and on Go 1.19-1.24 fatalpanic's systemstack then
    // runs over those C frames: testprogcgo CrashTracebackGo).  Those
    // frames have no C side left: their caller is the one the runtime's
    // own traceback shows (the pc cgocallback pushed on the goroutine
    // stack), which the plain step gives.
    size_t links = CallbackLinks(t, frame.pc, f);
    if (frames.size() > links) {
      size_t popped = frames.size() - links;
      if (level < popped) return false;
      level -= popped;
    }
  }
  if (level >= t.callback_g0_sp.size()) return false;
  if (via_goexit) {
    // On a thread C created, the goroutine's bottom frame is the
    // runtime.goexit cgocallback "returns" to (proc.go oneNewExtraM): the
    // runtime's traceback shows it, so that frame comes first and its step
    // (GoexitStep) leads to crosscall2 and C.
    FrameStep plain;
    if (PlainStep(frame.pc, frame.sp, f, &plain)) {
      auto c = tab_.FindFunc(plain.caller.pc);
      if (c && tab_.Kind(*c) == GoFuncKind::kGoexit) {
        out->cfa = plain.cfa;
        out->caller = plain.caller;
        return true;
      }
    }
  }
  FrameStep on_g0;
  if (!PlainStep(frame.pc, t.callback_g0_sp[level], f, &on_g0)) return false;
  out->cfa = std::max(on_g0.cfa, frame.sp);
  out->caller = on_g0.caller;
  out->switch_kind = "cgocallback";
  return true;
}

// A link of the g0.sched.sp chain is a callback's only while it is
// cgocallback's frame on the system stack, which crosscall2 called (Go
// 1.19-1.27, every architecture): the chain's older links are not (on a
// thread Go created the last one is g0's frame from mstart).
size_t StackSwitcher::CallbackLinks(const ThreadContext& t, uint64_t pc, const GoPclntab::Func& f) {
  auto [it, fresh] = callback_links_.try_emplace(t.lwp, 0);
  if (!fresh) return it->second;
  for (uint64_t sp : t.callback_g0_sp) {
    FrameStep on_g0;
    if (!PlainStep(pc, sp, f, &on_g0)) break;
    auto caller = FuncAt(on_g0.caller.pc, true);
    if (!caller || tab_.FuncName(*caller) != "crosscall2") break;
    ++it->second;
  }
  return it->second;
}

// The runtime.goexit below an extra M's oldest runtime.cgocallback frame:
// its caller is that callback's C caller (CgocallbackStep).
bool StackSwitcher::GoexitStep(const ThreadContext& t, const Registers& frame, FrameStep* out) {
  const GView* g = t.curg.OnStack(frame.sp) ? &t.curg : t.lockedg.OnStack(frame.sp) ? &t.lockedg : nullptr;
  if (!g) return false;
  const std::vector<uint64_t>& frames = CallbackFrames(g->address);
  const std::vector<uint64_t>& pcs = callback_pcs_[g->address];
  if (frames.empty() || pcs.size() != frames.size()) return false;
  Registers cb{};
  cb.pc = pcs.back();
  cb.sp = frames.back();
  auto f = FuncAt(cb.pc, true);
  FrameStep plain;
  if (!f || !PlainStep(cb.pc, cb.sp, *f, &plain) || plain.caller.sp != frame.sp) return false;
  return CgocallbackStep(t, cb, *f, out, false);
}

// runtime.mcall switched to g0.sched.sp and pushed the calling g there
// (asm_amd64.s, Go 1.19-1.27).  A goroutine locked to this thread is still
// its goroutine: continue at its saved context.  Otherwise the frames below
// are what g0.sched describes (mstart's frame on threads Go created).
bool StackSwitcher::McallStep(const ThreadContext& t, const Registers& frame, FrameStep* out) {
  if (t.curg.OnStack(frame.sp) || t.lockedg.OnStack(frame.sp)) return false;
  const Arch& arch = rt_.target().arch();
  // The g that called mcall, where mcall left it; where it did not (arm64:
  // only in a register), a locked thread's goroutine is the only one that
  // runs on it, so the caller.
  uint64_t gp = arch.mcall_g_slot < 0 ? t.lockedg.address : 0;
  if (arch.mcall_g_slot >= 0) ReadWord(mem_, frame.sp + static_cast<uint64_t>(arch.mcall_g_slot), &gp);
  out->cfa = frame.sp + arch.mcall_frame;
  if (gp && gp == t.lockedg.address && t.lockedg.sched_sp) {
    out->caller.pc = t.lockedg.sched_pc;
    out->caller.sp = t.lockedg.sched_sp;
    out->caller.fp = t.lockedg.sched_bp;
    out->switch_kind = "mcall";
    return true;
  }
  if (t.g0.sched_sp > frame.sp && IsGo(t.g0.sched_pc, true)) {
    out->caller.pc = t.g0.sched_pc;
    out->caller.sp = t.g0.sched_sp;
    out->caller.fp = t.g0.sched_bp;
    return true;
  }
  out->outermost = true;
  return true;
}

// C called Go through crosscall2: C's return address and callee-saved
// registers are where crosscall2 saved them in its frame (Arch; on arm64
// not at 0(SP): crosscall2 is NOFRAME to the assembler and lays its frame
// out itself).
void StackSwitcher::CrossCall2Step(const Registers& frame, const GoPclntab::Func& f, FrameStep* out) {
  const Arch& arch = rt_.target().arch();
  auto delta = tab_.SpDelta(f, frame.pc);
  uint64_t ret = 0;
  if (!delta || *delta < 0 || !ReadWord(mem_, arch.CallerSp(frame.sp, *delta) - arch.crosscall2_return_below_cfa, &ret) ||
      ret == 0) {
    out->outermost = true;
    out->error = "cannot read crosscall2's saved return address";
    return;
  }
  out->cfa = arch.CallerSp(frame.sp, *delta);
  out->caller.pc = ret;
  out->caller.sp = out->cfa;
  // The frame pointer is among the saved registers (BP / R29).
  bool all = arch.crosscall2_saved_count > 0;
  for (size_t i = 0; i < arch.crosscall2_saved_count; ++i) {
    uint64_t v = 0;
    all = ReadWord(mem_, out->cfa - arch.crosscall2_saved[i].below_cfa, &v) && all;
    arch.Set(out->caller, arch.crosscall2_saved[i].regno, v);
  }
  out->callee_saved = all;
  out->switch_kind = "callback";
}

std::optional<FrameStep> StackSwitcher::Step(int lwp, const Registers& frame, bool return_address) {
  auto f = FuncAt(frame.pc, return_address);
  if (!f) return std::nullopt;
  FrameStep out;
  out.entry = f->entry;
  std::string_view name = tab_.FuncName(*f);
  const ThreadContext& t = threads_.Of(lwp);
  GoFuncKind kind = tab_.Kind(*f);
  out.on_goroutine_stack = t.curg.OnStack(frame.sp) || t.lockedg.OnStack(frame.sp);
  out.system_stack_lo = t.g0.stack_lo;
  if (name == "runtime.sigtramp") {
    // The kernel entered sigtramp with SP at the signal frame's return
    // address slot; the ucontext follows it (signal_frame.h).
    auto delta = tab_.SpDelta(*f, frame.pc);
    if (delta && *delta >= 0) {
      const Arch& arch = rt_.target().arch();
      out.cfa = arch.CallerSp(frame.sp, *delta);
      uint64_t ret = 0;
      if (auto slot = arch.ReturnAddressSlot(frame.sp, *delta)) ReadWord(mem_, *slot, &ret);
      if (ret && cgo_callers_.Contains(ret)) {
        // Called by cgo's x_cgo_callers, not entered by the kernel
        // (cgo_callers.h): an ordinary call.  The signal frame is above
        // x_cgo_callers; the native unwinder crosses it (the signal
        // trampoline frame, NativeFrame::signal_trampoline).
        PlainStep(frame.pc, frame.sp, *f, &out, frame.lr);
        return out;
      }
      if (auto sf = ReadSignalFrame(arch, mem_, SignalUcontext(arch, out.cfa), frame)) {
        out.caller = sf->interrupted;
        out.all = true;
        out.switch_kind = "signal";
        out.signal = sf->signal;
        return out;
      }
    }
    out.outermost = true;
    out.error = "cannot read the signal frame";
    return out;
  }
  if (kind == GoFuncKind::kGoexit && GoexitStep(t, frame, &out)) return out;
  if (name == "runtime.clone" && !return_address && (!t.m || frame.sp >= t.g0.stack_hi)) {
    // The child of the runtime's own clone (newosproc; sys_linux_*.s, Go
    // 1.19-1.27): the kernel started it on the new M's g0 stack, at its top
    // (stk = mp.g0.stack.hi), and it has not yet called mstart; until it
    // sets m.procid no M is known for the thread.  Nothing is above it: the
    // word at SP is whatever the fresh stack held (a heap address in one
    // pure-Go live stop of 20 on Go 1.27), and on arm64 LR still holds the
    // parent's return address.  The thread begins here (not TOPFRAME to
    // the linker: GDB's CFI would follow that LR on arm64).
    out.outermost = true;
    out.cfa = frame.sp;
    return out;
  }
  if (tab_.IsTopFrame(*f)) {
    out.outermost = true;
    out.top_frame = true;
    out.cfa = frame.sp;
    return out;
  }
  switch (kind) {
    case GoFuncKind::kAsmcgocall:
      if (AsmcgocallStep(t, frame, &out)) return out;
      break;
    case GoFuncKind::kCgocallback:
      if (CgocallbackStep(t, frame, *f, &out)) return out;
      break;
    case GoFuncKind::kMcall:
      if (McallStep(t, frame, &out)) return out;
      break;
    case GoFuncKind::kMorestack:
      // morestack saved the goroutine's context (g.sched, m.morebuf) and
      // called newstack on g0's stack, at g0.sched.sp: what lies above
      // newstack's frame there is stale.  A morestack frame on g0 is the
      // bottom of the thread's stack, as in the runtime's own traceback
      // (traceback.go: it jumps to curg only for the profiler); the
      // goroutine itself is shown from its g.sched.  Before the switch
      // (morestack on the goroutine's stack) it is an ordinary frame.
      if (t.m && t.g0.OnStack(frame.sp)) {
        out.outermost = true;
        out.cfa = frame.sp;
        return out;
      }
      break;
    case GoFuncKind::kSystemstack:
      // On the system stack, systemstack's caller is the goroutine whose
      // context gosave_systemstack_switch saved in g.sched.
      if (t.m && !t.curg.OnStack(frame.sp) && t.curg.address && t.curg.sched_sp) {
        out.cfa = frame.sp;
        out.caller.pc = t.curg.sched_pc;
        out.caller.sp = t.curg.sched_sp;
        out.caller.fp = t.curg.sched_bp;
        out.switch_kind = "systemstack";
        return out;
      }
      break;
    default:
      break;
  }
  if (kind == GoFuncKind::kNormal && (tab_.FuncFlags(*f) & kGoFuncFlagSPWrite) && t.m) {
    // runtime.nanotime1 and runtime.walltime call the vDSO on g0's stack
    // (switched to, and aligned, by hand: SPWRITE, so their pcsp table says
    // nothing about SP there).  They record their caller for the profiler's
    // traceback in m.vdsoPC/m.vdsoSP (sys_linux_amd64.s; traceback.go and
    // sigprof use them, Go 1.19-1.27); so does this step.  Without it the
    // caller was read from g0's stale stack: on the main thread rt0_go's
    // frame, and past it data such as &runtime.g0.
    uint64_t vdso_sp = 0, vdso_pc = 0;
    try {
      vdso_sp = rt_.ReadField("runtime.m", t.m, "vdsoSP");
      vdso_pc = rt_.ReadField("runtime.m", t.m, "vdsoPC");
    } catch (const Error&) {
    }
    if (vdso_sp && IsGo(vdso_pc, true)) {
      const Arch& arch = rt_.target().arch();
      out.cfa = vdso_sp;
      out.caller.pc = vdso_pc;
      out.caller.sp = vdso_sp;
      out.switch_kind = "vdso";
      out.caller.fp = frame.fp;  // the vDSO preserves it
      // amd64: the frame pointer the function saved lies under its return address.
      if (!arch.link_register) ReadWord(mem_, vdso_sp - 16, &out.caller.fp);
      return out;
    }
  }
  if (name == "crosscall2") {
    CrossCall2Step(frame, *f, &out);
    return out;
  }
  if (!PlainStep(frame.pc, frame.sp, *f, &out, frame.lr)) return out;
  if (kind == GoFuncKind::kSigpanic || kind == GoFuncKind::kAsyncPreempt) {
    // The signal handler made the interrupted code "call" runtime.sigpanic
    // or asyncPreempt (signal_<arch>.go preparePanic, pushCall, Go
    // 1.19-1.27): the return address is the interrupted instruction
    // itself; on arm64 the handler saved LR in a 16-byte slot first, so the
    // interrupted frame's SP is above it and its LR (a frameless C or Go
    // function returns through it) is that word.
    const Arch& arch = rt_.target().arch();
    if (!arch.InjectedCallCaller(mem_, out.cfa, &out.caller.sp, &out.caller.lr)) {
      out.outermost = true;
      out.error = "cannot read the link register the signal handler saved at " + std::to_string(out.cfa);
      return out;
    }
    if (kind == GoFuncKind::kSigpanic) out.switch_kind = "sigpanic";
  }
  return out;
}

}  // namespace cgostack

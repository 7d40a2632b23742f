#include "report/threads_report.h"

#include <algorithm>

#include "error.h"
#include "report/goroutines_report.h"
#include "stacks/signal_frame.h"

namespace cgostack {

// What the thread is doing, from its M's state and where its registers are.
// (A core's Go signal-handler frames are how the core was taken; the
// context the signal interrupted decides.)
std::string_view ThreadActivity(GoRuntime& rt, ThreadStacks& stacks, const ThreadContext& t,
                                std::optional<uint64_t> pc, bool in_handler) {
  if (in_handler && !rt.target().is_core()) return "signal_handler";
  bool in_go = pc && stacks.switcher().IsGo(*pc, false);
  if (!t.m) return "in_c";
  if (t.curg.address) {
    if (t.incgo) return "cgo_call";
    if (rt.GStatusName(t.curg.status) == "syscall") return "syscall";
    return stacks.switcher().CallbackFrames(t.curg.address).empty() ? "running_go" : "go_callback";
  }
  if (pc && !in_go) return "in_c";  // an extra M kept by a C thread (Go 1.21+), or C code on g0
  return "idle";
}

bool ThreadInCallback(ThreadStacks& stacks, const ThreadContext& t) {
  for (const GView* g : {&t.curg, &t.lockedg})
    if (g->address && !stacks.switcher().CallbackFrames(g->address).empty()) return true;
  return false;
}

ThreadRegisters RegistersOf(GoRuntime& rt, const ThreadState& ts) {
  ThreadRegisters out;
  if (!ts.has_registers) return out;
  out.handlers = CrossGoSignalFrames(rt.Pclntab(), rt.target().memory(), ts.regs);
  out.regs = out.handlers.empty() ? ts.regs : out.handlers.back().interrupted;
  out.known = true;
  return out;
}

namespace {

std::string_view Kind(const ThreadContext& t) {
  if (!t.m) return "c";
  // Before Go 1.21 (no m.isextra) an extra M is told by its g0: needm never
  // runs mstart, which is what records g0.sched.pc on Go-created threads.
  bool extra = t.extra_m ? *t.extra_m : t.g0.sched_pc == 0;
  return extra ? "c_extra_m" : "go";
}

void WriteP(GoRuntime& rt, const ThreadContext& t, JsonWriter& w) {
  uint64_t pp = t.p ? t.p : t.oldp;
  w.Key("p");
  if (!pp) {
    w.Null();
    return;
  }
  w.BeginObject();
  try {
    w.Field("id", static_cast<int64_t>(rt.ReadField("runtime.p", pp, "id")));
    w.Field("status", rt.PStatusName(static_cast<uint32_t>(rt.ReadField("runtime.p", pp, "status"))));
  } catch (const Error& e) {
    w.Field("error", e.what());
  }
  // m.oldp: the P a thread gave up entering a syscall or cgo call, which it
  // will try to take back (proc.go reentersyscall / exitsyscall).
  w.Field("held_as", t.p ? "p" : "oldp");
  w.EndObject();
}

void WriteGoid(const GView& g, JsonWriter& w) {
  if (g.address) w.Uint(g.goid);
  else w.Null();
}

void WriteSignals(const SignalTable& sigs, std::optional<uint64_t> mask, JsonWriter& w) {
  w.Key("signals_blocked");
  if (!mask) {
    w.Null();  // a gcore core records no mask: unknown, not "none"
  } else {
    w.BeginArray();
    for (int sig = 1; sig <= 64; ++sig)
      if ((*mask >> (sig - 1)) & 1) w.String(sigs.Name(sig));
    w.EndArray();
  }
  w.Key("runtime_signals_blocked");
  if (!mask) {
    w.Null();
  } else {
    w.BeginArray();
    for (const auto& name : sigs.NeededAndBlocked(*mask)) w.String(name);
    w.EndArray();
  }
}

}  // namespace

bool WriteThreadsReport(GoRuntime& rt, ThreadStacks& stacks, const ThreadsQuery& q, JsonWriter& w) {
  bool partial = !rt.target().warnings().empty();
  w.BeginObject();
  w.Field("go_version", rt.BuildVersion());
  w.Key("threads").BeginArray();
  for (const ThreadState& ts : rt.target().threads()) {
    const ThreadContext& t = stacks.contexts().Of(ts.lwp);
    ThreadRegisters tr = RegistersOf(rt, ts);
    const std::vector<SignalFrame>& handlers = tr.handlers;
    std::optional<uint64_t> pc;
    if (tr.known) pc = tr.regs.rip;
    w.BeginObject();
    w.Field("lwp", static_cast<int64_t>(ts.lwp));
    w.Key("crash");
    if (q.crash_lwp && ts.lwp == q.crash_lwp) w.String(q.crash);
    else w.Null();
    w.Key("gdb_thread");
    auto gt = q.gdb_threads.find(ts.lwp);
    if (gt != q.gdb_threads.end()) w.Int(gt->second);
    else w.Null();
    w.Key("m");
    if (t.m) w.Int(t.m_id);
    else w.Null();
    w.Field("kind", Kind(t));
    w.Field("activity", ThreadActivity(rt, stacks, t, pc, !handlers.empty()));
    w.Key("goroutine");
    WriteGoid(t.curg, w);
    w.Key("locked_goroutine");
    WriteGoid(t.lockedg, w);
    w.Field("in_callback", ThreadInCallback(stacks, t));
    w.Field("cgo_calls", static_cast<int64_t>(t.ncgo));
    WriteP(rt, t, w);
    w.Key("signal");
    if (!handlers.empty() && handlers.front().signal) w.String(stacks.signals().Name(handlers.front().signal));
    else w.Null();
    // Each Go signal handler the thread is in, innermost first, with the
    // context it interrupted (the kernel's ucontext).
    w.Key("signal_frames").BeginArray();
    for (const SignalFrame& sf : handlers) {
      w.BeginObject();
      w.Field("signal", stacks.signals().Name(sf.signal)).Field("ucontext", sf.ucontext);
      w.Key("interrupted").BeginObject();
      w.Field("rip", sf.interrupted.rip).Field("rsp", sf.interrupted.rsp).Field("rbp", sf.interrupted.rbp);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    // The mask that matters is the thread's own: inside the Go handler the
    // kernel's mask is the handler's, the interrupted one is in the ucontext.
    std::optional<uint64_t> mask = handlers.empty() ? ts.blocked_signals : handlers.back().blocked_signals;
    WriteSignals(stacks.signals(), mask, w);
    if (q.with_frames) {
      const NativeChain* chain = stacks.Chain(ts.lwp);
      w.Key("frames");
      if (chain) WriteFrames(stacks.stitcher().ThreadStack(ts.lwp, *chain, q.signal_frames), SIZE_MAX, w);
      else w.Null();
      std::string error = chain ? chain->error : "no native frames were collected for this thread";
      partial = partial || !error.empty();
      w.Key("frames_error");
      if (error.empty()) w.Null();
      else w.String(error);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("warnings").BeginArray();
  for (const auto& warning : rt.target().warnings()) w.String(warning);
  w.EndArray();
  w.EndObject();
  return partial;
}

}  // namespace cgostack

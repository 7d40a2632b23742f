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
  CgoCallers cgo(rt.target());
  out.handlers = CrossGoSignalFrames(rt.target().arch(), rt.Pclntab(), rt.target().memory(), ts.regs, &cgo);
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

ThreadRow::P ReadP(GoRuntime& rt, const ThreadContext& t) {
  ThreadRow::P p;
  uint64_t pp = t.p ? t.p : t.oldp;
  if (!pp) return p;
  p.present = true;
  try {
    p.id = static_cast<int64_t>(rt.ReadField("runtime.p", pp, "id"));
    p.status = rt.PStatusName(static_cast<uint32_t>(rt.ReadField("runtime.p", pp, "status")));
    p.status_read = true;
  } catch (const Error& e) {
    p.error = e.what();
  }
  // m.oldp: the P a thread gave up entering a syscall or cgo call, which it
  // will try to take back (proc.go reentersyscall / exitsyscall).
  p.held_as = t.p ? "p" : "oldp";
  return p;
}

std::optional<uint64_t> Goid(const GView& g) {
  if (g.address) return g.goid;
  return std::nullopt;
}

template <typename T>
void Optional(JsonWriter& w, std::string_view key, const std::optional<T>& v) {
  w.Key(key);
  if (v) w.Value(*v);
  else w.Null();
}

void WriteNames(JsonWriter& w, std::string_view key, const std::optional<std::vector<std::string>>& names) {
  w.Key(key);
  if (!names) {
    w.Null();  // a gcore core records no mask: unknown, not "none"
    return;
  }
  w.BeginArray();
  for (const auto& n : *names) w.String(n);
  w.EndArray();
}

}  // namespace

ThreadRows BuildThreadRows(GoRuntime& rt, ThreadStacks& stacks, const ThreadsQuery& q) {
  ThreadRows rows;
  rows.go_version = rt.BuildVersion();
  rows.arch = &rt.target().arch();
  rows.warnings = rt.target().warnings();
  rows.partial = !rows.warnings.empty();
  for (const ThreadState& ts : rt.target().threads()) {
    const ThreadContext& t = stacks.contexts().Of(ts.lwp);
    ThreadRegisters tr = RegistersOf(rt, ts);
    std::optional<uint64_t> pc;
    if (tr.known) pc = tr.regs.pc;
    ThreadRow r;
    r.lwp = ts.lwp;
    if (q.crash_lwp && ts.lwp == q.crash_lwp) r.crash = q.crash;
    if (t.m) r.m = t.m_id;
    r.kind = Kind(t);
    r.activity = ThreadActivity(rt, stacks, t, pc, !tr.handlers.empty());
    r.goroutine = Goid(t.curg);
    r.locked_goroutine = Goid(t.lockedg);
    r.in_callback = ThreadInCallback(stacks, t);
    r.cgo_calls = static_cast<int64_t>(t.ncgo);
    r.p = ReadP(rt, t);
    if (!tr.handlers.empty() && tr.handlers.front().signal) r.signal = stacks.signals().Name(tr.handlers.front().signal);
    r.handlers = tr.handlers;
    for (const SignalFrame& sf : tr.handlers) r.handler_signals.push_back(stacks.signals().Name(sf.signal));
    // The mask that matters is the thread's own: inside the Go handler the
    // kernel's mask is the handler's, the interrupted one is in the ucontext.
    std::optional<uint64_t> mask = tr.handlers.empty() ? ts.blocked_signals : tr.handlers.back().blocked_signals;
    if (mask) {
      std::vector<std::string> blocked;
      for (int sig = 1; sig <= 64; ++sig)
        if ((*mask >> (sig - 1)) & 1) blocked.push_back(stacks.signals().Name(sig));
      r.signals_blocked = std::move(blocked);
      r.runtime_signals_blocked = stacks.signals().NeededAndBlocked(*mask);
    }
    r.with_frames = q.with_frames;
    if (q.with_frames) {
      const NativeChain* chain = stacks.Chain(ts.lwp);
      r.has_frames = chain != nullptr;
      if (chain) r.frames = stacks.stitcher().ThreadStack(ts.lwp, *chain, q.signal_frames);
      r.frames_error = chain ? chain->error : "no native frames were collected for this thread";
      rows.partial = rows.partial || !r.frames_error.empty();
    }
    rows.threads.push_back(std::move(r));
  }
  return rows;
}

void WriteThreadRows(const ThreadRows& rows, const ThreadsQuery& q, JsonWriter& w) {
  w.BeginObject();
  w.Field("go_version", rows.go_version);
  w.Key("threads").BeginArray();
  for (const ThreadRow& r : rows.threads) {
    w.BeginObject();
    w.Field("lwp", r.lwp);
    w.Key("crash");
    if (r.crash.empty()) w.Null();
    else w.String(r.crash);
    auto gt = q.gdb_threads.find(r.lwp);
    w.Key("gdb_thread");
    if (gt != q.gdb_threads.end()) w.Int(gt->second);
    else w.Null();
    Optional(w, "m", r.m);
    w.Field("kind", r.kind);
    w.Field("activity", r.activity);
    Optional(w, "goroutine", r.goroutine);
    Optional(w, "locked_goroutine", r.locked_goroutine);
    w.Field("in_callback", r.in_callback);
    w.Field("cgo_calls", r.cgo_calls);
    w.Key("p");
    if (!r.p.present) {
      w.Null();
    } else {
      w.BeginObject();
      if (r.p.id) w.Field("id", *r.p.id);
      if (r.p.status_read) w.Field("status", r.p.status);
      if (!r.p.error.empty()) w.Field("error", r.p.error);
      w.Field("held_as", r.p.held_as);
      w.EndObject();
    }
    w.Key("signal");
    if (!r.signal.empty()) w.String(r.signal);
    else w.Null();
    // Each Go signal handler the thread is in, innermost first, with the
    // context it interrupted (the kernel's ucontext).
    w.Key("signal_frames").BeginArray();
    for (size_t i = 0; i < r.handlers.size(); ++i) {
      const SignalFrame& sf = r.handlers[i];
      w.BeginObject();
      w.Field("signal", r.handler_signals[i]).Field("ucontext", sf.ucontext);
      w.Key("interrupted").BeginObject();
      // GDB's names for the machine's registers: rip/rsp/rbp, pc/sp/x29.
      const Arch& arch = *rows.arch;
      w.Field(arch.gdb_pc_name, sf.interrupted.pc)
          .Field(arch.gdb_names[arch.dwarf_sp], sf.interrupted.sp)
          .Field(arch.gdb_names[arch.dwarf_fp], sf.interrupted.fp);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    WriteNames(w, "signals_blocked", r.signals_blocked);
    WriteNames(w, "runtime_signals_blocked", r.runtime_signals_blocked);
    if (r.with_frames) {
      w.Key("frames");
      if (r.has_frames) WriteFrames(r.frames, SIZE_MAX, w);
      else w.Null();
      w.Key("frames_error");
      if (r.frames_error.empty()) w.Null();
      else w.String(r.frames_error);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("warnings").BeginArray();
  for (const auto& warning : rows.warnings) w.String(warning);
  w.EndArray();
  w.EndObject();
}

bool WriteThreadsReport(GoRuntime& rt, ThreadStacks& stacks, const ThreadsQuery& q, JsonWriter& w) {
  ThreadRows rows = BuildThreadRows(rt, stacks, q);
  WriteThreadRows(rows, q, w);
  return rows.partial;
}

}  // namespace cgostack

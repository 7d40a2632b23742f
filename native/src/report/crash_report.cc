#include "report/crash_report.h"

#include <csignal>

#include "goruntime/crash_facts.h"
#include "report/goroutines_report.h"
#include "report/json_writer.h"
#include "error.h"
#include "stacks/signal_frame.h"

namespace cgostack {

namespace {

using nlohmann::json;

constexpr size_t kCrashFrames = 16;

// Linux's si_code values (include/uapi/asm-generic/siginfo.h); the same on
// every Linux architecture this tool reads.
const char* GenericCode(int code) {
  switch (code) {
    case 0: return "SI_USER";
    case 0x80: return "SI_KERNEL";
    case -1: return "SI_QUEUE";
    case -2: return "SI_TIMER";
    case -3: return "SI_MESGQ";
    case -4: return "SI_ASYNCIO";
    case -5: return "SI_SIGIO";
    case -6: return "SI_TKILL";
  }
  return nullptr;
}

const char* FaultCode(int signo, int code) {
  static const char* segv[] = {"SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR", "SEGV_ACCADI",
                               "SEGV_ADIDERR", "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR"};
  static const char* bus[] = {"BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"};
  static const char* fpe[] = {"FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND",
                              "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"};
  static const char* ill[] = {"ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP",
                              "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"};
  static const char* trap[] = {"TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"};
  auto pick = [&](const char* const* names, int n) -> const char* { return code >= 1 && code <= n ? names[code - 1] : nullptr; };
  switch (signo) {
    case SIGSEGV: return pick(segv, 9);
    case SIGBUS: return pick(bus, 5);
    case SIGFPE: return pick(fpe, 8);
    case SIGILL: return pick(ill, 8);
    case SIGTRAP: return pick(trap, 4);
  }
  return nullptr;
}

bool IsFaultSignal(int signo) {
  return signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL || signo == SIGTRAP;
}

CrashSignal FromHandler(const SignalFrame& sf, int own_pid) {
  CrashSignal c;
  c.signo = sf.signal;
  c.code = sf.code;
  c.fault = sf.code > 0 && IsFaultSignal(sf.signal);
  if (c.fault) c.fault_address = sf.fault_address;
  if (sf.code <= 0) c.sender_pid = sf.sender_pid;
  c.requested = sf.code <= 0 && sf.sender_pid != 0 && sf.sender_pid != own_pid;
  c.handled = true;
  return c;
}

CrashSignal FromCore(const CoreSignalInfo& si, int own_pid) {
  CrashSignal c;
  c.signo = si.signo;
  c.code = si.code;
  c.fault = si.code > 0 && IsFaultSignal(si.signo);
  if (c.fault) c.fault_address = si.addr;
  if (si.code <= 0) c.sender_pid = si.pid;
  c.requested = si.code <= 0 && si.pid != 0 && si.pid != own_pid;
  return c;
}

// How strongly a thread's outermost signal says "this thread crashed".
int Rank(const CrashSignal& c, int own_pid) {
  if (c.fault) return 4;
  // The runtime's own signals: the SIGQUIT relay of a GOTRACEBACK=crash
  // dump (runtime.sighandler, raiseproc/signalM), preemption and profiling.
  bool own = c.code <= 0 && (c.sender_pid == own_pid || c.sender_pid == 0);
  if (own && c.handled && (c.signo == SIGQUIT || c.signo == SIGURG || c.signo == SIGPROF)) return 0;
  if (own && c.handled) return 3;  // abort(), raise(), pthread_kill from inside
  if (c.requested) return 2;
  return c.handled ? 0 : 1;  // the dumping signal itself
}

bool InCLibrary(std::string_view object) {
  auto base = object.substr(object.rfind('/') + 1);
  return base.rfind("libc.so", 0) == 0 || base.rfind("libc-", 0) == 0;
}

bool InGoRuntime(const StackFrame& f) {
  return f.hidden_by_default || f.function.rfind("runtime.", 0) == 0 ||
         f.function.rfind("internal/runtime/", 0) == 0;
}

json FrameJson(const StackFrame& f) {
  json j = {{"function", std::string(f.function)}, {"file", nullptr}, {"line", f.line},
            {"lang", f.lang == FrameLang::kC ? "c" : "go"}, {"pc", f.pc}};
  if (!f.file.empty()) j["file"] = std::string(f.file);
  return j;
}

// The fault a runtime.sigpanic frame on the thread's stack stands for.
std::optional<CrashSignal> SigpanicSignal(GoRuntime& rt, ThreadStacks& stacks, const ThreadState& ts) {
  const NativeChain* chain = stacks.Chain(ts.lwp);
  if (!chain) return std::nullopt;
  const GoPclntab& tab = rt.Pclntab();
  bool sigpanic = false;
  for (const NativeFrame& f : chain->frames)
    if (auto fn = tab.FindFunc(f.pc ? f.pc - 1 : 0))
      if (tab.FuncName(*fn) == "runtime.sigpanic") sigpanic = true;
  if (!sigpanic) return std::nullopt;
  const ThreadContext& tc = stacks.contexts().Of(ts.lwp);
  for (uint64_t gp : {tc.g0.address, tc.curg.address}) {
    if (!gp) continue;
    try {
      int sig = static_cast<int>(rt.ReadField("runtime.g", gp, "sig"));
      if (sig <= 0 || sig > 64) continue;
      CrashSignal c;
      c.signo = sig;
      c.code = static_cast<int>(static_cast<int64_t>(rt.ReadField("runtime.g", gp, "sigcode0")));
      c.fault = c.code > 0 && IsFaultSignal(sig);
      if (c.fault) c.fault_address = rt.ReadField("runtime.g", gp, "sigcode1");
      c.handled = true;
      c.sigpanic_pc = rt.ReadField("runtime.g", gp, "sigpc");
      return c;
    } catch (const Error&) {
    }
  }
  return std::nullopt;
}

}  // namespace

std::string SignalCodeName(int signo, int code) {
  if (code > 0 && code != 0x80)
    if (const char* n = FaultCode(signo, code)) return n;
  if (const char* n = GenericCode(code)) return n;
  return std::to_string(code);
}

std::optional<CrashRecord> FindCrash(GoRuntime& rt, ThreadStacks& stacks) {
  Target& target = rt.target();
  if (!target.is_core()) return std::nullopt;
  const auto& siginfo = target.core()->siginfo();
  // GDB's gcore records no blocked masks and its NT_SIGINFO is GDB's stop,
  // not a reason the process died.
  bool kernel_core = false;
  for (const auto& ts : target.threads()) kernel_core |= ts.blocked_signals.has_value();
  int own = target.pid();

  std::optional<CrashRecord> best;
  int best_rank = 0;
  std::vector<SignalFrame> best_handlers;
  for (const auto& ts : target.threads()) {
    CrashRecord r;
    r.lwp = ts.lwp;
    if (kernel_core && siginfo && siginfo->lwp == ts.lwp && siginfo->signo > 0)
      r.chain.push_back(FromCore(*siginfo, own));
    std::vector<SignalFrame> handlers;
    if (ts.has_registers) handlers = CrossGoSignalFrames(target.arch(), rt.Pclntab(), target.memory(), ts.regs);
    for (const auto& sf : handlers)
      if (sf.signal) r.chain.push_back(FromHandler(sf, own));
    // Before Go 1.21 the handler turns a fault in C into a call of
    // runtime.sigpanic on the system stack and returns: no handler frame
    // is left, but sighandler saved the siginfo in the g it ran on
    // (g.sig, g.sigcode0/1, g.sigpc; runtime/signal_unix.go, sigpanic).
    if (auto sp = SigpanicSignal(rt, stacks, ts)) r.chain.push_back(*sp);
    if (r.chain.empty()) continue;
    int rank = Rank(r.chain.back(), own);
    bool dumping = siginfo && siginfo->lwp == ts.lwp;
    if (rank > best_rank || (rank == best_rank && rank > 0 && dumping)) {
      best = std::move(r);
      best_rank = rank;
      best_handlers = std::move(handlers);
    }
  }
  if (!best) return std::nullopt;
  CrashRecord& c = *best;
  const ThreadContext& tc = stacks.contexts().Of(c.lwp);
  if (tc.curg.address) {
    c.g = tc.curg.address;
    c.goid = tc.curg.goid;
  }
  const CrashSignal& cause = c.chain.back();
  std::optional<uint64_t> interrupted_pc;
  if (cause.sigpanic_pc) interrupted_pc = cause.sigpanic_pc;
  else if (cause.handled && !best_handlers.empty()) interrupted_pc = best_handlers.back().interrupted.pc;
  const GoPclntab& tab = rt.Pclntab();
  if (interrupted_pc) c.in_c = !tab.FindFunc(*interrupted_pc).has_value();

  if (const NativeChain* chain = stacks.Chain(c.lwp)) {
    std::vector<StackFrame> all = stacks.stitcher().ThreadStack(c.lwp, *chain, false);
    size_t from = 0;
    if (cause.handled)
      for (size_t i = 0; i < all.size(); ++i)
        if (all[i].lang == FrameLang::kBoundary &&
            (all[i].function == "signal" || (cause.sigpanic_pc && all[i].function == "sigpanic")))
          from = i + 1;
    for (size_t i = from; i < all.size() && c.frames.size() < kCrashFrames; ++i) c.frames.push_back(all[i]);
    // A fault is blamed on the instruction; an abort, a raise or a Go
    // panic/throw on the first frame outside the C library's abort path and
    // the Go runtime.
    for (size_t i = 0; i < c.frames.size(); ++i) {
      const StackFrame& f = c.frames[i];
      if (f.lang == FrameLang::kBoundary) continue;
      if (!cause.fault && ((f.lang == FrameLang::kC && InCLibrary(f.object)) || (f.lang == FrameLang::kGo && InGoRuntime(f))))
        continue;
      c.frame = i;
      break;
    }
    if (!c.frame && c.g) {
      // The thread's stack stops early (a switch the unwinder cannot
      // cross): the goroutine's own stack, stitched, says where it was.
      GoroutineReader reader(rt);
      GoroutineOptions opts;
      opts.with_frames = true;
      Goroutine g = reader.Read(c.g, opts);
      stacks.StitchGoroutine(&g);
      c.frames.clear();
      for (size_t i = 0; i < g.frames.size() && c.frames.size() < kCrashFrames; ++i) c.frames.push_back(g.frames[i]);
      for (size_t i = 0; i < c.frames.size() && !c.frame; ++i) {
        const StackFrame& f = c.frames[i];
        if (f.lang == FrameLang::kBoundary || (f.lang == FrameLang::kC && InCLibrary(f.object)) ||
            (f.lang == FrameLang::kGo && InGoRuntime(f)))
          continue;
        c.frame = i;
      }
    }
    if (!cause.handled && c.frame) c.in_c = c.frames[*c.frame].lang == FrameLang::kC;
    if (!chain->error.empty()) c.frames_error = chain->error;
  } else {
    c.frames_error = "no native frames (the plugin's and the command-line tool's unwinders give them)";
  }
  return best;
}

std::string CrashSummary(const CrashRecord& c, const SignalTable& signals) {
  const CrashSignal& cause = c.chain.back();
  std::string s = signals.Name(cause.signo);
  if (cause.fault) {
    char addr[32];
    std::snprintf(addr, sizeof addr, "%#llx", static_cast<unsigned long long>(cause.fault_address));
    s += std::string(" at ") + (cause.fault_address ? addr : "0x0");
  } else if (cause.requested) {
    s += " sent by pid " + std::to_string(cause.sender_pid);
  }
  if (c.frame && !c.frames[*c.frame].function.empty()) s += " in " + std::string(c.frames[*c.frame].function);
  if (c.chain.size() > 1 && !c.chain.front().handled)
    s += "; the runtime then raised " + signals.Name(c.chain.front().signo) + " to dump core";
  return s;
}

json CrashJson(GoRuntime& rt, ThreadStacks& stacks) {
  auto crash = FindCrash(rt, stacks);
  if (!crash) return nullptr;
  const CrashRecord& c = *crash;
  const SignalTable& sig = stacks.signals();
  const CrashSignal& cause = c.chain.back();
  auto or_null = [](const auto& opt) { return opt ? json(*opt) : json(nullptr); };
  json out;
  out["signal"] = sig.Name(cause.signo);
  out["code"] = SignalCodeName(cause.signo, cause.code);
  out["requested"] = cause.requested;
  out["sender_pid"] = cause.code <= 0 && cause.sender_pid ? json(cause.sender_pid) : json(nullptr);
  out["fault_address"] = cause.fault ? json(cause.fault_address) : json(nullptr);
  out["lwp"] = c.lwp;
  out["goroutine"] = or_null(c.goid);
  out["in_c"] = c.in_c;
  out["frame"] = c.frame ? FrameJson(c.frames[*c.frame]) : json(nullptr);
  std::string frames;
  {
    JsonWriter w(&frames);
    WriteFrames(c.frames, SIZE_MAX, w);
  }
  out["frames"] = json::parse(frames);
  out["frames_error"] = c.frames_error.empty() ? json(nullptr) : json(c.frames_error);
  out["panic"] = nullptr;
  out["panic_type"] = nullptr;
  if (c.g)
    if (auto p = ReadPanicValue(rt, c.g)) {
      out["panic"] = p->text ? *p->text : p->type;
      // Before printing, the runtime replaces an error or Stringer value by
      // its text (runtime.preprintpanics, Go 1.19-1.27): a plain "string"
      // then says nothing about the type the program panicked with.
      if (p->type != "string") out["panic_type"] = p->type;
    }
  out["fatal_error"] = or_null(ReadFatalError(rt));
  out["abort_message"] = or_null(ReadAbortMessage(rt.target()));
  json chain = json::array();
  for (const auto& s : c.chain)
    chain.push_back({{"signal", sig.Name(s.signo)},
                     {"code", SignalCodeName(s.signo, s.code)},
                     {"sender_pid", s.code <= 0 && s.sender_pid ? json(s.sender_pid) : json(nullptr)},
                     {"fault_address", s.fault ? json(s.fault_address) : json(nullptr)},
                     {"handled_by_go", s.handled}});
  out["chain"] = chain;
  out["summary"] = CrashSummary(c, sig);
  return out;
}

}  // namespace cgostack

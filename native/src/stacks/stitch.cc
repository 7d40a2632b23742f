#include "stacks/stitch.h"

#include <algorithm>
#include <climits>
#include <map>

#include "stacks/signal_frame.h"

namespace cgostack {

struct Stitcher::Item {
  const NativeFrame* native = nullptr;
  bool go = false;
  bool return_address = true;
  std::optional<GoPclntab::Func> func;
  std::string_view name;
  GoFuncKind kind = GoFuncKind::kNormal;
  std::string_view switch_kind;  // FrameStep::switch_kind of this Go frame
  int signal = 0;
};

namespace {

// Plumbing of a switch: asmcgocall (and its 1.24+ landing pad) run C on the
// system stack, crosscall2 runs Go for C.  They stand for a boundary, and
// the runtime's own traceback never shows them.
bool IsSwitchPlumbing(std::string_view name) {
  return name == "runtime.asmcgocall" || name == "runtime.asmcgocall_landingpad" || name == "crosscall2" ||
         name == "crosscall2_trampoline";
}

StackFrame NativeToFrame(const NativeFrame& n) {
  StackFrame f;
  if (n.elided) {
    f.lang = FrameLang::kBoundary;
    f.function = kElidedBoundary;
    f.line = static_cast<int32_t>(std::min<uint64_t>(n.elided, INT32_MAX));
    return f;
  }
  f.lang = FrameLang::kC;
  f.pc = n.pc;
  f.sp = n.sp;
  f.function = n.function;
  f.file = n.file;
  f.line = n.line;
  f.object = n.object;
  f.inlined = n.inlined;
  f.tail_call = n.tail_call;
  return f;
}

}  // namespace

Stitcher::Stitcher(GoRuntime& rt, StackSwitcher& switcher, const SignalTable& signals)
    : rt_(rt), switcher_(switcher), signals_(signals), tab_(rt.Pclntab()) {
  for (int sig = 0; sig <= 64; ++sig) signal_names_.push_back(sig ? signals.Name(sig) : "");
}

std::vector<Stitcher::Item> Stitcher::Classify(int lwp, const NativeChain& chain) {
  std::vector<Item> items;
  bool after_signal = false;
  for (size_t i = 0; i < chain.frames.size(); ++i) {
    Item it;
    it.native = &chain.frames[i];
    // The innermost frame and a frame a signal interrupted are at the
    // instruction itself; every other pc is a return address.  GDB lists a
    // physical frame's inlined calls first, at the same pc: the physical
    // frame is at the instruction if they are (a breakpoint on a function
    // inlined into a cgo export wrapper: the wrapper is frame 1 in GDB).
    bool same_physical = i > 0 && chain.frames[i - 1].inlined && chain.frames[i - 1].pc == it.native->pc;
    it.return_address = same_physical ? items.back().return_address : i > 0 && !after_signal;
    it.func = it.native->signal_trampoline ? std::nullopt : switcher_.FuncAt(it.native->pc, it.return_address);
    it.go = it.func.has_value();
    if (it.native->signal_trampoline) {
      // The kernel's signal frame under a C frame: its ucontext is at the
      // trampoline's SP; the frame below is at the interrupted instruction.
      const Arch& arch = rt_.target().arch();
      it.switch_kind = "signal";
      if (auto sf = ReadSignalFrame(arch, rt_.target().memory(), SignalUcontext(arch, it.native->sp), Registers{}))
        it.signal = sf->signal;
    }
    if (it.go) {
      it.name = tab_.FuncName(*it.func);
      it.kind = tab_.Kind(*it.func);
      Registers r{};
      r.pc = it.native->pc;
      r.sp = it.native->sp;
      if (auto step = switcher_.Step(lwp, r, it.return_address)) {
        it.switch_kind = step->switch_kind;
        it.signal = step->signal;
      }
    }
    // GDB lists a physical frame's inlined calls as frames of their own at
    // the same pc, innermost first: only the physical frame (the last of
    // them) ends the group, so the group is all return address or all
    // interrupted instruction (runtime.sigpanic calling gopanic through an
    // inlined panicmem is at a return address, not at the fault).
    if (!it.native->inlined) after_signal = it.switch_kind == "signal" || it.switch_kind == "sigpanic";
    items.push_back(it);
  }
  return items;
}

StackFrame Stitcher::ChainFrame(const Item& item) {
  if (item.native->signal_trampoline) return Boundary("signal", item.signal);
  return NativeToFrame(*item.native);
}

StackFrame Stitcher::Boundary(std::string_view kind, int signal, int hidden) {
  StackFrame f;
  f.lang = FrameLang::kBoundary;
  f.function = kind;
  if (signal > 0 && signal < static_cast<int>(signal_names_.size())) f.file = signal_names_[signal];
  f.line = hidden;
  return f;
}

void Stitcher::AppendGo(const Item& item, std::vector<StackFrame>* out) {
  tab_.Symbolize(*item.func, GoPclntab::LookupPC(*item.func, item.native->pc, item.return_address), &scratch_);
  for (const auto& loc : scratch_) {
    StackFrame f;
    f.pc = item.native->pc;
    f.sp = item.native->sp;
    f.function = loc.function;
    f.file = loc.file;
    f.line = loc.line;
    f.inlined = loc.inlined;
    f.hidden_by_default = HiddenByDefault(loc.function, loc.kind);
    out->push_back(f);
  }
}

std::vector<StackFrame> Stitcher::ThreadStack(int lwp, const NativeChain& chain, bool signal_frames) {
  std::vector<Item> items = Classify(lwp, chain);
  // Whether the runtime.sigpanic at items[j] was injected for a fault in C
  // (its caller, the faulting frame, is not Go).  A fault in Go code is a
  // plain call in the runtime's traceback and in the goroutine view: no
  // boundary there, so the thread view shows none either.
  auto fault_in_c = [&items](size_t j) {
    for (size_t k = j + 1; k < items.size(); ++k)
      if (!(items[k].go && items[k].native->inlined)) return !items[k].go;
    return false;
  };
  std::vector<StackFrame> out;
  // Frames up to the last runtime.sigtramp are the Go signal handler's
  // (handlers nest): unless asked for, count them and show one boundary each.
  size_t handler_end = 0;
  for (size_t j = 0; j < items.size(); ++j)
    if (items[j].switch_kind == "signal") handler_end = j + 1;
  size_t hidden = 0;
  for (size_t j = 0; j < items.size(); ++j) {
    const Item& it = items[j];
    // Go inline frames are expanded from the pc table; GDB's copies are dropped.
    if (it.go && it.native->inlined) continue;
    if (!signal_frames && j < handler_end && it.switch_kind != "signal") {
      ++hidden;
      continue;
    }
    if (it.switch_kind == "signal") {
      // runtime.sigtramp is a handler frame the boundary stands for; a
      // signal trampoline under C frames is no frame of the program's.
      if (signal_frames && it.go) AppendGo(it, &out);
      out.push_back(Boundary("signal", it.signal, signal_frames ? 0 : static_cast<int>(hidden + (it.go ? 1 : 0))));
      hidden = 0;
      continue;
    }
    if (!it.go) {
      out.push_back(ChainFrame(it));
      continue;
    }
    if (IsSwitchPlumbing(it.name)) {
      if (!it.switch_kind.empty()) out.push_back(Boundary(it.switch_kind));
      continue;
    }
    AppendGo(it, &out);
    if (it.switch_kind == "mcall" || it.switch_kind == "systemstack" ||
        (it.switch_kind == "sigpanic" && fault_in_c(j)))
      out.push_back(Boundary(it.switch_kind));
  }
  return out;
}

void Stitcher::StitchGoroutine(int lwp, const NativeChain& chain, Goroutine* g) {
  std::vector<Item> items = Classify(lwp, chain);
  std::vector<StackFrame> top;  // signal boundaries, then the C frames of a cgo call
  size_t i = 0;
  // The signal handlers the thread is in: the Go handler's frames
  // (GOTRACEBACK=crash cores, crashes) down to each runtime.sigtramp the
  // kernel entered, a run of C handler frames down to a signal trampoline
  // (cgo's x_cgo_callers when a cgo traceback function is set, its
  // traceback function), and a runtime.sigpanic the handler injected for a
  // fault in C (before Go 1.21 the crash report runs from there).
  for (size_t j = 0; j < items.size();) {
    if (items[j].go) {
      if (items[j].switch_kind == "signal" || items[j].switch_kind == "sigpanic") {
        top.push_back(Boundary(items[j].switch_kind, items[j].signal));
        i = j + 1;
      }
      ++j;
      continue;
    }
    size_t k = j;
    while (k < items.size() && !items[k].go && !items[k].native->signal_trampoline) ++k;
    if (k == items.size() || !items[k].native->signal_trampoline) break;
    top.push_back(Boundary("signal", items[k].signal));
    i = j = k + 1;
  }
  size_t c_start = i;
  for (; i < items.size() && !items[i].go; ++i) top.push_back(ChainFrame(items[i]));
  bool in_cgo_call = i > c_start && i < items.size() && items[i].switch_kind == "cgocall" && !g->frames.empty() &&
                     g->frames.front().function == "runtime.cgocall";
  // In a vDSO call (runtime.nanotime1, walltime, time.now on amd64): the
  // goroutine's frames start at m.vdsoPC, the caller of the function that
  // switched to g0's stack and called the vDSO, as the runtime's traceback
  // has them (GoroutineReader::StartOfRunning).  Its thread shows the vDSO's
  // frames and that function above it; the goroutine view shows them too.
  bool in_vdso_call = i < items.size() && items[i].switch_kind == "vdso" && i + 1 < items.size() &&
                      !g->frames.empty() && g->frames.front().pc == items[i + 1].native->pc &&
                      g->frames.front().sp == items[i + 1].native->sp;
  if (in_vdso_call) AppendGo(items[i], &top);
  // The C frames below each crosscall2, keyed by how many cgocallback
  // frames precede them.
  std::map<size_t, std::vector<StackFrame>> below_callback;
  size_t callbacks = 0;
  for (; i < items.size(); ++i) {
    const Item& it = items[i];
    if (it.go && !it.native->inlined && it.kind == GoFuncKind::kCgocallback) ++callbacks;
    if (it.switch_kind != "callback") continue;
    std::vector<StackFrame>& c = below_callback[callbacks];
    for (; i + 1 < items.size() && !items[i + 1].go; ++i) c.push_back(ChainFrame(items[i + 1]));
  }
  if (!in_cgo_call && !in_vdso_call && below_callback.empty()) return;
  std::vector<StackFrame> out;
  if (in_cgo_call) {
    out = std::move(top);
    out.push_back(Boundary("cgocall"));
  } else if (in_vdso_call) {
    out = std::move(top);
  }
  size_t seen = 0;
  for (size_t k = 0; k < g->frames.size(); ++k) {
    out.push_back(g->frames[k]);
    const StackFrame& f = g->frames[k];
    if (f.inlined || f.function != "runtime.cgocallback") continue;
    auto c = below_callback.find(++seen);
    if (c == below_callback.end()) continue;
    // On a thread C created, the callback is the bottom of the goroutine:
    // cgocallback's "return address" is the runtime.goexit an extra M's
    // goroutine is given (proc.go oneNewExtraM).  It stays with the Go
    // frames (the runtime's traceback shows it); the C frames go below.
    bool bottom = k + 1 < g->frames.size() && g->frames[k + 1].function == "runtime.goexit";
    if (bottom) out.push_back(g->frames[++k]);
    out.push_back(Boundary("callback"));
    out.insert(out.end(), c->second.begin(), c->second.end());
    if (!bottom && k + 1 < g->frames.size()) out.push_back(Boundary("cgocall"));
  }
  g->frames = std::move(out);
}

}  // namespace cgostack

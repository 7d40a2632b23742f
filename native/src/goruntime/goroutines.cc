#include "goruntime/goroutines.h"

#include <algorithm>
#include <cstring>

#include "error.h"
#include "report/format.h"
#include "stacks/signal_frame.h"

namespace cgostack {

namespace {

// runtime/traceback.go isSystemGoroutine (1.19-1.27), from the start function:
// runtime.main, handleAsyncEvent and corostart run user code; gcBgMarkWorker
// is always internal; otherwise any runtime.* start is internal.  (runfinq
// counts as user code while it runs finalizers; that state is not read here.)
bool IsSystemStart(const GoPclntab& tab, uint64_t startpc) {
  auto f = tab.FindFunc(startpc);
  if (!f) return false;
  switch (tab.Kind(*f)) {
    case GoFuncKind::kRuntimeMain:
    case GoFuncKind::kHandleAsyncEvent:
    case GoFuncKind::kCorostart:
      return false;
    case GoFuncKind::kGcBgMarkWorker:
      return true;
    default:
      break;
  }
  return tab.FuncName(*f).substr(0, 8) == "runtime.";
}

}  // namespace

GoroutineReader::GoroutineReader(GoRuntime& rt)
    : rt_(rt), tab_(rt.Pclntab()), unwinder_(rt.target().arch(), tab_, rt.target().memory()) {
  DwarfIndex& dw = rt.dwarf();
  g_size_ = dw.TypeSize("runtime.g").value_or(0);
  if (g_size_ == 0 || g_size_ > 65536) throw Error("runtime.g has no usable size in DWARF");
  goid_ = dw.RequireField("runtime.g", "goid");
  status_ = dw.RequireField("runtime.g", "atomicstatus");
  waitreason_ = dw.RequireField("runtime.g", "waitreason");
  waitsince_ = dw.RequireField("runtime.g", "waitsince");
  m_ = dw.RequireField("runtime.g", "m");
  lockedm_ = dw.RequireField("runtime.g", "lockedm");
  sched_pc_ = dw.RequireField("runtime.g", "sched.pc");
  sched_sp_ = dw.RequireField("runtime.g", "sched.sp");
  sched_lr_ = dw.RequireField("runtime.g", "sched.lr");
  syscallsp_ = dw.RequireField("runtime.g", "syscallsp");
  syscallpc_ = dw.RequireField("runtime.g", "syscallpc");
  stack_lo_ = dw.RequireField("runtime.g", "stack.lo");
  stack_hi_ = dw.RequireField("runtime.g", "stack.hi");
  gopc_ = dw.RequireField("runtime.g", "gopc");
  startpc_ = dw.RequireField("runtime.g", "startpc");
  parent_goid_ = dw.Field("runtime.g", "parentGoid");  // Go 1.21+
  labels_ = dw.Field("runtime.g", "labels");
  // g.labels points at a runtime/pprof.labelMap.  From Go 1.24 that is a
  // struct around a sorted []label{key, value string} ("LabelSet.list"; Go
  // 1.26 moved it to internal/runtime/pprof/label: "Set.List"); before, a
  // Go map, which is not decoded here.
  for (const char* path : {"LabelSet.list", "Set.List"})
    if (auto f = dw.Field("runtime/pprof.labelMap", path)) label_list_offset_ = f->offset;
  m_id_ = dw.RequireField("runtime.m", "id");
  m_procid_ = dw.RequireField("runtime.m", "procid");
  LoadWaitReasons();
}

void GoroutineReader::LoadWaitReasons() {
  // The strings the runtime prints, indexed by g.waitreason.  Their order
  // changes between releases, so they are read from this process.
  try {
    auto g = rt_.dwarf().Global("runtime.waitReasonStrings");
    if (!g) throw Error("this Go runtime has no runtime.waitReasonStrings");
    uint64_t n = rt_.dwarf().ArrayCount(g->type).value_or(0);
    if (n == 0 || n > 1024) throw Error("runtime.waitReasonStrings has no usable length");
    uint64_t base = g->address + rt_.target().load_bias();
    for (uint64_t i = 0; i < n; ++i) wait_reasons_.push_back(rt_.target().memory().ReadGoString(base + 16 * i, 256));
  } catch (const Error& e) {
    wait_reasons_error_ = e.what();
  }
}

uint64_t GoroutineReader::Get(const std::vector<uint8_t>& buf, const DwarfField& f) const {
  uint64_t v = 0;
  size_t n = f.size ? std::min<uint64_t>(f.size, 8) : 8;
  if (f.offset + n <= buf.size()) std::memcpy(&v, buf.data() + f.offset, n);
  return v;
}

std::optional<GoroutineReader::MInfo> GoroutineReader::ReadM(uint64_t mp) {
  if (!mp) return std::nullopt;
  auto it = m_cache_.find(mp);
  if (it != m_cache_.end()) return it->second;
  MInfo info{};
  int64_t id;
  uint64_t procid;
  const MemorySource& mem = rt_.target().memory();
  if (!mem.TryRead(mp + m_id_.offset, &id, sizeof id)) return std::nullopt;
  info.id = id;
  // m.procid is the thread id, set by minit on the thread itself.
  if (mem.TryRead(mp + m_procid_.offset, &procid, sizeof procid) && procid) info.lwp = static_cast<int64_t>(procid);
  m_cache_[mp] = info;
  return info;
}

std::vector<uint64_t> GoroutineReader::LiveInGoidOrder() {
  std::vector<std::pair<uint64_t, uint64_t>> live;  // (goid, g)
  std::vector<uint64_t> gs = rt_.AllGs();
  live.reserve(gs.size());
  std::vector<uint8_t> buf(g_size_);
  const MemorySource& mem = rt_.target().memory();
  for (uint64_t gp : gs) {
    if (!gp) continue;
    if (!mem.TryRead(gp, buf.data(), buf.size())) {
      live.emplace_back(0, gp);  // kept: Read() reports why it is unreadable
      continue;
    }
    if (!rt_.IsDead(static_cast<uint32_t>(Get(buf, status_)))) live.emplace_back(Get(buf, goid_), gp);
  }
  // allgs is in creation order only until dead g's are reused.
  std::stable_sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint64_t> order;
  order.reserve(live.size());
  for (const auto& [goid, gp] : live) order.push_back(gp);
  return order;
}

std::vector<Goroutine> GoroutineReader::ReadAll(const GoroutineOptions& opts) {
  std::vector<uint64_t> order = LiveInGoidOrder();
  std::vector<Goroutine> out;
  out.reserve(order.size());
  for (uint64_t gp : order) {
    out.push_back(Read(gp, opts));
    if (opts.each) opts.each(&out.back());
  }
  return out;
}

Goroutine GoroutineReader::Read(uint64_t gp, const GoroutineOptions& opts) {
  Goroutine g;
  std::vector<uint8_t>& buf = g_buf_;  // one buffer for every g read (no allocation per goroutine)
  buf.resize(g_size_);
  if (!rt_.target().memory().TryRead(gp, buf.data(), buf.size())) {
    g.address = gp;
    g.status = "unknown";
    g.error = "cannot read the g at " + Hex(gp);
    return g;
  }
  ReadOne(gp, buf, opts, &g);
  return g;
}

void GoroutineReader::ReadOne(uint64_t gp, const std::vector<uint8_t>& buf, const GoroutineOptions& opts,
                              Goroutine* g) {
  g->address = gp;
  g->goid = Get(buf, goid_);
  g->raw_status = static_cast<uint32_t>(Get(buf, status_));
  g->status = rt_.GStatusName(g->raw_status);
  uint64_t reason = Get(buf, waitreason_);
  if (reason != 0 && rt_.HasWaitReason(g->raw_status)) {
    if (reason < wait_reasons_.size())
      g->wait_reason = wait_reasons_[reason];
    else
      g->wait_reason = "waitReason(" + std::to_string(reason) + ")";
  }
  g->wait_since_ns = static_cast<int64_t>(Get(buf, waitsince_));
  if (auto m = ReadM(Get(buf, m_))) {
    g->m = m->id;
    g->lwp = m->lwp;
  }
  if (uint64_t lm = Get(buf, lockedm_)) {
    // "locked to thread" in the runtime's traceback is exactly g.lockedm != 0.
    g->locked_to_thread = true;
    if (auto m = ReadM(lm)) {
      g->locked_m = m->id;
      g->locked_lwp = m->lwp;
    }
  }
  // printcreatedby (runtime/traceback.go) names no creator for goroutine 1,
  // which runtime start-up creates, and no parent goroutine 0.
  if (g->goid != 1) {
    const Creator& c = CreatorAt(Get(buf, gopc_));
    g->created_by = c.function;
    g->created_by_file = c.file;
    g->created_by_line = c.line;
  }
  if (parent_goid_ && Get(buf, *parent_goid_) != 0) g->parent_goid = Get(buf, *parent_goid_);
  const Start& start = StartAt(Get(buf, startpc_));
  g->start = start.function;
  g->system = start.system;
  if (labels_) ReadLabels(Get(buf, *labels_), g);
  if (opts.with_frames) Unwind(buf, g, opts.all_frames ? SIZE_MAX : opts.head_frames, opts.all_frames ? 0 : opts.tail_frames);
}

const GoroutineReader::Creator& GoroutineReader::CreatorAt(uint64_t gopc) {
  auto [it, fresh] = creators_.try_emplace(gopc);
  if (fresh) {
    if (auto f = tab_.FindFunc(gopc)) {
      it->second.function = tab_.FuncName(*f);
      // printcreatedby: the line of the go statement, i.e. of gopc-1.
      std::string_view file;
      int32_t line = 0;
      if (tab_.FileLine(*f, GoPclntab::LookupPC(*f, gopc, true), &file, &line)) {
        it->second.file = file;
        it->second.line = line;
      }
    }
  }
  return it->second;
}

const GoroutineReader::Start& GoroutineReader::StartAt(uint64_t startpc) {
  auto [it, fresh] = starts_.try_emplace(startpc);
  if (fresh) {
    if (auto f = tab_.FindFunc(startpc)) it->second.function = tab_.FuncName(*f);
    it->second.system = IsSystemStart(tab_, startpc);
  }
  return it->second;
}

void GoroutineReader::ReadLabels(uint64_t labels, Goroutine* g) {
  if (!labels) return;
  if (!label_list_offset_) {
    g->labels_error = "pprof labels are set but their layout is unknown (a Go map before Go 1.24)";
    return;
  }
  constexpr uint64_t kMaxLabels = 256;
  const MemorySource& mem = rt_.target().memory();
  uint64_t hdr[2];
  if (!mem.TryRead(labels + *label_list_offset_, hdr, sizeof hdr) || hdr[1] > kMaxLabels) {
    g->labels_error = "cannot read the pprof labels at " + Hex(labels);
    return;
  }
  // A key or value longer than kMaxLabelBytes keeps its first bytes and
  // says so (labels_error, and a warning of the report).
  uint64_t longest = 0;
  auto read = [&](uint64_t addr) {
    uint64_t str[2];
    mem.ReadExact(addr, str, sizeof str);
    longest = std::max(longest, str[1]);
    std::string s(std::min<uint64_t>(str[1], kMaxLabelBytes), '\0');
    if (!s.empty()) mem.ReadExact(str[0], s.data(), s.size());
    return s;
  };
  try {
    for (uint64_t i = 0; i < hdr[1]; ++i) {
      std::string key = read(hdr[0] + 32 * i);
      g->labels.emplace_back(std::move(key), read(hdr[0] + 32 * i + 16));
    }
    if (longest > kMaxLabelBytes) {
      g->labels_error = "a pprof label of " + std::to_string(longest) + " bytes is cut to its first " +
                        std::to_string(kMaxLabelBytes);
      ++labels_cut_;
    }
  } catch (const Error& e) {
    g->labels_error = std::string("cannot read the pprof labels: ") + e.what();
  }
}

bool GoroutineReader::ThreadRegisters(const Goroutine& g, Registers* regs, int* lwp) const {
  if (!g.lwp) return false;
  for (const auto& t : rt_.target().threads()) {
    if (t.lwp != *g.lwp || !t.has_registers) continue;
    *regs = t.regs;
    *lwp = t.lwp;
    CgoCallers cgo(rt_.target());
    auto handlers = CrossGoSignalFrames(rt_.target().arch(), tab_, rt_.target().memory(), t.regs, &cgo);
    if (!handlers.empty()) *regs = handlers.back().interrupted;
    return true;
  }
  return false;
}

bool GoroutineReader::StartOfRunning(const std::vector<uint8_t>& buf, Goroutine* g, UnwindStart* start) {
  // Where the thread is decides, not g.sched: the runtime leaves stale
  // contexts there (entersyscall's save() is not undone by exitsyscall, and
  // runtime.cgocallback reads curg.sched.sp without clearing it, so a
  // goroutine running a callback from C still has the context of its cgo
  // call there; runtime/proc.go, asm_amd64.s, Go 1.19-1.27).  Registers on
  // the goroutine's stack: its frames start there (below any Go signal
  // handler the thread is in).  On the system stack: at g.sched, which
  // systemstack saved (and zeroes when it returns), as the runtime's
  // traceback does.
  uint64_t lo = Get(buf, stack_lo_), hi = Get(buf, stack_hi_);
  uint64_t sched_sp = Get(buf, sched_sp_), sched_pc = Get(buf, sched_pc_);
  bool sched_valid = sched_sp >= lo && sched_sp <= hi && tab_.FindFunc(sched_pc);
  Registers regs{};
  int lwp = 0;
  if (!ThreadRegisters(*g, &regs, &lwp)) {
    if (sched_valid) {
      start->pc = sched_pc;
      start->sp = sched_sp;
      start->lr = Get(buf, sched_lr_);
      return true;
    }
    g->frames_error = g->lwp ? "running on LWP " + std::to_string(*g->lwp) + ", whose registers are unknown"
                             : "running, but its M has no thread id";
    return false;
  }
  if (regs.sp >= lo && regs.sp <= hi) {
    start->pc = regs.pc;
    start->sp = regs.sp;
    start->lr = regs.lr;
    start->pc_is_return_address = false;  // an interrupted instruction
    return true;
  }
  // In a vDSO call (runtime.nanotime1, walltime: on g0's stack): where it
  // was called from, as the runtime's traceback takes it (traceback.go,
  // m.vdsoPC/m.vdsoSP, Go 1.19-1.27).  The thread's step does the same.
  uint64_t vdso_sp = 0, vdso_pc = 0;
  if (uint64_t mp = Get(buf, m_)) {
    try {
      vdso_sp = rt_.ReadField("runtime.m", mp, "vdsoSP");
      vdso_pc = rt_.ReadField("runtime.m", mp, "vdsoPC");
    } catch (const Error&) {
    }
  }
  if (vdso_sp >= lo && vdso_sp <= hi && tab_.FindFunc(vdso_pc)) {
    start->pc = vdso_pc;
    start->sp = vdso_sp;
    return true;
  }
  if (sched_valid) {
    start->pc = sched_pc;
    start->sp = sched_sp;
    start->lr = Get(buf, sched_lr_);
    return true;
  }
  g->frames_error = "running on LWP " + std::to_string(lwp) + ", which is not on the goroutine's stack (pc " +
                    Hex(regs.pc) + ")";
  return false;
}

bool GoroutineReader::StartOfThreadInSyscall(const std::vector<uint8_t>& buf, Goroutine* g, UnwindStart* start) {
  // A goroutine is _Gsyscall from entersyscall to exitsyscall, and the
  // runtime's traceback shows it from g.syscallsp/syscallpc only: the
  // caller of entersyscall, at that call.  But its thread goes on running
  // on this very stack below g.syscallsp (cgocall.go, proc.go, asm_*.s, Go
  // 1.19-1.27): the system call itself (syscall.Syscall's callees, or an
  // assembly function with no frame that called entersyscall and then
  // SYSCALL, at g.syscallsp itself), runtime.notetsleepg's sleep,
  // entersyscall and exitsyscall themselves, runtime.cgocall before and
  // after asmcgocall, and a callback from C (runtime.cgocallback switches
  // to this stack and calls cgocallbackg, which calls exitsyscall first and
  // reentersyscall last).
  // The views decide as the thread does (docs/commands.md, "Which view
  // shows what"): wherever the thread's registers are on the goroutine's
  // stack there, its frames start at them, so the goroutine view, the
  // thread view and GDB's bt show the same stack.  With the thread
  // elsewhere (in C on the system stack during a cgo call, in a signal
  // handler's stack switch, unknown) the runtime's rule stands.
  uint64_t lo = Get(buf, stack_lo_), hi = Get(buf, stack_hi_), syscallsp = Get(buf, syscallsp_);
  Registers regs{};
  int lwp = 0;
  if (!ThreadRegisters(*g, &regs, &lwp) || regs.sp < lo || regs.sp >= hi || regs.sp > syscallsp) return false;
  if (regs.sp == syscallsp) {
    // Only the frame entersyscall's caller is in: the same function.
    auto here = tab_.FindFunc(regs.pc), saved = tab_.FindFunc(Get(buf, syscallpc_) - 1);
    if (!here || !saved || here->entry != saved->entry) return false;
  }
  start->pc = regs.pc;
  start->sp = regs.sp;
  start->lr = regs.lr;
  start->pc_is_return_address = false;
  return true;
}

void GoroutineReader::Unwind(const std::vector<uint8_t>& buf, Goroutine* g, size_t max_frames, size_t keep_tail) {
  UnwindStart start;
  // runtime/traceback.go traceback1 (1.19-1.27): a goroutine in a syscall or
  // cgo call is traced from g.syscallpc/syscallsp, saved by entersyscall;
  // any other stopped goroutine from g.sched, with g.sched.lr as the link
  // register on a link-register machine.  That LR matters where sched.pc
  // lies before the function saved its return address: runtime.morestack
  // (asm_arm64.s) stores the calling function's prologue there (its
  // pcsp 0) and that function's caller in sched.lr, and a goroutine
  // preempted at a function's entry (stackguard0 = stackPreempt, as every
  // goroutine is when the process crashes: freezetheworld) stays so,
  // runnable, until it runs again.
  uint64_t syscallsp = Get(buf, syscallsp_);
  if (syscallsp != 0) {
    start.pc = Get(buf, syscallpc_);
    start.sp = syscallsp;
  } else {
    start.pc = Get(buf, sched_pc_);
    start.sp = Get(buf, sched_sp_);
    start.lr = Get(buf, sched_lr_);
  }
  if (rt_.IsRunning(g->raw_status) && !StartOfRunning(buf, g, &start)) return;
  if (syscallsp != 0 && rt_.IsSyscall(g->raw_status)) StartOfThreadInSyscall(buf, g, &start);
  if (start.pc == 0) {
    g->frames_error = "no saved pc";
    return;
  }
  UnwindResult r = unwinder_.Unwind(start, Get(buf, stack_lo_), Get(buf, stack_hi_), max_frames, keep_tail);
  g->frames = std::move(r.frames);
  if (!r.error.empty()) g->frames_error = r.error;
  else if (r.truncated) g->frames_error = "stopped after " + std::to_string(max_frames) + " frames";
}

}  // namespace cgostack

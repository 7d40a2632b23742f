#include "goruntime/thread_context.h"

#include <algorithm>

#include "error.h"

namespace cgostack {

namespace {

// Callbacks nest as deeply as C and Go call each other; a cycle in the saved
// g0.sched.sp chain (a corrupt frame) must not loop.
constexpr size_t kMaxCallbackLevels = 64;

}  // namespace

ThreadContexts::ThreadContexts(GoRuntime& rt) : rt_(rt) {
  DwarfIndex& dw = rt.dwarf();
  g_goid_ = dw.RequireField("runtime.g", "goid");
  g_status_ = dw.RequireField("runtime.g", "atomicstatus");
  g_stack_lo_ = dw.RequireField("runtime.g", "stack.lo");
  g_stack_hi_ = dw.RequireField("runtime.g", "stack.hi");
  g_sched_pc_ = dw.RequireField("runtime.g", "sched.pc");
  g_sched_sp_ = dw.RequireField("runtime.g", "sched.sp");
  g_sched_bp_ = dw.RequireField("runtime.g", "sched.bp");
  g_syscallsp_ = dw.RequireField("runtime.g", "syscallsp");
  g_syscallpc_ = dw.RequireField("runtime.g", "syscallpc");
  // m.procid is the thread id the M runs on (set by minit on the thread).
  // An extra M not lent to any thread keeps the id of the last one: the
  // first M found for an id wins, and allm lists the newest first.
  // Without runtime.allm (a stripped binary whose globals could not be
  // singled out, damaged memory) the threads are still the core's, with
  // their C frames: no M is known for any of them, and the report says why.
  std::vector<uint64_t> ms;
  try {
    ms = rt.AllMs();
  } catch (const Error& e) {
    std::string w = std::string("Ms unknown, threads shown without their Ms and goroutines: ") + e.what();
    const auto& seen = rt.target().warnings();
    if (std::find(seen.begin(), seen.end(), w) == seen.end()) rt.target().AddWarning(w);
  }
  for (uint64_t mp : ms) {
    try {
      int lwp = static_cast<int>(rt.ReadField("runtime.m", mp, "procid"));
      if (lwp) m_of_lwp_.emplace(lwp, mp);
    } catch (const Error&) {
    }
  }
}

GView ThreadContexts::ReadG(uint64_t gp) {
  GView v;
  if (!gp) return v;
  const MemorySource& mem = rt_.target().memory();
  auto rd = [&](const DwarfField& f) {
    uint64_t x = 0;
    mem.TryRead(gp + f.offset, &x, f.size && f.size < 8 ? f.size : 8);
    return x;
  };
  v.address = gp;
  v.goid = rd(g_goid_);
  v.status = static_cast<uint32_t>(rd(g_status_));
  v.stack_lo = rd(g_stack_lo_);
  v.stack_hi = rd(g_stack_hi_);
  v.sched_pc = rd(g_sched_pc_);
  v.sched_sp = rd(g_sched_sp_);
  v.sched_bp = rd(g_sched_bp_);
  v.syscallsp = rd(g_syscallsp_);
  v.syscallpc = rd(g_syscallpc_);
  return v;
}

const ThreadContext& ThreadContexts::Of(int lwp) {
  auto cached = cache_.find(lwp);
  if (cached != cache_.end()) return cached->second;
  ThreadContext& c = cache_[lwp];
  c.lwp = lwp;
  auto it = m_of_lwp_.find(lwp);
  if (it == m_of_lwp_.end()) return c;
  uint64_t mp = it->second;
  DwarfIndex& dw = rt_.dwarf();
  auto field = [&](const char* name) -> uint64_t {
    try {
      return rt_.ReadField("runtime.m", mp, name);
    } catch (const Error&) {
      return 0;
    }
  };
  c.m = mp;
  c.m_id = static_cast<int64_t>(field("id"));
  if (dw.Field("runtime.m", "isextra")) c.extra_m = field("isextra") != 0;
  if (dw.Field("runtime.m", "isExtraInC")) c.extra_in_c = field("isExtraInC") != 0;
  c.incgo = field("incgo") != 0;
  c.ncgo = static_cast<int32_t>(field("ncgo"));
  c.g0 = ReadG(field("g0"));
  c.gsignal = ReadG(field("gsignal"));
  c.curg = ReadG(field("curg"));
  c.lockedg = ReadG(field("lockedg"));
  c.p = field("p");
  c.oldp = field("oldp");
  // The saved links lead to older frames higher up the same system stack.
  // Only as many entries as the goroutine has runtime.cgocallback frames
  // mean anything (on other Ms g0.sched.sp is mstart's frame), so users
  // index this list by those frames.  g0.stack is no bound: for threads C
  // created it is the runtime's estimate around needm's frame.
  constexpr uint64_t kMaxSystemStack = 256ull << 20;
  const MemorySource& mem = rt_.target().memory();
  for (uint64_t sp = c.g0.sched_sp; sp && c.callback_g0_sp.size() < kMaxCallbackLevels;) {
    c.callback_g0_sp.push_back(sp);
    uint64_t older = 0;
    // runtime.cgocallback keeps the previous link in its frame (the
    // offset is the architecture's: amd64 0(SP), arm64 16(RSP)).
    if (!mem.TryRead(sp + rt_.target().arch().cgocallback_saved_g0_sp, &older, sizeof older) || older <= sp ||
        older - sp > kMaxSystemStack)
      break;
    sp = older;
  }
  return c;
}

}  // namespace cgostack

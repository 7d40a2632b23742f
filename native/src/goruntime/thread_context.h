// What the Go runtime says about one OS thread: its M (if the runtime knows
// the thread), that M's g0, signal g, current and locked goroutine, its P,
// and the chain of system-stack frames Go callbacks from C left on it.  The
// stack-switch rules (stack_switch.h), `cgo-threads` and the lock graph all
// start from here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/go_runtime.h"

namespace cgostack {

// A goroutine's stack bounds and saved scheduling context (g.sched).
struct GView {
  uint64_t address = 0;
  uint64_t goid = 0;
  uint32_t status = 0;
  uint64_t stack_lo = 0, stack_hi = 0;
  uint64_t sched_pc = 0, sched_sp = 0, sched_bp = 0;
  uint64_t syscallsp = 0, syscallpc = 0;  // set by entersyscall (a syscall or cgo call)
  bool OnStack(uint64_t sp) const { return address && sp >= stack_lo && sp <= stack_hi; }
};

struct ThreadContext {
  int lwp = 0;
  uint64_t m = 0;  // 0: a thread the Go runtime does not know
  int64_t m_id = -1;
  // runtime.m.isextra (Go 1.21+): an M the runtime lends to C-created threads
  // that call Go.  Unknown (nullopt) on releases without the field.
  std::optional<bool> extra_m;
  bool extra_in_c = false;  // m.isExtraInC: the extra M stays bound to its C thread
  bool incgo = false;       // m.incgo: in a cgo call right now
  int32_t ncgo = 0;         // m.ncgo: cgo calls in flight on this M
  GView g0, gsignal, curg, lockedg;
  uint64_t p = 0, oldp = 0;  // m.p, m.oldp (the P given up for a syscall or cgo call)
  // runtime.cgocallback stores the previous g0.sched.sp at 0(SP) of its
  // system-stack frame and points g0.sched.sp at that frame (asm_amd64.s,
  // Go 1.19-1.27): entry 0 is the innermost active callback.  Meaningful
  // only for as many entries as the goroutine has cgocallback frames.
  std::vector<uint64_t> callback_g0_sp;
};

class ThreadContexts {
 public:
  explicit ThreadContexts(GoRuntime& rt);
  // The context of an LWP (a thread without an M gets m == 0).
  const ThreadContext& Of(int lwp);
  GView ReadG(uint64_t gp);
  GoRuntime& runtime() { return rt_; }

 private:
  GoRuntime& rt_;
  std::map<int, uint64_t> m_of_lwp_;
  std::map<int, ThreadContext> cache_;
  DwarfField g_goid_, g_status_, g_stack_lo_, g_stack_hi_, g_sched_pc_, g_sched_sp_, g_sched_bp_, g_syscallsp_,
      g_syscallpc_;
};

}  // namespace cgostack

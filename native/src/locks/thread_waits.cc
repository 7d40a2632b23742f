#include "locks/thread_waits.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

#include "report/format.h"
#include "locks/pthread_objects.h"

namespace cgostack {

namespace {

struct Syscall {
  uint64_t nr = 0, arg0 = 0, arg1 = 0;
};

// The system call a thread sleeps in.  An x86-64 kernel core's note has
// orig_rax; a context saved by a signal taken during a restartable system
// call has the call number back in its register and pc on the system call
// instruction (the kernel rewinds both before building the frame:
// arch/*/kernel/signal.c); an aarch64 core's thread blocked in the kernel
// has pc just past its `svc` with the number in x8; a live thread's is in
// /proc/PID/task/TID/syscall.
std::optional<Syscall> SleepingSyscall(GoRuntime& rt, int lwp, const Registers& r, bool from_signal_frame) {
  const Target& target = rt.target();
  if (!target.is_core()) {
    std::ifstream in("/proc/" + std::to_string(target.pid()) + "/task/" + std::to_string(lwp) + "/syscall");
    std::string nr;
    Syscall s;
    if (!(in >> nr) || !std::isdigit(static_cast<unsigned char>(nr[0]))) return std::nullopt;
    s.nr = std::stoull(nr);
    in >> std::hex >> s.arg0 >> s.arg1;
    return s;
  }
  const Arch& arch = target.arch();
  Syscall s{0, arch.Get(r, arch.syscall_arg_regs[0]), arch.Get(r, arch.syscall_arg_regs[1])};
  if (!from_signal_frame && arch.prstatus_has_syscall) {  // orig_rax: -1 outside a call
    s.nr = static_cast<uint64_t>(r.syscall);
    return s;
  }
  // libc's code is usually not in a core (file-backed text is not dumped):
  // check the instruction when it can be read, else trust the register.
  uint64_t insn_at = from_signal_frame ? r.pc : r.pc - arch.syscall_insn_size;
  uint8_t insn[4];
  std::copy(arch.syscall_insn, arch.syscall_insn + 4, insn);
  target.memory().TryRead(insn_at, insn, arch.syscall_insn_size);
  if (!std::equal(insn, insn + arch.syscall_insn_size, arch.syscall_insn)) return std::nullopt;
  s.nr = arch.Get(r, arch.syscall_nr_reg);
  return s;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The names of every frame of the thread's chain, lower-case, innermost
// first.  Go frames have no name in the chain; the pc table names them.
// The whole chain is read, not a fixed number of frames: glibc 2.41 put
// __syscall_cancel_arch and __internal_syscall_cancel between the futex call
// and pthread_cond_wait, and a library's own wrappers may add more.
std::vector<std::string> FrameNames(GoRuntime& rt, const NativeChain* chain) {
  std::vector<std::string> out;
  if (!chain) return out;
  const GoPclntab& tab = rt.Pclntab();
  for (size_t i = 0; i < chain->frames.size(); ++i) {
    const NativeFrame& f = chain->frames[i];
    if (!f.function.empty()) {
      out.push_back(Lower(f.function));
    } else if (auto fn = tab.FindFunc(i ? f.pc - 1 : f.pc)) {
      out.push_back(Lower(std::string(tab.FuncName(*fn))));
    }
  }
  return out;
}

// The waiting functions, most specific first: a thread in several of them
// (pthread_cond_wait re-taking its mutex in __pthread_mutex_cond_lock;
// _cgo_wait_runtime_init_done waiting on a condition variable;
// runtime.lock2 sleeping in runtime.futexsleep) waits for the first listed.
// A name matches when it contains the pattern (glibc's aliases:
// ___pthread_mutex_lock, __pthread_cond_wait_common) or, for `exact`, is it.
struct WaitFunction {
  const char* pattern;
  std::optional<LockKind> kind;  // ThreadWait::lock_kind; none for a sleep that is no lock wait
  bool exact = false;
};
using K = LockKind;
const WaitFunction kWaitFunctions[] = {
    {"_cgo_wait_runtime_init_done", K::kPackageInit},
    {"pthread_mutex_lock", K::kPthreadMutex},
    {"pthread_mutex_timedlock", K::kPthreadMutex},
    {"pthread_mutex_clocklock", K::kPthreadMutex},
    {"pthread_mutex_cond_lock", K::kPthreadMutex},
    {"lll_lock_wait", K::kPthreadMutex},
    {"lll_mutex_lock", K::kPthreadMutex},
    {"pthread_rwlock", K::kPthreadRwlock},
    {"pthread_cond_", K::kPthreadCond},
    {"pthread_join", K::kThreadJoin},
    {"clockjoin", K::kThreadJoin},
    {"timedjoin", K::kThreadJoin},
    {"sem_wait", K::kSemaphore},
    {"sem_timedwait", K::kSemaphore},
    {"sem_clockwait", K::kSemaphore},
    {"runtime.lock2", K::kRuntimeMutex},
    {"runtime.lockwithrank", K::kRuntimeMutex},
    {"runtime.lock", K::kRuntimeMutex, true},
    {"runtime.notesleep", std::nullopt},
    {"runtime.notetsleep", std::nullopt},
    {"runtime.futexsleep", std::nullopt},
};

// The waiting function among `names` and the frame that names it.
const WaitFunction* FindWaitFunction(const std::vector<std::string>& names, const std::string** frame) {
  for (const WaitFunction& w : kWaitFunctions)
    for (const std::string& n : names)
      if (w.exact ? n == w.pattern : n.find(w.pattern) != std::string::npos) {
        *frame = &n;
        return &w;
      }
  return nullptr;
}

// The thread (other than `waiter`) whose descriptor holds the futex word:
// what pthread_join sleeps on -- the joined thread's tid field, which the
// kernel clears when it exits (CLONE_CHILD_CLEARTID), through glibc 2.41;
// its joinstate field from 2.42.  A thread's descriptor (struct pthread)
// is next to its thread pointer (fs_base on x86-64, above it; TPIDR_EL0 on
// aarch64, below it: Arch::descriptor_below_tp), so this needs no symbol
// and no layout: it recognises a join whose frames have no names (glibc
// without debug symbols tail-calls the unnamed __pthread_clockjoin_ex).
constexpr uint64_t kThreadDescriptorSize = 4096;  // struct pthread: ~2.3 KB in glibc 2.25-2.43
int32_t JoinedThread(GoRuntime& rt, int waiter, uint64_t futex) {
  bool below = rt.target().arch().descriptor_below_tp;
  for (const ThreadState& t : rt.target().threads()) {
    uint64_t tp = t.regs.tls;
    if (t.lwp == waiter || !t.has_registers || !tp || (below && tp < kThreadDescriptorSize)) continue;
    uint64_t lo = below ? tp - kThreadDescriptorSize : tp;
    if (futex >= lo && futex < lo + kThreadDescriptorSize) return t.lwp;
  }
  return 0;
}

// The object around a futex word that sits `offsets` into it: a symbol
// covering the word decides; otherwise the first offset.
uint64_t ObjectOf(GoRuntime& rt, uint64_t futex, const std::vector<uint64_t>& offsets) {
  uint64_t bias = rt.target().load_bias();
  if (auto hit = rt.target().exe().SymbolAt(futex - bias))
    for (uint64_t off : offsets)
      if (hit->offset == off) return futex - off;
  return futex - offsets[0];
}

}  // namespace

bool InSystemCall(GoRuntime& rt, int lwp, const Registers& regs) {
  std::optional<Syscall> s = SleepingSyscall(rt, lwp, regs, false);
  return s && s->nr != UINT64_MAX;  // orig_rax -1: outside any call
}

std::optional<ThreadWait> FindThreadWait(GoRuntime& rt, int lwp, const Registers& regs, bool regs_from_signal_frame,
                                         const NativeChain* chain, const GlibcLayouts& glibc) {
  auto sc = SleepingSyscall(rt, lwp, regs, regs_from_signal_frame);
  if (!sc || sc->nr != rt.target().arch().sys_futex) return std::nullopt;
  ThreadWait w;
  w.futex = sc->arg0;
  std::vector<std::string> names = FrameNames(rt, chain);
  std::string where = "futex wait on " + Hex(w.futex);
  const MemorySource& mem = rt.target().memory();
  const std::string* frame = nullptr;
  const WaitFunction* fn = FindWaitFunction(names, &frame);
  if (fn && !fn->kind) return std::nullopt;  // an idle M parked on its note, or a timed sleep: no lock
  w.lock_kind = fn ? *fn->kind : LockKind::kFutex;
  if (w.lock_kind == LockKind::kPackageInit) {
    w.evidence = where + " in _cgo_wait_runtime_init_done (C called Go before package initialization finished)";
  } else if (w.lock_kind == LockKind::kPthreadMutex) {
    w.object = w.futex - glibc.mutex_lock;
    w.evidence = where + " in pthread_mutex_lock";
  } else if (w.lock_kind == LockKind::kPthreadRwlock) {
    w.object = ObjectOf(rt, w.futex, RwlockFutexOffsets(glibc));
    w.write = frame->find("wrlock") != std::string::npos;
    w.evidence = where + (w.write ? " in pthread_rwlock_wrlock" : " in pthread_rwlock_rdlock");
  } else if (w.lock_kind == LockKind::kPthreadCond) {
    w.object = ObjectOf(rt, w.futex, CondFutexOffsets(glibc));
    w.evidence = where + " in pthread_cond_wait";
  } else if (w.lock_kind == LockKind::kThreadJoin) {
    // The joined thread is the one whose descriptor holds the word; failing
    // that (no registers), the word itself: its tid field through 2.41.
    w.join_tid = JoinedThread(rt, lwp, w.futex);
    if (!w.join_tid) mem.TryRead(w.futex, &w.join_tid, sizeof w.join_tid);
    w.evidence = where + " in pthread_join of thread " + std::to_string(w.join_tid);
  } else if (w.lock_kind == LockKind::kSemaphore) {
    w.object = w.futex;
    w.evidence = where + " in sem_wait";
  } else if (w.lock_kind == LockKind::kRuntimeMutex) {
    w.object = w.futex;
    w.evidence = where + " in runtime.lock";
  } else if (int32_t joined = JoinedThread(rt, lwp, w.futex)) {
    w.lock_kind = LockKind::kThreadJoin;
    w.join_tid = joined;
    w.evidence = where + ": the word lies in thread " + std::to_string(joined) +
                 "'s descriptor (struct pthread), as in pthread_join";
  } else if (names.empty()) {
    // No frames (no native unwinder): a futex word at the start of a
    // symbol that reads as a pthread mutex is taken for one.
    auto hit = rt.target().exe().SymbolAt(w.futex - rt.target().load_bias());
    auto m = ReadPthreadMutex(mem, w.futex - glibc.mutex_lock, glibc);
    if (hit && hit->offset == glibc.mutex_lock && m && m->lock != 0) {
      w.lock_kind = LockKind::kPthreadMutex;
      w.object = w.futex - glibc.mutex_lock;
      w.evidence = where + " (no frames: the word is the start of " + std::string(hit->name) + ")";
    } else {
      w.evidence = where;
    }
  } else {
    w.evidence = where;
  }
  return w;
}

}  // namespace cgostack

#include "locks/thread_waits.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "report/format.h"
#include "locks/pthread_objects.h"

namespace cgostack {

namespace {

constexpr uint64_t kSysFutex = 202;  // x86-64
constexpr size_t kFramesConsidered = 16;

struct Syscall {
  uint64_t nr = 0, arg0 = 0, arg1 = 0;
};

// The system call a thread sleeps in.  A kernel core's note has orig_rax; a
// context saved by a signal taken during a restartable system call has the
// call number back in rax and rip on the `syscall` instruction (the kernel
// rewinds both before building the frame: arch/x86/kernel/signal.c); a live
// thread's is in /proc/PID/task/TID/syscall.
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
  if (!from_signal_frame) return Syscall{r.orig_rax, r.rdi, r.rsi};  // orig_rax is -1 outside a call
  // libc's code is usually not in a core (file-backed text is not dumped):
  // check the instruction when it can be read, else trust rax.
  uint8_t insn[2] = {0x0f, 0x05};
  target.memory().TryRead(r.rip, insn, 2);
  if (insn[0] != 0x0f || insn[1] != 0x05) return std::nullopt;
  return Syscall{r.rax, r.rdi, r.rsi};
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The innermost frames' names, lower-case, joined: enough to tell which
// pthread call (or runtime function) is waiting.  Go frames have no name in
// the chain; the pc table names them.
std::string FrameNames(GoRuntime& rt, const NativeChain* chain) {
  std::string out;
  if (!chain) return out;
  const GoPclntab& tab = rt.Pclntab();
  for (size_t i = 0; i < chain->frames.size() && i < kFramesConsidered; ++i) {
    const NativeFrame& f = chain->frames[i];
    if (!f.function.empty()) {
      out += Lower(f.function) + " ";
    } else if (auto fn = tab.FindFunc(i ? f.pc - 1 : f.pc)) {
      out += Lower(std::string(tab.FuncName(*fn))) + " ";
    }
  }
  return out;
}

bool Has(const std::string& names, const char* what) { return names.find(what) != std::string::npos; }

// The object around a futex word that sits `offsets` into it: a symbol
// covering the word decides; otherwise the first offset.
template <size_t N>
uint64_t ObjectOf(GoRuntime& rt, uint64_t futex, const uint64_t (&offsets)[N]) {
  uint64_t bias = rt.target().load_bias();
  if (auto hit = rt.target().exe().SymbolAt(futex - bias))
    for (uint64_t off : offsets)
      if (hit->offset == off) return futex - off;
  return futex - offsets[0];
}

}  // namespace

std::optional<ThreadWait> FindThreadWait(GoRuntime& rt, int lwp, const Registers& regs, bool regs_from_signal_frame,
                                         const NativeChain* chain) {
  auto sc = SleepingSyscall(rt, lwp, regs, regs_from_signal_frame);
  if (!sc || sc->nr != kSysFutex) return std::nullopt;
  ThreadWait w;
  w.futex = sc->arg0;
  std::string names = FrameNames(rt, chain);
  std::string where = "futex wait on " + Hex(w.futex);
  const MemorySource& mem = rt.target().memory();
  if (Has(names, "_cgo_wait_runtime_init_done")) {
    w.lock_kind = "package_init";
    w.evidence = where + " in _cgo_wait_runtime_init_done (C called Go before package initialization finished)";
  } else if (Has(names, "pthread_mutex_lock") || Has(names, "pthread_mutex_timedlock") ||
             Has(names, "pthread_mutex_clocklock") || Has(names, "lll_lock_wait") || Has(names, "lll_mutex_lock")) {
    w.lock_kind = "pthread_mutex";
    w.object = w.futex - kMutexFutexOffset;
    w.evidence = where + " in pthread_mutex_lock";
  } else if (Has(names, "pthread_rwlock")) {
    w.lock_kind = "pthread_rwlock";
    w.object = ObjectOf(rt, w.futex, kRwlockFutexOffsets);
    w.write = Has(names, "wrlock");
    w.evidence = where + (w.write ? " in pthread_rwlock_wrlock" : " in pthread_rwlock_rdlock");
  } else if (Has(names, "pthread_cond_")) {
    w.lock_kind = "pthread_cond";
    w.object = ObjectOf(rt, w.futex, kCondFutexOffsets);
    w.evidence = where + " in pthread_cond_wait";
  } else if (Has(names, "pthread_join") || Has(names, "clockjoin") || Has(names, "timedjoin")) {
    // pthread_join sleeps on the joined thread's tid word (struct pthread's
    // tid), which the kernel clears when that thread exits.
    w.lock_kind = "thread_join";
    mem.TryRead(w.futex, &w.join_tid, sizeof w.join_tid);
    w.evidence = where + " in pthread_join: the word holds thread " + std::to_string(w.join_tid);
  } else if (Has(names, "sem_wait") || Has(names, "sem_timedwait") || Has(names, "sem_clockwait")) {
    w.lock_kind = "semaphore";
    w.object = w.futex;
    w.evidence = where + " in sem_wait";
  } else if (Has(names, "runtime.lock2") || Has(names, "runtime.lockwithrank") || Has(names, "runtime.lock ")) {
    w.lock_kind = "runtime.mutex";
    w.object = w.futex;
    w.evidence = where + " in runtime.lock";
  } else if (Has(names, "runtime.notesleep") || Has(names, "runtime.notetsleep") || Has(names, "runtime.futexsleep")) {
    return std::nullopt;  // an idle M parked on its note, or a timed sleep: no lock
  } else if (names.empty()) {
    // No frames (no native unwinder): a futex word at the start of a
    // symbol that reads as a pthread mutex is taken for one.
    auto hit = rt.target().exe().SymbolAt(w.futex - rt.target().load_bias());
    auto m = ReadPthreadMutex(mem, w.futex);
    if (hit && hit->offset == 0 && m && m->lock != 0) {
      w.lock_kind = "pthread_mutex";
      w.object = w.futex;
      w.evidence = where + " (no frames: the word is the start of " + std::string(hit->name) + ")";
    } else {
      w.lock_kind = "futex";
      w.evidence = where;
    }
  } else {
    w.lock_kind = "futex";
    w.evidence = where;
  }
  return w;
}

}  // namespace cgostack

// What an OS thread is blocked on, read from the system call it sleeps in
// (a futex wait: the futex word's address is its first argument) and named
// by the thread's native frames when there are any (pthread_mutex_lock,
// pthread_cond_wait, ...).  Works without libc debug information: glibc's
// object layouts come from the target's libc (glibc_layouts.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "goruntime/go_runtime.h"
#include "locks/glibc_layouts.h"
#include "locks/lock_kind.h"
#include "stacks/stitch.h"

namespace cgostack {

struct ThreadWait {
  // A pthread object, thread_join, semaphore, runtime.mutex,
  // package_init, or kFutex (unclassified).
  LockKind lock_kind = LockKind::kFutex;
  uint64_t object = 0;    // the object's address (0 when unknown)
  uint64_t futex = 0;     // the futex word slept on
  int32_t join_tid = 0;   // thread_join: the thread being joined
  bool write = false;     // pthread_rwlock: waiting to write (else to read)
  std::string evidence;   // how it was found, for the user
};

// The futex wait of thread `t` (its context `regs`, the interrupted one when
// it is inside the Go signal handler), or nullopt if it is not in one.
std::optional<ThreadWait> FindThreadWait(GoRuntime& rt, int lwp, const Registers& regs, bool regs_from_signal_frame,
                                         const NativeChain* chain, const GlibcLayouts& glibc);

// Whether thread `lwp` (its own registers `regs`, not a signal frame's) is
// inside a system call, blocked in the kernel, as the kernel tells it (a
// core's registers, a live thread's /proc/PID/task/TID/syscall); false for
// a thread stopped in user code (computing, spinning).
bool InSystemCall(GoRuntime& rt, int lwp, const Registers& regs);

}  // namespace cgostack

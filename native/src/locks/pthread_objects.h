// glibc's pthread objects as they sit in memory (glibc 2.25+:
// sysdeps/nptl/bits/struct_mutex.h, struct_rwlock.h, thread-shared-types.h),
// read at the offsets the target's own glibc uses (glibc_layouts.h: its
// DWARF, or a table per release), so no libc debug information is needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "locks/glibc_layouts.h"
#include "target/memory.h"

namespace cgostack {

struct PthreadMutex {
  int32_t lock = 0;       // __lock: 0 free, 1 locked, 2 locked with waiters (normal kinds)
  uint32_t count = 0;     // __count: recursion depth of a recursive mutex
  int32_t owner = 0;      // __owner: the owner's tid (0: not recorded)
  int32_t kind = 0;       // __kind
  std::string type;       // "normal", "recursive", "errorcheck", "adaptive"
  bool robust = false, priority_inherit = false, priority_protect = false;
  // The owner's thread id: __owner, or __lock & FUTEX_TID_MASK for robust and
  // priority-inheritance mutexes (which keep the tid in the lock word).
  int32_t OwnerTid() const;
  bool Recursive() const { return type == "recursive"; }
};

struct PthreadRwlock {
  uint32_t readers_word = 0;  // __readers: count << 3 | WRLOCKED(2) | WRPHASE(1)
  int32_t cur_writer = 0;     // __cur_writer: the writer's tid
  uint32_t Readers() const { return readers_word >> 3; }
  bool WriteLocked() const { return readers_word & 2; }
};

struct PthreadCond {
  uint32_t waiters = 0;  // __wrefs >> 3
};

std::optional<PthreadMutex> ReadPthreadMutex(const MemorySource& mem, uint64_t addr, const GlibcLayouts& l);
std::optional<PthreadRwlock> ReadPthreadRwlock(const MemorySource& mem, uint64_t addr, const GlibcLayouts& l);
std::optional<PthreadCond> ReadPthreadCond(const MemorySource& mem, uint64_t addr, const GlibcLayouts& l);

// Where each object's futex words are, relative to the object: a thread
// sleeps on one of these, and the object is found by subtracting it.
inline std::vector<uint64_t> MutexFutexOffsets(const GlibcLayouts& l) { return {l.mutex_lock}; }
inline std::vector<uint64_t> RwlockFutexOffsets(const GlibcLayouts& l) {
  return {l.rwlock_wrphase_futex, l.rwlock_writers_futex};
}
inline std::vector<uint64_t> CondFutexOffsets(const GlibcLayouts& l) {  // __g_signals[0], [1]
  return {l.cond_g_signals, l.cond_g_signals + 4};
}

}  // namespace cgostack

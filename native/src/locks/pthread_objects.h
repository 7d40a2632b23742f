// glibc's pthread objects as they sit in memory (x86-64 ABI, glibc 2.25+:
// sysdeps/nptl/bits/struct_mutex.h, struct_rwlock.h, thread-shared-types.h).
// These layouts are ABI and have not changed since glibc 2.25, so no libc
// debug information is needed; the offsets below are the ABI's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

std::optional<PthreadMutex> ReadPthreadMutex(const MemorySource& mem, uint64_t addr);
std::optional<PthreadRwlock> ReadPthreadRwlock(const MemorySource& mem, uint64_t addr);
std::optional<PthreadCond> ReadPthreadCond(const MemorySource& mem, uint64_t addr);

// Where each object's futex words are, relative to the object.
constexpr uint64_t kMutexFutexOffset = 0;             // __lock
constexpr uint64_t kRwlockFutexOffsets[] = {8, 12};   // __wrphase_futex, __writers_futex
constexpr uint64_t kCondFutexOffsets[] = {40, 44};    // __g_signals[0], [1]

}  // namespace cgostack

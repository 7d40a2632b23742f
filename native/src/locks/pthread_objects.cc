#include "locks/pthread_objects.h"

namespace cgostack {

namespace {

constexpr int32_t kFutexTidMask = 0x3fffffff;
constexpr int32_t kKindMask = 3, kRobust = 16, kPrioInherit = 32, kPrioProtect = 64;

}  // namespace

int32_t PthreadMutex::OwnerTid() const {
  if (robust || priority_inherit) return lock & kFutexTidMask;
  return owner;
}

std::optional<PthreadMutex> ReadPthreadMutex(const MemorySource& mem, uint64_t addr) {
  // struct __pthread_mutex_s: int __lock; unsigned __count; int __owner;
  // unsigned __nusers; int __kind; ...
  int32_t w[5];
  if (!mem.TryRead(addr, w, sizeof w)) return std::nullopt;
  PthreadMutex m;
  m.lock = w[0];
  m.count = static_cast<uint32_t>(w[1]);
  m.owner = w[2];
  m.kind = w[4];
  static const char* const kTypes[] = {"normal", "recursive", "errorcheck", "adaptive"};
  m.type = kTypes[m.kind & kKindMask];
  m.robust = m.kind & kRobust;
  m.priority_inherit = m.kind & kPrioInherit;
  m.priority_protect = m.kind & kPrioProtect;
  return m;
}

std::optional<PthreadRwlock> ReadPthreadRwlock(const MemorySource& mem, uint64_t addr) {
  // struct __pthread_rwlock_arch_t: __readers, __writers, __wrphase_futex,
  // __writers_futex, __pad3, __pad4, int __cur_writer, ...
  uint32_t w[7];
  if (!mem.TryRead(addr, w, sizeof w)) return std::nullopt;
  PthreadRwlock r;
  r.readers_word = w[0];
  r.cur_writer = static_cast<int32_t>(w[6]);
  return r;
}

std::optional<PthreadCond> ReadPthreadCond(const MemorySource& mem, uint64_t addr) {
  // struct __pthread_cond_s: __wseq, __g1_start (8 each), __g_refs[2],
  // __g_size[2], __g1_orig_size, __wrefs (at 36), __g_signals[2] (at 40).
  uint32_t wrefs = 0;
  if (!mem.TryRead(addr + 36, &wrefs, sizeof wrefs)) return std::nullopt;
  return PthreadCond{wrefs >> 3};
}

}  // namespace cgostack

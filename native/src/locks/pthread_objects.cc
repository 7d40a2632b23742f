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

namespace {

bool ReadField(const MemorySource& mem, uint64_t addr, uint64_t offset, void* into) {
  return mem.TryRead(addr + offset, into, 4);
}

}  // namespace

std::optional<PthreadMutex> ReadPthreadMutex(const MemorySource& mem, uint64_t addr, const GlibcLayouts& l) {
  // struct __pthread_mutex_s: int __lock; unsigned __count; int __owner;
  // unsigned __nusers; int __kind; ...
  PthreadMutex m;
  if (!ReadField(mem, addr, l.mutex_lock, &m.lock) || !ReadField(mem, addr, l.mutex_count, &m.count) ||
      !ReadField(mem, addr, l.mutex_owner, &m.owner) || !ReadField(mem, addr, l.mutex_kind, &m.kind))
    return std::nullopt;
  static const char* const kTypes[] = {"normal", "recursive", "errorcheck", "adaptive"};
  m.type = kTypes[m.kind & kKindMask];
  m.robust = m.kind & kRobust;
  m.priority_inherit = m.kind & kPrioInherit;
  m.priority_protect = m.kind & kPrioProtect;
  return m;
}

std::optional<PthreadRwlock> ReadPthreadRwlock(const MemorySource& mem, uint64_t addr, const GlibcLayouts& l) {
  // struct __pthread_rwlock_arch_t: __readers, __writers, __wrphase_futex,
  // __writers_futex, __pad3, __pad4, int __cur_writer, ...
  PthreadRwlock r;
  if (!ReadField(mem, addr, l.rwlock_readers, &r.readers_word) ||
      !ReadField(mem, addr, l.rwlock_cur_writer, &r.cur_writer))
    return std::nullopt;
  return r;
}

std::optional<PthreadCond> ReadPthreadCond(const MemorySource& mem, uint64_t addr, const GlibcLayouts& l) {
  // struct __pthread_cond_s: __wrefs counts waiters in its upper bits (at 36
  // before glibc 2.41, 28 after: glibc_layouts.h).
  uint32_t wrefs = 0;
  if (!ReadField(mem, addr, l.cond_wrefs, &wrefs)) return std::nullopt;
  return PthreadCond{wrefs >> 3};
}

}  // namespace cgostack

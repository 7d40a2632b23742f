#include "locks/lock_kind.h"

namespace cgostack {

namespace {

using K = LockKind;
using R = LockReader;

// In LockKind's order.
constexpr LockKindInfo kKinds[] = {
    // kind                name               label                         reader            owned  c_lock holder
    {K::kPthreadMutex,   "pthread_mutex",   "pthread mutex",              R::kPthreadMutex,  true,  true,  true},
    {K::kPthreadRwlock,  "pthread_rwlock",  "pthread rwlock",             R::kPthreadRwlock, true,  true,  true},
    {K::kPthreadCond,    "pthread_cond",    "pthread condition variable", R::kPthreadCond,   true,  false, true},
    {K::kThreadJoin,     "thread_join",     "join of LWP",                R::kJoinedThread,  false, false, true},
    {K::kSemaphore,      "semaphore",       "semaphore",                  R::kNone,          true,  false, true},
    {K::kRuntimeMutex,   "runtime.mutex",   "runtime mutex",              R::kNone,          true,  false, true},
    {K::kFutex,          "futex",           "futex",                      R::kNone,          true,  false, true},
    {K::kSyncMutex,      "sync.Mutex",      "sync.Mutex",                 R::kGoSync,        true,  false, true},
    {K::kSyncRWMutex,    "sync.RWMutex",    "sync.RWMutex",               R::kGoSync,        true,  false, true},
    {K::kSyncWaitGroup,  "sync.WaitGroup",  "sync.WaitGroup",             R::kGoSync,        true,  false, true},
    {K::kChan,           "chan",            "channel",                    R::kGoChannel,     true,  false, false},
    {K::kPackageInit,    "package_init",    "package initialization",     R::kNone,          true,  false, true},
};

constexpr bool InKindOrder() {
  for (size_t i = 0; i < sizeof kKinds / sizeof kKinds[0]; ++i)
    if (static_cast<size_t>(kKinds[i].kind) != i) return false;
  return true;
}
static_assert(InKindOrder(), "kKinds lists every LockKind in the enum's order");

}  // namespace

const LockKindInfo& Info(LockKind kind) { return kKinds[static_cast<size_t>(kind)]; }

std::optional<LockKind> LockKindNamed(std::string_view name) {
  for (const LockKindInfo& k : kKinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

}  // namespace cgostack

// The lock-kind table: every kind has its own JSON name, and the names the
// JSON schema documents map back to their kinds.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "locks/lock_kind.h"

namespace cgostack {
namespace {

TEST(LockKindTest, NamesAreTheSchemasAndRoundTrip) {
  const std::set<std::string> schema = {"pthread_mutex", "pthread_rwlock", "pthread_cond",   "thread_join",
                                        "semaphore",     "runtime.mutex",  "futex",          "sync.Mutex",
                                        "sync.RWMutex",  "sync.WaitGroup", "chan",           "package_init"};
  std::set<std::string> seen;
  for (const std::string& name : schema) {
    auto kind = LockKindNamed(name);
    ASSERT_TRUE(kind) << name;
    EXPECT_EQ(Name(*kind), name);
    EXPECT_FALSE(Info(*kind).label.empty()) << name;
    seen.insert(std::string(Name(*kind)));
  }
  EXPECT_EQ(seen, schema);
  EXPECT_FALSE(LockKindNamed("mutex"));
}

TEST(LockKindTest, DiagnosesApplyWhereTheyShould) {
  // lock_leaked / held_across_callback: C locks a cgo call can keep.
  EXPECT_TRUE(Info(LockKind::kPthreadMutex).c_lock);
  EXPECT_TRUE(Info(LockKind::kPthreadRwlock).c_lock);
  EXPECT_FALSE(Info(LockKind::kSyncMutex).c_lock);
  // A join's "owner" is the thread joined, not a lock holder.
  EXPECT_FALSE(Info(LockKind::kThreadJoin).owned_by_thread);
  EXPECT_FALSE(Info(LockKind::kChan).has_holder);
  EXPECT_EQ(Info(LockKind::kPthreadCond).reader, LockReader::kPthreadCond);
}

}  // namespace
}  // namespace cgostack

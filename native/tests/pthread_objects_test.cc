// glibc's pthread objects decoded from memory (pthread_objects.h) agree with
// what this process's own glibc does to them: the layouts are checked
// against the real library, through /proc/self/mem as for a live target.
#include "locks/pthread_objects.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace cgostack {
namespace {

int Tid() { return static_cast<int>(syscall(SYS_gettid)); }
uint64_t Addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

TEST(PthreadObjects, NormalMutexOwnerIsTheLockingThread) {
  ProcessMemory mem(getpid());
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&m);
  auto got = ReadPthreadMutex(mem, Addr(&m));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->type, "normal");
  EXPECT_EQ(got->OwnerTid(), Tid());
  EXPECT_EQ(got->lock, 1);
  pthread_mutex_unlock(&m);
  EXPECT_EQ(ReadPthreadMutex(mem, Addr(&m))->OwnerTid(), 0);
}

TEST(PthreadObjects, RecursiveMutexCountsItsDepth) {
  ProcessMemory mem(getpid());
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_t m;
  pthread_mutex_init(&m, &a);
  pthread_mutex_lock(&m);
  pthread_mutex_lock(&m);
  auto got = ReadPthreadMutex(mem, Addr(&m));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->type, "recursive");
  EXPECT_TRUE(got->Recursive());
  EXPECT_EQ(got->count, 2u);
  EXPECT_EQ(got->OwnerTid(), Tid());
  pthread_mutex_unlock(&m);
  pthread_mutex_unlock(&m);
}

TEST(PthreadObjects, RobustMutexOwnerComesFromTheLockWord) {
  ProcessMemory mem(getpid());
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_t m;
  pthread_mutex_init(&m, &a);
  pthread_mutex_lock(&m);
  auto got = ReadPthreadMutex(mem, Addr(&m));
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->robust);
  EXPECT_EQ(got->type, "errorcheck");
  EXPECT_EQ(got->lock & 0x3fffffff, Tid());
  EXPECT_EQ(got->OwnerTid(), Tid());
  pthread_mutex_unlock(&m);
}

TEST(PthreadObjects, RwlockRecordsTheWriterAndCountsReaders) {
  ProcessMemory mem(getpid());
  pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
  pthread_rwlock_wrlock(&rw);
  auto got = ReadPthreadRwlock(mem, Addr(&rw));
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->WriteLocked());
  EXPECT_EQ(got->cur_writer, Tid());
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_rdlock(&rw);
  pthread_rwlock_rdlock(&rw);
  got = ReadPthreadRwlock(mem, Addr(&rw));
  EXPECT_FALSE(got->WriteLocked());
  EXPECT_EQ(got->Readers(), 2u);
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_unlock(&rw);
}

TEST(PthreadObjects, UnreadableAddressIsNoObject) {
  ProcessMemory mem(getpid());
  EXPECT_FALSE(ReadPthreadMutex(mem, 8));
  EXPECT_FALSE(ReadPthreadRwlock(mem, 8));
  EXPECT_FALSE(ReadPthreadCond(mem, 8));
}

}  // namespace
}  // namespace cgostack

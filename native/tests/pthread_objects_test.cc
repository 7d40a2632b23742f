// glibc's pthread objects decoded from memory (pthread_objects.h) agree with
// what this process's own glibc does to them: the layouts chosen for this
// glibc's release (glibc_layouts.h) are checked against the real library,
// through /proc/self/mem as for a live target.
#include "locks/pthread_objects.h"

#include "error.h"
#include "target/elf_image.h"

#include <gnu/libc-version.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace cgostack {
namespace {

int Tid() { return static_cast<int>(syscall(SYS_gettid)); }
uint64_t Addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

// The layouts the table gives for the glibc this test runs on.
const GlibcLayouts& Layouts() {
  static const GlibcLayouts l = *GlibcLayoutsForVersion(gnu_get_libc_version());
  return l;
}

TEST(PthreadObjects, NormalMutexOwnerIsTheLockingThread) {
  ProcessMemory mem(getpid());
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&m);
  auto got = ReadPthreadMutex(mem, Addr(&m), Layouts());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->type, "normal");
  EXPECT_EQ(got->OwnerTid(), Tid());
  EXPECT_EQ(got->lock, 1);
  pthread_mutex_unlock(&m);
  EXPECT_EQ(ReadPthreadMutex(mem, Addr(&m), Layouts())->OwnerTid(), 0);
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
  auto got = ReadPthreadMutex(mem, Addr(&m), Layouts());
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
  auto got = ReadPthreadMutex(mem, Addr(&m), Layouts());
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
  auto got = ReadPthreadRwlock(mem, Addr(&rw), Layouts());
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->WriteLocked());
  EXPECT_EQ(got->cur_writer, Tid());
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_rdlock(&rw);
  pthread_rwlock_rdlock(&rw);
  got = ReadPthreadRwlock(mem, Addr(&rw), Layouts());
  EXPECT_FALSE(got->WriteLocked());
  EXPECT_EQ(got->Readers(), 2u);
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_unlock(&rw);
}

// The futex word thread `tid` sleeps on (0 until it sleeps in a futex wait),
// from /proc as the tool reads a live thread's.
uint64_t FutexSleptOn(int tid) {
  for (int i = 0; i < 2000; ++i) {
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
    std::string nr;
    uint64_t arg0 = 0;
    if (in >> nr >> std::hex >> arg0 && nr == std::to_string(SYS_futex)) return arg0;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}

TEST(PthreadObjects, CondCountsItsWaitersAndTheyWaitOnGSignals) {
  ProcessMemory mem(getpid());
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  std::atomic<int> waiter_tid{0};
  std::thread waiter([&] {
    pthread_mutex_lock(&m);
    waiter_tid = Tid();
    pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
  });
  while (!waiter_tid) std::this_thread::yield();
  // pthread_cond_wait releases the mutex only once it is registered.
  pthread_mutex_lock(&m);
  auto got = ReadPthreadCond(mem, Addr(&c), Layouts());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->waiters, 1u);
  pthread_mutex_unlock(&m);
  // The waiter sleeps on __g_signals[0] or [1], where the layouts put them.
  uint64_t futex = FutexSleptOn(waiter_tid);
  std::vector<uint64_t> words;
  for (uint64_t off : CondFutexOffsets(Layouts())) words.push_back(Addr(&c) + off);
  EXPECT_TRUE(futex == words[0] || futex == words[1]) << "waits on " << futex << ", cond at " << Addr(&c);
  pthread_mutex_lock(&m);
  pthread_cond_signal(&c);
  pthread_mutex_unlock(&m);
  waiter.join();
  EXPECT_EQ(ReadPthreadCond(mem, Addr(&c), Layouts())->waiters, 0u);
}

TEST(GlibcLayouts, TableByRelease) {
  auto old = GlibcLayoutsForVersion("2.31");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->cond_wrefs, 36u);
  EXPECT_EQ(old->cond_g_signals, 40u);
  EXPECT_TRUE(old->warning.empty());
  auto trixie = GlibcLayoutsForVersion("2.41");
  ASSERT_TRUE(trixie);
  EXPECT_EQ(trixie->cond_wrefs, 28u);
  EXPECT_EQ(trixie->cond_g_signals, 32u);
  EXPECT_EQ(trixie->mutex_owner, 8u);
  EXPECT_EQ(trixie->rwlock_cur_writer, 24u);
  auto future = GlibcLayoutsForVersion("2.99");
  ASSERT_TRUE(future);
  EXPECT_EQ(future->cond_wrefs, 28u);
  EXPECT_NE(future->warning.find("newer than any glibc"), std::string::npos);
  EXPECT_FALSE(GlibcLayoutsForVersion("2.24"));
  EXPECT_FALSE(GlibcLayoutsForVersion("garbage"));
}

TEST(GlibcLayouts, VersionFromTheLibraryText) {
  EXPECT_EQ(GlibcVersionInRodata(std::string("x\0GNU C Library (Debian GLIBC 2.41-12) stable release version 2.41.\nCopy", 70)),
            "2.41");
  EXPECT_EQ(GlibcVersionInRodata("release version 2.36.\n"), "2.36");
  EXPECT_EQ(GlibcVersionInRodata("no version here"), "");
}

// With libc debug symbols installed (libc6-dbg), the layouts read from
// DWARF must equal the table's for this release: the table is checked
// against the headers glibc was built with.
TEST(GlibcLayouts, DwarfOfThisLibcAgreesWithTheTable) {
  const char* id_dir = "/usr/lib/debug/.build-id";
  std::string debug;
  for (const char* libc : {"/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"}) {
    std::shared_ptr<ElfImage> img;
    try {
      img = ElfImage::Open(libc);
    } catch (const Error&) {
      continue;
    }
    std::string id;
    for (unsigned char c : img->GnuBuildId()) {
      char b[3];
      std::snprintf(b, sizeof b, "%02x", c);
      id += b;
    }
    debug = std::string(id_dir) + "/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
    EXPECT_EQ(GlibcVersionInRodata(*img->Section(".rodata")), gnu_get_libc_version());
  }
  if (access(debug.c_str(), R_OK) != 0) GTEST_SKIP() << "no libc debug symbols (" << debug << ")";
  auto got = GlibcLayoutsFromDwarf(debug);
  ASSERT_TRUE(got);
  const GlibcLayouts& want = Layouts();
  EXPECT_EQ(got->mutex_lock, want.mutex_lock);
  EXPECT_EQ(got->mutex_count, want.mutex_count);
  EXPECT_EQ(got->mutex_owner, want.mutex_owner);
  EXPECT_EQ(got->mutex_kind, want.mutex_kind);
  EXPECT_EQ(got->rwlock_readers, want.rwlock_readers);
  EXPECT_EQ(got->rwlock_wrphase_futex, want.rwlock_wrphase_futex);
  EXPECT_EQ(got->rwlock_writers_futex, want.rwlock_writers_futex);
  EXPECT_EQ(got->rwlock_cur_writer, want.rwlock_cur_writer);
  EXPECT_EQ(got->cond_wrefs, want.cond_wrefs);
  EXPECT_EQ(got->cond_g_signals, want.cond_g_signals);
  EXPECT_NE(got->source.find("DWARF"), std::string::npos);
}

// The table is not x86-64's alone: each C compiler present (this
// machine's, and aarch64-linux-gnu-gcc from libc6-dev-arm64-cross, which
// scripts/setup.sh --arm64 installs) compiles the three pthread types into a
// shared object against its own glibc headers with DWARF, and the layouts read from that
// DWARF equal the table's for the release of that compiler's libc.
TEST(GlibcLayouts, HeadersOfEachMachineAgreeWithTheTable) {
  struct Machine {
    const char* cc;
    const char* libc;  // its libc, for the release the table is keyed by
  };
  const Machine machines[] = {{"cc", nullptr}, {"aarch64-linux-gnu-gcc", "/usr/aarch64-linux-gnu/lib/libc.so.6"}};
  char dir[] = "/tmp/cgostack-layouts-XXXXXX";
  ASSERT_TRUE(mkdtemp(dir));
  std::string src = std::string(dir) + "/types.c";
  std::ofstream(src) << "#include <pthread.h>\npthread_mutex_t m; pthread_rwlock_t r; pthread_cond_t c;\n";
  int compared = 0;
  for (const Machine& m : machines) {
    // Linked (a shared object), so that the DWARF's relocations are applied.
    std::string obj = std::string(dir) + "/" + m.cc + ".so";
    std::string cmd = std::string(m.cc) + " -g -shared -fPIC -o " + obj + " " + src + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) continue;  // no such compiler here
    std::string version = gnu_get_libc_version();
    if (m.libc) {
      std::shared_ptr<ElfImage> img;
      try {
        img = ElfImage::Open(m.libc);
      } catch (const Error&) {
        continue;
      }
      version = GlibcVersionInRodata(*img->Section(".rodata"));
    }
    SCOPED_TRACE(std::string(m.cc) + ", glibc " + version);
    auto got = GlibcLayoutsFromDwarf(obj);
    auto want = GlibcLayoutsForVersion(version);
    ASSERT_TRUE(got);
    ASSERT_TRUE(want);
    EXPECT_EQ(got->mutex_lock, want->mutex_lock);
    EXPECT_EQ(got->mutex_count, want->mutex_count);
    EXPECT_EQ(got->mutex_owner, want->mutex_owner);
    EXPECT_EQ(got->mutex_kind, want->mutex_kind);
    EXPECT_EQ(got->rwlock_readers, want->rwlock_readers);
    EXPECT_EQ(got->rwlock_wrphase_futex, want->rwlock_wrphase_futex);
    EXPECT_EQ(got->rwlock_writers_futex, want->rwlock_writers_futex);
    EXPECT_EQ(got->rwlock_cur_writer, want->rwlock_cur_writer);
    EXPECT_EQ(got->cond_wrefs, want->cond_wrefs);
    EXPECT_EQ(got->cond_g_signals, want->cond_g_signals);
    ++compared;
  }
  std::system(("rm -rf " + std::string(dir)).c_str());
  if (compared == 0) GTEST_SKIP() << "no C compiler";
}

TEST(PthreadObjects, UnreadableAddressIsNoObject) {
  ProcessMemory mem(getpid());
  EXPECT_FALSE(ReadPthreadMutex(mem, 8, Layouts()));
  EXPECT_FALSE(ReadPthreadRwlock(mem, 8, Layouts()));
  EXPECT_FALSE(ReadPthreadCond(mem, 8, Layouts()));
}

}  // namespace
}  // namespace cgostack

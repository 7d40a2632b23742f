// CorePrefetch (target/core_prefetch.h) reads a cold core's data ahead and
// never its holes: a file with two data extents and 64 MB of hole between
// them, evicted from the page cache, then read ahead; which pages are
// resident afterwards is what the kernel says (mincore).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "target/core_prefetch.h"

namespace cgostack {
namespace {

constexpr size_t kPage = 4096;
constexpr off_t kSecond = 64 << 20;  // the second data extent, after a hole

class SparseFile {
 public:
  SparseFile() {
    // One file per test and process: ctest runs the tests of this binary
    // in parallel, and a shared name would be truncated under another test.
    path_ = ::testing::TempDir() + "/prefetch-sparse-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" + std::to_string(::getpid()) +
            ".core";
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::vector<char> data(16 * kPage, 'x');
    ok_ = fd_ >= 0 && ::pwrite(fd_, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()) &&
          ::pwrite(fd_, data.data(), data.size(), kSecond) == static_cast<ssize_t>(data.size()) &&
          ::fdatasync(fd_) == 0 && ::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED) == 0;
    if (ok_) {
      void* p = ::mmap(nullptr, kSecond + 16 * kPage, PROT_READ, MAP_SHARED, fd_, 0);
      map_ = p == MAP_FAILED ? nullptr : static_cast<unsigned char*>(p);
    }
  }
  ~SparseFile() {
    if (map_) ::munmap(map_, kSecond + 16 * kPage);
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool ok() const { return ok_ && map_; }
  int fd() const { return fd_; }
  // Whether the page at `offset` is in the page cache (mincore does not
  // fault it in).
  bool Resident(off_t offset) const {
    unsigned char v = 0;
    return ::mincore(map_ + offset, kPage, &v) == 0 && (v & 1);
  }
  // Waits up to 5 s for the asynchronous read of the page at `offset`.
  bool EventuallyResident(off_t offset) const {
    for (int i = 0; i < 500; ++i) {
      if (Resident(offset)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
  unsigned char* map_ = nullptr;
};

TEST(CorePrefetch, ReadsTheDataAheadAndNeverTheHoles) {
  SparseFile f;
  if (!f.ok()) GTEST_SKIP() << "cannot make or evict a sparse file in " << ::testing::TempDir();
  if (f.Resident(0)) GTEST_SKIP() << "this file system keeps the file in memory (tmpfs?)";
  CorePrefetch(f.fd(), uint64_t{1} << 30).Wait();
  EXPECT_TRUE(f.EventuallyResident(0));
  EXPECT_TRUE(f.EventuallyResident(kSecond + 15 * kPage));
  for (off_t hole : {off_t{1 << 20}, off_t{kSecond / 2}, off_t{kSecond - (1 << 20)}})
    EXPECT_FALSE(f.Resident(hole)) << "hole page at " << hole << " was read";
}

TEST(CorePrefetch, StopsAtItsBudget) {
  SparseFile f;
  if (!f.ok() || f.Resident(0)) GTEST_SKIP() << "no evictable sparse file in " << ::testing::TempDir();
  CorePrefetch(f.fd(), 4 * kPage).Wait();
  EXPECT_TRUE(f.EventuallyResident(0));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(f.Resident(kSecond)) << "the second extent is past the budget";
}

}  // namespace
}  // namespace cgostack

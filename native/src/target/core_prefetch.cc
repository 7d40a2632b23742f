#include "target/core_prefetch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace cgostack {

CorePrefetch::CorePrefetch(int fd, uint64_t budget) {
  int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0 || budget == 0) {
    if (own >= 0) ::close(own);
    return;
  }
  try {
    thread_ = std::thread([this, own, budget] { Run(own, budget); });
  } catch (const std::system_error&) {
    ::close(own);  // no thread: the walkers fault pages in as before
  }
}

void CorePrefetch::Wait() {
  if (thread_.joinable()) thread_.join();
}

CorePrefetch::~CorePrefetch() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

uint64_t CorePrefetch::DefaultBudget() {
  long pages = ::sysconf(_SC_AVPHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  uint64_t quarter = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / 4 : 0;
  return std::min<uint64_t>(quarter, uint64_t{1} << 30);
}

void CorePrefetch::Run(int fd, uint64_t budget) {
  struct stat st;
  if (::fstat(fd, &st) == 0) {
    off_t end = st.st_size, pos = 0;
    // Never more than the file has on disk: a file system that cannot
    // report holes calls the whole file data.
    uint64_t left = std::min<uint64_t>(budget, static_cast<uint64_t>(st.st_blocks) * 512);
    while (pos < end && left > 0 && !stop_) {
      // ENXIO: no data after pos.
      off_t data = ::lseek(fd, pos, SEEK_DATA);
      if (data < 0) break;
      off_t hole = ::lseek(fd, data, SEEK_HOLE);
      if (hole <= data) break;
      uint64_t len = std::min<uint64_t>(static_cast<uint64_t>(hole - data), left);
      ::posix_fadvise(fd, data, static_cast<off_t>(len), POSIX_FADV_WILLNEED);
      left -= len;
      pos = hole;
    }
  }
  ::close(fd);
}

}  // namespace cgostack

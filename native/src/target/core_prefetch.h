// Reading a cold core (issue 15: the first run after a core was written).
// The core's mapping is MADV_RANDOM (core_file.cc) so that a fault reads
// only its own page and the sparse holes (thread stack reservations, unused
// heap) are never zero-filled into the page cache; but on a cold core that
// makes every page the walkers touch one synchronous disk read, one after
// the other: 8,800 of them for the goroutines of a 2,000-thread core, about
// 6 s, where reading its 84 MB of data in order takes about 1 s.  So the
// data extents of the file (SEEK_DATA/SEEK_HOLE: holes are skipped, never
// read) are handed to the kernel as asynchronous read-ahead
// (POSIX_FADV_WILLNEED), from a thread of their own while the session
// parses the notes and reads the runtime: the walkers then find most pages
// in the page cache or already on their way.  On a warm core this costs the
// page-cache lookups only.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace cgostack {

class CorePrefetch {
 public:
  // Starts reading ahead the data of the file open as `fd` (which is dup'ed:
  // the caller keeps its descriptor), up to `budget` bytes in file order.
  CorePrefetch(int fd, uint64_t budget);
  // Stops at the next extent and waits for the thread.
  ~CorePrefetch();
  // Waits until every extent within the budget has been requested (the
  // reads themselves complete in the background).
  void Wait();
  CorePrefetch(const CorePrefetch&) = delete;
  CorePrefetch& operator=(const CorePrefetch&) = delete;

  // At most this much of a core is read ahead: a quarter of the memory
  // available now, and never more than 1 GiB (a core with a large heap
  // holds much the walkers never look at).
  static uint64_t DefaultBudget();

 private:
  void Run(int fd, uint64_t budget);
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cgostack

// Writes a report's buffers to a file on a second thread, so the kernel's
// copy of a 300 MB report overlaps the reading of the goroutines instead of
// following it.  On the 100,000-goroutine core the write system calls took
// 0.3-0.4 s of a 1.3 s report, all of it after the reading
// (docs/performance.md).
//
// Double buffered: Submit() swaps the caller's full buffer with the one the
// thread has finished (waiting only if it has not), so at most two buffers
// exist.  The thread is started by the first Submit(): small reports never
// start one.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace cgostack {

class BackgroundWriter {
 public:
  explicit BackgroundWriter(std::FILE* file) : file_(file) {}
  // Drains: everything submitted is written (or has failed) when it returns.
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  // Hands `*buffer` to the writer thread; `*buffer` comes back empty (with
  // the capacity of a buffer already written, so it is not reallocated).
  // Returns the errno of a write that failed before, or 0.
  int Submit(std::string* buffer);
  // Waits until every submitted buffer is written; then the FILE may be
  // used again by the caller.  Returns the errno of a failed write, or 0.
  int Drain();

 private:
  void Run();
  std::FILE* file_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;  // handed over, not yet written (guarded by mu_)
  bool has_pending_ = false;
  bool stop_ = false;
  int error_ = 0;  // errno of the first failed write
  std::thread thread_;
};

}  // namespace cgostack

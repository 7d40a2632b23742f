#include "report/background_writer.h"

#include <signal.h>

#include <cerrno>

namespace cgostack {

BackgroundWriter::~BackgroundWriter() {
  Drain();
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
}

int BackgroundWriter::Submit(std::string* buffer) {
  if (!thread_.joinable()) {
    // Inside GDB the thread must never take GDB's signals (SIGINT,
    // SIGCHLD): it inherits the mask of the thread that creates it.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    thread_ = std::thread([this] { Run(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !has_pending_; });
  if (error_) return error_;
  pending_.swap(*buffer);  // *buffer gets the written buffer's capacity
  has_pending_ = true;
  lock.unlock();
  cv_.notify_all();
  return 0;
}

int BackgroundWriter::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !has_pending_; });
  return error_;
}

void BackgroundWriter::Run() {
  std::string writing;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return has_pending_ || stop_; });
    if (!has_pending_) return;
    writing.swap(pending_);
    lock.unlock();
    errno = 0;
    bool failed = std::fwrite(writing.data(), 1, writing.size(), file_) != writing.size();
    int err = failed ? (errno ? errno : EIO) : 0;
    writing.clear();
    lock.lock();
    if (failed && !error_) error_ = err;
    pending_.swap(writing);  // the emptied buffer goes back for reuse
    has_pending_ = false;
    cv_.notify_all();
  }
}

}  // namespace cgostack

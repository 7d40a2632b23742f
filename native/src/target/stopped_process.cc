#include "target/stopped_process.h"

#include <dirent.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "error.h"

namespace cgostack {

namespace {

std::vector<int> Tasks(int pid) {
  std::vector<int> tids;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') tids.push_back(std::atoi(e->d_name));
    ::closedir(d);
  }
  return tids;
}

}  // namespace

StoppedProcess::StoppedProcess(int pid) : pid_(pid) {
  if (Tasks(pid).empty()) throw Error("no process with pid " + std::to_string(pid));
  // Threads may be created while we stop the others: list again until a
  // pass finds nothing new (a stopped thread cannot create any).
  try {
    for (bool fresh = true; fresh;) {
      fresh = false;
      for (int tid : Tasks(pid))
        if (!pending_signal_.count(tid) && Stop(tid)) fresh = true;
    }
  } catch (...) {
    Detach();
    throw;
  }
  for (const auto& [tid, sig] : pending_signal_) {
    user_regs_struct r;
    if (::ptrace(PTRACE_GETREGS, tid, nullptr, &r) != 0) continue;
    static_assert(sizeof r == sizeof(Registers), "user_regs_struct is Registers");
    std::memcpy(&regs_[tid], &r, sizeof r);
  }
}

bool StoppedProcess::Stop(int tid) {
  if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
    if (errno == ESRCH) return false;  // the thread exited meanwhile
    throw Error("cannot attach to process " + std::to_string(pid_) + " (thread " + std::to_string(tid) +
                "): " + std::strerror(errno) +
                (errno == EPERM ? " (is it traced by a debugger already, or does ptrace_scope forbid it?)" : ""));
  }
  if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
    ::ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
    return false;
  }
  for (;;) {
    int status = 0;
    if (::waitpid(tid, &status, __WALL) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) return false;
    if (!WIFSTOPPED(status)) continue;
    // The interrupt's stop, or a signal that arrived first: the thread is
    // stopped either way; such a signal is delivered again on detach.
    int sig = (status >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
    pending_signal_[tid] = sig;
    return true;
  }
}

StoppedProcess::~StoppedProcess() { Detach(); }

void StoppedProcess::Detach() {
  for (const auto& [tid, sig] : pending_signal_)
    ::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
  pending_signal_.clear();
}

}  // namespace cgostack

#include "target/stopped_process.h"

#include <dirent.h>
#include <pwd.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <elf.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "arch/arch.h"
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

// The value of "Key:" in /proc/PID/status, "" if absent.
std::string StatusField(int pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) {
      size_t start = line.find_first_not_of(" \t", key.size() + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  return "";
}

std::string UserName(uid_t uid) {
  passwd pw, *found = nullptr;
  char buf[4096];
  std::string id = "uid " + std::to_string(uid);
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return std::string(found->pw_name) + " (" + id + ")";
  return id;
}

// Why PTRACE_SEIZE said EPERM, as far as /proc tells: someone traces it
// already, it belongs to another user, or Yama's ptrace_scope forbids it.
std::string WhyNotPermitted(int pid) {
  std::string tracer = StatusField(pid, "TracerPid");
  if (!tracer.empty() && tracer != "0") {
    std::ifstream comm("/proc/" + tracer + "/comm");
    std::string name;
    std::getline(comm, name);
    return "it is traced already by process " + tracer + (name.empty() ? "" : " (" + name + ")");
  }
  std::istringstream uids(StatusField(pid, "Uid"));
  uid_t real = 0, effective = 0;
  if (uids >> real >> effective && ::geteuid() != 0 && (real != ::geteuid() || effective != ::geteuid()))
    return "it belongs to user " + UserName(effective != ::geteuid() ? effective : real) + ", not to you (" +
           UserName(::geteuid()) + "); run as that user or as root";
  std::ifstream scope_file("/proc/sys/kernel/yama/ptrace_scope");
  int scope = 0;
  if (scope_file >> scope && scope > 0)
    return "/proc/sys/kernel/yama/ptrace_scope is " + std::to_string(scope) +
           (scope == 1 ? ": only a parent may trace its children (run as root, or set it to 0)"
                       : scope == 2 ? ": only root (CAP_SYS_PTRACE) may trace" : ": no process may be traced");
  return "is it traced by a debugger already, or does ptrace_scope forbid it?";
}

}  // namespace

StoppedProcess::StoppedProcess(int pid, bool stop_now) : pid_(pid) {
  if (Tasks(pid).empty()) throw Error("no process with pid " + std::to_string(pid));
  // A zombie has no memory left to read; a process whose main thread has
  // exited is going away (the kernel refuses to stop it).
  std::string state = StatusField(pid, "State");
  if (!state.empty() && (state[0] == 'Z' || state[0] == 'X')) {
    if (Tasks(pid).size() > 1)
      throw Error("process " + std::to_string(pid) + " is exiting (its main thread has exited): nothing to read");
    throw Error("process " + std::to_string(pid) + " is a zombie (it has exited; its parent has not reaped it): "
                "nothing to read");
  }
  try {
    for (int tid : Tasks(pid)) Seize(tid);
  } catch (...) {
    Detach();
    throw;
  }
  if (stop_now) Stop();
}

void StoppedProcess::Stop() {
  // Threads may be created while we stop the others: list again until a
  // pass finds nothing new (a stopped thread cannot create any).  Each pass
  // interrupts every thread first and only then waits for them: they stop
  // side by side instead of one after the other (2,000 threads in C: one
  // scheduling round each, seconds on a loaded machine, when waited for in
  // turn).
  try {
    for (bool fresh = true; fresh;) {
      fresh = false;
      std::vector<int> interrupted;
      try {
        for (int tid : Tasks(pid_))
          if (!pending_signal_.count(tid) && !not_stopped_.count(tid) && (seized_.count(tid) || Seize(tid)) &&
              Interrupt(tid))
            interrupted.push_back(tid);
      } catch (...) {
        WaitStopped(interrupted);  // so that Detach lets them go
        throw;
      }
      fresh = WaitStopped(std::move(interrupted));
    }
  } catch (...) {
    Detach();
    throw;
  }
  if (pending_signal_.empty()) {
    Detach();
    throw Error("process " + std::to_string(pid_) + " could not be stopped: no thread stopped within " +
                std::to_string(kStopPatienceMs) + " ms");
  }
  // The registers in NT_PRSTATUS's layout (PTRACE_GETREGSET works the same
  // on every machine), decoded by the host's Arch like a core's.
  const Arch& arch = HostArch();
  for (const auto& [tid, sig] : pending_signal_) {
    uint8_t gregs[512];
    iovec io{gregs, sizeof gregs};
    if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRSTATUS), &io) != 0 ||
        io.iov_len < arch.prstatus_regs_size)
      continue;
    arch.from_prstatus(gregs, &regs_[tid]);
    // Kept as the kernel gave them, for a snapshot's NT_PRSTATUS: every
    // register, not only those Registers names.
    raw_gregs_[tid].assign(gregs, gregs + arch.prstatus_regs_size);
    if (arch.tls_note) {
      uint64_t tp = 0;
      iovec tls{&tp, sizeof tp};
      if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(uintptr_t{arch.tls_note}), &tls) == 0)
        regs_[tid].tls = tp;
    }
    // The floating-point registers in NT_PRFPREG's layout (x86-64
    // user_fpregs_struct, aarch64 user_fpsimd_state), for the same note.
    uint8_t fpregs[1024];
    iovec fp{fpregs, sizeof fpregs};
    if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRFPREG), &fp) == 0)
      raw_fpregs_[tid].assign(fpregs, fpregs + fp.iov_len);
  }
}

bool StoppedProcess::Seize(int tid) {
  if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
    int err = errno;
    if (err == ESRCH) return false;  // the thread exited meanwhile
    throw Error("cannot attach to process " + std::to_string(pid_) + " (thread " + std::to_string(tid) +
                "): " + std::strerror(err) + (err == EPERM ? " (" + WhyNotPermitted(pid_) + ")" : ""));
  }
  seized_.insert(tid);
  return true;
}

bool StoppedProcess::Interrupt(int tid) {
  if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
    // Gone since it was seized: a traced thread that exits waits for its
    // tracer to reap it.
    int status;
    ::waitpid(tid, &status, __WALL | WNOHANG);
    seized_.erase(tid);
    return false;
  }
  return true;
}

bool StoppedProcess::Stopped(int tid, int status) {
  if (!WIFSTOPPED(status)) return false;  // it exited (or was killed) instead
  // The interrupt's stop, or a signal that arrived first: the thread is
  // stopped either way; such a signal is delivered again on detach.
  pending_signal_[tid] = (status >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
  return true;
}

bool StoppedProcess::WaitStopped(std::vector<int> tids) {
  // Polled, not waited for one by one: a thread that cannot stop (in
  // uninterruptible sleep) must not hold the others stopped forever, and
  // waitpid(-1) would take the events of children that are not ours (the
  // backend also runs inside GDB).
  bool any = false;
  auto last_progress = std::chrono::steady_clock::now();
  while (!tids.empty()) {
    size_t kept = 0;
    for (int tid : tids) {
      int status = 0;
      pid_t got = ::waitpid(tid, &status, __WALL | WNOHANG);
      if (got == 0 || (got < 0 && errno == EINTR)) {
        tids[kept++] = tid;  // not yet
        continue;
      }
      if (got == tid && Stopped(tid, status)) any = true;
      // else: exited, or not ours any more (ECHILD): nothing to hold
    }
    bool progressed = kept < tids.size();
    tids.resize(kept);
    if (tids.empty()) break;
    auto now = std::chrono::steady_clock::now();
    if (progressed) {
      last_progress = now;
    } else if (now - last_progress > std::chrono::milliseconds(kStopPatienceMs)) {
      // Left seized, its interrupt pending: it stops when it leaves the
      // kernel, and Detach (or this process's exit) lets it go then.
      for (int tid : tids) not_stopped_[tid] = StatusField(tid, "State");
      break;
    }
    if (!progressed) ::usleep(100);
  }
  return any;
}

StoppedProcess::~StoppedProcess() { Detach(); }

void StoppedProcess::Detach() {
  // Threads seized but not stopped (Stop() not run, or failed part way):
  // PTRACE_DETACH needs a stop, so they are stopped first.
  std::vector<int> running;
  for (int tid : std::vector<int>(seized_.begin(), seized_.end()))
    if (!pending_signal_.count(tid) && !not_stopped_.count(tid) && Interrupt(tid)) running.push_back(tid);
  if (!running.empty()) WaitStopped(std::move(running));
  for (const auto& [tid, sig] : pending_signal_)
    ::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
  pending_signal_.clear();
  seized_.clear();
  // A thread that did not stop may have by now: let it go too.  One still
  // in the kernel stays seized until it stops, and is let go when this
  // process exits (the kernel detaches a tracer's tracees).
  for (const auto& [tid, state] : not_stopped_) {
    int status = 0;
    if (::waitpid(tid, &status, __WALL | WNOHANG) == tid && WIFSTOPPED(status)) {
      int sig = (status >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
      ::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
    }
  }
}

}  // namespace cgostack

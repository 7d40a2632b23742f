#include "goruntime/signals.h"

#include <algorithm>

#include "error.h"

namespace cgostack {

namespace {

// Linux x86-64 numbering: what the names are when the runtime's table cannot
// be read (the numbers themselves are the kernel ABI).
const char* const kLinuxNames[] = {nullptr,   "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP", "SIGABRT",
                                   "SIGBUS",  "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",
                                   "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
                                   "SIGTTIN", "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
                                   "SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS"};
constexpr int kLinuxNamed = sizeof kLinuxNames / sizeof kLinuxNames[0];

}  // namespace

SignalTable::SignalTable(GoRuntime& rt) {
  for (int i = 0; i < kLinuxNamed; ++i) names_.push_back(kLinuxNames[i] ? kLinuxNames[i] : "");
  int64_t unblock = rt.dwarf().Constant("runtime._SigUnblock").value_or(0);
  int64_t preempt = rt.dwarf().Constant("runtime.sigPreempt").value_or(23);
  try {
    auto table = rt.dwarf().Global("runtime.sigtable");
    uint64_t n = table ? rt.dwarf().ArrayCount(table->type).value_or(0) : 0;
    auto flags_f = rt.dwarf().Field("runtime.sigTabT", "flags");
    auto name_f = rt.dwarf().Field("runtime.sigTabT", "name");
    uint64_t size = rt.dwarf().TypeSize("runtime.sigTabT").value_or(0);
    if (!table || n == 0 || n > 256 || !flags_f || !name_f || size == 0) throw Error("no runtime.sigtable");
    uint64_t base = table->address + rt.target().load_bias();
    const MemorySource& mem = rt.target().memory();
    if (names_.size() < n) names_.resize(n);
    for (uint64_t sig = 1; sig < n; ++sig) {
      int32_t flags = 0;
      mem.TryRead(base + sig * size + flags_f->offset, &flags, sizeof flags);
      std::string name = mem.ReadGoString(base + sig * size + name_f->offset, 128);
      name = name.substr(0, name.find(':'));
      if (name.rfind("SIG", 0) == 0) names_[sig] = name;
      if (unblock && (flags & unblock)) needs_.push_back(static_cast<int>(sig));
    }
  } catch (const Error&) {
    // Documented fallback (runtime/sigtab_linux_generic.go, Go 1.19-1.27).
    needs_ = {4, 5, 7, 8, 11, 27};
  }
  if (preempt > 0 && std::find(needs_.begin(), needs_.end(), preempt) == needs_.end()) needs_.push_back(static_cast<int>(preempt));
  std::sort(needs_.begin(), needs_.end());
}

std::string SignalTable::Name(int sig) const {
  if (sig > 0 && static_cast<size_t>(sig) < names_.size() && !names_[sig].empty()) return names_[sig];
  return "SIG" + std::to_string(sig);
}

std::vector<std::string> SignalTable::NeededAndBlocked(uint64_t mask) const {
  std::vector<std::string> out;
  for (int sig : needs_)
    if (sig <= 64 && (mask >> (sig - 1)) & 1) out.push_back(Name(sig));
  return out;
}

}  // namespace cgostack

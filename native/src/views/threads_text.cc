#include "views/threads_text.h"

#include <vector>

#include "views/escape.h"
#include "views/frame_lines.h"

namespace cgostack::views {

namespace {

std::string_view Activity(std::string_view a) {
  if (a == "running_go") return "running Go";
  if (a == "cgo_call") return "in a cgo call";
  if (a == "go_callback") return "in a Go callback from C";
  if (a == "idle") return "idle in the scheduler";
  if (a == "in_c") return "in C";
  if (a == "syscall") return "in a system call";
  if (a == "signal_handler") return "in a signal handler";
  return a.empty() ? "?" : a;
}

std::string_view Kind(std::string_view k) {
  if (k == "go") return "Go thread";
  if (k == "c_extra_m") return "C thread (extra M)";
  if (k == "c") return "C thread unknown to Go";
  return k;
}

std::string Header(const ThreadRow& t, const std::map<int64_t, int64_t>& gdb_threads) {
  // Without GDB (the CLI) there is no thread number: "LWP 2352: ...".
  auto gt = gdb_threads.find(t.lwp);
  std::string out = gt != gdb_threads.end()
                        ? "Thread " + std::to_string(gt->second) + " (LWP " + std::to_string(t.lwp) + ")"
                        : "LWP " + std::to_string(t.lwp);
  out += ": ";
  out += Kind(t.kind);
  if (t.m) out += " M" + std::to_string(*t.m);
  out += ", ";
  out += Activity(t.activity);
  if (t.goroutine) out += ", goroutine " + std::to_string(*t.goroutine);
  if (t.locked_goroutine) {
    if (t.locked_goroutine != t.goroutine) out += ", locked to goroutine " + std::to_string(*t.locked_goroutine);
    else out += " (locked)";
  }
  if (t.in_callback && t.activity != "go_callback") out += ", inside a Go callback from C";
  if (t.p.present) {
    out += ", P" + (t.p.id ? std::to_string(*t.p.id) : std::string("?")) + " " +
           (t.p.status_read ? Escaped(t.p.status) : std::string("?"));
    if (t.p.held_as == "oldp") out += " (given up for the call: m.oldp)";
  }
  if (!t.signal.empty()) out += ", in the Go handler for " + Escaped(t.signal);
  return out + ":";
}

std::string Signals(const ThreadRow& t) {
  if (!t.signals_blocked) return "blocked signals: unknown (a core written by gcore does not record them)";
  std::string text = "blocked signals: ";
  if (t.signals_blocked->empty()) text += "none";
  for (size_t i = 0; i < t.signals_blocked->size(); ++i) text += (i ? " " : "") + Escaped((*t.signals_blocked)[i]);
  if (t.runtime_signals_blocked && !t.runtime_signals_blocked->empty()) {
    text += "  !! blocks ";
    for (size_t i = 0; i < t.runtime_signals_blocked->size(); ++i)
      text += (i ? ", " : "") + Escaped((*t.runtime_signals_blocked)[i]);
    text += ", which the Go runtime needs";
  }
  return text;
}

}  // namespace

std::string RenderThreads(const ThreadRows& rows, const std::map<int64_t, int64_t>& gdb_threads) {
  std::string out;
  for (const auto& t : rows.threads) {
    out += Header(t, gdb_threads) + "\n";
    out += std::string(kIndent) + Signals(t) + "\n";
    if (!t.crash.empty()) out += std::string(kIndent) + "crashed here: " + Escaped(t.crash) + "\n";
    if (!t.frames.empty())
      for (const auto& line : RenderFrames(t.frames, std::nullopt, true).lines) out += line + "\n";
    if (!t.frames_error.empty()) out += std::string(kIndent) + "stack error: " + Escaped(t.frames_error) + "\n";
    out += "\n";
  }
  for (const auto& w : rows.warnings) out += "warning: " + Escaped(w) + "\n";
  if (out.empty()) out = "\n";
  return out;
}

}  // namespace cgostack::views

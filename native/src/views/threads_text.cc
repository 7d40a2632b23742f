#include "views/threads_text.h"

#include <vector>

#include "views/escape.h"
#include "views/frame_lines.h"

namespace cgostack::views {

namespace {

using nlohmann::json;

std::string_view Str(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

bool Has(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && !it->is_null();
}

// A value as Python's str() shows it (the formatter this replaced).
std::string PyStr(const json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_string()) return Escaped(v.get_ref<const std::string&>());
  return v.dump();
}

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

std::string Header(const json& t) {
  // Without GDB (the CLI) there is no thread number: "LWP 2352: ...".
  std::string out = Has(t, "gdb_thread") ? "Thread " + PyStr(t["gdb_thread"]) + " (LWP " + PyStr(t["lwp"]) + ")"
                                         : "LWP " + PyStr(t["lwp"]);
  out += ": ";
  AppendEscaped(out, Kind(Str(t, "kind")));
  if (Has(t, "m")) out += " M" + PyStr(t["m"]);
  out += ", ";
  out += Activity(Str(t, "activity"));
  if (Has(t, "goroutine")) out += ", goroutine " + PyStr(t["goroutine"]);
  if (Has(t, "locked_goroutine")) {
    if (!Has(t, "goroutine") || t["locked_goroutine"] != t["goroutine"])
      out += ", locked to goroutine " + PyStr(t["locked_goroutine"]);
    else
      out += " (locked)";
  }
  if (t.value("in_callback", false) && Str(t, "activity") != "go_callback") out += ", inside a Go callback from C";
  if (Has(t, "p") && t["p"].is_object() && !t["p"].empty()) {
    const json& p = t["p"];
    out += ", P" + (p.contains("id") ? PyStr(p["id"]) : "?") + " " + (p.contains("status") ? PyStr(p["status"]) : "?");
    if (Str(p, "held_as") == "oldp") out += " (given up for the call: m.oldp)";
  }
  if (!Str(t, "signal").empty()) {
    out += ", in the Go handler for ";
    AppendEscaped(out, Str(t, "signal"));
  }
  return out + ":";
}

std::string Signals(const json& t) {
  if (!Has(t, "signals_blocked")) return "blocked signals: unknown (a core written by gcore does not record them)";
  std::string text = "blocked signals: ";
  const json& blocked = t["signals_blocked"];
  if (blocked.empty()) text += "none";
  for (size_t i = 0; i < blocked.size(); ++i) text += (i ? " " : "") + PyStr(blocked[i]);
  if (Has(t, "runtime_signals_blocked") && !t["runtime_signals_blocked"].empty()) {
    text += "  !! blocks ";
    const json& needed = t["runtime_signals_blocked"];
    for (size_t i = 0; i < needed.size(); ++i) text += (i ? ", " : "") + PyStr(needed[i]);
    text += ", which the Go runtime needs";
  }
  return text;
}

// The report's frames as the stack model has them (views/frame_lines.h);
// the strings stay in `frames`.
std::vector<StackFrame> Frames(const json& frames) {
  std::vector<StackFrame> out;
  for (const auto& f : frames) {
    StackFrame s;
    std::string_view lang = Str(f, "lang");
    if (lang == "boundary") {
      s.lang = FrameLang::kBoundary;
      s.function = Str(f, "kind");
      s.file = Str(f, "signal");
      s.line = f.value("hidden_frames", 0);
    } else {
      s.lang = lang == "c" ? FrameLang::kC : FrameLang::kGo;
      s.function = Str(f, "function");
      s.file = Str(f, "file");
      s.line = Has(f, "line") ? f["line"].get<int32_t>() : 0;
      s.pc = Has(f, "pc") ? f["pc"].get<uint64_t>() : 0;
      s.inlined = f.value("inlined", false);
      s.hidden_by_default = f.value("runtime", false);
      s.object = Str(f, "object");
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

std::string RenderThreads(const json& report) {
  std::string out;
  if (report.contains("threads") && report["threads"].is_array()) {
    for (const auto& t : report["threads"]) {
      out += Header(t) + "\n";
      out += std::string(kIndent) + Signals(t) + "\n";
      if (Has(t, "frames") && !t["frames"].empty()) {
        for (const auto& line : RenderFrames(Frames(t["frames"]), std::nullopt, true).lines) out += line + "\n";
      }
      if (!Str(t, "frames_error").empty()) out += std::string(kIndent) + "stack error: " + Escaped(Str(t, "frames_error")) + "\n";
      out += "\n";
    }
  }
  if (report.contains("warnings"))
    for (const auto& w : report["warnings"]) out += "warning: " + PyStr(w) + "\n";
  if (out.empty()) out = "\n";
  return out;
}

}  // namespace cgostack::views

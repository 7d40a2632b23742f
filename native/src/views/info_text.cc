#include "views/info_text.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "views/escape.h"

namespace cgostack::views {

namespace {

using nlohmann::json;

// A value as Python's str() shows it (the formatter this replaced).
std::string PyStr(const json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_string()) return Escaped(v.get_ref<const std::string&>());
  return v.dump();
}

const json& Get(const json& o, const char* key) {
  static const json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(key);
  return it == o.end() ? kNull : *it;
}

bool Truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  return true;
}

// The crash record of a core (report/crash_report.h): what a person needs
// first, under the process summary.
void CrashRows(const json& c, std::vector<std::pair<std::string, std::string>>& rows) {
  if (!c.is_object()) return;
  rows.push_back({"Crash", PyStr(Get(c, "summary"))});
  const json& goroutine = Get(c, "goroutine");
  std::string where = "LWP " + PyStr(Get(c, "lwp")) + ", goroutine " + (goroutine.is_null() ? "none" : PyStr(goroutine));
  std::string addr;
  if (Get(c, "fault_address").is_number_unsigned() || Get(c, "fault_address").is_number_integer()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " at 0x%llx", static_cast<unsigned long long>(Get(c, "fault_address").get<uint64_t>()));
    addr = buf;
  }
  std::string sender = Truthy(Get(c, "requested")) ? ", sent by pid " + PyStr(Get(c, "sender_pid")) : "";
  rows.push_back({"Signal", PyStr(Get(c, "signal")) + " (" + PyStr(Get(c, "code")) + ")" + addr + sender + ", " + where +
                                ", in " + (Truthy(Get(c, "in_c")) ? "C" : "Go") + " code"});
  const json& f = Get(c, "frame");
  if (Truthy(f)) {
    std::string text = Truthy(Get(f, "function")) ? PyStr(Get(f, "function")) : "??";
    if (Truthy(Get(f, "file"))) text += " at " + PyStr(Get(f, "file")) + ":" + PyStr(Get(f, "line"));
    rows.push_back({"Crash frame", text});
  }
  for (auto [key, label] : {std::pair<const char*, const char*>{"panic", "Panic"}, {"fatal_error", "Fatal error"},
                            {"abort_message", "Abort message"}}) {
    const json& v = Get(c, key);
    if (v.is_null()) continue;
    std::string text = PyStr(v);
    const json& type = Get(c, "panic_type");
    if (std::string(key) == "panic" && Truthy(type) && type != v) text += " (" + PyStr(type) + ")";
    rows.push_back({label, text});
  }
}

}  // namespace

std::string RenderInfo(const json& info) {
  std::vector<std::pair<std::string, std::string>> rows;
  const json& cgo = Get(info, "cgo");
  std::string cgo_text = cgo.is_boolean() ? (cgo.get<bool>() ? "cgo enabled" : "cgo disabled") : "cgo unknown";
  // A damaged core can leave any section null (its warning says why).
  const json& version = Get(info, "go_version");
  rows.push_back({"Go version", (Truthy(version) ? PyStr(version) : "?") + " (" + cgo_text + ")"});
  const json& t = Get(info, "target");
  if (Get(t, "kind") == "core")
    rows.push_back({"Target", "core " + PyStr(Get(t, "core")) +
                                  (Truthy(Get(t, "compression"))
                                       ? " (" + PyStr(Get(t, "compression")) + "-compressed, read in memory)"
                                       : "") +
                                  " of " + PyStr(Get(t, "executable")) + " (pid " + PyStr(Get(t, "pid")) + ")"});
  else
    rows.push_back({"Target", "live process " + PyStr(Get(t, "pid")) + " (" + PyStr(Get(t, "executable")) + ")"});
  if (Truthy(Get(t, "go_library"))) rows.push_back({"Go runtime", "in shared library " + PyStr(Get(t, "go_library"))});
  std::vector<std::pair<std::string, int64_t>> by_status;
  if (Get(info, "goroutines_by_status").is_object())
    for (const auto& [s, n] : Get(info, "goroutines_by_status").items()) by_status.push_back({s, n.get<int64_t>()});
  std::stable_sort(by_status.begin(), by_status.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string detail;
  for (const auto& [s, n] : by_status) detail += (detail.empty() ? "" : ", ") + std::to_string(n) + " " + Escaped(s);
  const json& count = Get(info, "goroutines");
  rows.push_back({"Goroutines", (count.is_null() ? "unknown" : PyStr(count)) + (detail.empty() ? "" : " (" + detail + ")")});
  rows.push_back({"OS threads", info.contains("threads") ? PyStr(info["threads"]) : "0"});
  rows.push_back({"Ms", Get(info, "ms").is_null() ? "unknown" : PyStr(Get(info, "ms"))});
  const json& ncpu = Get(info, "ncpu");
  const json& gomaxprocs = Get(info, "gomaxprocs");
  // Unknown (a stripped binary whose global was not found) is said, never 0.
  rows.push_back({"GOMAXPROCS", (gomaxprocs.is_null() ? std::string("unknown") : PyStr(gomaxprocs)) +
                                    (ncpu.is_null() ? "" : " (" + PyStr(ncpu) + " CPUs)")});
  std::string ps;
  if (Get(info, "ps").is_array()) {
    for (const auto& p : Get(info, "ps")) {
      std::string one;
      if (p.contains("error")) {
        one = "P? unreadable";
      } else {
        one = "P" + PyStr(Get(p, "id")) + " " + PyStr(Get(p, "status"));
        if (!Get(p, "m").is_null()) one += " on M" + PyStr(Get(p, "m"));
      }
      ps += (ps.empty() ? "" : ", ") + one;
    }
  }
  rows.push_back({"Ps", Get(info, "ps").is_null() ? "unknown" : ps.empty() ? "none" : ps});
  const json& bi = Get(info, "build_info");
  if (Truthy(bi)) {
    const json& s = Get(bi, "settings");
    std::string keep;
    for (const char* k : {"CGO_ENABLED", "-ldflags", "-buildmode", "GOAMD64", "-race"})
      if (s.is_object() && s.contains(k)) keep += (keep.empty() ? "" : " ") + std::string(k) + "=" + PyStr(s[k]);
    rows.push_back({"Build", PyStr(Get(bi, "path")) + " (module " + PyStr(Get(bi, "main_module")) + ")" +
                                 (keep.empty() ? "" : "; " + keep)});
  }
  if (Truthy(Get(info, "debug_file")))
    rows.push_back({"Debug info", "separate file " + PyStr(Get(info, "debug_file")) +
                                      (Truthy(Get(info, "debug_file_found_by"))
                                           ? " (found by " + PyStr(Get(info, "debug_file_found_by")) + ")"
                                           : "")});
  const json& libc = Get(info, "libc");
  if (Truthy(libc)) {
    const json& version = Get(libc, "version");
    const json& debug = Get(libc, "debug_file");
    rows.push_back({"libc", PyStr(Get(libc, "path")) + (Truthy(version) ? " (glibc " + PyStr(version) + ")" : "") +
                                "; debug file " +
                                (Truthy(debug) ? PyStr(debug)
                                               : "none found (layouts: " + PyStr(Get(libc, "layouts")) + ")")});
  }
  const json& g = Get(info, "godebug");
  std::string knobs;
  if (g.is_object()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : g.items())
      if (k != "env") keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) knobs += (knobs.empty() ? "" : " ") + Escaped(k) + "=" + PyStr(g[k]);
  }
  rows.push_back({"GODEBUG", (Get(g, "env").is_null() ? std::string("(unset)") : PyStr(Get(g, "env"))) + "; " + knobs});
  const json& tb = Get(info, "gotraceback");
  rows.push_back({"GOTRACEBACK", tb.is_null() ? "(unset)" : PyStr(tb)});
  CrashRows(Get(info, "crash"), rows);
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  std::string text;
  for (const auto& [k, v] : rows) text += k + std::string(width - k.size(), ' ') + "  " + v + "\n";
  if (Get(info, "warnings").is_array())
    for (const auto& w : Get(info, "warnings")) text += "warning: " + PyStr(w) + "\n";
  return text;
}

}  // namespace cgostack::views

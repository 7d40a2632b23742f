#include "report/info_report.h"

#include <map>

#include "goruntime/build_info.h"
#include "error.h"
#include "locks/glibc_layouts.h"
#include "report/format.h"

namespace cgostack {

namespace {

using nlohmann::json;

// Value of NAME=value in the runtime's copy of the environment, or null.
json EnvValue(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      return e.substr(name.size() + 1);
  return nullptr;
}

}  // namespace

std::string InfoReportJson(GoRuntime& rt) {
  return BuildInfoReport(rt).dump(-1, ' ', false, json::error_handler_t::replace);
}

json BuildInfoReport(GoRuntime& rt) {
  Target& target = rt.target();
  json out;
  json warnings = json::array();
  for (const auto& w : target.warnings()) warnings.push_back(w);

  // Each section stands alone: a damaged core loses the sections whose
  // memory is damaged (null, with a warning saying why), not the report.
  auto partial = [&](const char* what, auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      // An error an earlier warning already states (the thread context's
      // "Ms unknown: <why>") is not said a second time.
      for (const auto& w : warnings)
        if (w.get<std::string>().find(e.what()) != std::string::npos) return;
      warnings.push_back(std::string(what) + ": " + e.what());
    }
  };
  out["go_version"] = nullptr;
  partial("Go version", [&] { out["go_version"] = rt.BuildVersion(); });
  out["target"] = {{"kind", target.is_core() ? "core" : "live"},
                   {"executable", target.exe().path()},
                   {"pid", target.pid()}};
  if (target.is_core()) out["target"]["core"] = target.core_path();
  if (target.is_core() && target.core()->compression() != Compression::kNone)
    out["target"]["compression"] = CompressionName(target.core()->compression());
  if (!target.host_executable().empty()) {
    // c-shared: the executable is the C host; the runtime is in a library.
    out["target"]["executable"] = target.host_executable();
    out["target"]["go_library"] = target.exe().path();
  }

  // Goroutines: every g in allgs that is not dead, which is the set the
  // runtime's own traceback prints (system goroutines included).
  out["goroutines"] = nullptr;
  out["goroutines_by_status"] = json::object();
  partial("goroutines", [&] {
    size_t live = 0;
    std::map<std::string, size_t> by_status;
    size_t unreadable = 0;
    uint64_t status_off = rt.dwarf().RequireField("runtime.g", "atomicstatus").offset;
    for (uint64_t gp : rt.AllGs()) {
      uint32_t status;
      if (!gp || !target.memory().TryRead(gp + status_off, &status, sizeof status)) {
        ++unreadable;
        continue;
      }
      if (rt.IsDead(status)) continue;
      ++live;
      ++by_status[rt.GStatusName(status)];
    }
    out["goroutines"] = live;
    out["goroutines_by_status"] = by_status;
    if (unreadable) warnings.push_back(std::to_string(unreadable) + " entries of runtime.allgs could not be read");
  });

  out["threads"] = target.threads().size();

  std::vector<uint64_t> ms;
  out["ms"] = nullptr;
  partial("Ms", [&] {
    ms = rt.AllMs();
    out["ms"] = ms.size();
  });
  std::map<uint64_t, int64_t> m_of_p;  // p address -> id of the M holding it
  for (uint64_t mp : ms) {
    try {
      uint64_t p = rt.ReadField("runtime.m", mp, "p");
      if (p) m_of_p[p] = static_cast<int64_t>(rt.ReadField("runtime.m", mp, "id"));
    } catch (const Error& e) {
      warnings.push_back("m at " + Hex(mp) + ": " + e.what());
    }
  }

  json ps = json::array();
  std::vector<uint64_t> all_ps;
  bool ps_known = false;
  partial("Ps", [&] {
    all_ps = rt.AllPs();
    ps_known = true;
  });
  for (uint64_t pp : all_ps) {
    json p;
    try {
      p["id"] = static_cast<int32_t>(rt.ReadField("runtime.p", pp, "id"));
      p["status"] = rt.PStatusName(static_cast<uint32_t>(rt.ReadField("runtime.p", pp, "status")));
      auto it = m_of_p.find(pp);
      p["m"] = it == m_of_p.end() ? json(nullptr) : json(it->second);
    } catch (const Error& e) {
      p["error"] = e.what();
    }
    ps.push_back(p);
  }
  // Unknown is null, never 0 or an empty list (a stripped binary whose
  // globals could not be located, an unreadable core).
  out["ps"] = ps_known ? ps : json(nullptr);
  out["gomaxprocs"] = nullptr;
  out["ncpu"] = nullptr;
  partial("GOMAXPROCS", [&] {
    if (auto n = rt.ReadGlobal("runtime.gomaxprocs")) out["gomaxprocs"] = *n;
    // runtime.ncpu became runtime.numCPUStartup in Go 1.25.
    for (const char* name : {"runtime.ncpu", "runtime.numCPUStartup"})
      if (auto ncpu = rt.ReadGlobal(name)) out["ncpu"] = *ncpu;
  });
  out["cgo"] = nullptr;
  partial("cgo", [&] {
    if (auto iscgo = rt.ReadGlobal("runtime.iscgo")) out["cgo"] = *iscgo != 0;
  });

  if (auto bi = ReadBuildInfo(target.exe())) {
    json settings = json::object();
    for (const auto& [k, v] : bi->settings) settings[k] = v;
    out["build_info"] = {{"go_version", bi->go_version},
                         {"path", bi->path},
                         {"main_module", bi->main_module},
                         {"settings", settings}};
    // Without a readable runtime.buildVersion (no symbols), the linker's copy.
    if (out["go_version"].is_null()) out["go_version"] = bi->go_version;
    for (const auto& [k, v] : bi->settings)
      if (out["cgo"].is_null() && k == "CGO_ENABLED") out["cgo"] = v == "1";
  } else {
    out["build_info"] = nullptr;
  }

  std::vector<std::string> env = rt.Environment();
  json godebug = {{"env", EnvValue(env, "GODEBUG")}};
  for (const char* knob : {"asyncpreemptoff", "cgocheck", "invalidptr", "sbrk"})
    if (auto v = rt.ReadGlobalField("runtime.debug", knob)) godebug[knob] = *v;
  out["godebug"] = godebug;
  out["gotraceback"] = EnvValue(env, "GOTRACEBACK");
  const DebugFile& dbg = rt.debug_file();
  out["debug_file"] = dbg.path.empty() ? json(nullptr) : json(dbg.path);
  out["debug_file_found_by"] = dbg.path.empty() ? json(nullptr) : json(dbg.how);
  // The libc the process used and the debug file its pthread layouts (and
  // libdwfl its C frames' names) come from: none found is said, the table
  // used instead named.
  GlibcLayouts libc = FindGlibcLayouts(target);
  if (libc.libc.empty()) {
    out["libc"] = nullptr;
  } else {
    out["libc"] = {{"path", libc.libc},
                   {"version", libc.version.empty() ? json(nullptr) : json(libc.version)},
                   {"debug_file", libc.debug_file.empty() ? json(nullptr) : json(libc.debug_file)},
                   {"layouts", libc.source}};
  }
  out["warnings"] = warnings;
  return out;
}

}  // namespace cgostack

#include "goroutines_report.h"

namespace cgostack {

namespace {

using nlohmann::json;

template <typename T>
json OrNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json StrOrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

json GoFramesJson(const std::vector<GoFrame>& frames) {
  json out = json::array();
  for (const auto& f : frames) {
    out.push_back({{"lang", "go"},
                   {"function", f.function},
                   {"file", f.file},
                   {"line", f.line},
                   {"pc", f.pc},
                   {"sp", f.sp},
                   {"inlined", f.inlined},
                   {"runtime", f.hidden_by_default}});
  }
  return out;
}

json GoroutinesReport(GoRuntime& rt, const GoroutineOptions& opts) {
  json out;
  json warnings = json::array();
  for (const auto& w : rt.target().warnings()) warnings.push_back(w);
  out["go_version"] = rt.BuildVersion();
  GoroutineReader reader(rt);
  json list = json::array();
  for (const Goroutine& g : reader.ReadAll(opts)) {
    json j = {{"goid", g.goid},
              {"address", g.address},
              {"status", g.status},
              {"wait_reason", g.wait_reason},
              {"wait_since_ns", g.wait_since_ns},
              {"m", OrNull(g.m)},
              {"lwp", OrNull(g.lwp)},
              {"locked_to_thread", g.locked_m.has_value()},
              {"locked_m", OrNull(g.locked_m)},
              {"locked_lwp", OrNull(g.locked_lwp)},
              {"created_by", g.created_by},
              {"created_by_file", g.created_by_file},
              {"created_by_line", g.created_by_line},
              {"parent_goid", OrNull(g.parent_goid)},
              {"start", g.start},
              {"labels", json::object()},
              {"system", g.system},
              {"frames", GoFramesJson(g.frames)},
              {"frames_error", StrOrNull(g.frames_error)},
              {"error", StrOrNull(g.error)}};
    list.push_back(std::move(j));
  }
  out["goroutines"] = std::move(list);
  if (!reader.wait_reasons_error().empty())
    warnings.push_back("wait reasons unavailable: " + reader.wait_reasons_error());
  out["warnings"] = warnings;
  return out;
}

}  // namespace cgostack

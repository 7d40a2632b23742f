#include "goroutines_report.h"

namespace cgostack {

namespace {

template <typename T>
void OptField(JsonWriter& w, std::string_view key, const std::optional<T>& v) {
  w.Key(key);
  if (v) w.Value(*v);
  else w.Null();
}

void StrOrNull(JsonWriter& w, std::string_view key, const std::string& s) {
  w.Key(key);
  if (s.empty()) w.Null();
  else w.String(s);
}

std::optional<int64_t> GdbThread(const GoroutineQuery& q, const std::optional<int64_t>& lwp) {
  if (!lwp) return std::nullopt;
  auto it = q.gdb_threads.find(*lwp);
  return it == q.gdb_threads.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

void WriteGoroutine(const Goroutine& g, const GoroutineQuery& q, JsonWriter& w) {
  w.BeginObject();
  w.Field("goid", g.goid).Field("address", g.address).Field("status", g.status);
  w.Field("wait_reason", g.wait_reason).Field("wait_since_ns", g.wait_since_ns);
  OptField(w, "m", g.m);
  OptField(w, "lwp", g.lwp);
  OptField(w, "gdb_thread", GdbThread(q, g.lwp));
  w.Field("locked_to_thread", g.locked_m.has_value());
  OptField(w, "locked_m", g.locked_m);
  OptField(w, "locked_lwp", g.locked_lwp);
  w.Field("created_by", g.created_by).Field("created_by_file", g.created_by_file);
  w.Field("created_by_line", g.created_by_line);
  OptField(w, "parent_goid", g.parent_goid);
  w.Field("start", g.start);
  w.Key("labels").BeginObject().EndObject();
  w.Field("system", g.system);
  if (q.with_frames) {
    w.Key("frames");
    WriteGoFrames(g.frames, q.max_frames, w);
    w.Field("frames_total", static_cast<uint64_t>(g.frames.size()));
  }
  StrOrNull(w, "frames_error", g.frames_error);
  StrOrNull(w, "error", g.error);
  w.EndObject();
}

}  // namespace

void WriteGoFrames(const std::vector<GoFrame>& frames, size_t max_frames, JsonWriter& w) {
  w.BeginArray();
  size_t n = 0;
  for (const auto& f : frames) {
    if (n++ >= max_frames) break;
    w.BeginObject();
    w.Field("lang", "go").Field("function", f.function).Field("file", f.file).Field("line", f.line);
    w.Field("pc", f.pc).Field("inlined", f.inlined).Field("runtime", f.hidden_by_default);
    w.EndObject();
  }
  w.EndArray();
}

void WriteGoroutinesReport(GoRuntime& rt, const GoroutineQuery& q, JsonWriter& w) {
  GoroutineReader reader(rt);
  GoroutineOptions opts;
  // Filtering by function or grouping needs the stacks even when they are
  // not written.
  opts.with_frames = q.with_frames || !q.functions.empty() || q.group;
  std::vector<Goroutine> all = reader.ReadAll(opts);
  std::vector<const Goroutine*> matched;
  size_t system = 0;
  for (const Goroutine& g : all) {
    system += g.system;
    if (Matches(q, g)) matched.push_back(&g);
  }
  w.BeginObject();
  w.Field("go_version", rt.BuildVersion());
  w.Field("total", static_cast<uint64_t>(all.size()));
  w.Field("system", static_cast<uint64_t>(system));
  w.Field("matched", static_cast<uint64_t>(matched.size()));
  if (q.group) {
    w.Key("groups").BeginArray();
    for (const GoroutineGroup& grp : GroupByStack(matched)) {
      const Goroutine& first = *grp.members.front();
      w.BeginObject();
      w.Field("count", static_cast<uint64_t>(grp.members.size()));
      w.Key("goids").BeginArray();
      for (const Goroutine* g : grp.members) w.Uint(g->goid);
      w.EndArray();
      w.Field("status", first.status).Field("wait_reason", first.wait_reason);
      w.Field("system", first.system);
      w.Key("frames");
      WriteGoFrames(first.frames, q.max_frames, w);
      w.Field("frames_total", static_cast<uint64_t>(first.frames.size()));
      StrOrNull(w, "frames_error", first.frames_error);
      w.EndObject();
    }
    w.EndArray();
  } else {
    w.Key("goroutines").BeginArray();
    for (const Goroutine* g : matched) WriteGoroutine(*g, q, w);
    w.EndArray();
  }
  w.Key("warnings").BeginArray();
  for (const auto& warning : rt.target().warnings()) w.String(warning);
  if (!reader.wait_reasons_error().empty()) w.String("wait reasons unavailable: " + reader.wait_reasons_error());
  w.EndArray();
  w.EndObject();
}

}  // namespace cgostack

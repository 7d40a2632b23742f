#include "goroutines_report.h"

#include <algorithm>
#include <unordered_map>

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

void WriteGoroutine(const Goroutine& g, const GoroutineQuery& q, size_t stack, JsonWriter& w) {
  w.BeginObject();
  w.Field("goid", g.goid).Field("address", g.address).Field("status", g.status);
  w.Field("wait_reason", g.wait_reason).Field("wait_since_ns", g.wait_since_ns);
  OptField(w, "m", g.m);
  OptField(w, "lwp", g.lwp);
  OptField(w, "gdb_thread", GdbThread(q, g.lwp));
  w.Field("locked_to_thread", g.locked_m.has_value());
  OptField(w, "locked_m", g.locked_m);
  OptField(w, "locked_lwp", g.locked_lwp);
  OptField(w, "locked_gdb_thread", GdbThread(q, g.locked_lwp));
  w.Field("created_by", g.created_by).Field("created_by_file", g.created_by_file);
  w.Field("created_by_line", g.created_by_line);
  OptField(w, "parent_goid", g.parent_goid);
  w.Field("start", g.start);
  w.Key("labels").BeginObject();
  for (const auto& [k, v] : g.labels) w.DataKey(k).String(v);
  w.EndObject();
  if (!g.labels_error.empty()) w.Field("labels_error", g.labels_error);
  w.Field("system", g.system);
  if (q.with_frames) {
    if (stack != SIZE_MAX) {
      w.Field("stack", static_cast<uint64_t>(stack));
    } else {
      w.Key("frames");
      WriteGoFrames(g.frames, q.max_frames, w);
    }
    if (g.frames.size() > q.max_frames) w.Field("frames_omitted", static_cast<uint64_t>(g.frames.size() - q.max_frames));
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

namespace {

// Identity of a stack for the stack table: frames come from pcs, so equal pc
// sequences (and line numbers, which also cover the innermost frame's
// return-address-or-not lookup) give equal frame lists.
std::string StackKey(const std::vector<GoFrame>& frames, size_t max_frames) {
  std::string key;
  size_t n = std::min(frames.size(), max_frames);
  key.reserve(n * 12);
  for (size_t i = 0; i < n; ++i) {
    key.append(reinterpret_cast<const char*>(&frames[i].pc), sizeof frames[i].pc);
    key.append(reinterpret_cast<const char*>(&frames[i].line), sizeof frames[i].line);
  }
  return key;
}

}  // namespace

void WriteGoroutinesReport(GoRuntime& rt, const GoroutineQuery& q, JsonWriter& w) {
  GoroutineReader reader(rt);
  GoroutineOptions opts;
  opts.with_frames = q.with_frames;
  std::vector<Goroutine> all = reader.ReadAll(opts);
  // Measured sizes: ~350 bytes per goroutine without frames, ~150 per frame.
  w.Reserve(all.size() * (q.with_frames && !q.stack_table ? 2400 : 400));
  w.BeginObject();
  w.Field("go_version", rt.BuildVersion());
  w.Field("total", static_cast<uint64_t>(all.size()));
  // With g.wait_since_ns, how long each goroutine has waited (live only).
  OptField(w, "now_ns", rt.target().MonotonicNow());
  std::vector<size_t> stack_of;
  if (q.stack_table && q.with_frames) {
    std::unordered_map<std::string, size_t> index;
    std::vector<const Goroutine*> firsts;
    stack_of.reserve(all.size());
    for (const Goroutine& g : all) {
      auto [it, fresh] = index.emplace(StackKey(g.frames, q.max_frames), firsts.size());
      if (fresh) firsts.push_back(&g);
      stack_of.push_back(it->second);
    }
    w.Key("stacks").BeginArray();
    for (const Goroutine* g : firsts) WriteGoFrames(g->frames, q.max_frames, w);
    w.EndArray();
  }
  w.Key("goroutines").BeginArray();
  for (size_t i = 0; i < all.size(); ++i) WriteGoroutine(all[i], q, stack_of.empty() ? SIZE_MAX : stack_of[i], w);
  w.EndArray();
  w.Key("warnings").BeginArray();
  for (const auto& warning : rt.target().warnings()) w.String(warning);
  if (!reader.wait_reasons_error().empty()) w.String("wait reasons unavailable: " + reader.wait_reasons_error());
  w.EndArray();
  w.EndObject();
}

}  // namespace cgostack

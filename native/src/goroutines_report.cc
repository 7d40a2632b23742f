#include "goroutines_report.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace cgostack {

namespace {

std::optional<int64_t> GdbThread(const GoroutineQuery& q, const std::optional<int64_t>& lwp) {
  if (!lwp) return std::nullopt;
  auto it = q.gdb_threads.find(*lwp);
  return it == q.gdb_threads.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

// Writes a goroutine's fields either as a JSON object or as a row of values
// (the plugin's compact form: decoding 100,000 objects costs Python four
// times what decoding rows does).  In rows every field is present, as null
// when the object form would leave it out; the first row records the names.
class FieldOut {
 public:
  // `only`: write just these fields (all when null or empty).
  FieldOut(JsonWriter& w, bool row, std::vector<std::string_view>* names,
           const std::unordered_set<std::string_view>* only = nullptr)
      : w_(w), row_(row), names_(names), only_(only && !only->empty() ? only : nullptr) {}
  template <typename T>
  void Put(std::string_view key, const T& v) {
    if (!Name(key)) return;
    w_.Value(v);
  }
  template <typename T>
  void Put(std::string_view key, const std::optional<T>& v) {
    if (!Name(key)) return;
    if (v) w_.Value(*v);
    else w_.Null();
  }
  // A string that is null when empty.
  void PutText(std::string_view key, const std::string& s) {
    if (!Name(key)) return;
    if (s.empty()) w_.Null();
    else w_.String(s);
  }
  // A field the object form writes only when `present`.
  template <typename Fn>
  void PutIf(std::string_view key, bool present, Fn write) {
    if (!present && !row_) return;
    if (!Name(key)) return;
    if (present) write();
    else w_.Null();
  }
  JsonWriter& writer() { return w_; }

 private:
  // Starts a field; false if it is not wanted.
  bool Name(std::string_view key) {
    if (only_ && !only_->count(key)) return false;
    if (!row_) w_.Key(key);
    if (names_) names_->push_back(key);
    return true;
  }
  JsonWriter& w_;
  bool row_;
  std::vector<std::string_view>* names_;
  const std::unordered_set<std::string_view>* only_;
};

// `stack`: the goroutine's index in the stack table; `stack_json`: each
// table entry serialised (then written in place of a table index).
void WriteGoroutine(const Goroutine& g, const GoroutineQuery& q, size_t stack,
                    const std::vector<std::string>& stack_json, FieldOut& out) {
  JsonWriter& w = out.writer();
  out.Put("goid", g.goid);
  out.Put("address", g.address);
  out.Put("status", g.status);
  out.Put("wait_reason", g.wait_reason);
  out.Put("wait_since_ns", g.wait_since_ns);
  out.Put("m", g.m);
  out.Put("lwp", g.lwp);
  out.Put("gdb_thread", GdbThread(q, g.lwp));
  out.Put("locked_to_thread", g.locked_m.has_value());
  out.Put("locked_m", g.locked_m);
  out.Put("locked_lwp", g.locked_lwp);
  out.Put("locked_gdb_thread", GdbThread(q, g.locked_lwp));
  out.Put("created_by", g.created_by);
  out.Put("created_by_file", g.created_by_file);
  out.Put("created_by_line", g.created_by_line);
  out.Put("parent_goid", g.parent_goid);
  out.Put("start", g.start);
  // Rows say null for no labels: an empty object per row is a dict per
  // goroutine for the plugin to build.
  out.PutIf("labels", !q.rows || !g.labels.empty(), [&] {
    w.BeginObject();
    for (const auto& [k, v] : g.labels) w.DataKey(k).String(v);
    w.EndObject();
  });
  out.PutIf("labels_error", !g.labels_error.empty(), [&] { w.String(g.labels_error); });
  out.Put("system", g.system);
  if (q.with_frames) {
    if (q.stack_table) {
      out.Put("stack", static_cast<uint64_t>(stack));
    } else {
      out.PutIf("frames", true, [&] { w.Raw(stack_json[stack]); });
    }
    bool cut = g.frames.size() > q.max_frames;
    out.PutIf("frames_omitted", cut, [&] { w.Uint(g.frames.size() - q.max_frames); });
  }
  out.PutText("frames_error", g.frames_error);
  out.PutText("error", g.error);
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
  FieldOut(w, false, nullptr).Put("now_ns", rt.target().MonotonicNow());
  // Each distinct stack is serialised once: 100,000 goroutines blocked in a
  // few hundred places repeat the same frames over and over.
  std::vector<size_t> stack_of(all.size(), 0);
  std::vector<std::string> stack_json;
  if (q.with_frames) {
    std::unordered_map<std::string, size_t> index;
    for (size_t i = 0; i < all.size(); ++i) {
      auto [it, fresh] = index.emplace(StackKey(all[i].frames, q.max_frames), stack_json.size());
      if (fresh) {
        stack_json.emplace_back();
        JsonWriter sw(&stack_json.back());
        WriteGoFrames(all[i].frames, q.max_frames, sw);
      }
      stack_of[i] = it->second;
    }
    if (q.stack_table) {
      w.Key("stacks").BeginArray();
      for (const auto& json : stack_json) w.Raw(json);
      w.EndArray();
    }
  }
  std::vector<std::string_view> columns;
  std::unordered_set<std::string_view> only(q.fields.begin(), q.fields.end());
  w.Key(q.rows ? "rows" : "goroutines").BeginArray();
  for (size_t i = 0; i < all.size(); ++i) {
    FieldOut out(w, q.rows, q.rows && i == 0 ? &columns : nullptr, &only);
    if (q.rows) w.BeginArray();
    else w.BeginObject();
    WriteGoroutine(all[i], q, stack_of[i], stack_json, out);
    if (q.rows) w.EndArray();
    else w.EndObject();
  }
  w.EndArray();
  if (q.rows) {
    w.Key("columns").BeginArray();
    for (auto c : columns) w.String(c);
    w.EndArray();
  }
  w.Key("warnings").BeginArray();
  for (const auto& warning : rt.target().warnings()) w.String(warning);
  if (!reader.wait_reasons_error().empty()) w.String("wait reasons unavailable: " + reader.wait_reasons_error());
  w.EndArray();
  w.EndObject();
}

}  // namespace cgostack

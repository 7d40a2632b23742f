#include "goroutines_report.h"

#include "goroutine_fields.h"

#include <algorithm>
#include <unordered_map>

namespace cgostack {

namespace {

// Writes a goroutine's fields either as a JSON object or as a row of values
// (the plugin's compact form: decoding 100,000 objects costs Python four
// times what decoding rows does).  In rows every field is present, as null
// when the object form would leave it out; the first row records the names.
// The field list itself is VisitGoroutineFields (goroutine_fields.h).
class FieldOut {
 public:
  FieldOut(JsonWriter& w, bool row, std::vector<std::string_view>* names,
           const std::vector<std::string>* stack_json = nullptr)
      : w_(w), row_(row), names_(names), stack_json_(stack_json) {}
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
  void Text(std::string_view key, const std::string& s) {
    if (!Name(key)) return;
    if (s.empty()) w_.Null();
    else w_.String(s);
  }
  void RareText(std::string_view key, const std::string& s) {
    if (s.empty() && !row_) return;
    Text(key, s);
  }
  void RareCount(std::string_view key, uint64_t n) {
    if (n == 0 && !row_) return;
    if (!Name(key)) return;
    if (n) w_.Uint(n);
    else w_.Null();
  }
  void Labels(std::string_view key, const std::vector<std::pair<std::string, std::string>>& labels) {
    if (!Name(key)) return;
    // Rows say null for no labels: an empty object per row is a dict per
    // goroutine for the plugin to build.
    if (row_ && labels.empty()) {
      w_.Null();
      return;
    }
    w_.BeginObject();
    for (const auto& [k, v] : labels) w_.DataKey(k).String(v);
    w_.EndObject();
  }
  void Frames(std::string_view key, size_t stack) {
    if (!Name(key)) return;
    w_.Raw((*stack_json_)[stack]);
  }

 private:
  // Starts a field (always wanted; the signature matches the other sinks).
  bool Name(std::string_view key) {
    if (!row_) w_.Key(key);
    if (names_) names_->push_back(key);
    return true;
  }
  JsonWriter& w_;
  bool row_;
  std::vector<std::string_view>* names_;
  const std::vector<std::string>* stack_json_;
};

}  // namespace

void WriteFrames(const std::vector<StackFrame>& frames, size_t max_frames, JsonWriter& w) {
  w.BeginArray();
  size_t n = 0;
  for (const auto& f : frames) {
    if (n++ >= max_frames) break;
    w.BeginObject();
    switch (f.lang) {
      case FrameLang::kGo:
        w.Field("lang", "go").Field("function", f.function).Field("file", f.file).Field("line", f.line);
        w.Field("pc", f.pc).Field("inlined", f.inlined).Field("runtime", f.hidden_by_default);
        break;
      case FrameLang::kC:
        w.Field("lang", "c").Field("function", f.function);
        w.Key("file");
        if (f.file.empty()) w.Null();
        else w.String(f.file);
        w.Field("line", f.line).Field("object", f.object).Field("pc", f.pc).Field("inlined", f.inlined);
        break;
      case FrameLang::kBoundary:
        // function holds the kind; file the signal's name; line the
        // number of signal-handler frames folded into it.
        w.Field("lang", "boundary").Field("kind", f.function);
        if (!f.file.empty()) w.Field("signal", f.file);
        if (f.line) w.Field("hidden_frames", f.line);
        break;
    }
    w.EndObject();
  }
  w.EndArray();
}

namespace {

// Identity of a stack for the stack table: frames come from pcs, so equal pc
// sequences (and line numbers, which also cover the innermost frame's
// return-address-or-not lookup) give equal frame lists.
std::string StackKey(const std::vector<StackFrame>& frames, size_t max_frames) {
  std::string key;
  size_t n = std::min(frames.size(), max_frames);
  key.reserve(n * 12);
  for (size_t i = 0; i < n; ++i) {
    key.append(reinterpret_cast<const char*>(&frames[i].pc), sizeof frames[i].pc);
    key.append(reinterpret_cast<const char*>(&frames[i].line), sizeof frames[i].line);
    key.push_back(static_cast<char>(frames[i].lang));
    if (frames[i].lang == FrameLang::kBoundary) key.append(frames[i].function);
  }
  return key;
}

}  // namespace

GoroutineSnapshot ReadGoroutines(GoRuntime& rt, bool with_frames, const StitchFn& stitch, const StitchFn& digest) {
  GoroutineSnapshot snap;
  snap.go_version = rt.BuildVersion();
  GoroutineReader reader(rt);
  GoroutineOptions opts;
  opts.with_frames = with_frames;
  if (with_frames && (stitch || digest))
    opts.each = [&](Goroutine* g) {
      if (stitch) stitch(g);
      if (digest) digest(g);
    };
  snap.goroutines = reader.ReadAll(opts);
  // allgs order is creation order only until dead g's are reused.  Sorted
  // through a permutation: each Goroutine is moved once, not log n times
  // (a tenth of the time of a 100,000-goroutine report went to moves).
  std::vector<Goroutine>& gs = snap.goroutines;
  snap.read_order.resize(gs.size());
  for (size_t i = 0; i < gs.size(); ++i) snap.read_order[i] = i;
  std::stable_sort(snap.read_order.begin(), snap.read_order.end(),
                   [&gs](size_t a, size_t b) { return gs[a].goid < gs[b].goid; });
  if (!std::is_sorted(gs.begin(), gs.end(), [](const Goroutine& a, const Goroutine& b) { return a.goid < b.goid; })) {
    std::vector<Goroutine> sorted;
    sorted.reserve(gs.size());
    for (size_t i : snap.read_order) sorted.push_back(std::move(gs[i]));
    gs.swap(sorted);
  }
  snap.now_ns = rt.target().MonotonicNow();
  snap.warnings = rt.target().warnings();
  if (!reader.wait_reasons_error().empty())
    snap.warnings.push_back("wait reasons unavailable: " + reader.wait_reasons_error());
  return snap;
}

bool WriteGoroutinesReport(GoRuntime& rt, const GoroutineQuery& q, JsonWriter& w, const StitchFn& stitch) {
  // Each distinct stack is serialised once, as soon as a goroutine with it
  // is read, and the goroutine's frames are dropped: 100,000 goroutines
  // blocked in a few hundred places repeat the same frames over and over,
  // and keeping them all cost 150 MB.
  std::vector<std::string> stack_json;
  std::vector<size_t> stack_read, frames_read;  // per goroutine in read order
  std::unordered_map<std::string, size_t> index;
  StitchFn digest;
  if (q.with_frames)
    digest = [&](Goroutine* g) {
      auto [it, fresh] = index.emplace(StackKey(g->frames, q.max_frames), stack_json.size());
      if (fresh) {
        stack_json.emplace_back();
        JsonWriter sw(&stack_json.back());
        WriteFrames(g->frames, q.max_frames, sw);
      }
      stack_read.push_back(it->second);
      frames_read.push_back(g->frames.size());
      std::vector<StackFrame>().swap(g->frames);
    };
  GoroutineSnapshot snap = ReadGoroutines(rt, q.with_frames, stitch, digest);
  const std::vector<Goroutine>& all = snap.goroutines;
  // Measured sizes: ~350 bytes per goroutine without frames, ~150 per frame.
  w.Reserve(all.size() * (q.with_frames && !q.stack_table ? 2400 : 400));
  w.BeginObject();
  w.Field("go_version", snap.go_version);
  w.Field("total", static_cast<uint64_t>(all.size()));
  // With g.wait_since_ns, how long each goroutine has waited (live only).
  FieldOut(w, false, nullptr).Put("now_ns", snap.now_ns);
  std::vector<size_t> stack_of(all.size(), 0), frames_of(all.size(), 0);
  if (q.with_frames) {
    for (size_t i = 0; i < all.size(); ++i) {
      stack_of[i] = stack_read[snap.read_order[i]];
      frames_of[i] = frames_read[snap.read_order[i]];
    }
    if (q.stack_table) {
      w.Key("stacks").BeginArray();
      for (const auto& json : stack_json) w.Raw(json);
      w.EndArray();
    }
  }
  std::vector<std::string_view> columns;
  w.Key(q.rows ? "rows" : "goroutines").BeginArray();
  for (size_t i = 0; i < all.size(); ++i) {
    FieldOut out(w, q.rows, q.rows && i == 0 ? &columns : nullptr, &stack_json);
    if (q.rows) w.BeginArray();
    else w.BeginObject();
    VisitGoroutineFields(all[i], q, stack_of[i], out, frames_of[i]);
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
  for (const auto& warning : snap.warnings) w.String(warning);
  w.EndArray();
  w.EndObject();
  bool partial = !snap.warnings.empty();
  for (const Goroutine& g : all) partial = partial || !g.error.empty() || (q.with_frames && !g.frames_error.empty());
  return partial;
}

}  // namespace cgostack

#include "report/goroutines_report.h"

#include "goruntime/goroutine_fields.h"

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
        w.Field("tail_call", f.tail_call);
        break;
      case FrameLang::kBoundary:
        // function holds the kind; file the signal's name; line the
        // number of signal-handler frames folded into it.
        w.Field("lang", "boundary").Field("kind", f.function);
        if (f.function == kElidedBoundary) {
          w.Field("elided", f.line);  // frames left out of a deep stack (--frames all shows them)
          break;
        }
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

namespace {

// The target's warnings, and why wait reasons are numbers if they are.
std::vector<std::string> ReportWarnings(GoRuntime& rt, const GoroutineReader& reader) {
  std::vector<std::string> warnings = rt.target().warnings();
  if (!reader.wait_reasons_error().empty()) warnings.push_back("wait reasons unavailable: " + reader.wait_reasons_error());
  if (size_t n = reader.labels_cut()) warnings.push_back(LabelsCutWarning(n));
  return warnings;
}

}  // namespace

std::string LabelsCutWarning(size_t n) {
  return "pprof labels longer than " + std::to_string(GoroutineReader::kMaxLabelBytes) +
         " bytes are cut to that length in " + std::to_string(n) + " goroutine" + (n == 1 ? "" : "s") +
         " (see labels_error)";
}

GoroutineSnapshot ReadGoroutines(GoRuntime& rt, bool with_frames, const StitchFn& stitch) {
  GoroutineSnapshot snap;
  snap.go_version = rt.BuildVersion();
  GoroutineReader reader(rt);
  GoroutineOptions opts;
  opts.with_frames = with_frames;
  if (with_frames && stitch) opts.each = stitch;
  snap.goroutines = reader.ReadAll(opts);
  snap.now_ns = rt.target().MonotonicNow();
  snap.warnings = ReportWarnings(rt, reader);
  return snap;
}

namespace {

// Each distinct stack serialised once: 100,000 goroutines blocked in a few
// hundred places repeat the same frames over and over.
class StackTable {
 public:
  explicit StackTable(size_t max_frames) : max_frames_(max_frames) {}
  // The index of `frames`' JSON, serialising it if it is new.
  size_t Add(const std::vector<StackFrame>& frames) {
    auto [it, fresh] = index_.emplace(StackKey(frames, max_frames_), json_.size());
    if (fresh) {
      json_.emplace_back();
      JsonWriter w(&json_.back());
      WriteFrames(frames, max_frames_, w);
    }
    return it->second;
  }
  const std::vector<std::string>& json() const { return json_; }

 private:
  size_t max_frames_;
  std::vector<std::string> json_;
  std::unordered_map<std::string, size_t> index_;
};

// One goroutine read for a report: its stack moved into the table.
struct ReportedGoroutine {
  Goroutine g;
  size_t stack = 0, frames = 0;
};

}  // namespace

bool WriteGoroutinesReport(GoRuntime& rt, const GoroutineQuery& q, JsonWriter& w, const StitchFn& stitch) {
  GoroutineReader reader(rt);
  GoroutineOptions opts;
  opts.with_frames = q.with_frames;
  opts.all_frames = q.all_frames;
  StackTable stacks(q.max_frames);
  bool partial = false;
  auto read = [&](uint64_t gp) {
    ReportedGoroutine r{reader.Read(gp, opts)};
    if (q.with_frames) {
      if (stitch) stitch(&r.g);
      r.stack = stacks.Add(r.g.frames);
      r.frames = r.g.frames.size();
      std::vector<StackFrame>().swap(r.g.frames);
    }
    partial = partial || !r.g.error.empty() || (q.with_frames && !r.g.frames_error.empty());
    return r;
  };
  std::vector<std::string_view> columns;
  auto write = [&](const ReportedGoroutine& r, bool first) {
    FieldOut out(w, q.rows, q.rows && first ? &columns : nullptr, &stacks.json());
    if (q.rows) w.BeginArray();
    else w.BeginObject();
    VisitGoroutineFields(r.g, q, r.stack, out, r.frames);
    if (q.rows) w.EndArray();
    else w.EndObject();
  };

  std::vector<uint64_t> order = reader.LiveInGoidOrder();
  w.BeginObject();
  w.Field("go_version", rt.BuildVersion());
  w.Field("total", static_cast<uint64_t>(order.size()));
  // With g.wait_since_ns, how long each goroutine has waited (live only).
  FieldOut(w, false, nullptr).Put("now_ns", rt.target().MonotonicNow());
  if (q.with_frames && q.stack_table) {
    // The table comes first, so every goroutine is read before any is written.
    std::vector<ReportedGoroutine> all;
    all.reserve(order.size());
    for (uint64_t gp : order) all.push_back(read(gp));
    w.Key("stacks").BeginArray();
    for (const auto& json : stacks.json()) w.Raw(json);
    w.EndArray();
    w.Key(q.rows ? "rows" : "goroutines").BeginArray();
    for (size_t i = 0; i < all.size(); ++i) write(all[i], i == 0);
  } else {
    // Each goroutine is written as soon as it is read, so a 300 MB report
    // is never held whole and its writing overlaps the reading.
    w.Key(q.rows ? "rows" : "goroutines").BeginArray();
    for (size_t i = 0; i < order.size(); ++i) write(read(order[i]), i == 0);
  }
  w.EndArray();
  if (q.rows) {
    w.Key("columns").BeginArray();
    for (auto c : columns) w.String(c);
    w.EndArray();
  }
  std::vector<std::string> warnings = ReportWarnings(rt, reader);
  w.Key("warnings").BeginArray();
  for (const auto& warning : warnings) w.String(warning);
  w.EndArray();
  w.EndObject();
  return partial || !warnings.empty();
}

}  // namespace cgostack

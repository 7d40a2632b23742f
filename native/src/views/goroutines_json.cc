#include "views/goroutines_json.h"

#include <algorithm>

#include "goruntime/goroutine_fields.h"

namespace cgostack::views {

namespace {

// A goroutine as one JSON object, its frames cut to the view's limit.
class ObjectOut {
 public:
  ObjectOut(JsonWriter& w, const std::vector<StackFrame>& frames, std::optional<size_t> limit)
      : w_(w), frames_(frames), limit_(limit) {}
  template <typename T>
  void Put(std::string_view key, const T& v) {
    w_.Key(key).Value(v);
  }
  template <typename T>
  void Put(std::string_view key, const std::optional<T>& v) {
    w_.Key(key);
    if (v) w_.Value(*v);
    else w_.Null();
  }
  void Text(std::string_view key, const std::string& s) {
    w_.Key(key);
    if (s.empty()) w_.Null();
    else w_.String(s);
  }
  void RareText(std::string_view key, const std::string& s) {
    if (!s.empty()) Text(key, s);
  }
  void RareCount(std::string_view, uint64_t) {}  // written with the frames
  void Labels(std::string_view key, const std::vector<std::pair<std::string, std::string>>& labels) {
    w_.Key(key).BeginObject();
    for (const auto& [k, v] : labels) w_.DataKey(k).String(v);
    w_.EndObject();
  }
  void Frames(std::string_view key, size_t) {
    size_t n = limit_ ? std::min(*limit_, frames_.size()) : frames_.size();
    w_.Key(key);
    WriteFrames(frames_, n, w_);
    if (n < frames_.size()) w_.Field("frames_omitted", static_cast<uint64_t>(frames_.size() - n));
  }

 private:
  JsonWriter& w_;
  const std::vector<StackFrame>& frames_;
  std::optional<size_t> limit_;
};

// Every field, frames in place; made once per report (it holds the GDB
// thread numbers and the crash summary).
GoroutineQuery FieldsQuery(const GoroutineSet& set) {
  GoroutineQuery q;
  q.with_frames = true;
  q.gdb_threads = set.gdb_threads;
  q.crash_goid = set.crash_goid;
  q.crash = set.crash;
  return q;
}

void WriteGoroutine(const GoroutineSet& set, const GoroutineQuery& q, size_t i, std::optional<size_t> limit,
                    JsonWriter& w) {
  ObjectOut out(w, set.frames(i), limit);
  w.BeginObject();
  VisitGoroutineFields(set.goroutines[i], q, 0, out);
  w.EndObject();
}

template <typename Items>
void WriteReport(const GoroutineSet& set, const char* key, const Selection* sel, Items items, JsonWriter& w) {
  w.BeginObject();
  w.Field("go_version", set.go_version);
  w.Key(key).BeginArray();
  items();
  w.EndArray();
  w.Key("warnings").BeginArray();
  for (const auto& warning : set.warnings) w.String(warning);
  w.EndArray();
  w.Key("now_ns");
  if (set.now_ns) w.Int(*set.now_ns);
  else w.Null();
  w.Field("total", static_cast<uint64_t>(sel ? sel->total : set.goroutines.size()));
  if (sel) {
    w.Field("filtered_out", static_cast<uint64_t>(sel->filtered_out + sel->hidden_system));
    w.Key("not_found").BeginArray();
    for (uint64_t goid : sel->not_found) w.Uint(goid);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

void WriteGoroutineListJson(const GoroutineSet& set, const Selection& sel, std::optional<size_t> frame_limit,
                            JsonWriter& w) {
  GoroutineQuery q = FieldsQuery(set);
  WriteReport(set, "goroutines", &sel, [&] {
    for (size_t i : sel.shown) WriteGoroutine(set, q, i, frame_limit, w);
  }, w);
}

void WriteGoroutineOneJson(const GoroutineSet& set, size_t index, std::optional<size_t> frame_limit, JsonWriter& w) {
  WriteReport(set, "goroutines", nullptr, [&] { WriteGoroutine(set, FieldsQuery(set), index, frame_limit, w); }, w);
}

void WriteGoroutineGroupsJson(const GoroutineSet& set, const Selection& sel, const std::vector<Group>& groups,
                              std::optional<size_t> frame_limit, JsonWriter& w) {
  auto text = [&](const char* key, const std::string& s) {
    w.Key(key);
    if (s.empty()) w.Null();
    else w.String(s);
  };
  WriteReport(set, "groups", &sel, [&] {
    for (const auto& grp : groups) {
      const Goroutine& g = set.goroutines[grp.members[0]];
      const auto& frames = set.frames(grp.members[0]);
      w.BeginObject();
      w.Field("count", static_cast<uint64_t>(grp.members.size()));
      w.Key("goids").BeginArray();
      for (size_t i : grp.members) w.Uint(set.goroutines[i].goid);
      w.EndArray();
      w.Field("status", g.status).Field("wait_reason", g.wait_reason);
      w.Field("locked_to_thread", static_cast<uint64_t>(grp.locked_to_thread));
      w.Field("system", g.system);
      w.Field("created_by", g.created_by).Field("created_by_file", g.created_by_file);
      w.Field("created_by_line", g.created_by_line);
      size_t n = frame_limit ? std::min(*frame_limit, frames.size()) : frames.size();
      w.Key("frames");
      WriteFrames(frames, n, w);
      text("frames_error", g.frames_error);
      text("error", g.error);
      if (n < frames.size()) w.Field("frames_omitted", static_cast<uint64_t>(frames.size() - n));
      w.EndObject();
    }
  }, w);
}

}  // namespace cgostack::views

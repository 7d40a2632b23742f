#include "views/run_command.h"

#include <cerrno>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "error.h"
#include "locks/lock_graph.h"
#include "locks/lock_graph_json.h"
#include "report/info_report.h"
#include "report/json_writer.h"
#include "report/output_file.h"
#include "views/goroutine_selection.h"
#include "report/goroutine_set.h"
#include "views/goroutines_json.h"
#include "views/goroutines_text.h"
#include "views/info_text.h"
#include "views/lockgraph_text.h"
#include "views/threads_text.h"

namespace cgostack::views {

namespace {

struct Ctx {
  Session& session;
  const CommandRequest& req;
  ParsedOptions opts;
  bool native_done = false;

  [[noreturn]] void Usage(const std::string& what) const {
    throw UsageError(req.prog + ": " + what + " (see `" + req.hint + "`)");
  }
  void NativeFrames() {
    if (native_done) return;
    native_done = true;
    if (req.native_frames) req.native_frames();
  }
  bool json() const { return opts.Has("--json"); }
  std::string output() const { return opts.Last("--output"); }
  // Text or JSON to --output or the screen.
  void Emit(CommandResult& r, std::string bytes) const {
    if (!output().empty()) WriteOutputFile(output(), bytes);  // never over an input (the session's)
    else r.screen = std::move(bytes);
  }
  std::string Json(const std::function<void(JsonWriter&)>& write) const {
    std::string out;
    JsonWriter w(&out);
    write(w);
    return out + "\n";
  }
};

// --frames: a count, or "all"; nullopt (all) when not given and `fallback` is nullopt.
std::optional<size_t> FrameLimit(const Ctx& c, std::optional<size_t> fallback) {
  if (!c.opts.Has("--frames")) return fallback;
  std::string v = c.opts.Last("--frames");
  if (v == "all") return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || n < 0)
    c.Usage("argument --frames: want a count >= 0 or `all`, not '" + v + "'");
  return static_cast<size_t>(n);
}

std::vector<uint64_t> Goids(const Ctx& c) {
  std::vector<uint64_t> out;
  for (const auto& w : c.opts.positional) {
    size_t start = 0;
    while (start <= w.size()) {
      size_t comma = w.find(',', start);
      std::string part = w.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) {
        char* end = nullptr;
        errno = 0;
        unsigned long long n = std::strtoull(part.c_str(), &end, 10);
        if (*end || errno || part[0] == '-' || part[0] == '+' || part[0] == ' ') c.Usage("not a goroutine id: '" + part + "'");
        out.push_back(n);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

std::vector<std::string> States(const Ctx& c) {
  std::vector<std::string> out;
  for (const auto& v : c.opts.All("--state")) {
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string s = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
      if (a != std::string::npos) {
        s = s.substr(a, b - a + 1);
        for (char& ch : s)
          if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        out.push_back(s);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

StitchFn Stitcher(Session& s) {
  if (!s.has_native_chains()) return nullptr;
  return [&s](Goroutine* g) { s.stacks().StitchGoroutine(g); };
}

bool AllFrames(const Ctx& c) { return c.opts.Has("--frames") && c.opts.Last("--frames") == "all"; }

GoroutineSet ReadSet(Ctx& c, bool with_frames) {
  if (with_frames) c.NativeFrames();
  GoroutineSet set = ReadGoroutineSet(c.session.runtime(), with_frames, with_frames ? Stitcher(c.session) : nullptr,
                                      c.req.gdb_threads, AllFrames(c));
  if (const Session::CrashMark* crash = c.session.crash_mark()) {
    set.crash_goid = crash->goid;
    set.crash = crash->summary;
  }
  return set;
}

// One goroutine in full (cgo-goroutine, or goroutines with one GOID).
void ShowOne(Ctx& c, CommandResult& r, uint64_t goid) {
  GoroutineSet set = ReadSet(c, true);
  r.partial = set.partial;
  size_t index = SIZE_MAX;
  for (size_t i = 0; i < set.goroutines.size(); ++i)
    if (set.goroutines[i].goid == goid) {
      index = i;
      break;
    }
  if (index == SIZE_MAX)
    throw Error("no goroutine " + std::to_string(goid) + " (there are " + std::to_string(set.goroutines.size()) +
                " goroutines; see cgo-goroutines)");
  std::optional<size_t> limit = FrameLimit(c, std::nullopt);
  if (c.json()) c.Emit(r, c.Json([&](JsonWriter& w) { WriteGoroutineOneJson(set, index, limit, w); }));
  else c.Emit(r, RenderGoroutineFull(set, index, limit));
}

CommandResult Goroutines(Ctx& c) {
  CommandResult r;
  std::vector<uint64_t> goids = Goids(c);
  bool group = c.opts.Has("--group");
  if (c.req.spec->max_positional == 1 || (goids.size() == 1 && !group)) {
    if (goids.size() != 1) c.Usage("give exactly one GOID");
    ShowOne(c, r, goids[0]);
    return r;
  }
  std::optional<size_t> text_limit = FrameLimit(c, kListFrames), json_limit = FrameLimit(c, std::nullopt);
  bool functions = c.opts.Has("--function");
  bool unfiltered = goids.empty() && !c.opts.Has("--state") && !functions && !group;
  if (c.json() && unfiltered) {
    // Every goroutine as the backend has it, streamed (100,000 stacks are
    // hundreds of megabytes).
    bool with_frames = !(json_limit && *json_limit == 0);
    if (with_frames) c.NativeFrames();
    GoroutineQuery q;
    q.with_frames = with_frames;
    q.max_frames = json_limit ? *json_limit : SIZE_MAX;
    q.all_frames = AllFrames(c);
    q.gdb_threads = c.req.gdb_threads;
    std::string out = c.output();
    if (out.empty() && c.req.screen) out = "-";
    r.screen = c.session.GoroutinesJson(q, out);
    if (!r.screen.empty()) r.screen += "\n";
    r.partial = c.session.last_report_partial();
    return r;
  }
  bool with_frames = !(unfiltered && text_limit && *text_limit == 0) &&
                     !(json_limit && *json_limit == 0 && !functions && !group);
  if (!c.json() && unfiltered && text_limit && *text_limit == 0) with_frames = false;
  GoroutineSet set = ReadSet(c, with_frames);
  r.partial = set.partial;
  GoroutineFilter filter;
  filter.goids = goids;
  filter.states = States(c);
  filter.functions = c.opts.All("--function");
  // Like runtime frames, system goroutines are hidden in text only: JSON
  // has every goroutine, each marked "system".
  filter.system = c.opts.Has("--system") || c.json();
  Selection sel = Select(set, filter);
  bool runtime_frames = c.opts.Has("--runtime-frames");
  if (group) {
    std::vector<Group> groups = GroupGoroutines(set, sel.shown);
    if (c.json()) c.Emit(r, c.Json([&](JsonWriter& w) { WriteGoroutineGroupsJson(set, sel, groups, json_limit, w); }));
    else c.Emit(r, RenderGoroutineGroups(set, sel, groups, text_limit, runtime_frames));
  } else {
    if (c.json()) c.Emit(r, c.Json([&](JsonWriter& w) { WriteGoroutineListJson(set, sel, json_limit, w); }));
    else c.Emit(r, RenderGoroutineList(set, sel, text_limit, runtime_frames));
  }
  return r;
}

CommandResult Info(Ctx& c) {
  CommandResult r;
  // A core's crash record names the faulting frame: C frames are needed.
  if (c.session.target().is_core()) c.NativeFrames();
  nlohmann::json info = c.session.InfoReport();
  r.partial = info.contains("warnings") && !info["warnings"].empty();
  if (c.json()) c.Emit(r, info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  else c.Emit(r, RenderInfo(info));
  return r;
}

CommandResult Threads(Ctx& c) {
  CommandResult r;
  std::vector<int64_t> lwps;
  for (const auto& w : c.opts.positional) {
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(w.c_str(), &end, 10);
    if (w.empty() || *end || errno) c.Usage("argument LWP: invalid int value: '" + w + "'");
    lwps.push_back(n);
  }
  ThreadsQuery q;
  q.with_frames = !c.opts.Has("--no-frames");
  q.signal_frames = c.opts.Has("--signal-frames");
  q.gdb_threads = c.req.gdb_threads;
  if (q.with_frames) c.NativeFrames();
  if (c.json() && lwps.empty()) {
    std::string out = c.output();
    if (out.empty() && c.req.screen) out = "-";
    r.screen = c.session.ThreadsJson(q, out);
    if (!r.screen.empty()) r.screen += "\n";
    r.partial = c.session.last_report_partial();
    return r;
  }
  if (const Session::CrashMark* crash = c.session.crash_mark()) {
    q.crash_lwp = crash->lwp;
    q.crash = crash->summary;
  }
  ThreadRows rows = BuildThreadRows(c.session.runtime(), c.session.stacks(), q);
  r.partial = rows.partial;
  if (!lwps.empty()) {
    std::string missing;
    for (int64_t lwp : lwps) {
      bool known = false;
      for (const auto& t : rows.threads) known = known || t.lwp == lwp;
      if (!known) missing += (missing.empty() ? "" : ", ") + std::to_string(lwp);
    }
    if (!missing.empty())
      throw UsageError(c.req.prog + ": no thread with LWP " + missing + " in this process (cgo-threads lists them)");
    std::vector<ThreadRow> kept;
    for (auto& t : rows.threads)
      for (int64_t lwp : lwps)
        if (t.lwp == lwp) {
          kept.push_back(std::move(t));
          break;
        }
    rows.threads = std::move(kept);
  }
  if (c.json()) c.Emit(r, c.Json([&](JsonWriter& w) { WriteThreadRows(rows, q, w); }));
  else c.Emit(r, RenderThreads(rows, c.req.gdb_threads));
  return r;
}

CommandResult Lockgraph(Ctx& c) {
  CommandResult r;
  c.NativeFrames();
  std::string dot = c.opts.Last("--dot");
  if (c.json() && dot.empty()) {
    std::string out = c.output();
    if (out.empty() && c.req.screen) out = "-";
    r.screen = c.session.LockGraphJson(out);
    if (!r.screen.empty()) r.screen += "\n";
    r.partial = c.session.last_report_partial();
    return r;
  }
  LockGraph graph = BuildLockGraph(c.session.runtime(), c.session.stacks());
  r.partial = !graph.warnings.empty();
  if (!dot.empty()) WriteOutputFile(dot, RenderLockGraphDot(graph));
  if (c.json()) c.Emit(r, c.Json([&](JsonWriter& w) { WriteLockGraph(graph, w); }));
  else c.Emit(r, RenderLockGraph(graph));
  return r;
}

}  // namespace

CommandResult RunCommand(Session& session, const CommandRequest& req) {
  Ctx c{session, req, ParseOptions(*req.spec, req.words, req.prog, req.hint)};
  std::string name = req.spec->name;
  if (name == "info") return Info(c);
  if (name == "goroutines" || name == "goroutine") return Goroutines(c);
  if (name == "threads") return Threads(c);
  if (name == "lockgraph") return Lockgraph(c);
  throw UsageError("unknown command '" + name + "'");
}

}  // namespace cgostack::views

#include "snapshot/watch.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <filesystem>
#include <map>
#include <thread>

#include "error.h"
#include "report/goroutine_query.h"
#include "report/threads_report.h"
#include "session.h"
#include "snapshot/take_snapshot.h"
#include "locks/thread_waits.h"
#include "stacks/dwfl_unwinder.h"
#include "views/escape.h"

namespace cgostack {

namespace {

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// What one goroutine or thread is doing in one snapshot.  Two snapshots
// agree on it when `key` is equal.
struct Activity {
  std::string key;
  nlohmann::json entry;     // goroutine/lwp, state, waits_on, lock, holder, top
  bool can_be_stuck = false;  // waiting, in a syscall or cgo call, or a thread in C
  int64_t wait_since_ns = 0;
};

using Activities = std::map<std::string, Activity>;  // by Key()

// Goroutines first, by goid, then threads by LWP.
std::string Key(char kind, int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%020lld", kind, static_cast<long long>(id));
  return buf;
}

std::string Pcs(const nlohmann::json& frames) {
  std::string out;
  if (!frames.is_array()) return out;
  for (const auto& f : frames)
    if (f.contains("pc") && f["pc"].is_number()) out += std::to_string(f["pc"].get<uint64_t>()) + ",";
  return out;
}

std::string TopFunction(const nlohmann::json& frames) {
  if (frames.is_array())
    for (const auto& f : frames)
      if (f.value("lang", "") != "boundary" && !f.value("function", "").empty()) return f["function"];
  return "";
}

// waits_for and held_by edges of a lock graph: node -> lock, lock -> holder.
struct Locks {
  std::map<std::string, std::string> waits, holder, label;
  std::vector<std::vector<std::string>> cycles;
};

Locks ReadLocks(const nlohmann::json& graph) {
  Locks l;
  for (const auto& n : graph.value("nodes", nlohmann::json::array()))
    l.label[n.value("id", "")] = n.value("label", "");
  for (const auto& e : graph.value("edges", nlohmann::json::array())) {
    std::string kind = e.value("kind", "");
    if (kind == "waits_for") l.waits[e.value("from", "")] = e.value("to", "");
    if (kind == "held_by") l.holder[e.value("from", "")] = e.value("to", "");
  }
  for (const auto& c : graph.value("cycles", nlohmann::json::array())) l.cycles.push_back(c);
  return l;
}

// `id`'s wait in the lock graph; a goroutine in a cgo call waits through
// its thread (`thread_id`).
void AddLock(const Locks& locks, const std::string& id, const std::string& thread_id, Activity* a) {
  auto w = locks.waits.find(id);
  if (w == locks.waits.end() && !thread_id.empty()) w = locks.waits.find(thread_id);
  if (w == locks.waits.end()) return;
  auto h = locks.holder.find(w->second);
  std::string holder = h == locks.holder.end() ? "" : h->second;
  a->key += "|" + w->second + ">" + holder;
  a->entry["lock"] = locks.label.count(w->second) ? locks.label.at(w->second) : w->second;
  a->entry["holder"] = holder.empty() ? nlohmann::json(nullptr) : nlohmann::json(holder);
}

}  // namespace

// One look: every goroutine's and thread's activity, and the cycles.
struct WatchLooks::Look {
  int64_t taken_ns = 0;
  int64_t held_ns = 0;  // held since the first look
  Activities activities;
  std::set<std::string> cycles;  // joined node ids
};

WatchLooks::WatchLooks() = default;
WatchLooks::~WatchLooks() = default;
size_t WatchLooks::size() const { return looks_.size(); }

void WatchLooks::Add(Session& s, int64_t taken_ns, double pause_s, int64_t held_ns) {
  auto look = std::make_unique<Look>();
  look->taken_ns = taken_ns;
  look->held_ns = held_ns;
  if (pause_s >= 0) max_pause_s_ = std::max(max_pause_s_, pause_s);
  Locks locks = ReadLocks(nlohmann::json::parse(s.LockGraphJson("")));
  for (const auto& c : locks.cycles) {
    std::string joined;
    for (const auto& id : c) joined += id + " ";
    look->cycles.insert(joined);
  }
  // A thread stopped outside a system call was running (computing, or
  // spinning): whatever it is, it is not blocked.  What the kernel says
  // (thread_waits.h: a core's registers, a live thread's /proc entry).
  std::map<int64_t, bool> in_syscall;
  for (const ThreadState& t : s.target().threads())
    if (t.has_registers) in_syscall[t.lwp] = InSystemCall(s.runtime(), t.lwp, t.regs);
  auto blocked = [&](const nlohmann::json& lwp) {
    return lwp.is_number() && in_syscall.count(lwp.get<int64_t>()) && in_syscall[lwp.get<int64_t>()];
  };
  nlohmann::json gs = nlohmann::json::parse(s.GoroutinesJson(GoroutineQuery{}, ""));
  for (const auto& g : gs.value("goroutines", nlohmann::json::array())) {
    std::string id = Key('g', g.value("goid", int64_t{0}));
    Activity a;
    std::string status = g.value("status", ""), reason = g.value("wait_reason", "");
    a.key = status + "|" + reason + "|" + Pcs(g.value("frames", nlohmann::json()));
    a.can_be_stuck = status == "waiting" || status == "leaked" ||
                     (status == "syscall" && blocked(g.value("lwp", nlohmann::json(nullptr))));
    a.wait_since_ns = g.value("wait_since_ns", int64_t{0});
    a.entry = {{"goroutine", g.value("goid", 0)}, {"lwp", g.value("lwp", nlohmann::json(nullptr))},
               {"state", status}, {"waits_on", reason.empty() ? status : reason},
               {"top", TopFunction(g.value("frames", nlohmann::json()))}};
    nlohmann::json lwp = g.value("lwp", nlohmann::json(nullptr));
    AddLock(locks, "g" + std::to_string(g.value("goid", 0)), lwp.is_number() ? "t" + std::to_string(lwp.get<int64_t>()) : "", &a);
    look->activities[id] = std::move(a);
  }
  nlohmann::json ts = nlohmann::json::parse(s.ThreadsJson(ThreadsQuery{}, ""));
  for (const auto& t : ts.value("threads", nlohmann::json::array())) {
    if (!t.value("goroutine", nlohmann::json(nullptr)).is_null()) continue;  // its goroutine says it
    std::string activity = t.value("activity", "");
    if (activity == "idle") continue;  // an M in the scheduler with nothing to run
    std::string id = Key('t', t.value("lwp", int64_t{0}));
    Activity a;
    a.key = activity + "|" + Pcs(t.value("frames", nlohmann::json()));
    a.can_be_stuck = (activity == "in_c" || activity == "cgo_call" || activity == "syscall") && blocked(t["lwp"]);
    a.entry = {{"goroutine", nullptr}, {"lwp", t.value("lwp", 0)}, {"state", activity},
               {"waits_on", activity}, {"top", TopFunction(t.value("frames", nlohmann::json()))}};
    AddLock(locks, "t" + std::to_string(t.value("lwp", 0)), "", &a);
    look->activities[id] = std::move(a);
  }
  for (const auto& w : gs.value("warnings", nlohmann::json::array()))
    warnings_.push_back("look " + std::to_string(looks_.size() + 1) + ": " + w.get<std::string>());
  looks_.push_back(std::move(look));
}

namespace {

double ParseInterval(const std::string& v, const std::string& prog, const std::string& hint) {
  std::string num = v;
  double scale = 1;
  if (num.size() > 2 && num.compare(num.size() - 2, 2, "ms") == 0) {
    num.resize(num.size() - 2);
    scale = 1e-3;
  } else if (!num.empty() && num.back() == 's') {
    num.pop_back();
  }
  char* end = nullptr;
  double x = std::strtod(num.c_str(), &end);
  if (num.empty() || *end || !(x > 0) || x * scale > 3600)
    throw views::UsageError(prog + ": --interval wants a time such as 1s or 500ms, not '" + v + "' (see `" + hint +
                            "`)");
  return x * scale;
}

}  // namespace

WatchOptions ParseWatchOptions(const views::ParsedOptions& p, const std::string& prog, const std::string& hint) {
  WatchOptions o;
  if (p.Has("--interval")) o.interval_s = ParseInterval(p.Last("--interval"), prog, hint);
  if (p.Has("--count")) {
    std::string v = p.Last("--count");
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || n < 2 || n > 1000)
      throw views::UsageError(prog + ": --count wants 2 to 1000, not '" + v + "' (see `" + hint + "`)");
    o.count = static_cast<int>(n);
  }
  return o;
}

nlohmann::json Watch(const WatchOptions& o) {
  if (o.count < 2) throw Error("watch needs at least 2 snapshots");
  char dir_template[] = "/tmp/cgostack-watch-XXXXXX";
  const char* tmp = ::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/cgostack-watch-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  char* dir = ::mkdtemp(buf.data());
  if (!dir) dir = ::mkdtemp(dir_template);
  if (!dir) throw Error("cannot create a temporary directory for the snapshots");
  std::string tmpdir = dir;
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } cleanup{tmpdir};

  struct Taken {
    std::string path;
    int64_t taken_ns;
    double pause_s;
  };
  WatchLooks looks;
  std::vector<Taken> cores;
  int64_t start = MonotonicNs();
  std::string exe = LiveExecutable(o.pid);
  for (int i = 0; i < o.count; ++i) {
    if (i) {
      int64_t due = start + static_cast<int64_t>(i * o.interval_s * 1e9);
      int64_t now = MonotonicNs();
      if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
    }
    std::string path = tmpdir + "/snapshot-" + std::to_string(i) + ".core";
    int64_t taken = MonotonicNs();
    SnapshotStats st = TakeSnapshot(o.pid, path);
    for (const auto& w : st.warnings) looks.Warn("snapshot " + std::to_string(i + 1) + ": " + w);
    cores.push_back({path, taken, st.pause_s});
  }
  for (const Taken& t : cores) {
    std::unique_ptr<Session> s = Session::OpenCore(exe, t.path);
    try {
      DwflUnwinder unwinder(s->target());
      unwinder.HandOver(s->stacks());
    } catch (const Error& e) {
      looks.Warn(std::string("C frames: ") + e.what());
    }
    looks.Add(*s, t.taken_ns, t.pause_s);
    std::error_code ec;
    std::filesystem::remove(t.path, ec);  // 100,000 goroutines: one at a time on disk
  }
  return looks.Report(o.interval_s);
}

nlohmann::json WatchLooks::Report(double interval_s) const {
  if (looks_.size() < 2) throw Error("watch needs at least 2 looks, not " + std::to_string(looks_.size()));
  std::vector<std::string> warnings = warnings_;
  double max_pause = max_pause_s_;
  std::vector<const Look*> looks;
  for (const auto& l : looks_) looks.push_back(l.get());
  nlohmann::json stuck = nlohmann::json::array(), progressing = nlohmann::json::array();
  const Look& first = *looks.front();
  const Look& last = *looks.back();
  double watched_s = (last.taken_ns - first.taken_ns - (last.held_ns - first.held_ns)) / 1e9;
  for (const auto& c : first.cycles) {
    bool always = true;
    for (const Look* l : looks) always = always && l->cycles.count(c);
    if (always) stuck.push_back({{"cycle", c.substr(0, c.size() - 1)}, {"since_s", watched_s}, {"since", "first snapshot"}});
  }
  std::set<std::string> ids;
  for (const Look* l : looks)
    for (const auto& [id, a] : l->activities) ids.insert(id);
  for (const std::string& id : ids) {
    const Activity* a0 = nullptr;
    size_t seen = 0;
    bool same = true;
    std::string changed;
    for (const Look* l : looks) {
      auto it = l->activities.find(id);
      if (it == l->activities.end()) continue;
      ++seen;
      if (!a0) {
        a0 = &it->second;
      } else if (it->second.key != a0->key && same) {
        same = false;
        auto field = [](const nlohmann::json& e, const char* k) { return e.value(k, nlohmann::json(nullptr)); };
        changed = field(it->second.entry, "state") != field(a0->entry, "state") ||
                          field(it->second.entry, "waits_on") != field(a0->entry, "waits_on")
                      ? "state"
                  : field(it->second.entry, "holder") != field(a0->entry, "holder") ? "lock holder"
                                                                                   : "stack";
      }
    }
    nlohmann::json e = a0->entry;
    if (seen < looks.size()) {
      e["changed"] = "presence";  // it began or ended meanwhile
      e["seen_in"] = seen;
      progressing.push_back(e);
    } else if (!same) {
      e["changed"] = changed;
      progressing.push_back(e);
    } else if (a0->can_be_stuck) {
      if (a0->wait_since_ns > 0 && a0->wait_since_ns < last.taken_ns) {
        e["since_s"] = (last.taken_ns - a0->wait_since_ns) / 1e9;
        e["since"] = "g.waitsince";
      } else {
        e["since_s"] = watched_s;
        e["since"] = "first snapshot";
      }
      stuck.push_back(e);
    } else {
      e["changed"] = nullptr;  // running (in Go, or in C outside any system call): busy, not waiting
      progressing.push_back(e);
    }
  }
  return {{"snapshots", looks.size()}, {"interval_s", interval_s}, {"pause_ms_max", max_pause < 0 ? nlohmann::json(nullptr) : nlohmann::json(max_pause * 1e3)},
          {"watched_s", watched_s}, {"stuck", stuck}, {"progressing", progressing}, {"warnings", warnings}};
}

std::string WatchText(const nlohmann::json& r) {
  char head[160];
  if (r["pause_ms_max"].is_null())  // GDB's own stops: held as long as GDB holds it
    std::snprintf(head, sizeof head, "%d looks over %.1f s (the process stopped by GDB for each)\n",
                  r["snapshots"].get<int>(), r["watched_s"].get<double>());
  else
    std::snprintf(head, sizeof head, "%d snapshots over %.1f s (process held %.1f ms at most each time)\n",
                  r["snapshots"].get<int>(), r["watched_s"].get<double>(), r["pause_ms_max"].get<double>());
  std::string out = head;
  auto who = [](const nlohmann::json& e) {
    std::string s;
    if (e.contains("cycle")) return "deadlock cycle " + e["cycle"].get<std::string>();
    if (!e["goroutine"].is_null()) s = "goroutine " + std::to_string(e["goroutine"].get<int64_t>());
    if (!e["lwp"].is_null()) s += (s.empty() ? "LWP " : " (LWP ") + std::to_string(e["lwp"].get<int64_t>()) + (s.empty() ? "" : ")");
    return s;
  };
  const std::string look = r["pause_ms_max"].is_null() ? "look" : "snapshot";  // GDB's stops, or snapshots
  out += "Stuck (the same wait, stack and lock in every " + look + "): " + std::to_string(r["stuck"].size()) + "\n";
  for (const auto& e : r["stuck"]) {
    char since[64];
    std::snprintf(since, sizeof since, "%.1f s", e["since_s"].get<double>());
    out += "  " + who(e);
    if (!e.contains("cycle")) {
      out += ": " + e["waits_on"].get<std::string>();
      if (!e.value("top", "").empty()) out += " in " + views::Escaped(e["top"].get<std::string>());
      if (e.contains("lock")) out += " on " + views::Escaped(e["lock"].get<std::string>());
      if (e.contains("holder") && !e["holder"].is_null()) out += " held by " + e["holder"].get<std::string>();
    }
    out += std::string(", for ") + (e["since"] == "g.waitsince" ? "" : "at least ") + since + "\n";
  }
  out += "Progressing (changed between " + look + "s, or running): " + std::to_string(r["progressing"].size()) + "\n";
  for (const auto& e : r["progressing"]) {
    out += "  " + who(e) + ": " + e["state"].get<std::string>();
    if (!e.value("top", "").empty()) out += " in " + views::Escaped(e["top"].get<std::string>());
    out += e["changed"].is_null() ? std::string(" (running)") : " (" + e["changed"].get<std::string>() + " changed)";
    out += "\n";
  }
  for (const auto& w : r["warnings"]) out += "warning: " + views::Escaped(w.get<std::string>()) + "\n";
  return out;
}

}  // namespace cgostack

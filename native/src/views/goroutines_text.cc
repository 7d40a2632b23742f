#include "views/goroutines_text.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "report/huge_pages.h"
#include "views/escape.h"
#include "views/frame_lines.h"

namespace cgostack::views {

namespace {

constexpr size_t kGoidsShown = 8;     // goid runs in a group header before "... and N more"
constexpr size_t kLargeList = 1000;   // above this many goroutines the summary suggests --group
constexpr int64_t kMinuteNs = 60LL * 1000 * 1000 * 1000;

std::string Plural(size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

// Nanoseconds as 850ms, 42.3s, 5m12s, 2h03m.
std::string Duration(int64_t ns) {
  char buf[48];
  if (ns < 1000000) std::snprintf(buf, sizeof buf, "%lldus", static_cast<long long>(ns / 1000));
  else if (ns < 1000000000) std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ns / 1000000));
  else {
    double s = static_cast<double>(ns) / 1e9;
    if (s < 60) {
      std::snprintf(buf, sizeof buf, "%.1fs", s);
    } else {
      long long t = static_cast<long long>(s);
      if (t < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
      else std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, t % 3600 / 60);
    }
  }
  return buf;
}

// How long the goroutine has waited, when the runtime recorded since when
// and the report knows the time (live processes).
std::optional<int64_t> WaitNs(const Goroutine& g, const std::optional<int64_t>& now) {
  if (g.wait_since_ns && now && *now && *now >= g.wait_since_ns) return *now - g.wait_since_ns;
  return std::nullopt;
}

// `M3 (LWP 26296, thread 5)`, leaving out what is unknown.
std::string Thread(const std::optional<int64_t>& m, const std::optional<int64_t>& lwp,
                   const std::optional<int64_t>& gdb_thread, const char* gdb_word = "thread") {
  std::string extra;
  if (lwp) extra = "LWP " + std::to_string(*lwp);
  if (gdb_thread) extra += (extra.empty() ? "" : ", ") + std::string(gdb_word) + " " + std::to_string(*gdb_thread);
  std::string head = m ? "M" + std::to_string(*m) : "M?";
  return extra.empty() ? head : head + " (" + extra + ")";
}

// k=v, sorted by key, as a dict of them shows (the last of equal keys).
std::string Labels(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : labels) sorted[k] = v;
  std::string out;
  for (const auto& [k, v] : sorted) {
    if (!out.empty()) out += ", ";
    AppendEscaped(out, k);
    out += '=';
    AppendEscaped(out, v);
  }
  return out;
}

std::string Header(const GoroutineSet& set, const Goroutine& g) {
  std::string out = "goroutine " + std::to_string(g.goid) + " [";
  AppendEscaped(out, StateLabel(g.status, g.wait_reason));
  if (auto w = WaitNs(g, set.now_ns); w && *w >= kMinuteNs) out += ", " + Plural(static_cast<size_t>(*w / kMinuteNs), "minute");
  if (g.locked_to_thread) out += ", locked to thread";
  out += ']';
  if (g.m || g.lwp) out += " on " + Thread(g.m, g.lwp, set.GdbThread(g.lwp));
  if (g.locked_to_thread && (g.locked_m || g.locked_lwp) && (g.locked_m != g.m || g.locked_lwp != g.lwp))
    out += " locked to " + Thread(g.locked_m, g.locked_lwp, set.GdbThread(g.locked_lwp));
  if (!g.labels.empty()) out += " {" + Labels(g.labels) + "}";
  if (g.system) out += " system";
  out += ':';
  return out;
}

std::string CreatedBy(const Goroutine& g, bool with_parent) {
  std::string out;
  AppendEscaped(out, g.created_by);
  if (with_parent && g.parent_goid) out += " in goroutine " + std::to_string(*g.parent_goid);
  if (!g.created_by_file.empty()) {
    out += " at ";
    AppendEscaped(out, g.created_by_file);
    out += ':' + std::to_string(g.created_by_line);
  }
  return out;
}

void Line(std::string& out, std::string_view line) {
  out += line;
  out += '\n';
}

// Renders each distinct stack once per output.
class StackLines {
 public:
  StackLines(const GoroutineSet& set, std::optional<size_t> limit, bool runtime_frames)
      : set_(set), limit_(limit), runtime_frames_(runtime_frames) {}
  // The lines of one goroutine's stack, each ending in a newline, rendered
  // once per distinct stack.
  const std::string& Of(size_t goroutine) {
    uint32_t s = set_.stack_of[goroutine];
    auto it = cache_.find(s);
    if (it == cache_.end()) {
      FrameBlock block = RenderFrames(set_.stacks[s], limit_, runtime_frames_);
      Block b{"", block.runtime_hidden};
      for (const auto& line : block.lines) b.text += line + "\n";
      it = cache_.emplace(s, std::move(b)).first;
    }
    runtime_hidden_ = runtime_hidden_ || it->second.runtime_hidden;
    return it->second.text;
  }
  // The error, frames, notes, stack error and creation site of one
  // goroutine (or of a group, by its first member).
  // `crash_mark`: the crashing goroutine says so above its frames (the
  // list; a group stands for several goroutines and does not).
  void Render(std::string& out, size_t goroutine, bool with_parent, bool crash_mark) {
    const Goroutine& g = set_.goroutines[goroutine];
    if (!g.error.empty()) Line(out, std::string(kIndent) + "error: " + Escaped(g.error));
    if (limit_ && *limit_ == 0) return;  // headers only (an unreadable goroutine keeps its error)
    if (crash_mark && set_.crash_goid && g.goid == *set_.crash_goid)
      Line(out, std::string(kIndent) + "crashed here: " + Escaped(set_.crash));
    if (!set_.frames(goroutine).empty()) out += Of(goroutine);
    if (!g.frames_error.empty()) Line(out, std::string(kIndent) + "stack error: " + Escaped(g.frames_error));
    if (!g.created_by.empty()) {
      out += kIndent;
      out += "created by ";
      Line(out, CreatedBy(g, with_parent));
    }
  }
  bool runtime_hidden() const { return runtime_hidden_; }
  // About how many bytes Render writes for `goroutine`: its stack's text
  // exactly (rendered here, as Render would), its other lines estimated.
  size_t Bytes(size_t goroutine) {
    size_t n = kOtherLineBytes;
    if (!(limit_ && *limit_ == 0) && !set_.frames(goroutine).empty()) n += Of(goroutine).size();
    return n;
  }

 private:
  const GoroutineSet& set_;
  std::optional<size_t> limit_;
  bool runtime_frames_;
  struct Block {
    std::string text;
    bool runtime_hidden;
  };
  std::unordered_map<uint32_t, Block> cache_;
  bool runtime_hidden_ = false;
  static constexpr size_t kOtherLineBytes = 192;  // a header and a "created by" line
};

// The output buffer for `n` bytes: 100,000 goroutines make tens of
// megabytes, written once into a buffer that never moves.
std::string Buffer(size_t n) {
  std::string out;
  out.reserve(n);
  AdviseHugePages(out.data(), n);
  return out;
}

// The last line: what was shown and why the rest was not.
std::string Summary(const Selection& sel, const std::vector<Group>* groups, bool runtime_hidden) {
  size_t n = sel.shown.size();
  std::string head = n == sel.total ? Plural(n, "goroutine") + " shown"
                                    : std::to_string(n) + " of " + std::to_string(sel.total) + " goroutines shown";
  if (groups) head += " in " + Plural(groups->size(), "group");
  std::vector<std::string> notes;
  if (sel.filtered_out) notes.push_back(std::to_string(sel.filtered_out) + " filtered out");
  if (sel.hidden_system)
    notes.push_back(Plural(sel.hidden_system, "system goroutine") + " hidden; --system shows " +
                    (sel.hidden_system == 1 ? "it" : "them"));
  if (runtime_hidden) notes.push_back("runtime frames hidden; --runtime-frames shows them");
  if (!groups && n > kLargeList) notes.push_back("--group folds identical stacks");
  if (notes.empty()) return head;
  head += " (";
  for (size_t i = 0; i < notes.size(); ++i) head += (i ? "; " : "") + notes[i];
  return head + ")";
}

void Tail(std::string& out, const GoroutineSet& set, const Selection& sel, const std::vector<Group>* groups,
          bool runtime_hidden) {
  if (!sel.not_found.empty()) {
    std::string line = "no goroutine ";
    for (size_t i = 0; i < sel.not_found.size(); ++i) line += (i ? ", " : "") + std::to_string(sel.not_found[i]);
    Line(out, line);
  }
  Line(out, Summary(sel, groups, runtime_hidden));
  for (const auto& w : set.warnings) Line(out, "warning: " + Escaped(w));
}

std::string Join(const std::vector<std::string>& lines) {
  size_t n = 0;
  for (const auto& l : lines) n += l.size() + 1;
  std::string out;
  out.reserve(n);
  for (const auto& l : lines) {
    out += l;
    out += '\n';
  }
  if (lines.empty()) out = "\n";
  return out;
}

// [1, 2, 3, 7, 9, 10] -> "1-3, 7, 9-10", the first kGoidsShown runs only.
std::string GoidRuns(const GoroutineSet& set, const std::vector<size_t>& members) {
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  for (size_t i : members) {
    uint64_t n = set.goroutines[i].goid;
    if (!runs.empty() && n == runs.back().second + 1) runs.back().second = n;
    else runs.push_back({n, n});
  }
  std::string text;
  for (size_t r = 0; r < runs.size() && r < kGoidsShown; ++r) {
    if (r) text += ", ";
    text += std::to_string(runs[r].first);
    if (runs[r].second != runs[r].first) text += "-" + std::to_string(runs[r].second);
  }
  if (runs.size() > kGoidsShown) {
    uint64_t rest = 0;
    for (size_t r = kGoidsShown; r < runs.size(); ++r) rest += runs[r].second - runs[r].first + 1;
    text += " ... and " + std::to_string(rest) + " more";
  }
  return text;
}

// Python's json.dumps of a string (ASCII only), for fields the full view
// lists by name and value.
std::string JsonQuoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    }
  }
  return out + "\"";
}

}  // namespace

std::string RenderGoroutineList(const GoroutineSet& set, const Selection& sel, std::optional<size_t> frame_limit,
                                bool runtime_frames) {
  StackLines stacks(set, frame_limit, runtime_frames);
  size_t bytes = 4096;
  for (size_t i : sel.shown) bytes += stacks.Bytes(i);
  std::string out = Buffer(bytes);
  for (size_t i : sel.shown) {
    Line(out, Header(set, set.goroutines[i]));
    stacks.Render(out, i, true, true);
  }
  Tail(out, set, sel, nullptr, stacks.runtime_hidden());
  return out;
}

std::string RenderGoroutineGroups(const GoroutineSet& set, const Selection& sel, const std::vector<Group>& groups,
                                  std::optional<size_t> frame_limit, bool runtime_frames) {
  std::string out;
  size_t width = groups.empty() ? 1 : std::to_string(groups[0].members.size()).size();
  StackLines stacks(set, frame_limit, runtime_frames);
  for (const auto& grp : groups) {
    const Goroutine& first = set.goroutines[grp.members[0]];
    size_t n = grp.members.size();
    std::string count = std::to_string(n);
    std::string line(width > count.size() ? width - count.size() : 0, ' ');
    line += count;
    line += n == 1 ? " goroutine  [" : " goroutines [";
    AppendEscaped(line, StateLabel(first.status, first.wait_reason));
    if (grp.locked_to_thread)
      line += n == 1 ? ", locked to thread" : ", " + std::to_string(grp.locked_to_thread) + " locked to thread";
    line += ']';
    if (first.system) line += " system";
    line += ": " + GoidRuns(set, grp.members);
    Line(out, line);
    stacks.Render(out, grp.members[0], false, false);
  }
  Tail(out, set, sel, &groups, stacks.runtime_hidden());
  return out;
}

std::string RenderGoroutineFull(const GoroutineSet& set, size_t index, std::optional<size_t> frame_limit) {
  const Goroutine& g = set.goroutines[index];
  const std::vector<StackFrame>& frames = set.frames(index);
  auto none = [](std::string_view v) { return v.empty() ? std::string("none") : Escaped(v); };
  std::vector<std::pair<std::string, std::string>> rows;
  rows.push_back({"status", none(g.status)});
  rows.push_back({"wait reason", none(g.wait_reason)});
  std::string waited;
  if (auto w = WaitNs(g, set.now_ns)) {
    waited = Duration(*w);
    if (g.wait_since_ns) waited += " (since runtime nanotime " + std::to_string(g.wait_since_ns) + ")";
  } else if (g.wait_since_ns) {
    waited = "since runtime nanotime " + std::to_string(g.wait_since_ns) + " (the report has no current time)";
  } else {
    waited = "not recorded";
  }
  rows.push_back({"waiting for", waited});
  char addr[32];
  std::snprintf(addr, sizeof addr, "0x%llx", static_cast<unsigned long long>(g.address));
  rows.push_back({"g address", addr});
  rows.push_back({"M", g.m || g.lwp ? Thread(g.m, g.lwp, set.GdbThread(g.lwp), "GDB thread") : "none"});
  if (g.locked_to_thread)
    rows.push_back({"locked to thread", g.locked_m || g.locked_lwp
                                            ? "yes, " + Thread(g.locked_m, g.locked_lwp, set.GdbThread(g.locked_lwp), "GDB thread")
                                            : "yes"});
  else
    rows.push_back({"locked to thread", "no"});
  rows.push_back({"created by", g.created_by.empty() ? "none" : CreatedBy(g, true)});
  rows.push_back({"start function", none(g.start)});
  rows.push_back({"pprof labels", g.labels.empty() ? "none" : Labels(g.labels)});
  rows.push_back({"system goroutine", g.system ? "yes" : "no"});
  rows.push_back({"error", none(g.error)});
  // Fields the table has no row of its own for, as JSON, in name order.
  rows.push_back({"crash", set.crash_goid && g.goid == *set.crash_goid ? JsonQuoted(set.crash) : "null"});
  if (!g.labels_error.empty()) rows.push_back({"labels_error", JsonQuoted(g.labels_error)});
  size_t shown = frame_limit ? std::min(*frame_limit, frames.size()) : frames.size();
  size_t cut = frames.size() - shown;
  rows.push_back({"stack", Plural(frames.size(), "frame") + ", innermost first" +
                               (cut ? "; " + std::to_string(cut) + " more not shown (--frames)" : "")});

  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  std::vector<std::string> out;
  out.push_back(Header(set, g));
  for (const auto& [k, v] : rows) out.push_back("  " + k + std::string(width - k.size(), ' ') + "  " + v);
  if (shown) {
    size_t nw = std::to_string(shown - 1).size();
    size_t pw = 1, fw = 0;
    std::vector<std::string> names(shown);
    for (size_t i = 0; i < shown; ++i) {
      const StackFrame& f = frames[i];
      if (f.lang != FrameLang::kBoundary) {
        char buf[24];
        pw = std::max(pw, static_cast<size_t>(std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(f.pc))));
      }
      // A boundary has no function: "??" counts in the column's width.
      names[i] = f.lang == FrameLang::kBoundary || f.function.empty() ? "??" : Escaped(f.function);
      fw = std::max(fw, DisplayWidth(names[i]));
    }
    fw = std::min(fw, kFuncWidthMax);
    size_t n = 0;
    for (size_t i = 0; i < shown; ++i) {
      const StackFrame& f = frames[i];
      if (f.lang == FrameLang::kBoundary) {
        out.push_back(BoundaryLine(f));
        continue;
      }
      std::string num = std::to_string(n++);
      std::string line = "    #" + num + std::string(nw > num.size() ? nw - num.size() : 0, ' ') + "  ";
      char pcs[40];
      std::snprintf(pcs, sizeof pcs, "0x%0*llx", static_cast<int>(pw), static_cast<unsigned long long>(f.pc));
      line += pcs;
      line += "  " + names[i];
      size_t w = DisplayWidth(names[i]);
      if (w < fw) line.append(fw - w, ' ');
      line += "  ";
      AppendWhere(line, f);
      std::vector<std::string> tags;
      if (f.inlined) tags.push_back("inlined");
      if (f.lang == FrameLang::kGo && f.hidden_by_default) tags.push_back("runtime");
      if (f.lang == FrameLang::kC) {
        size_t slash = f.object.rfind('/');
        tags.push_back(f.object.empty() ? "C" : "C " + Escaped(slash == std::string_view::npos ? f.object : f.object.substr(slash + 1)));
      }
      if (!tags.empty()) {
        line += "  [";
        for (size_t t = 0; t < tags.size(); ++t) line += (t ? ", " : "") + tags[t];
        line += ']';
      }
      out.push_back(std::move(line));
    }
  }
  if (!g.frames_error.empty()) out.push_back("  stack error" + std::string(width - 11, ' ') + "  " + Escaped(g.frames_error));
  for (const auto& w : set.warnings) out.push_back("warning: " + Escaped(w));
  return Join(out);
}

}  // namespace cgostack::views

#include "views/goroutine_selection.h"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace cgostack::views {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool MatchesState(const Goroutine& g, const std::vector<std::string>& states) {
  std::string status = Lower(g.status);
  std::string reason = status == "waiting" ? Lower(g.wait_reason) : "";
  for (const auto& s : states)
    if (s == status || (!reason.empty() && reason.find(s) != std::string::npos)) return true;
  return false;
}

bool MatchesFunctions(const Goroutine& g, const std::vector<StackFrame>& frames,
                      const std::vector<std::string>& subs) {
  for (const auto& s : subs) {
    bool found = !g.start.empty() && g.start.find(s) != std::string_view::npos;
    for (size_t i = 0; !found && i < frames.size(); ++i)
      found = frames[i].lang != FrameLang::kBoundary && frames[i].function.find(s) != std::string_view::npos;
    if (!found) return false;
  }
  return true;
}

void Append(std::string& key, std::string_view s) {
  key.append(s);
  key.push_back('\0');
}

template <typename T>
void AppendRaw(std::string& key, const T& v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// The function, file and line of every frame (a boundary counts as a
// frame without them).
std::string FrameKey(const std::vector<StackFrame>& frames) {
  std::string key;
  for (const auto& f : frames) {
    if (f.lang == FrameLang::kBoundary) {
      key.push_back('\1');
      continue;
    }
    key.push_back('\2');
    Append(key, f.function);
    Append(key, f.file);
    AppendRaw(key, f.line);
  }
  return key;
}

// The pcs of every frame, or the frame key for a stack with a boundary
// (which has no pc): cheaper, and at least as fine.
std::string PcKey(const std::vector<StackFrame>& frames) {
  std::string key = "p";
  for (const auto& f : frames) {
    if (f.lang == FrameLang::kBoundary) return "f" + FrameKey(frames);
    AppendRaw(key, f.pc);
  }
  return key;
}

std::string FieldsKey(const Goroutine& g) {
  std::string key;
  Append(key, g.status);
  Append(key, g.wait_reason);
  Append(key, g.created_by);
  Append(key, g.created_by_file);
  AppendRaw(key, g.created_by_line);
  Append(key, g.frames_error);
  Append(key, g.error);
  return key;
}

}  // namespace

std::string_view StateLabel(const std::string& status, const std::string& wait_reason) {
  if (status == "waiting") return wait_reason.empty() ? std::string_view(status) : std::string_view(wait_reason);
  return status.empty() ? std::string_view("?") : std::string_view(status);
}

Selection Select(const GoroutineSet& set, const GoroutineFilter& filter) {
  Selection sel;
  std::set<uint64_t> want(filter.goids.begin(), filter.goids.end()), found;
  bool by_goid = !filter.goids.empty();
  for (size_t i = 0; i < set.goroutines.size(); ++i) {
    const Goroutine& g = set.goroutines[i];
    if (by_goid) {
      if (!want.count(g.goid)) continue;
      found.insert(g.goid);
    }
    if (!filter.states.empty() && !MatchesState(g, filter.states)) continue;
    if (!filter.functions.empty() && !MatchesFunctions(g, set.frames(i), filter.functions)) continue;
    if (!by_goid && !filter.system && g.system) {
      ++sel.hidden_system;
      continue;
    }
    sel.shown.push_back(i);
  }
  std::stable_sort(sel.shown.begin(), sel.shown.end(),
                   [&](size_t a, size_t b) { return set.goroutines[a].goid < set.goroutines[b].goid; });
  sel.total = set.goroutines.size();
  sel.filtered_out = sel.total - sel.shown.size() - sel.hidden_system;
  for (uint64_t goid : want)
    if (!found.count(goid)) sel.not_found.push_back(goid);
  return sel;
}

std::vector<Group> GroupGoroutines(const GoroutineSet& set, const std::vector<size_t>& goroutines) {
  // First bucket by the pcs (per distinct stack, computed once), then merge
  // the buckets whose function+file+line sequences are equal; buckets merge
  // in the order they first appeared.
  std::vector<std::string> pc_keys(set.stacks.size()), frame_keys(set.stacks.size());
  std::vector<bool> keyed(set.stacks.size());
  std::unordered_map<std::string, size_t> bucket_index;
  std::vector<std::vector<size_t>> buckets;
  for (size_t i : goroutines) {
    uint32_t s = set.stack_of[i];
    if (!keyed[s]) {
      pc_keys[s] = PcKey(set.stacks[s]);
      frame_keys[s] = FrameKey(set.stacks[s]);
      keyed[s] = true;
    }
    std::string key = pc_keys[s];
    key += '\3';
    key += FieldsKey(set.goroutines[i]);
    auto [it, fresh] = bucket_index.emplace(std::move(key), buckets.size());
    if (fresh) buckets.emplace_back();
    buckets[it->second].push_back(i);
  }
  std::unordered_map<std::string, size_t> group_index;
  std::vector<Group> groups;
  for (auto& members : buckets) {
    const size_t first = members.front();
    std::string key = frame_keys[set.stack_of[first]];
    key += '\3';
    key += FieldsKey(set.goroutines[first]);
    auto [it, fresh] = group_index.emplace(std::move(key), groups.size());
    if (fresh) groups.emplace_back();
    auto& m = groups[it->second].members;
    m.insert(m.end(), members.begin(), members.end());
  }
  for (auto& grp : groups)
    for (size_t i : grp.members)
      if (set.goroutines[i].locked_to_thread) ++grp.locked_to_thread;
  std::stable_sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) {
    if (a.members.size() != b.members.size()) return a.members.size() > b.members.size();
    return set.goroutines[a.members[0]].goid < set.goroutines[b.members[0]].goid;
  });
  return groups;
}

}  // namespace cgostack::views

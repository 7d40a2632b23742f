#include "goroutine_query.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace cgostack {

namespace {

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

std::string StackKey(const Goroutine& g) {
  std::string key = g.status + '\0' + g.wait_reason + '\0' + g.frames_error + '\0';
  for (const auto& f : g.frames) {
    key.append(f.function);
    key.push_back('\0');
    key.append(f.file);
    key.append(std::to_string(f.line));
    key.push_back('\n');
  }
  return key;
}

}  // namespace

bool Matches(const GoroutineQuery& q, const Goroutine& g) {
  if (!q.include_system && g.system) return false;
  if (!q.goids.empty() && std::find(q.goids.begin(), q.goids.end(), g.goid) == q.goids.end()) return false;
  if (!q.states.empty()) {
    bool any = false;
    for (const auto& s : q.states) any |= ContainsNoCase(g.status, s) || ContainsNoCase(g.wait_reason, s);
    if (!any) return false;
  }
  if (!q.functions.empty()) {
    bool any = false;
    for (const auto& fn : q.functions)
      for (const auto& f : g.frames) any |= f.function.find(fn) != std::string_view::npos;
    if (!any) return false;
  }
  return true;
}

std::vector<GoroutineGroup> GroupByStack(const std::vector<const Goroutine*>& gs) {
  std::vector<GoroutineGroup> groups;
  std::unordered_map<std::string, size_t> index;
  for (const Goroutine* g : gs) {
    auto [it, fresh] = index.emplace(StackKey(*g), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].members.push_back(g);
  }
  std::stable_sort(groups.begin(), groups.end(), [](const GoroutineGroup& a, const GoroutineGroup& b) {
    return a.members.size() > b.members.size();
  });
  return groups;
}

}  // namespace cgostack

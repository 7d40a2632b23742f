#include "locks/waiter_groups.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>
#include <unordered_map>

#include "goruntime/goroutines.h"

namespace cgostack {

namespace {

bool NotOwnGo(std::string_view fn) {
  return fn.rfind("runtime.", 0) == 0 || fn.rfind("internal/", 0) == 0 || fn.rfind("sync.", 0) == 0 ||
         fn.find("._Cfunc_") != std::string_view::npos || fn.find("_cgoexp_") != std::string_view::npos;
}

std::string Located(const StackFrame& f) {
  std::string s(f.function);
  if (!f.file.empty()) {
    std::string_view file = f.file;
    if (size_t slash = file.rfind('/'); slash != std::string_view::npos) file.remove_prefix(slash + 1);
    s += " (" + std::string(file) + ":" + std::to_string(f.line) + ")";
  }
  return s;
}

}  // namespace

std::string OwnCodeLocation(const std::vector<StackFrame>& frames, std::string_view exe_path) {
  for (const StackFrame& f : frames) {
    if (f.function.empty()) continue;
    if (f.lang == FrameLang::kC && f.object == exe_path) return Located(f);
    if (f.lang == FrameLang::kGo && !f.hidden_by_default && !NotOwnGo(f.function)) return Located(f);
  }
  return "";
}

std::string IdRanges(const std::vector<uint64_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(ids[i]);
    if (j > i) out += "-" + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

std::vector<WaiterGroup> GroupWaiters(const LockGraph& g) {
  std::unordered_map<std::string_view, const GraphNode*> nodes;
  nodes.reserve(g.nodes.size());
  for (const GraphNode& n : g.nodes) nodes[n.id] = &n;
  std::unordered_map<std::string_view, std::string_view> goroutine_on;  // thread id -> goroutine id ("runs")
  for (const GraphEdge& e : g.edges)
    if (e.kind == "runs" && e.from[0] == 'g') goroutine_on.emplace(e.to, e.from);
  std::unordered_map<std::string_view, size_t> lock_order;
  // Keys view the graph's strings: 100,000 waiters make no copies.
  std::map<std::tuple<size_t, std::string_view, std::string_view>, WaiterGroup> groups;
  for (const GraphEdge& e : g.edges) {
    if (e.kind != "waits_for") continue;
    std::string_view who = e.from;
    if (who[0] == 't')
      if (auto it = goroutine_on.find(who); it != goroutine_on.end()) who = it->second;
    auto node = nodes.find(who);
    std::string_view where = node != nodes.end() ? std::string_view(node->second->where) : std::string_view();
    size_t order = lock_order.emplace(e.to, lock_order.size()).first->second;
    WaiterGroup& grp = groups[{order, where, e.evidence}];
    if (!grp.count) {
      grp.lock = e.to;
      grp.where = where;
      grp.evidence = e.evidence;
    }
    ++grp.count;
    if (who[0] == 'g') {
      uint64_t goid = 0;
      std::from_chars(who.data() + 1, who.data() + who.size(), goid);
      grp.goids.push_back(goid);
    } else {
      grp.other_waiters.emplace_back(who);
    }
  }
  std::vector<WaiterGroup> out;
  for (auto& [key, grp] : groups) {
    std::sort(grp.goids.begin(), grp.goids.end());
    out.push_back(std::move(grp));
  }
  std::stable_sort(out.begin(), out.end(), [&](const WaiterGroup& a, const WaiterGroup& b) {
    size_t oa = lock_order[a.lock], ob = lock_order[b.lock];
    return oa != ob ? oa < ob : a.count > b.count;
  });
  return out;
}

void WriteWaiterGroups(const std::vector<WaiterGroup>& groups, JsonWriter& w) {
  w.Key("waiter_groups").BeginArray();
  for (const WaiterGroup& grp : groups) {
    w.BeginObject();
    w.Field("lock", grp.lock).Field("where", grp.where).Field("evidence", grp.evidence);
    w.Field("count", static_cast<uint64_t>(grp.count)).Field("goroutines", IdRanges(grp.goids));
    w.Key("other_waiters").BeginArray();
    for (const std::string& id : grp.other_waiters) w.String(id);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace cgostack

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
  // Digits straight into the text (12,500 goids per lock: no string each).
  auto append = [&out](uint64_t id) {
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, id).ptr);
  };
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    append(ids[i]);
    if (j > i) {
      out += '-';
      append(ids[j]);
    }
    i = j + 1;
  }
  return out;
}

std::vector<WaiterGroup> GroupWaiters(const LockGraph& g) {
  // A waiter's node from the index its edge carries; by id only for edges
  // without one (a graph made by hand): 100,000 waiters hash no ids.
  std::unordered_map<std::string_view, const GraphNode*> by_id;
  auto node_of = [&](std::string_view id, size_t index) -> const GraphNode* {
    if (index < g.nodes.size()) return &g.nodes[index];
    if (by_id.empty())
      for (const GraphNode& n : g.nodes) by_id[n.id] = &n;
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : it->second;
  };
  // thread id -> goroutine id and node ("runs")
  std::unordered_map<std::string_view, std::pair<std::string_view, size_t>> goroutine_on;
  for (const GraphEdge& e : g.edges)
    if (e.kind == "runs" && e.from[0] == 'g') goroutine_on.emplace(e.to, std::make_pair(e.from, e.from_node));
  std::unordered_map<std::string_view, size_t> lock_order;
  std::vector<size_t> order_of_node(g.nodes.size(), kNoNode);  // lock_order by the lock's node
  // Keys view the graph's strings: 100,000 waiters make no copies.
  std::map<std::tuple<size_t, std::string_view, std::string_view>, WaiterGroup> groups;
  for (const GraphEdge& e : g.edges) {
    if (e.kind != "waits_for") continue;
    std::string_view who = e.from;
    size_t who_node = e.from_node;
    if (who[0] == 't')
      if (auto it = goroutine_on.find(who); it != goroutine_on.end()) std::tie(who, who_node) = it->second;
    const GraphNode* node = node_of(who, who_node);
    std::string_view where = node ? node->where : std::string_view();
    size_t* order_at = e.to_node < order_of_node.size() ? &order_of_node[e.to_node] : nullptr;
    size_t order = order_at && *order_at != kNoNode ? *order_at : lock_order.emplace(e.to, lock_order.size()).first->second;
    if (order_at) *order_at = order;
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
    // Waiters come in goid order (the graph adds goroutines so): sorted already.
    if (!std::is_sorted(grp.goids.begin(), grp.goids.end())) std::sort(grp.goids.begin(), grp.goids.end());
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

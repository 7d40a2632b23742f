#include "views/lockgraph_text.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <vector>

#include "locks/waiter_groups.h"
#include "views/escape.h"
#include "views/frame_lines.h"

namespace cgostack::views {

namespace {

std::string DotId(std::string_view s) {
  std::string escaped = Escaped(s), out = "\"";
  for (char c : escaped) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string RenderLockGraph(const LockGraph& g) {
  // A node's label from the index its edge carries (no node by id for
  // each of 100,000 waiters); by id only for edges without one (a graph
  // made by hand); the id itself if there is no such node.
  std::unordered_map<std::string_view, const GraphNode*> by_id;
  auto label = [&](std::string_view id, size_t index) {
    if (index < g.nodes.size()) return Escaped(g.nodes[index].label);
    if (by_id.empty())
      for (const GraphNode& n : g.nodes) by_id.emplace(n.id, &n);
    auto it = by_id.find(id);
    return it == by_id.end() ? Escaped(id) : Escaped(it->second->label);
  };
  std::vector<std::string> lines;
  if (g.diagnoses.empty()) lines.push_back("no deadlock, leaked lock or blocked signal found");
  for (const auto& d : g.diagnoses) {
    lines.push_back(Escaped(d.code) + ": " + Escaped(d.message));
    lines.push_back(std::string(kIndent) + "fix: " + Escaped(d.fix));
  }
  std::vector<const GraphNode*> locks;
  for (const auto& n : g.nodes)
    if (n.kind == "lock") locks.push_back(&n);
  if (!locks.empty()) {
    lines.push_back("");
    lines.push_back("locks (" + std::to_string(locks.size()) + "):");
  }
  std::unordered_map<std::string_view, std::vector<const GraphEdge*>> waiting, held;
  for (const auto& e : g.edges) {
    if (e.kind == "waits_for") waiting[e.to].push_back(&e);
    else if (e.kind == "held_by") held[e.from].push_back(&e);
  }
  std::stable_sort(locks.begin(), locks.end(), [](const GraphNode* a, const GraphNode* b) {
    return std::make_pair(Name(a->lock_kind), std::string_view(a->label)) <
           std::make_pair(Name(b->lock_kind), std::string_view(b->label));
  });
  const std::string in2 = std::string(kIndent) + kIndent;
  // Thousands of waiters: one line per code location (waiter_groups),
  // grouped only when some lock has more waiters than the text lists.
  std::vector<WaiterGroup> groups;
  std::unordered_map<std::string_view, std::vector<const WaiterGroup*>> groups_of;
  for (const auto& [lock, edges] : waiting)
    if (edges.size() > kTextWaiters) {
      groups = GroupWaiters(g);
      for (const WaiterGroup& grp : groups) groups_of[grp.lock].push_back(&grp);
      break;
    }
  for (const GraphNode* n : locks) {
    std::string line = kIndent + Escaped(n->label);
    for (const auto& [k, v] : n->details) line += ", " + Escaped(k) + ": " + Escaped(v);
    lines.push_back(std::move(line));
    auto h = held.find(n->id);
    if (h != held.end())
      for (const GraphEdge* e : h->second)
        lines.push_back(in2 + "held by " + label(e->to, e->to_node) + (e->exact ? "" : " (inferred)") + " \u2014 " + Escaped(e->evidence));
    if (h == held.end() && Info(n->lock_kind).has_holder) lines.push_back(in2 + "holder unknown");
    auto w = waiting.find(n->id);
    size_t count = w == waiting.end() ? 0 : w->second.size();
    auto grouped = groups_of.find(n->id);
    if (count > kTextWaiters && grouped != groups_of.end()) {
      for (const WaiterGroup* grp : grouped->second) {
        std::string who;
        if (!grp->goids.empty()) who = "goroutines " + IdRanges(grp->goids);
        if (!grp->other_waiters.empty())
          who += (who.empty() ? "" : ", ") + std::to_string(grp->other_waiters.size()) + " threads without a goroutine";
        lines.push_back(in2 + "waited for by " + std::to_string(grp->count) + " at " +
                        (grp->where.empty() ? std::string("code not the program's") : Escaped(grp->where)) +
                        " \u2014 " + Escaped(grp->evidence) + ": " + who);
      }
      continue;
    }
    for (size_t i = 0; i < count && i < kTextWaiters; ++i)
      lines.push_back(in2 + "waited for by " + label(w->second[i]->from, w->second[i]->from_node) + " \u2014 " + Escaped(w->second[i]->evidence));
    if (count > kTextWaiters) lines.push_back(in2 + "... and " + std::to_string(count - kTextWaiters) + " more waiters");
  }
  for (const auto& warning : g.warnings) lines.push_back("warning: " + Escaped(warning));
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  if (lines.empty()) out = "\n";
  return out;
}

std::string RenderLockGraphDot(const LockGraph& g, size_t max_nodes) {
  std::set<std::string, std::less<>> keep;
  if (g.nodes.size() > max_nodes) {
    for (const auto& c : g.cycles) keep.insert(c.begin(), c.end());
    for (const auto& d : g.diagnoses) keep.insert(d.nodes.begin(), d.nodes.end());
    for (const auto& e : g.edges)
      if (e.kind == "held_by") {
        keep.emplace(e.from);
        keep.emplace(e.to);
      }
  } else {
    for (const auto& n : g.nodes) keep.insert(n.id);
  }
  // The kept nodes by id (the first of an id), not all 100,000.
  std::unordered_map<std::string_view, const GraphNode*> nodes;
  for (const auto& n : g.nodes)
    if (keep.count(n.id)) nodes.emplace(n.id, &n);
  std::set<std::string> on_cycle;
  for (const auto& c : g.cycles) on_cycle.insert(c.begin(), c.end());
  std::string out = "digraph lockgraph {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n";
  for (const auto& id : keep) {
    auto it = nodes.find(id);
    if (it == nodes.end()) continue;
    const GraphNode& n = *it->second;
    std::string shape = n.kind == "thread" ? "box" : n.kind == "lock" ? "octagon" : "ellipse";
    out += "  " + DotId(id) + " [label=" + DotId(n.label) + ", shape=" + shape;
    if (on_cycle.count(id)) out += ", color=red, penwidth=2";
    out += "];\n";
  }
  for (const auto& e : g.edges) {
    if (!keep.count(e.from) || !keep.count(e.to)) continue;
    out += "  " + DotId(e.from) + " -> " + DotId(e.to) + " [label=" + DotId(e.kind) + ", style=" +
           (e.exact ? "solid" : "dashed") + "];\n";
  }
  return out + "}\n";
}

}  // namespace cgostack::views

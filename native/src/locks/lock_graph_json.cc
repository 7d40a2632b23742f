#include "locks/lock_graph_json.h"

#include <unordered_map>
#include <unordered_set>

#include "locks/waiter_groups.h"

namespace cgostack {

void WriteLockGraph(const LockGraph& g, JsonWriter& w, size_t max_waiters) {
  // Which edges and nodes to write (all of them unless max_waiters is set).
  std::vector<bool> edge_out(g.edges.size(), true);
  std::unordered_map<std::string_view, size_t> not_listed;
  std::unordered_set<std::string_view> referenced;
  if (max_waiters != SIZE_MAX) {
    std::unordered_map<std::string_view, size_t> listed;
    for (size_t i = 0; i < g.edges.size(); ++i) {
      const GraphEdge& e = g.edges[i];
      if (e.kind == "waits_for" && listed[e.to]++ >= max_waiters) {
        edge_out[i] = false;
        ++not_listed[e.to];
        continue;
      }
      referenced.insert(e.from);
      referenced.insert(e.to);
    }
    for (const auto& c : g.cycles) referenced.insert(c.begin(), c.end());
    for (const Diagnosis& d : g.diagnoses) referenced.insert(d.nodes.begin(), d.nodes.end());
  }
  w.BeginObject();
  w.Key("nodes").BeginArray();
  for (const GraphNode& n : g.nodes) {
    if (max_waiters != SIZE_MAX && !referenced.count(n.id)) continue;
    w.BeginObject();
    w.Field("id", n.id).Field("kind", n.kind).Field("label", n.label);
    if (n.kind == "lock") {
      w.Field("lock_kind", Name(n.lock_kind)).Field("address", n.address);
      w.Key("symbol");
      if (n.symbol.empty()) w.Null();
      else w.String(n.symbol);
      w.Key("owner_lwp");
      if (n.owner_lwp) w.Int(*n.owner_lwp);
      else w.Null();
      if (n.readers) w.Field("readers", *n.readers);
      auto more = not_listed.find(n.id);
      if (more != not_listed.end()) w.Field("waiters_not_listed", static_cast<uint64_t>(more->second));
    }
    if (n.kind == "thread") w.Field("activity", n.activity).Field("exited", n.exited);
    w.Key("details").BeginObject();
    for (const auto& [k, v] : n.details) w.DataKey(k).String(v);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.Key("edges").BeginArray();
  for (size_t i = 0; i < g.edges.size(); ++i) {
    if (!edge_out[i]) continue;
    const GraphEdge& e = g.edges[i];
    w.BeginObject();
    w.Field("from", e.from).Field("to", e.to).Field("kind", e.kind).Field("exact", e.exact).Field("evidence", e.evidence);
    w.EndObject();
  }
  w.EndArray();
  w.Key("cycles").BeginArray();
  for (const auto& c : g.cycles) {
    w.BeginArray();
    for (const auto& id : c) w.String(id);
    w.EndArray();
  }
  w.EndArray();
  w.Key("diagnoses").BeginArray();
  for (const Diagnosis& d : g.diagnoses) {
    w.BeginObject();
    w.Field("code", d.code).Field("message", d.message);
    w.Key("nodes").BeginArray();
    for (const auto& id : d.nodes) w.String(id);
    w.EndArray();
    w.Field("fix", d.fix);
    w.EndObject();
  }
  w.EndArray();
  // Where the pthread objects' layouts came from (null: none was read).
  w.Key("glibc");
  if (g.glibc) {
    w.BeginObject();
    w.Key("version");
    if (g.glibc->version.empty()) w.Null(); else w.String(g.glibc->version);
    w.Key("libc");
    if (g.glibc->libc.empty()) w.Null(); else w.String(g.glibc->libc);
    w.Key("layouts_from").String(g.glibc->source);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("warnings").BeginArray();
  for (const auto& s : g.warnings) w.String(s);
  w.EndArray();
  WriteWaiterGroups(GroupWaiters(g), w);
  w.EndObject();
}

}  // namespace cgostack

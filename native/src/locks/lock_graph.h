// The wait-for graph across C and Go: goroutines, threads and locks as
// nodes; "waits_for", "held_by" and "runs" edges (exact, or inferred with
// the evidence); every cycle (strongly connected component); and
// diagnoses that name the cause.  The model only: lock_graph_json.h writes
// it (docs/json-schema.md), views/lockgraph_text.h shows it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "locks/glibc_layouts.h"
#include "locks/lock_kind.h"
#include "report/goroutines_report.h"
#include "stacks/thread_stacks.h"

namespace cgostack {

struct GraphNode {
  std::string id;         // "g21", "t2354", "lock:0x5cd960", "package_init"
  std::string kind;       // "goroutine", "thread", "lock"
  std::string label;      // "goroutine 21 (main.cycleG1)", "pthread mutex mtxC"
  LockKind lock_kind = LockKind::kFutex;  // locks only (lock_kind.h)
  uint64_t address = 0;
  std::string symbol;
  std::optional<int64_t> owner_lwp;
  std::optional<int64_t> readers;
  std::vector<std::pair<std::string, std::string>> details;  // shown as they are
  // Facts the diagnoses use.
  std::string activity;   // threads: ThreadActivity
  bool in_callback = false, exited = false, recursive = false;
  std::vector<std::string> signals_blocked;  // threads: runtime-needed signals blocked
  // goroutines: first frame in the program's own code (waiter_groups.h);
  // one text per distinct stack, kept by the graph (LockGraph::Keep).
  std::string_view where;
};

inline constexpr size_t kNoNode = SIZE_MAX;

// 100,000 waiters make 100,000 edges: an edge owns no string.  Its ids view
// its nodes' ids, its kind a literal and its evidence a text the graph
// keeps (LockGraph::Keep), usually one per lock and wait reason.
struct GraphEdge {
  std::string_view from, to;
  std::string_view kind;  // "waits_for", "held_by", "runs"
  bool exact = true;
  std::string_view evidence;
  // Where `from` and `to` are in LockGraph::nodes (kNoNode: not known), so
  // that views need not find 100,000 nodes by id.
  size_t from_node = kNoNode, to_node = kNoNode;
};

struct Diagnosis {
  std::string code, message, fix;
  std::vector<std::string> nodes;
};

struct LockGraph {
  LockGraph() = default;
  // Edges view the nodes' ids and `texts`: moved, never copied (a deque's
  // elements stay where they are when it is moved).
  LockGraph(LockGraph&&) = default;
  LockGraph& operator=(LockGraph&&) = default;
  LockGraph(const LockGraph&) = delete;
  LockGraph& operator=(const LockGraph&) = delete;

  // Keeps `s` for as long as the graph lives; the view of it.
  std::string_view Keep(std::string s) { return texts.emplace_back(std::move(s)); }

  // A deque: references to nodes stay valid while more are added.
  std::deque<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  std::vector<std::vector<std::string>> cycles;  // node ids, in chain order
  std::vector<Diagnosis> diagnoses;
  std::vector<std::string> warnings;
  // The glibc layouts pthread objects were read with; unset if none was.
  std::optional<GlibcLayouts> glibc;
  // The texts edges and nodes view (Keep).
  std::deque<std::string> texts;
};

LockGraph BuildLockGraph(GoRuntime& rt, ThreadStacks& stacks);

}  // namespace cgostack

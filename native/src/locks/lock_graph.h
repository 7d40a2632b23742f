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
  std::string where;  // goroutines: first frame in the program's own code (waiter_groups.h)
};

struct GraphEdge {
  std::string from, to;
  std::string kind;  // "waits_for", "held_by", "runs"
  bool exact = true;
  std::string evidence;
};

struct Diagnosis {
  std::string code, message, fix;
  std::vector<std::string> nodes;
};

struct LockGraph {
  // A deque: references to nodes stay valid while more are added.
  std::deque<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  std::vector<std::vector<std::string>> cycles;  // node ids, in chain order
  std::vector<Diagnosis> diagnoses;
  std::vector<std::string> warnings;
  // The glibc layouts pthread objects were read with; unset if none was.
  std::optional<GlibcLayouts> glibc;
};

LockGraph BuildLockGraph(GoRuntime& rt, ThreadStacks& stacks);

}  // namespace cgostack

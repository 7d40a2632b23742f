#include "locks/lock_graph.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "error.h"
#include "locks/go_waits.h"
#include "locks/holder_inference.h"
#include "locks/key_index.h"
#include "locks/pthread_objects.h"
#include "locks/thread_waits.h"
#include "locks/waiter_groups.h"
#include "report/crash_report.h"
#include "report/format.h"
#include "report/goroutine_set.h"
#include "report/threads_report.h"

namespace cgostack {

namespace {

std::string ThreadId(int64_t lwp) { return "t" + std::to_string(lwp); }
std::string LockId(uint64_t addr) { return "lock:" + Hex(addr); }

// The first frame a user would recognise: not the runtime's, the standard
// library's locking or cgo's generated glue; "" if none is.
std::string_view UserFunction(const std::vector<StackFrame>& frames) {
  for (const StackFrame& f : frames) {
    std::string_view fn = f.function;
    if (f.lang != FrameLang::kGo || f.hidden_by_default) continue;
    if (fn.rfind("runtime.", 0) == 0 || fn.rfind("internal/", 0) == 0 || fn.rfind("sync.", 0) == 0 ||
        fn.find("._Cfunc_") != std::string_view::npos || fn.find("_cgoexp_") != std::string_view::npos)
      continue;
    return fn;
  }
  return {};
}

struct PollInC {
  std::string c_function;  // the program's C function that sleeps
  std::string sleep;       // the C library call it sleeps in (usleep, poll, ...)
};

class Builder {
 public:
  Builder(GoRuntime& rt, ThreadStacks& stacks) : rt_(rt), stacks_(stacks), waits_(rt), infer_(rt) {}

  LockGraph Build() {
    // Each distinct stack once: 100,000 goroutines stop in a few hundred
    // places, and what the graph derives from a stack is derived once.
    set_ = ReadGoroutineSet(rt_, true, [this](Goroutine* g) { stacks_.StitchGoroutine(g); }, {});
    facts_of_stack_.resize(set_.stacks.size());
    by_goid_.Reserve(set_.goroutines.size());
    goid_of_g_.Reserve(set_.goroutines.size());
    node_of_g_.assign(set_.goroutines.size(), kNoNode);
    graph_.edges.reserve(set_.goroutines.size() + 64);
    for (size_t i = 0; i < set_.goroutines.size(); ++i) {
      const Goroutine& g = set_.goroutines[i];
      goid_of_g_.Add(g.address, g.goid);
      by_goid_.Add(g.goid, i);
    }
    goid_of_g_.Seal();
    by_goid_.Seal();
    for (const ThreadState& ts : rt_.target().threads()) live_lwps_.insert(ts.lwp);
    for (const ThreadState& ts : rt_.target().threads()) AddThread(ts);
    for (size_t i = 0; i < set_.goroutines.size(); ++i) AddGoroutineWaits(i);
    InferMutexHolders();
    FindCycles();
    Diagnose();
    if (!waits_.error().empty()) graph_.warnings.push_back(waits_.error());
    for (const auto& w : set_.warnings) graph_.warnings.push_back(w);
    if (set_.labels_cut) graph_.warnings.push_back(LabelsCutWarning(set_.labels_cut));
    return std::move(graph_);
  }

 private:
  GraphNode& N(size_t i) { return graph_.nodes[i]; }

  // The index of the node `id`, kNoNode if there is none.  Goroutines
  // ("g<goid>") are found through their goid: 100,000 of them are not
  // hashed by name.
  size_t NodeIndex(std::string_view id) const {
    if (id.size() > 1 && id[0] == 'g' && id[1] >= '0' && id[1] <= '9') {
      uint64_t goid = 0;
      auto [end, ec] = std::from_chars(id.data() + 1, id.data() + id.size(), goid);
      if (ec != std::errc() || end != id.data() + id.size()) return kNoNode;
      auto i = by_goid_.Find(goid);
      return i ? node_of_g_[*i] : kNoNode;
    }
    auto it = index_.find(id);
    return it == index_.end() ? kNoNode : it->second;
  }
  GraphNode& Node(std::string_view id) { return N(NodeIndex(id)); }  // an existing node

  // The node `id` (not a goroutine's: GoroutineNode), made if new.
  size_t NodeOrNew(std::string id) {
    auto it = index_.find(id);
    if (it != index_.end()) return it->second;
    size_t i = graph_.nodes.size();
    graph_.nodes.emplace_back().id = std::move(id);
    index_.emplace(graph_.nodes.back().id, i);  // the key views the node's own id
    return i;
  }

  // `evidence` must live as long as the graph (a literal or a kept text).
  void EdgeKept(size_t from, size_t to, std::string_view kind, bool exact, std::string_view evidence) {
    // A lock's owner is found once per waiter (two waiters, one writer).
    if (kind == "held_by" && !held_by_.insert({from, to}).second) return;
    graph_.edges.push_back(GraphEdge{N(from).id, N(to).id, kind, exact, evidence, from, to});
  }
  void Edge(size_t from, size_t to, std::string_view kind, bool exact, std::string evidence) {
    if (kind == "held_by" && held_by_.count({from, to})) return;
    EdgeKept(from, to, kind, exact, graph_.Keep(std::move(evidence)));
  }

  std::string Symbol(uint64_t addr) {
    auto hit = rt_.target().exe().SymbolAt(addr - rt_.target().load_bias());
    if (!hit) return "";
    return hit->offset ? std::string(hit->name) + "+" + std::to_string(hit->offset) : std::string(hit->name);
  }

  // The node of the goroutine at `i` in set_; one per goid, as when nodes
  // were found by id (a corrupt core may repeat a goid).
  size_t GoroutineNode(size_t i) {
    i = *by_goid_.Find(set_.goroutines[i].goid);
    size_t& known = node_of_g_[i];
    if (known != kNoNode) return known;
    const Goroutine& g = set_.goroutines[i];
    known = graph_.nodes.size();
    GraphNode& n = graph_.nodes.emplace_back();
    // The goid's digits once for the id and the label (100,000 nodes).
    char digits[24];
    std::string_view goid(digits, static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, g.goid).ptr - digits));
    n.id.reserve(1 + goid.size());
    n.id.append(1, 'g').append(goid);
    n.kind = "goroutine";
    uint32_t s = set_.stack_of[i];
    std::optional<StackFacts>& facts = facts_of_stack_[s];
    if (!facts)
      facts = StackFacts{UserFunction(set_.stacks[s]), graph_.Keep(OwnCodeLocation(set_.stacks[s], rt_.target().exe().path()))};
    std::string_view fn = facts->user_function.empty() ? g.start : facts->user_function;
    if (fn.empty()) fn = "callback from C";
    n.label.reserve(13 + goid.size() + fn.size());
    n.label.append("goroutine ").append(goid).append(" (").append(fn).append(")");
    n.details.emplace_back("state", g.wait_reason.empty() ? g.status : g.wait_reason);
    n.where = facts->where;
    return known;
  }
  // `goid` is one of set_'s.
  size_t GoroutineNodeOfGoid(uint64_t goid) { return GoroutineNode(*by_goid_.Find(goid)); }

  size_t ThreadNode(int64_t lwp) {
    size_t i = NodeOrNew(ThreadId(lwp));
    GraphNode& n = N(i);
    if (n.kind.empty()) {
      n.kind = "thread";
      n.label = "LWP " + std::to_string(lwp);
      if (!live_lwps_.count(static_cast<int>(lwp))) {
        n.exited = true;
        n.label += " (exited)";
      }
    }
    return i;
  }

  // `what` starts the label; the kind's own label words when empty.
  size_t LockNode(uint64_t addr, LockKind lock_kind, std::string_view what = {}) {
    // A lock with thousands of waiters: its node found by address, not by
    // formatting and hashing its id ("lock:0x...") for each of them.
    auto [at, fresh] = lock_at_.try_emplace(addr, kNoNode);
    if (!fresh) return at->second;
    size_t i = NodeOrNew(LockId(addr));
    at->second = i;
    GraphNode& n = N(i);
    if (n.kind.empty()) {
      n.kind = "lock";
      n.lock_kind = lock_kind;
      n.address = addr;
      n.symbol = Symbol(addr);
      n.label = std::string(what.empty() ? Info(lock_kind).label : what) + " " + (n.symbol.empty() ? Hex(addr) : n.symbol);
    }
    return i;
  }

  void AddThread(const ThreadState& ts) {
    const ThreadContext& t = stacks_.contexts().Of(ts.lwp);
    ThreadRegisters tr = RegistersOf(rt_, ts);
    size_t id = ThreadNode(ts.lwp);
    GraphNode& n = N(id);
    if (t.m) n.label += " (M" + std::to_string(t.m_id) + ")";
    n.activity = std::string(ThreadActivity(rt_, stacks_, t, tr.known ? std::optional<uint64_t>(tr.regs.pc) : std::nullopt,
                                            !tr.handlers.empty()));
    n.in_callback = ThreadInCallback(stacks_, t);
    n.details.emplace_back("activity", n.activity);
    std::optional<uint64_t> mask = tr.handlers.empty() ? ts.blocked_signals : std::optional<uint64_t>(tr.handlers.back().blocked_signals);
    if (mask) n.signals_blocked = stacks_.signals().NeededAndBlocked(*mask);
    const bool in_callback = n.in_callback;
    // Goroutine <-> thread links, in the direction of dependence.
    if (t.curg.address && t.incgo) {
      if (auto goid = goid_of_g_.Find(t.curg.address))
        EdgeKept(GoroutineNodeOfGoid(*goid), id, "runs", true, "its cgo call runs on this thread (m.curg, m.incgo)");
    }
    if (in_callback) {
      for (const GView* g : {&t.lockedg, &t.curg}) {
        auto goid = g->address ? goid_of_g_.Find(g->address) : std::nullopt;
        if (!goid) continue;
        EdgeKept(id, GoroutineNodeOfGoid(*goid), "runs", true,
                 "the thread's C frames lie below this goroutine's callback from C: they resume when it returns");
        break;
      }
    } else if (t.lockedg.address && !t.curg.address) {
      if (auto goid = goid_of_g_.Find(t.lockedg.address))
        EdgeKept(id, GoroutineNodeOfGoid(*goid), "runs", true, "the thread is locked to this goroutine (m.lockedg)");
    }
    if (!tr.known && rt_.target().is_core()) return;
    auto wait = FindThreadWait(rt_, ts.lwp, tr.regs, !tr.handlers.empty(), stacks_.Chain(ts.lwp), Glibc());
    if (!wait) return;
    AddThreadWait(id, *wait);
  }

  void AddThreadWait(size_t tid, const ThreadWait& w) {
    const MemorySource& mem = rt_.target().memory();
    if (w.lock_kind == LockKind::kPackageInit) {
      Edge(tid, PackageInitNode(), "waits_for", true, w.evidence);
      return;
    }
    if (w.lock_kind == LockKind::kThreadJoin) {
      size_t lid = LockNode(w.futex, LockKind::kThreadJoin, "join of LWP " + std::to_string(w.join_tid) + " at");
      N(lid).owner_lwp = w.join_tid;
      Edge(tid, lid, "waits_for", true, w.evidence);
      if (w.join_tid > 0) EdgeKept(lid, ThreadNode(w.join_tid), "held_by", true, "pthread_join returns when this thread exits");
      return;
    }
    uint64_t addr = w.object ? w.object : w.futex;
    size_t lid = LockNode(addr, w.lock_kind);
    Edge(tid, lid, "waits_for", true, w.evidence);
    std::optional<int32_t> owner;
    std::string how;
    switch (Info(w.lock_kind).reader) {
      case LockReader::kPthreadMutex:
        if (auto m = ReadPthreadMutex(mem, addr, Glibc())) {
          GraphNode& ln = N(lid);
          ln.details = {{"type", m->type}, {"recursion count", std::to_string(m->count)}};
          if (m->robust) ln.details.emplace_back("robust", "yes");
          if (m->priority_inherit) ln.details.emplace_back("priority inheritance", "yes");
          ln.recursive = m->Recursive();
          if (m->OwnerTid()) {
            owner = m->OwnerTid();
            how = m->robust || m->priority_inherit ? "__lock & FUTEX_TID_MASK = " : "__data.__owner = ";
            how += std::to_string(*owner);
          } else {
            ln.details.emplace_back("owner", "not recorded (glibc left __owner 0)");
          }
        }
        break;
      case LockReader::kPthreadRwlock:
        if (auto r = ReadPthreadRwlock(mem, addr, Glibc())) {
          GraphNode& ln = N(lid);
          ln.readers = r->Readers();
          if (r->WriteLocked() && r->cur_writer) {
            owner = r->cur_writer;
            how = "write-locked: __cur_writer = " + std::to_string(*owner);
          } else if (r->Readers()) {
            ln.details.emplace_back("readers", std::to_string(r->Readers()) + " (glibc records no reader threads)");
          }
        }
        break;
      case LockReader::kPthreadCond:
        if (auto c = ReadPthreadCond(mem, addr, Glibc())) N(lid).details = {{"waiters", std::to_string(c->waiters)}};
        N(lid).details.emplace_back("signalled by", "unknown: a condition variable has no owner");
        break;
      default:
        break;  // a semaphore, runtime mutex or bare futex records no owner
    }
    if (owner) {
      N(lid).owner_lwp = *owner;
      Edge(lid, ThreadNode(*owner), "held_by", true, how);
    }
  }

  size_t PackageInitNode() {
    size_t i = NodeOrNew("package_init");
    GraphNode& n = N(i);
    if (n.kind.empty()) {
      n.kind = "lock";
      n.lock_kind = LockKind::kPackageInit;
      n.address = waits_.InitDoneChannel();
      n.symbol = Symbol(n.address);
      n.label = "package initialization (" + (n.symbol.empty() ? "runtime.mainInitDoneChan" : n.symbol) + ")";
      // runtime.main closes main_init_done after running every package's
      // init; goroutine 1 runs them (runtime.doInit in its stack).
      if (auto g1 = by_goid_.Find(1)) {
        bool in_init = false;
        for (const StackFrame& f : set_.frames(*g1))
          if (f.function.rfind("runtime.doInit", 0) == 0) in_init = true;
        if (in_init)
          EdgeKept(i, GoroutineNode(*g1), "held_by", true,
                   "goroutine 1 is running package initialization (runtime.doInit)");
      }
    }
    return i;
  }

  void AddGoroutineWaits(size_t i) {
    const Goroutine& g = set_.goroutines[i];
    if (g.status != "waiting") return;
    if (auto sema = waits_.SemaOf(g.address)) {
      SyncObject o = waits_.SyncObjectOf(*sema, set_.frames(i));
      size_t lid = LockNode(o.address, o.kind);
      GraphNode& l = N(lid);
      if (l.details.empty()) {
        if (o.kind == LockKind::kSyncMutex || o.kind == LockKind::kSyncRWMutex) {
          l.details = {{"locked", o.locked ? "yes" : "no"}, {"starving", o.starving ? "yes" : "no"},
                       {"waiters", std::to_string(o.waiters)}, {"holder", "unknown (Go records no owner)"}};
          if (o.locked) locked_mutexes_.push_back(lid);
        } else if (o.kind == LockKind::kSyncWaitGroup) {
          l.details = {{"counter", std::to_string(o.counter)}};
        }
      }
      // The evidence of a semaphore's waiters formatted once per reason.
      auto& [reason, evidence] = sema_evidence_[*sema];
      if (evidence.empty() || reason != g.wait_reason) {
        reason = g.wait_reason;
        evidence = graph_.Keep("its sudog sleeps on semaphore " + Hex(*sema) + " in runtime.semtable (" + g.wait_reason + ")");
      }
      EdgeKept(GoroutineNode(i), lid, "waits_for", true, evidence);
      waiters_of_[lid].push_back(i);
      return;
    }
    if (g.wait_reason.find("chan") == std::string::npos && g.wait_reason.find("select") == std::string::npos) return;
    for (const ChannelInfo* chp : waits_.ChannelsOf(g, goid_of_g_)) {
      const ChannelInfo& ch = *chp;
      size_t gid = GoroutineNode(i);
      if (ch.address == waits_.InitDoneChannel()) {
        EdgeKept(gid, PackageInitNode(), "waits_for", true,
                 "receives from the channel runtime.main closes when package initialization is done (a callback "
                 "from C came before that)");
        continue;
      }
      size_t lid = LockNode(ch.address, LockKind::kChan);
      GraphNode& l = N(lid);
      if (l.details.empty()) {
        l.details = {{"capacity", std::to_string(ch.dataqsiz)}, {"buffered", std::to_string(ch.qcount)},
                     {"element size", std::to_string(ch.elemsize)}, {"closed", ch.closed ? "yes" : "no"},
                     {"receivers waiting", std::to_string(ch.receivers.size())},
                     {"senders waiting", std::to_string(ch.senders.size())}};
      }
      // One text per wait reason, not per waiter.
      std::string_view& evidence = channel_evidence_[g.wait_reason];
      if (evidence.empty()) evidence = graph_.Keep("g.waiting sudog on this channel (" + g.wait_reason + ")");
      EdgeKept(gid, lid, "waits_for", true, evidence);
    }
  }

  void InferMutexHolders() {
    for (size_t lid : locked_mutexes_) {
      std::vector<HolderCandidate> candidates;
      candidates.reserve(set_.goroutines.size());
      std::vector<bool> waits(set_.goroutines.size());
      for (size_t i : waiters_of_[lid]) waits[i] = true;
      for (size_t i = 0; i < set_.goroutines.size(); ++i)
        if (!waits[i]) candidates.push_back({set_.goroutines[i].goid, &set_.frames(i)});
      auto holder = infer_.Holder(N(lid).address, candidates);
      if (!holder) continue;
      Edge(lid, GoroutineNodeOfGoid(holder->goid), "held_by", false, holder->evidence);
      for (auto& d : N(lid).details)
        if (d.first == "holder") d.second = "goroutine " + std::to_string(holder->goid) + " (inferred)";
    }
  }

  // Each node's out-edges in edge order, in one array: 100,000 nodes with a
  // vector each cost 100,000 allocations to make and free.
  struct Adjacency {
    struct Targets {
      const size_t *b, *e;
      const size_t* begin() const { return b; }
      const size_t* end() const { return e; }
      size_t size() const { return static_cast<size_t>(e - b); }
      size_t operator[](size_t i) const { return b[i]; }
    };
    std::vector<size_t> start, to;  // node v's targets: to[start[v]] .. to[start[v + 1] - 1]
    Targets operator[](size_t v) const { return {to.data() + start[v], to.data() + start[v + 1]}; }
  };

  // Tarjan's strongly connected components, iteratively (100,000 nodes).
  void FindCycles() {
    size_t n = graph_.nodes.size();
    Adjacency out;
    out.start.assign(n + 1, 0);
    for (const GraphEdge& e : graph_.edges) ++out.start[e.from_node + 1];
    for (size_t v = 0; v < n; ++v) out.start[v + 1] += out.start[v];
    out.to.resize(graph_.edges.size());
    std::vector<size_t> fill(out.start.begin(), out.start.end() - 1);
    for (const GraphEdge& e : graph_.edges) out.to[fill[e.from_node]++] = e.to_node;
    std::vector<int64_t> low(n, 0), num(n, -1);
    std::vector<bool> on_stack(n, false);
    std::vector<size_t> stack;
    int64_t counter = 0;
    for (size_t root = 0; root < n; ++root) {
      if (num[root] >= 0) continue;
      std::vector<std::pair<size_t, size_t>> work{{root, 0}};
      num[root] = low[root] = counter++;
      stack.push_back(root);
      on_stack[root] = true;
      while (!work.empty()) {
        auto& [v, i] = work.back();
        if (i < out[v].size()) {
          size_t w = out[v][i++];
          if (num[w] < 0) {
            num[w] = low[w] = counter++;
            stack.push_back(w);
            on_stack[w] = true;
            work.emplace_back(w, 0);
          } else if (on_stack[w]) {
            low[v] = std::min(low[v], num[w]);
          }
          continue;
        }
        if (low[v] == num[v]) {
          std::vector<size_t> comp;
          size_t w;
          do {
            w = stack.back();
            stack.pop_back();
            on_stack[w] = false;
            comp.push_back(w);
          } while (w != v);
          bool self_loop = std::find(out[v].begin(), out[v].end(), v) != out[v].end();
          if (comp.size() > 1 || self_loop) graph_.cycles.push_back(ChainOrder(comp, out));
        }
        size_t done = v;
        work.pop_back();
        if (!work.empty()) low[work.back().first] = std::min(low[work.back().first], low[done]);
      }
    }
  }

  // The component's nodes in the order the edges lead, from a goroutine or
  // thread when there is one, so that the chain reads as a story.
  std::vector<std::string> ChainOrder(const std::vector<size_t>& comp, const Adjacency& out) {
    std::set<size_t> in(comp.begin(), comp.end());
    size_t start = *std::min_element(comp.begin(), comp.end(), [&](size_t a, size_t b) {
      auto rank = [&](size_t x) { return graph_.nodes[x].kind == "goroutine" ? 0 : graph_.nodes[x].kind == "thread" ? 1 : 2; };
      return std::make_pair(rank(a), graph_.nodes[a].id) < std::make_pair(rank(b), graph_.nodes[b].id);
    });
    std::vector<std::string> chain;
    std::set<size_t> seen;
    for (size_t v = start; seen.insert(v).second;) {
      chain.push_back(graph_.nodes[v].id);
      size_t next = v;
      for (size_t w : out[v])
        if (in.count(w) && !seen.count(w)) {
          next = w;
          break;
        }
      if (next == v) break;
      v = next;
    }
    for (size_t v : comp)  // a component that is not a simple ring
      if (!seen.count(v)) chain.push_back(graph_.nodes[v].id);
    return chain;
  }

  void Diagnose();
  // Whether anything can still move (progress_diagnosis.cc's part of the
  // graph): crashed, polls_in_c, all_blocked.
  void DiagnoseProgress();
  std::optional<PollInC> PollingIn(const GraphNode& thread);
  std::vector<std::string> WaitersOf(const std::string& node);

  // The target's glibc layouts, found the first time a thread's wait needs
  // them (most Go programs never block in pthread code).
  const GlibcLayouts& Glibc() {
    if (!graph_.glibc) {
      graph_.glibc = FindGlibcLayouts(rt_.target(), stacks_.held_dwarf());
      if (!graph_.glibc->warning.empty()) graph_.warnings.push_back(graph_.glibc->warning);
    }
    return *graph_.glibc;
  }

  GoRuntime& rt_;
  ThreadStacks& stacks_;
  GoWaits waits_;
  HolderInference infer_;
  GoroutineSet set_;
  // What a goroutine's node takes from its stack, per distinct stack.
  struct StackFacts {
    std::string_view user_function;
    std::string_view where;  // kept by the graph
  };
  std::vector<std::optional<StackFacts>> facts_of_stack_;
  LockGraph graph_;
  // Nodes other than goroutines by id; the keys view the nodes' ids.
  std::unordered_map<std::string_view, size_t> index_;
  std::vector<size_t> node_of_g_;  // per goroutine in set_, its node (kNoNode: none yet)
  std::unordered_map<uint64_t, size_t> lock_at_;  // LockNode's by address
  // Per semaphore: the wait reason and evidence text of its last waiter.
  std::unordered_map<uint64_t, std::pair<std::string, std::string_view>> sema_evidence_;
  // A channel waiter's evidence per wait reason (kept by the graph).
  std::unordered_map<std::string, std::string_view> channel_evidence_;
  KeyIndex goid_of_g_;  // goid by g address
  KeyIndex by_goid_;    // goid -> index in set_
  std::set<int> live_lwps_;
  std::vector<size_t> locked_mutexes_;  // nodes
  // The goroutines (indices in set_) waiting on each sync lock (node).
  std::unordered_map<size_t, std::vector<size_t>> waiters_of_;
  std::set<std::pair<size_t, size_t>> held_by_;  // the held_by edges made
};

void Builder::Diagnose() {
  auto label = [&](std::string_view id) { return Node(id).label; };
  // The edges out of the nodes looked at below (a cycle's, a lock owner's:
  // a thread), not the 100,000 of waiting goroutines.  Equal keys keep the
  // edges' order (std::multimap), which the messages follow.
  std::unordered_set<std::string_view> in_cycle;
  for (const auto& cycle : graph_.cycles) in_cycle.insert(cycle.begin(), cycle.end());
  std::multimap<std::string_view, const GraphEdge*> from;
  for (const GraphEdge& e : graph_.edges)
    if (e.from[0] == 't' || in_cycle.count(e.from)) from.emplace(e.from, &e);  // "t<lwp>": a thread
  for (const auto& cycle : graph_.cycles) {
    std::string chain;
    bool inferred = false;
    for (size_t i = 0; i < cycle.size(); ++i) {
      const std::string& a = cycle[i];
      const std::string& b = cycle[(i + 1) % cycle.size()];
      std::string verb = " -> ";
      auto range = from.equal_range(a);
      for (auto it = range.first; it != range.second; ++it)
        if (it->second->to == b) {
          const GraphEdge& e = *it->second;
          if (e.kind == "waits_for") verb = " waits for ";
          else if (e.kind == "held_by") verb = e.exact ? " held by " : " held by (inferred) ";
          else if (Node(a).kind == "goroutine") verb = " in a cgo call on ";
          else verb = " whose C code waits for its callback ";
          if (!e.exact) inferred = true;
        }
      chain += (i ? "" : label(a)) + verb + label(b);
    }
    graph_.diagnoses.push_back(Diagnosis{
        "deadlock_cycle", "deadlock: " + chain + (inferred ? " (one link inferred)" : ""),
        "take the locks in one global order in both languages: do not hold a Go lock across a cgo call that "
        "takes C locks, nor a C lock across a callback into Go that takes Go locks",
        cycle});
  }
  for (const GraphEdge& e : graph_.edges) {
    if (e.kind != "held_by") continue;
    GraphNode& lock = N(e.from_node);
    GraphNode& owner = N(e.to_node);
    if (owner.kind != "thread") continue;
    if (!Info(lock.lock_kind).owned_by_thread) continue;
    if (owner.exited) {
      graph_.diagnoses.push_back(Diagnosis{
          "owner_exited",
          lock.label + " is held by " + owner.label + ", which no longer exists: nobody can unlock it",
          "unlock before the thread ends; a goroutine locked to its thread (runtime.LockOSThread) that exits "
          "makes the runtime end the thread with whatever C locks it held",
          {lock.id, owner.id}});
      continue;
    }
    // A thread waiting on a non-recursive mutex it owns.
    auto range = from.equal_range(owner.id);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second->kind == "waits_for" && it->second->to == lock.id && !lock.recursive)
        graph_.diagnoses.push_back(Diagnosis{"self_deadlock",
                                             owner.label + " waits for " + lock.label + ", which it already holds",
                                             "do not lock a non-recursive mutex twice on one thread",
                                             {owner.id, lock.id}});
    if (!Info(lock.lock_kind).c_lock) continue;
    if (owner.in_callback) {
      graph_.diagnoses.push_back(Diagnosis{
          "held_across_callback",
          lock.label + " is held by " + owner.label + ", whose C code holding it has called back into Go",
          "release C locks before calling into Go, or make sure the Go callback cannot wait for anything "
          "that needs the lock",
          {lock.id, owner.id}});
    } else if (owner.activity == "idle" || owner.activity == "running_go" || owner.activity == "syscall") {
      std::string runs;
      auto r = from.equal_range(owner.id);
      for (auto it = r.first; it != r.second; ++it)
        if (it->second->kind == "runs") runs = ", locked to " + label(it->second->to);
      graph_.diagnoses.push_back(Diagnosis{
          "lock_leaked",
          lock.label + " is held by " + owner.label + runs + ", which is not in C (" + owner.activity +
              "): a cgo call returned to Go holding it",
          "unlock in the same C call that locked; goroutines move between threads, so an unlock from a later "
          "cgo call may never come or come from the wrong thread",
          {lock.id, owner.id}});
    }
  }
  for (const GraphEdge& e : graph_.edges)
    if (e.to == "package_init" && e.kind == "waits_for") {
      graph_.diagnoses.push_back(Diagnosis{
          "waits_for_package_init",
          label(e.from) + " called into Go before package initialization finished and waits for it",
          "do not call exported Go functions from C constructors or threads started before main; or make "
          "package init not wait for such calls",
          {std::string(e.from), "package_init"}});
    }
  for (const GraphNode& n : graph_.nodes) {
    if (n.kind != "thread" || n.signals_blocked.empty()) continue;
    if (n.activity != "cgo_call" && n.activity != "in_c") continue;
    std::string names;
    for (const auto& s : n.signals_blocked) names += (names.empty() ? "" : ", ") + s;
    graph_.diagnoses.push_back(Diagnosis{
        "signals_blocked", n.label + " is in C with " + names + " blocked, which the Go runtime needs",
        "restore the signal mask before returning to or calling Go (pthread_sigmask), and do not block "
        "SIGURG/SIGPROF in threads that run Go",
        {n.id}});
  }
  DiagnoseProgress();
}

// ---- Progress: crashed, polls_in_c, all_blocked --------------------------

// A thread asleep with a timeout in C code of the program (not the Go
// runtime's): it will wake and look again, so it is not blocked, but if it
// waits for something only a goroutine blocked on it can do, it never ends.
std::optional<PollInC> Builder::PollingIn(const GraphNode& thread) {
  if (thread.activity != "cgo_call" && thread.activity != "in_c") return std::nullopt;
  const NativeChain* chain = stacks_.Chain(static_cast<int>(std::stoll(thread.id.substr(1))));
  if (!chain) return std::nullopt;
  PollInC p;
  // Below the Go signal handler, if the thread is in it (cores).
  const GoPclntab& tab = rt_.Pclntab();
  size_t start = 0;
  for (size_t i = 0; i < chain->frames.size(); ++i)
    if (auto fn = tab.FindFunc(chain->frames[i].pc ? chain->frames[i].pc - 1 : 0))
      if (tab.FuncName(*fn) == "runtime.sigtramp" || tab.FuncName(*fn) == "runtime.cgoSigtramp") start = i + 1;
  for (size_t i = start; i < chain->frames.size(); ++i) {
    const NativeFrame& f = chain->frames[i];
    if (tab.FindFunc(f.pc ? f.pc - 1 : 0)) return std::nullopt;  // reached Go first
    std::string_view base = std::string_view(f.object).substr(f.object.rfind('/') + 1);
    bool libc = base.rfind("libc.so", 0) == 0 || base.rfind("libc-", 0) == 0;
    if (libc) {
      std::string_view name = f.function;
      while (!name.empty() && name.front() == '_') name.remove_prefix(1);
      if (name.rfind("GI_", 0) == 0) name.remove_prefix(3);
      while (!name.empty() && name.front() == '_') name.remove_prefix(1);
      for (const char* s : {"usleep", "nanosleep", "clock_nanosleep", "sleep", "poll", "ppoll", "select",
                            "pselect", "epoll_wait", "epoll_pwait"})
        if (name == s || (name.rfind(s, 0) == 0 && name.size() > std::strlen(s) && name[std::strlen(s)] == '_'))
          p.sleep = s;  // the outermost: the call the program made
      continue;
    }
    if (p.sleep.empty()) return std::nullopt;
    p.c_function = f.function.empty() ? "??" : f.function;
    return p;
  }
  return std::nullopt;
}

// Goroutines that wait, directly or through the graph, for `node`.
std::vector<std::string> Builder::WaitersOf(const std::string& node) {
  std::multimap<std::string, std::string> into;
  for (const GraphEdge& e : graph_.edges) into.emplace(e.to, e.from);
  std::set<std::string> seen{node};
  std::vector<std::string> todo{node}, out;
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    auto r = into.equal_range(n);
    for (auto it = r.first; it != r.second; ++it)
      if (seen.insert(it->second).second) {
        todo.push_back(it->second);
        if (Node(it->second).kind == "goroutine") out.push_back(it->second);
      }
  }
  return out;
}

void Builder::DiagnoseProgress() {
  // A crash core is the state at the crash, not a hang.  A dump someone
  // asked for (SIGQUIT from another process) is a snapshot of a live one.
  std::optional<CrashRecord> crash;
  try {
    crash = FindCrash(rt_, stacks_);
  } catch (const Error&) {
  }
  bool crashed = crash && !crash->chain.back().requested;
  if (crashed)
    graph_.diagnoses.push_back(Diagnosis{
        "crashed",
        "the process crashed (" + CrashSummary(*crash, stacks_.signals()) +
            "): this is the state it died in, not a hang",
        "see cgo-info for the crash record (signal, faulting frame, panic value, abort message)",
        {ThreadId(crash->lwp)}});

  // Of the nodes with a waits_for edge, those looked up below: threads
  // ("t<lwp>") and what runs on a thread (a goroutine in a callback), not
  // every waiting goroutine.
  std::unordered_set<std::string_view> runs_on_thread;
  for (const GraphEdge& e : graph_.edges)
    if (e.kind == "runs" && e.from[0] == 't') runs_on_thread.insert(e.to);
  std::unordered_set<std::string_view> waiting;
  bool any_waiting = false;
  for (const GraphEdge& e : graph_.edges)
    if (e.kind == "waits_for") {
      any_waiting = true;
      if (e.from[0] == 't' || runs_on_thread.count(e.from)) waiting.insert(e.from);
    }
  bool progress = false;
  for (const Goroutine& g : set_.goroutines)
    // "panicwait" (runtime.waitReasonPanicWait, Go 1.19-1.27): runtime.main
    // returned and waits only for a panic or crash dump in progress to end
    // before exit: the program is ending, not hung.
    if (g.status == "running" || g.status == "runnable" || g.wait_reason == "sleep" || g.wait_reason == "panicwait")
      progress = true;
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    if (graph_.nodes[i].kind != "thread" || graph_.nodes[i].exited) continue;
    const GraphNode n = graph_.nodes[i];  // a copy: Node() below may add nodes
    if (n.activity == "idle" || waiting.count(n.id)) continue;
    // C frames below a callback whose goroutine waits: they wait with it.
    bool waits_below = false;
    for (const GraphEdge& e : graph_.edges)
      if (e.kind == "runs" && e.from == n.id && waiting.count(e.to)) waits_below = true;
    if (waits_below) continue;
    progress = true;  // running, computing, or in a wait the graph does not understand
    auto poll = PollingIn(n);
    if (!poll) continue;
    // The goroutine whose cgo call this is, and the locks it (or its thread) holds.
    std::string g;
    for (const GraphEdge& e : graph_.edges)
      if (e.kind == "runs" && e.to == n.id && N(e.from_node).kind == "goroutine") g = e.from;
    if (g.empty()) continue;  // a C thread of its own: not a goroutine's cgo call
    std::string who = Node(g).label;
    std::vector<std::string> held, nodes{g.empty() ? n.id : g};
    std::set<std::string, std::less<>> holders{n.id};
    if (!g.empty()) holders.insert(g);
    for (const GraphEdge& e : graph_.edges)
      if (e.kind == "held_by" && holders.count(e.to) && Info(N(e.from_node).lock_kind).owned_by_thread) held.emplace_back(e.from);
    std::vector<std::string> waiters;
    for (const std::string& l : held)
      for (const std::string& w : WaitersOf(l))
        if (w != g && std::find(waiters.begin(), waiters.end(), w) == waiters.end()) waiters.push_back(w);
    if (waiters.empty()) continue;  // sleeping in C with nobody waiting on it: just work in progress
    std::string locks, names, short_names;
    for (const std::string& l : held) {
      locks += (locks.empty() ? "" : ", ") + Node(l).label;
      nodes.push_back(l);
    }
    for (const std::string& w : waiters) {
      const GraphNode& wn = Node(w);
      names += (names.empty() ? "" : ", ") + wn.label;
      std::string fn = wn.label.substr(wn.label.find('(') + 1);
      fn = fn.substr(0, fn.size() - 1);
      short_names += (short_names.empty() ? "" : " or ") + fn.substr(fn.rfind('.') + 1);
      nodes.push_back(w);
    }
    std::string what_held;
    for (const std::string& l : held) {
      const GraphNode& ln = Node(l);
      what_held += (what_held.empty() ? "" : ", ") + (ln.symbol.empty() ? ln.label : ln.symbol);
    }
    graph_.diagnoses.push_back(Diagnosis{
        "polls_in_c",
        who + " holds " + locks + " and polls in C (" + poll->c_function + " \u2192 " + poll->sleep + "); " + names +
            (waiters.size() == 1 ? " waits" : " wait") + " for " + what_held + ": if " + poll->c_function +
            " waits for something only " + short_names + " does, this is a deadlock",
        "do not hold a Go lock across a cgo call that waits for other goroutines; release it before the call, "
        "or have the C code wait on a condition the holder of the lock does not need",
        nodes});
  }
  if (crashed || progress || set_.goroutines.empty()) return;
  bool cgo = false;
  for (const GraphNode& n : graph_.nodes)
    if (n.kind == "thread" && n.activity == "cgo_call") cgo = true;
  bool above = !graph_.cycles.empty() || any_waiting;
  graph_.diagnoses.push_back(Diagnosis{
      "all_blocked",
      std::string("no goroutine or thread can make progress: each waits for a lock, channel or thread and "
                  "nothing runs, sleeps on a timer or computes") +
          (cgo ? " (the Go runtime reports no deadlock while cgo calls are in flight)" : ""),
      above ? "see the cycles and waits above" : "nothing is waiting in a way the graph shows", {}});
}

}  // namespace

LockGraph BuildLockGraph(GoRuntime& rt, ThreadStacks& stacks) { return Builder(rt, stacks).Build(); }

}  // namespace cgostack

#include "walkers.h"

#include "error.h"
#include "report/goroutines_report.h"
#include "report/info_report.h"
#include "report/json_writer.h"
#include "locks/lock_graph.h"
#include "locks/lock_graph_json.h"
#include "stacks/thread_stacks.h"
#include "report/threads_report.h"

namespace cgostack::fuzz {

namespace {

// A native chain as an unwinder would build it, with Go frames only: the
// stack-switch rules (StackSwitcher::Step) walked from each thread's
// registers, so that they and the stitcher see attacker-controlled stacks.
void ChainsFromSwitchRules(GoRuntime& rt, ThreadStacks& stacks) {
  constexpr int kMaxFrames = 64;
  for (const ThreadState& ts : rt.target().threads()) {
    if (!ts.has_registers) continue;
    NativeChain chain;
    Registers r = ts.regs;
    bool return_address = false;
    for (int i = 0; i < kMaxFrames && r.rip; ++i) {
      chain.frames.push_back(NativeFrame{r.rip, r.rsp, "", "", 0, "", false});
      auto step = stacks.switcher().Step(ts.lwp, r, return_address);
      if (!step || step->outermost) break;
      return_address = step->switch_kind != "signal" && step->switch_kind != "sigpanic";
      r = step->caller;
    }
    stacks.SetChain(ts.lwp, std::move(chain));
  }
}

template <typename Fn>
void Swallow(Fn fn) {
  try {
    fn();
  } catch (const Error&) {
  }
}

}  // namespace

void RunWalkers(GoRuntime& rt) {
  Swallow([&] { InfoReportJson(rt); });
  Swallow([&] {
    std::string out;
    JsonWriter w(&out);
    GoroutineQuery q;
    q.stack_table = true;
    WriteGoroutinesReport(rt, q, w);
  });
  Swallow([&] {
    ThreadStacks stacks(rt);
    ChainsFromSwitchRules(rt, stacks);
    std::string out;
    JsonWriter w(&out);
    WriteThreadsReport(rt, stacks, ThreadsQuery{}, w);
    GoroutineQuery q;
    WriteGoroutinesReport(rt, q, w, [&](Goroutine* g) { stacks.StitchGoroutine(g); });
    LockGraph graph = BuildLockGraph(rt, stacks);
    WriteLockGraph(graph, w);
  });
}

}  // namespace cgostack::fuzz

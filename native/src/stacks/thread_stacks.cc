#include "stacks/thread_stacks.h"

#include "report/format.h"

namespace cgostack {

ThreadStacks::ThreadStacks(GoRuntime& rt)
    : contexts_(rt), switcher_(rt, contexts_), signals_(rt), stitcher_(rt, switcher_, signals_), rt_(rt) {}

void ThreadStacks::SetChain(int lwp, NativeChain chain) {
  Target& target = rt_.target();
  for (size_t i = 1; i < chain.frames.size(); ++i) {
    uint64_t pc = chain.frames[i].pc;
    if (pc < target.load_bias() || !target.exe().InLoadedData(pc - target.load_bias())) continue;
    chain.frames.resize(i);
    if (chain.error.empty())
      chain.error = "the unwinder ran into data at " + Hex(pc) + " (not code); the frames below are not shown";
    break;
  }
  chains_[lwp] = std::move(chain);
}

const NativeChain* ThreadStacks::Chain(int lwp) const {
  auto it = chains_.find(lwp);
  return it == chains_.end() ? nullptr : &it->second;
}

void ThreadStacks::StitchGoroutine(Goroutine* g) {
  std::optional<int64_t> lwp = g->lwp ? g->lwp : g->locked_lwp;
  if (!lwp) return;
  if (const NativeChain* chain = Chain(static_cast<int>(*lwp))) stitcher_.StitchGoroutine(static_cast<int>(*lwp), *chain, g);
}

}  // namespace cgostack

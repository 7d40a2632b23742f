#include "stacks/thread_stacks.h"

namespace cgostack {

ThreadStacks::ThreadStacks(GoRuntime& rt)
    : contexts_(rt), switcher_(rt, contexts_), signals_(rt), stitcher_(rt, switcher_, signals_) {}

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

// Who holds a sync.Mutex.  Go records no owner, so the holder can only be
// inferred: a goroutine (not itself waiting for the mutex) one of whose
// frames has, in its function's machine code before the frame's pc, the
// address of the mutex loaded (x86-64: a RIP-relative LEA, as the compiler
// emits for a global; aarch64: ADRP+ADD) next to a lock (the inlined fast
// path's LOCK CMPXCHG / CASAL, or a call of (*Mutex).Lock / lockSlow) and
// no unlock after it (LOCK XADD / LDADDAL, or a call of (*Mutex).Unlock /
// unlockSlow); arch/mutex_code.h decodes each machine's code.  Code order is not execution
// order, so the result is marked inferred and carries its evidence; a
// mutex reached through a pointer (not a global) gets no holder.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "arch/disassembler.h"
#include "arch/mutex_code.h"
#include "goruntime/goroutines.h"

namespace cgostack {

// A goroutine that may hold a mutex; goroutines that stopped in the same
// place share one `frames` (report/goroutine_set.h).
struct HolderCandidate {
  uint64_t goid = 0;
  const std::vector<StackFrame>* frames = nullptr;
};

struct InferredHolder {
  uint64_t goid = 0;
  std::string evidence;
};

class HolderInference {
 public:
  explicit HolderInference(GoRuntime& rt);
  // The one goroutine among `candidates` that appears to hold the mutex at
  // `mutex`; nullopt when none or more than one does.
  // Each distinct stack is scanned once.
  std::optional<InferredHolder> Holder(uint64_t mutex, const std::vector<HolderCandidate>& candidates);

 private:
  // Whether the code of pc's function, up to pc, leaves `mutex` locked;
  // the lock site's pc when it does (cached per (pc, mutex)).
  std::optional<uint64_t> LockedBefore(uint64_t pc, uint64_t mutex);

  GoRuntime& rt_;
  const GoPclntab& tab_;
  std::unique_ptr<Disassembler> dis_;  // opened on the first function scanned
  // function entry -> the mutex-relevant events of its code (arch/mutex_code.h)
  std::unordered_map<uint64_t, std::vector<CodeEvent>> code_;
  // (pc, mutex) -> LockedBefore: 100,000 goroutines stop at a few hundred pcs.
  std::map<std::pair<uint64_t, uint64_t>, std::optional<uint64_t>> locked_before_;
};

}  // namespace cgostack

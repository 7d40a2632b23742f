// What the native unwinder learns about a pc, kept for the next thread that
// stops there.  A hung cgo service has thousands of threads parked in the
// same few places (__lll_lock_wait, pthread_cond_wait, the same cgo entry
// points): they share everything but their registers and stack contents.
// Every answer here is a pure function of the module's files (symbols, line
// table, inline chain, DWARF call sites), so libdwfl and libdw stay the
// source of truth; this is only a memo in front of them, one per
// DwflUnwinder (one target, one session).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stacks/stitch.h"

namespace cgostack {

class UnwindCache {
 public:
  // The frames a pc stands for (the function, then the functions it was
  // inlined into, innermost first), with sp left 0: `make(&frames)` fills
  // them on the first request for (pc, exact).
  template <typename Make>
  const std::vector<NativeFrame>& Symbols(uint64_t pc, bool exact, Make make) {
    auto [it, fresh] = symbols_.try_emplace(Key(pc, exact));
    if (fresh) make(&it->second);
    return it->second;
  }

  // Start of the function containing `lookup` (0 if unknown).
  template <typename Make>
  uint64_t FunctionEntry(uint64_t lookup, Make make) {
    auto [it, fresh] = entries_.try_emplace(lookup);
    if (fresh) it->second = make();
    return it->second;
  }

  // Tail-call frames between a callee starting at `callee_entry` and the
  // caller's return address `caller_pc` (TailCalls::Between).
  template <typename Make>
  const std::vector<uint64_t>& TailCalls(uint64_t caller_pc, uint64_t callee_entry, Make make) {
    auto [it, fresh] = tail_calls_.try_emplace(std::make_pair(caller_pc, callee_entry));
    if (fresh) it->second = make();
    return it->second;
  }

  struct Stats {
    size_t symbols = 0, entries = 0, tail_calls = 0;
  };
  Stats stats() const { return Stats{symbols_.size(), entries_.size(), tail_calls_.size()}; }

 private:
  // x86-64 user-space addresses leave the top bit free for `exact`.
  static uint64_t Key(uint64_t pc, bool exact) { return pc ^ (exact ? uint64_t{1} << 63 : 0); }
  struct PairHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& p) const {
      return std::hash<uint64_t>()(p.first * 0x9e3779b97f4a7c15ULL ^ p.second);
    }
  };
  std::unordered_map<uint64_t, std::vector<NativeFrame>> symbols_;
  std::unordered_map<uint64_t, uint64_t> entries_;
  std::unordered_map<std::pair<uint64_t, uint64_t>, std::vector<uint64_t>, PairHash> tail_calls_;
};

}  // namespace cgostack

// Values by 64-bit key for every goroutine of a lock graph (goid by g
// address, position by goid): one sorted array, not a hash node per entry
// (100,000 goroutines made 200,000 nodes to allocate, hash and free).  A key
// added twice keeps the value added last, as a map assigned in that order
// would (a corrupt core may repeat a goid).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace cgostack {

class KeyIndex {
 public:
  void Reserve(size_t n) { entries_.reserve(n); }
  void Add(uint64_t key, uint64_t value) { entries_.emplace_back(key, value); }
  // After the last Add and before the first Find.  Stable: equal keys stay
  // in the order they were added.
  void Seal() {
    auto by_key = [](const Entry& a, const Entry& b) { return a.first < b.first; };
    if (!std::is_sorted(entries_.begin(), entries_.end(), by_key))
      std::stable_sort(entries_.begin(), entries_.end(), by_key);
  }
  std::optional<uint64_t> Find(uint64_t key) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), key,
                               [](uint64_t k, const Entry& e) { return k < e.first; });
    if (it == entries_.begin() || (--it)->first != key) return std::nullopt;
    return it->second;
  }

 private:
  using Entry = std::pair<uint64_t, uint64_t>;
  std::vector<Entry> entries_;
};

}  // namespace cgostack

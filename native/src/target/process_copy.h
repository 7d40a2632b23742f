// A live process's memory copied into this process with process_vm_readv,
// for a snapshot (issue 20): while the target is stopped every read is
// served from the copy, and a miss copies the pages around it; Prefetch
// copies many ranges (stacks, data segments) in a few batched calls.  What
// was copied is exactly what the snapshot's core holds.  After Seal() (the
// target runs again) a miss is an unreadable address: the copy stays the
// state of one instant, never a mix of two.  Nothing is ever written to the
// target.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "target/memory.h"

namespace cgostack {

class ProcessCopy : public MemorySource {
 public:
  explicit ProcessCopy(int pid) : pid_(pid) {}
  size_t Read(uint64_t addr, void* dst, size_t len) const override;
  std::string WhyUnreadable(uint64_t addr) const override;

  // Copies the parts of [first, second) ranges not held yet (unreadable
  // pages are skipped and remembered).  Throws Error if the process is gone.
  void Prefetch(std::vector<std::pair<uint64_t, uint64_t>> ranges);
  // Forgets everything copied (reads made before the target was stopped).
  void Clear();
  // From now on nothing more is copied.
  void Seal() { sealed_ = true; }

  // The copied ranges, adjacent ones joined (the bytes stay in the copy).
  struct Range {
    uint64_t start = 0, size = 0;
    std::vector<std::pair<const uint8_t*, size_t>> parts;
  };
  std::vector<Range> Joined() const;
  uint64_t bytes_copied() const { return bytes_; }
  size_t calls() const { return calls_; }

  // Granularity of a copy made on a miss: the page (or pages) read, widened
  // to this many bytes around it, so that a walk over neighbouring objects
  // (a span of g's, a sudog list) costs one call for many reads.
  static constexpr uint64_t kMissBlock = 16 << 10;

 private:
  // Copies each [first, second) piece (none of it held yet) in batched
  // calls; a page that cannot be read is remembered and skipped.
  void CopyPieces(std::vector<std::pair<uint64_t, uint64_t>> pieces) const;
  // The held chunk containing `addr`, or chunks_.end().
  std::map<uint64_t, std::vector<uint8_t>>::const_iterator Find(uint64_t addr) const;
  // Start of the first held chunk at or after `addr` (UINT64_MAX if none).
  uint64_t NextHeld(uint64_t addr) const;

  int pid_;
  bool sealed_ = false;
  mutable std::recursive_mutex mu_;
  mutable std::map<uint64_t, std::vector<uint8_t>> chunks_;  // non-overlapping
  mutable std::set<uint64_t> unreadable_pages_;
  mutable uint64_t bytes_ = 0;
  mutable size_t calls_ = 0;
};

}  // namespace cgostack

// A live process's memory copied into this process with process_vm_readv,
// for a snapshot (issue 20): while the target is stopped every read is
// served from the copy, and a miss copies the pages around it; Prefetch
// copies many ranges (stacks, data segments) in a few batched calls.  What
// was copied is exactly what the snapshot's core holds.  After Seal() (the
// target runs again) a miss is an unreadable address: the copy stays the
// state of one instant, never a mix of two.  Nothing is ever written to the
// target.
//
// The bookkeeping is flat because it is paid while the target is held: a
// sorted vector of chunks pointing into large reused buffers (100,000
// goroutine stacks are 100,000 chunks; a map node and a zero-filled vector
// each cost more than the kernel's copy, and so do the page faults of a
// fresh buffer: see Clear()).
#pragma once

#include <cstdint>
#include <memory>
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
  // The copied bytes in place, while the copy is not cleared.
  const uint8_t* Direct(uint64_t addr, size_t len) const override;

  // Copies the parts of [first, second) ranges not held yet (unreadable
  // pages are skipped and remembered).  Throws Error if the process is
  // gone.
  void Prefetch(std::vector<std::pair<uint64_t, uint64_t>> ranges);
  // Forgets everything copied (reads made before the target was stopped).
  // The buffers are kept and reused: a rehearsal copy made while the
  // target ran has the kernel map and zero their pages then, not while the
  // target is held.
  void Clear();
  // Makes sure `bytes` more of buffer are mapped already (touched now).
  void Reserve(uint64_t bytes);
  // From now on nothing more is copied: a read of what was not copied
  // fails, and its page is remembered (missed_pages()).
  void Seal() { sealed_ = true; }
  // The pages read after Seal() that had not been copied (nor found
  // unreadable while the process was held), in address order.
  std::set<uint64_t> missed_pages() const;

  // The copied ranges, adjacent ones joined (the bytes stay in the copy).
  struct Range {
    uint64_t start = 0, size = 0;
    std::vector<std::pair<const uint8_t*, size_t>> parts;
  };
  std::vector<Range> Joined() const;
  uint64_t bytes_copied() const { return bytes_; }
  size_t calls() const { return calls_; }
  // How many separately copied pieces are held.
  size_t chunks() const { return chunks_.size(); }

  // Granularity of a copy made on a miss: the page (or pages) read, widened
  // to this many bytes around it, so that a walk over neighbouring objects
  // (a span of g's, a sudog list) costs one call for many reads.
  static constexpr uint64_t kMissBlock = 16 << 10;
  // Size of the buffers copies go into (and the most one call copies).
  static constexpr uint64_t kSlab = 64 << 20;

 private:
  struct Chunk {
    uint64_t start, size;
    const uint8_t* data;  // in one of slabs_
    uint64_t end() const { return start + size; }
  };
  // Copies each [first, second) piece (none of it held yet, in address
  // order) in batched calls, by several workers when it is large; a page
  // that cannot be read is remembered and skipped.
  void CopyPieces(std::vector<std::pair<uint64_t, uint64_t>> pieces) const;
  struct Part;
  // One worker's calls (CopyPieces merges what the workers copied).
  void CopyPart(std::vector<std::pair<uint64_t, uint64_t>> pieces, Part* out) const;
  // From this many bytes a copy is shared between up to kMaxWorkers
  // threads (one per CPU).
  static constexpr uint64_t kParallelFrom = 4 << 20;
  static constexpr size_t kMaxWorkers = 4;
  // Index of the held chunk containing `addr`, or kNone.
  static constexpr size_t kNone = SIZE_MAX;
  size_t Find(uint64_t addr) const;
  // Index of the first held chunk starting after `addr` (chunks_.size() if none).
  size_t After(uint64_t addr) const;
  // Start of the first held chunk after `addr` (UINT64_MAX if none).
  uint64_t NextHeld(uint64_t addr) const;

  int pid_;
  bool sealed_ = false;
  mutable std::recursive_mutex mu_;
  mutable std::vector<Chunk> chunks_;  // sorted by start, non-overlapping
  mutable size_t hint_ = 0;            // the chunk Find() found last
  // The buffers chunks point into: slabs filled in order, one piece of a
  // slab per process_vm_readv call, reused from the start after Clear().
  struct Slab {
    std::unique_ptr<uint8_t[]> bytes;
    uint64_t size = 0, used = 0;
  };
  // A slab of at least `bytes` (kSlab unless larger), its pages not
  // touched yet.
  static Slab NewSlab(uint64_t bytes);
  uint8_t* Allocate(uint64_t bytes) const;
  mutable std::mutex alloc_mu_;  // Allocate's, taken by CopyPart's workers
  mutable std::vector<Slab> slabs_;
  mutable size_t slab_ = 0;  // the one being filled
  mutable std::set<uint64_t> unreadable_pages_;
  mutable std::set<uint64_t> missed_pages_;
  mutable uint64_t bytes_ = 0;
  mutable size_t calls_ = 0;
};

}  // namespace cgostack

// The input of the goroutine-walker fuzz target: target memory and thread
// registers as a list of records, so that every pointer, count, length and
// list link the walkers follow is attacker-controlled.  Seeds are recorded
// from real cores (make_seeds.cc); mutations then corrupt them.
//
// Format, repeated until the input ends (a cut-off record is dropped):
//   'M' u64 address, u16 length, length bytes     memory at address
//   'T' u8 thread, 27 x u64 registers              registers of a thread
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "target/core_file.h"
#include "target/memory.h"

namespace cgostack::fuzz {

// Threads the fuzzed target has (LWPs 1..kThreads); 'T' records pick one.
constexpr int kThreads = 8;

struct MemoryImage {
  std::vector<SegmentMemory::Segment> segments;  // point into the input
  std::vector<ThreadState> threads;              // always kThreads of them
};

MemoryImage ParseMemoryImage(const uint8_t* data, size_t size);

// Appends records to `out` (the seed generator).
void AppendMemoryRecord(std::string* out, uint64_t addr, const std::string& bytes);
void AppendThreadRecord(std::string* out, uint8_t thread, const Registers& regs);

// A MemorySource whose contents are swapped for every fuzz input, under a
// Target and GoRuntime built once (DWARF indexing is too slow per input).
class SwitchableMemory : public MemorySource {
 public:
  void Set(std::shared_ptr<const MemorySource> current) { current_ = std::move(current); }
  size_t Read(uint64_t addr, void* dst, size_t len) const override {
    return current_ ? current_->Read(addr, dst, len) : 0;
  }

 private:
  std::shared_ptr<const MemorySource> current_;
};

// Remembers every range read through it (the seed generator records what the
// walkers touch in a real core).
class RecordingMemory : public MemorySource {
 public:
  explicit RecordingMemory(std::shared_ptr<const MemorySource> inner) : inner_(std::move(inner)) {}
  size_t Read(uint64_t addr, void* dst, size_t len) const override {
    size_t n = inner_->Read(addr, dst, len);
    if (n) reads_.emplace_back(addr, n);
    return n;
  }
  // Merged, sorted ranges that were read.
  std::vector<std::pair<uint64_t, uint64_t>> Ranges() const;

 private:
  std::shared_ptr<const MemorySource> inner_;
  mutable std::vector<std::pair<uint64_t, uint64_t>> reads_;  // (addr, len)
};

}  // namespace cgostack::fuzz

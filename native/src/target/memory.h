// Target memory, whatever it comes from: a core's PT_LOAD segments, the
// executable's and libraries' file segments (cores omit read-only pages), or a
// live process's /proc/PID/mem.  The Go walkers only see MemorySource, so a
// live process and a core differ only here.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "target/mapped_file.h"

namespace cgostack {

class MemorySource {
 public:
  virtual ~MemorySource() = default;
  // Copies up to `len` bytes starting at `addr` into `dst`; returns how many
  // contiguous bytes from `addr` were readable (0 when `addr` is unmapped).
  virtual size_t Read(uint64_t addr, void* dst, size_t len) const = 0;

  // Reads exactly `len` bytes or throws Error("cannot read N bytes at 0x...",
  // with WhyUnreadable's reason when there is one).
  void ReadExact(uint64_t addr, void* dst, size_t len) const;
  // Why `addr` cannot be read, when the source knows ("" otherwise): the
  // part of a truncated core that is missing.
  virtual std::string WhyUnreadable(uint64_t) const { return ""; }
  bool TryRead(uint64_t addr, void* dst, size_t len) const { return Read(addr, dst, len) == len; }
  // The bytes [addr, addr + len) in place, when the source holds all of
  // them in one piece of memory (a core's segment) and Read would copy
  // exactly those; nullptr otherwise, and the caller reads.  A stack walk
  // takes a goroutine's stack once instead of a virtual Read per return
  // address (1.6 million of them for 100,000 goroutines).
  virtual const uint8_t* Direct(uint64_t /*addr*/, size_t /*len*/) const { return nullptr; }
  uint64_t ReadU64(uint64_t addr) const;
  uint32_t ReadU32(uint64_t addr) const;
  uint8_t ReadU8(uint64_t addr) const;
  // A Go string header {ptr, len} at `addr`; lengths above `max_len` are an error
  // (a corrupt header must not make us allocate gigabytes).
  std::string ReadGoString(uint64_t addr, size_t max_len = 1 << 20) const;
};

// Memory made of non-overlapping byte ranges backed by mapped files.  Used for a
// core's dumped segments and for an ELF file's PT_LOAD contents.
class SegmentMemory : public MemorySource {
 public:
  struct Segment {
    uint64_t vaddr;
    uint64_t size;          // bytes available at `bytes`
    const uint8_t* bytes;
  };
  // `owner` keeps the mapping alive.
  SegmentMemory(std::shared_ptr<const MappedFile> owner, std::vector<Segment> segments);
  size_t Read(uint64_t addr, void* dst, size_t len) const override;
  const uint8_t* Direct(uint64_t addr, size_t len) const override;
  const std::vector<Segment>& segments() const { return segments_; }
  // Address ranges [first, second) whose bytes a truncated file lacks, and
  // the note WhyUnreadable gives for them.
  void SetMissing(std::vector<std::pair<uint64_t, uint64_t>> ranges, std::string note) {
    missing_ = std::move(ranges);
    missing_note_ = std::move(note);
  }
  std::string WhyUnreadable(uint64_t addr) const override;

 private:
  const Segment* Find(uint64_t addr) const;
  std::shared_ptr<const MappedFile> owner_;
  std::vector<Segment> segments_;  // sorted by vaddr
  mutable std::atomic<size_t> last_found_{0};  // Find's last hit, tried first
  std::vector<std::pair<uint64_t, uint64_t>> missing_;
  std::string missing_note_;
};

// Tries each source in order; the first that has a byte wins.  A core comes
// first, then the files its segments omitted.
class LayeredMemory : public MemorySource {
 public:
  void Add(std::shared_ptr<const MemorySource> source) { layers_.push_back(std::move(source)); }
  size_t Read(uint64_t addr, void* dst, size_t len) const override;
  // The first layer's bytes only: it wins every byte it holds.
  const uint8_t* Direct(uint64_t addr, size_t len) const override;
  std::string WhyUnreadable(uint64_t addr) const override;

 private:
  std::vector<std::shared_ptr<const MemorySource>> layers_;
};

// A live process through /proc/PID/mem.  GDB is already the tracer, so the
// kernel lets the tracer's process read it; EIO marks an unmapped address.
class ProcessMemory : public MemorySource {
 public:
  explicit ProcessMemory(int pid);
  ~ProcessMemory() override;
  size_t Read(uint64_t addr, void* dst, size_t len) const override;

 private:
  int fd_;
};

}  // namespace cgostack

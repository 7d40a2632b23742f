#include "target/memory.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "error.h"
#include "report/format.h"

namespace cgostack {

void MemorySource::ReadExact(uint64_t addr, void* dst, size_t len) const {
  size_t got = Read(addr, dst, len);
  if (got == len) return;
  std::string why = WhyUnreadable(addr + got);
  throw Error("cannot read " + std::to_string(len) + " bytes at " + Hex(addr) + (why.empty() ? "" : " (" + why + ")"));
}

std::string SegmentMemory::WhyUnreadable(uint64_t addr) const {
  for (const auto& [first, end] : missing_)
    if (addr >= first && addr < end) return missing_note_;
  return "";
}

std::string LayeredMemory::WhyUnreadable(uint64_t addr) const {
  for (const auto& layer : layers_)
    if (std::string why = layer->WhyUnreadable(addr); !why.empty()) return why;
  return "";
}

uint64_t MemorySource::ReadU64(uint64_t addr) const {
  uint64_t v;
  ReadExact(addr, &v, sizeof v);
  return v;
}

uint32_t MemorySource::ReadU32(uint64_t addr) const {
  uint32_t v;
  ReadExact(addr, &v, sizeof v);
  return v;
}

uint8_t MemorySource::ReadU8(uint64_t addr) const {
  uint8_t v;
  ReadExact(addr, &v, sizeof v);
  return v;
}

std::string MemorySource::ReadGoString(uint64_t addr, size_t max_len) const {
  uint64_t hdr[2];
  ReadExact(addr, hdr, sizeof hdr);
  if (hdr[1] > max_len)
    throw Error("Go string at " + Hex(addr) + " has implausible length " + std::to_string(hdr[1]));
  std::string s(hdr[1], '\0');
  if (hdr[1]) ReadExact(hdr[0], s.data(), hdr[1]);
  return s;
}

SegmentMemory::SegmentMemory(std::shared_ptr<const MappedFile> owner, std::vector<Segment> segments)
    : owner_(std::move(owner)), segments_(std::move(segments)) {
  segments_.erase(std::remove_if(segments_.begin(), segments_.end(),
                                 [](const Segment& s) { return s.size == 0; }),
                  segments_.end());
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.vaddr < b.vaddr; });
}

const SegmentMemory::Segment* SegmentMemory::Find(uint64_t addr) const {
  // Reads come in runs from one place (a goroutine's g, then its stack):
  // the segment of the last read first, before a binary search (2.2 million
  // reads for a lock graph of 100,000 goroutines).  Relaxed: any index is a
  // valid guess, and the prefetch thread may read too.
  size_t last = last_found_.load(std::memory_order_relaxed);
  if (last < segments_.size() && addr - segments_[last].vaddr < segments_[last].size) return &segments_[last];
  auto it = std::upper_bound(segments_.begin(), segments_.end(), addr,
                             [](uint64_t a, const Segment& s) { return a < s.vaddr; });
  if (it == segments_.begin()) return nullptr;
  --it;
  if (addr - it->vaddr >= it->size) return nullptr;
  last_found_.store(static_cast<size_t>(it - segments_.begin()), std::memory_order_relaxed);
  return &*it;
}

size_t SegmentMemory::Read(uint64_t addr, void* dst, size_t len) const {
  size_t done = 0;
  auto* out = static_cast<uint8_t*>(dst);
  while (done < len) {
    const Segment* seg = Find(addr + done);
    if (!seg) break;
    uint64_t off = addr + done - seg->vaddr;
    size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, seg->size - off));
    std::memcpy(out + done, seg->bytes + off, n);
    done += n;
  }
  return done;
}

const uint8_t* SegmentMemory::Direct(uint64_t addr, size_t len) const {
  const Segment* seg = Find(addr);
  if (!seg || len > seg->size - (addr - seg->vaddr)) return nullptr;
  return seg->bytes + (addr - seg->vaddr);
}

const uint8_t* LayeredMemory::Direct(uint64_t addr, size_t len) const {
  return layers_.empty() ? nullptr : layers_.front()->Direct(addr, len);
}

size_t LayeredMemory::Read(uint64_t addr, void* dst, size_t len) const {
  // Ranges may be split across layers (a core segment followed by a page only
  // the executable has), so continue from where each layer stopped.
  size_t done = 0;
  auto* out = static_cast<uint8_t*>(dst);
  while (done < len) {
    size_t got = 0;
    for (const auto& layer : layers_) {
      got = layer->Read(addr + done, out + done, len - done);
      if (got) break;
    }
    if (!got) break;
    done += got;
  }
  return done;
}

ProcessMemory::ProcessMemory(int pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/mem";
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw Error("cannot open " + path + ": " + std::strerror(errno) +
                " (attach to the process first, or run as its owner)");
}

ProcessMemory::~ProcessMemory() { ::close(fd_); }

size_t ProcessMemory::Read(uint64_t addr, void* dst, size_t len) const {
  size_t done = 0;
  auto* out = static_cast<uint8_t*>(dst);
  while (done < len) {
    ssize_t n = ::pread(fd_, out + done, len - done, static_cast<off_t>(addr + done));
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // A read that straddles into an unmapped page fails whole with EIO; retry
    // up to the page boundary so the readable prefix is still returned.
    uint64_t page_end = ((addr + done) | 4095) + 1;
    size_t chunk = static_cast<size_t>(page_end - (addr + done));
    if (chunk >= len - done) break;
    ssize_t m = ::pread(fd_, out + done, chunk, static_cast<off_t>(addr + done));
    if (m <= 0) break;
    done += static_cast<size_t>(m);
  }
  return done;
}

}  // namespace cgostack

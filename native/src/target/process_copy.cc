#include "target/process_copy.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <thread>
#include <string>

#include "error.h"

namespace cgostack {

namespace {

constexpr uint64_t kPage = 4096;
constexpr size_t kMaxIov = 1024;              // IOV_MAX on Linux
// One call's buffers: a small part of a slab, so that the end of a slab
// too small for the next batch wastes little (a batch that does not fit
// takes a fresh slab, whose pages the kernel faults in while the process
// is held; Reserve() maps what the rehearsal used, not that waste).
constexpr uint64_t kMaxBatchBytes = ProcessCopy::kSlab / 16;

uint64_t PageFloor(uint64_t a) { return a & ~(kPage - 1); }

std::string ToHex(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

size_t ProcessCopy::After(uint64_t addr) const {
  return static_cast<size_t>(std::upper_bound(chunks_.begin(), chunks_.end(), addr,
                                              [](uint64_t a, const Chunk& c) { return a < c.start; }) -
                             chunks_.begin());
}

size_t ProcessCopy::Find(uint64_t addr) const {
  size_t i = After(addr);
  if (i == 0) return kNone;
  return addr - chunks_[i - 1].start < chunks_[i - 1].size ? i - 1 : kNone;
}

uint64_t ProcessCopy::NextHeld(uint64_t addr) const {
  size_t i = After(addr);
  return i == chunks_.size() ? UINT64_MAX : chunks_[i].start;
}

size_t ProcessCopy::Read(uint64_t addr, void* dst, size_t len) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  auto* out = static_cast<uint8_t*>(dst);
  size_t done = 0;
  while (done < len) {
    uint64_t a = addr + done;
    if (a < addr) break;  // wrapped past the top of the address space
    if (size_t i = Find(a); i != kNone) {
      const Chunk& c = chunks_[i];
      size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, c.end() - a));
      std::memcpy(out + done, c.data + (a - c.start), n);
      done += n;
      continue;
    }
    if (unreadable_pages_.count(PageFloor(a))) break;
    if (sealed_) {
      missed_pages_.insert(PageFloor(a));
      break;
    }
    // A miss: copy the block around it, up to what the caller wants, never
    // over a chunk already held (neither before `a` nor after it).
    uint64_t start = std::max(a & ~(kMissBlock - 1), PageFloor(a));
    if (size_t prev = After(a); prev > 0) start = std::max(start, chunks_[prev - 1].end());
    uint64_t want_end = a + (len - done);
    if (want_end < a) want_end = UINT64_MAX;
    uint64_t end = std::max((want_end + kMissBlock - 1) & ~(kMissBlock - 1), PageFloor(a) + kPage);
    end = std::min(end, NextHeld(a));
    CopyPieces({{start, end}});
    if (Find(a) == kNone && !unreadable_pages_.count(PageFloor(a))) break;  // nothing came
  }
  return done;
}

std::set<uint64_t> ProcessCopy::missed_pages() const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return missed_pages_;
}

std::string ProcessCopy::WhyUnreadable(uint64_t addr) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (sealed_ && Find(addr) == kNone && !unreadable_pages_.count(PageFloor(addr)))
    return "not copied while the process was stopped";
  return "";
}

// One worker's share of CopyPieces: what it copied, and what it could not.
struct ProcessCopy::Part {
  std::vector<Chunk> added;
  std::vector<uint64_t> unreadable;
  uint64_t bytes = 0;
  size_t calls = 0;
  std::exception_ptr error;
};

void ProcessCopy::CopyPart(std::vector<std::pair<uint64_t, uint64_t>> pieces, Part* out) const {
  std::deque<std::pair<uint64_t, uint64_t>> work(pieces.begin(), pieces.end());
  std::vector<iovec> local, remote;
  while (!work.empty()) {
    local.clear();
    remote.clear();
    uint64_t batch_bytes = 0;
    while (!work.empty() && remote.size() < kMaxIov) {
      auto [s, e] = work.front();
      if (e <= s) {
        work.pop_front();
        continue;
      }
      if (!remote.empty() && batch_bytes + (e - s) > kMaxBatchBytes) break;
      work.pop_front();
      batch_bytes += e - s;
      remote.push_back({reinterpret_cast<void*>(s), static_cast<size_t>(e - s)});
    }
    if (remote.empty()) break;
    uint8_t* arena = Allocate(batch_bytes);
    for (const iovec& r : remote) {
      local.push_back({arena, r.iov_len});
      arena += r.iov_len;
    }
    ssize_t got = ::process_vm_readv(pid_, local.data(), local.size(), remote.data(), remote.size(), 0);
    ++out->calls;
    if (got < 0) {
      int err = errno;
      if (err == ESRCH) throw Error("process " + std::to_string(pid_) + " has exited");
      if (err != EFAULT) {
        uint64_t first = reinterpret_cast<uint64_t>(remote[0].iov_base);
        throw Error("cannot read the memory of process " + std::to_string(pid_) + ": " + std::strerror(err) + " (" +
                    std::to_string(remote.size()) + " ranges from 0x" + ToHex(first) + ", " +
                    std::to_string(batch_bytes) + " bytes)");
      }
      got = 0;  // the first piece's first page is unreadable
    }
    uint64_t left = static_cast<uint64_t>(got);
    for (size_t i = 0; i < remote.size(); ++i) {
      uint64_t s = reinterpret_cast<uint64_t>(remote[i].iov_base), size = remote[i].iov_len;
      const auto* bytes = static_cast<const uint8_t*>(local[i].iov_base);
      if (left >= size) {
        left -= size;
        out->bytes += size;
        out->added.push_back({s, size, bytes});
        continue;
      }
      // The call stopped inside this piece: keep what came, skip the page
      // that failed, and queue the rest of this piece and the pieces after.
      if (left) {
        out->bytes += left;
        out->added.push_back({s, left, bytes});
      }
      uint64_t bad = PageFloor(s + left);
      out->unreadable.push_back(bad);
      std::vector<std::pair<uint64_t, uint64_t>> again;
      if (bad + kPage < s + size) again.emplace_back(bad + kPage, s + size);
      for (size_t j = i + 1; j < remote.size(); ++j) {
        uint64_t js = reinterpret_cast<uint64_t>(remote[j].iov_base);
        again.emplace_back(js, js + remote[j].iov_len);
      }
      work.insert(work.begin(), again.begin(), again.end());
      break;
    }
  }
}

void ProcessCopy::CopyPieces(std::vector<std::pair<uint64_t, uint64_t>> pieces) const {
  uint64_t total = 0;
  for (const auto& [s, e] : pieces) total += e > s ? e - s : 0;
  // Large copies are split between workers, each with its own
  // process_vm_readv calls: the kernel's copy (pinning the target's pages,
  // copying them) is most of the pause at 100,000 goroutines, and on
  // several CPUs the process is held for a fraction of it.
  size_t workers = 1;
  if (total >= kParallelFrom) workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxWorkers);
  std::vector<Part> parts(workers);
  if (workers == 1) {
    CopyPart(std::move(pieces), &parts[0]);
  } else {
    // Consecutive shares of about total / workers bytes each (a piece
    // that straddles a share's end is cut at a page).
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> shares(workers);
    uint64_t quota = (total + workers - 1) / workers, filled = 0;
    size_t w = 0;
    for (auto [s, e] : pieces) {
      while (s < e) {
        uint64_t room = quota - filled;
        uint64_t cut = e - s <= room || w + 1 == workers ? e : std::max(s + kPage, PageFloor(s + room));
        cut = std::min(cut, e);
        shares[w].emplace_back(s, cut);
        filled += cut - s;
        s = cut;
        if (filled >= quota && w + 1 < workers) {
          ++w;
          filled = 0;
        }
      }
    }
    auto run = [&](size_t i) {
      try {
        CopyPart(std::move(shares[i]), &parts[i]);
      } catch (...) {
        parts[i].error = std::current_exception();
      }
    };
    std::vector<std::thread> threads;
    for (size_t i = 1; i < workers; ++i) threads.emplace_back(run, i);
    run(0);
    for (std::thread& t : threads) t.join();
  }
  std::vector<Chunk> added;
  for (Part& p : parts) {
    calls_ += p.calls;
    bytes_ += p.bytes;
    unreadable_pages_.insert(p.unreadable.begin(), p.unreadable.end());
    if (added.empty())
      added = std::move(p.added);
    else
      added.insert(added.end(), p.added.begin(), p.added.end());
  }
  for (Part& p : parts)
    if (p.error) std::rethrow_exception(p.error);
  // Into the sorted vector in one merge (the pieces never overlap what is
  // held, nor each other).
  auto by_start = [](const Chunk& x, const Chunk& y) { return x.start < y.start; };
  if (!std::is_sorted(added.begin(), added.end(), by_start)) std::sort(added.begin(), added.end(), by_start);
  size_t old = chunks_.size();
  chunks_.insert(chunks_.end(), added.begin(), added.end());
  if (old && !added.empty() && added.front().start < chunks_[old - 1].start)
    std::inplace_merge(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(old), chunks_.end(), by_start);
}

void ProcessCopy::Prefetch(std::vector<std::pair<uint64_t, uint64_t>> ranges) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (sealed_) return;
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& r : ranges) {
    if (r.second <= r.first) continue;
    if (!merged.empty() && r.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  // Only what is not held yet.
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  for (auto [s, e] : merged) {
    for (uint64_t a = s; a < e;) {
      if (size_t i = Find(a); i != kNone) {
        a = chunks_[i].end();
        continue;
      }
      uint64_t stop = std::min(e, NextHeld(a));
      pieces.emplace_back(a, stop);
      a = stop;
    }
  }
  CopyPieces(std::move(pieces));
}

uint8_t* ProcessCopy::Allocate(uint64_t bytes) const {
  std::lock_guard<std::mutex> lock(alloc_mu_);  // CopyPart's workers share the slabs
  for (; slab_ < slabs_.size(); ++slab_) {
    Slab& s = slabs_[slab_];
    if (s.size - s.used >= bytes) {
      s.used += bytes;
      return s.bytes.get() + s.used - bytes;
    }
  }
  // Not zero-filled: the kernel writes it.
  Slab s;
  s.size = std::max(bytes, kSlab);
  s.bytes.reset(new uint8_t[s.size]);
  s.used = bytes;
  slabs_.push_back(std::move(s));
  slab_ = slabs_.size() - 1;
  return slabs_.back().bytes.get();
}

void ProcessCopy::Reserve(uint64_t bytes) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  // The page faults, now: every free byte up to `bytes` is written once.
  for (size_t i = slab_; i < slabs_.size() && bytes; ++i) {
    uint64_t n = std::min(bytes, slabs_[i].size - slabs_[i].used);
    std::memset(slabs_[i].bytes.get() + slabs_[i].used, 0, n);
    bytes -= n;
  }
  if (!bytes) return;
  Slab s;
  s.size = std::max(bytes, kSlab);
  s.bytes.reset(new uint8_t[s.size]);
  std::memset(s.bytes.get(), 0, bytes);
  slabs_.push_back(std::move(s));
}

void ProcessCopy::Clear() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  chunks_.clear();
  for (Slab& s : slabs_) s.used = 0;
  slab_ = 0;
  unreadable_pages_.clear();
  missed_pages_.clear();
  bytes_ = 0;
  calls_ = 0;
}

std::vector<ProcessCopy::Range> ProcessCopy::Joined() const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::vector<Range> out;
  for (const Chunk& c : chunks_) {
    if (out.empty() || out.back().start + out.back().size != c.start) out.push_back({c.start, 0, {}});
    out.back().parts.emplace_back(c.data, c.size);
    out.back().size += c.size;
  }
  return out;
}

}  // namespace cgostack

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
// Pieces less than this apart are read by one remote iovec, the bytes
// between them going to a scratch buffer: the kernel's cost is mostly per
// remote iovec (the target's mm locked, its page tables walked, each page
// pinned and unpinned), and a gap under a page makes it pin no page that
// one of the two pieces does not pin anyway (100,000 goroutine stacks of
// 2 KiB: two pieces in most pages).
constexpr uint64_t kJoinGap = kPage;

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
  // Reads come in runs over one chunk (the g's of a heap span, one after
  // another): the last one found is tried before the binary search.
  if (hint_ < chunks_.size() && addr - chunks_[hint_].start < chunks_[hint_].size) return hint_;
  size_t i = After(addr);
  if (i == 0 || addr - chunks_[i - 1].start >= chunks_[i - 1].size) return kNone;
  hint_ = i - 1;
  return hint_;
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
  // This call's pieces, in address order, and whether each is read by the
  // same remote iovec as the one before it (the bytes between them going
  // to `gap`, which only the kernel writes and no one reads).
  std::vector<std::pair<uint64_t, uint64_t>> batch;
  std::vector<bool> joined;
  std::vector<uint8_t*> where;
  std::vector<uint8_t> gap(kJoinGap);
  while (!work.empty()) {
    batch.clear();
    joined.clear();
    size_t locals = 0, remotes = 0;
    uint64_t batch_bytes = 0;
    while (!work.empty()) {
      auto [s, e] = work.front();
      if (e <= s) {
        work.pop_front();
        continue;
      }
      bool join = !batch.empty() && s >= batch.back().second && s - batch.back().second < kJoinGap;
      size_t more_locals = join && s > batch.back().second ? 2 : 1, more_remotes = join ? 0 : 1;
      if (locals + more_locals > kMaxIov || remotes + more_remotes > kMaxIov) break;
      if (!batch.empty() && batch_bytes + (e - s) > kMaxBatchBytes) break;
      work.pop_front();
      batch.emplace_back(s, e);
      joined.push_back(join);
      locals += more_locals;
      remotes += more_remotes;
      batch_bytes += e - s;
    }
    if (batch.empty()) break;
    uint8_t* arena = Allocate(batch_bytes);
    local.clear();
    remote.clear();
    where.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      auto [s, e] = batch[i];
      if (!joined[i]) {
        remote.push_back({reinterpret_cast<void*>(s), static_cast<size_t>(e - s)});
      } else {
        uint64_t skip = s - batch[i - 1].second;
        if (skip) local.push_back({gap.data(), static_cast<size_t>(skip)});
        remote.back().iov_len += static_cast<size_t>(skip + (e - s));
      }
      local.push_back({arena, static_cast<size_t>(e - s)});
      where.push_back(arena);
      arena += e - s;
    }
    ssize_t got = ::process_vm_readv(pid_, local.data(), local.size(), remote.data(), remote.size(), 0);
    ++out->calls;
    if (got < 0) {
      int err = errno;
      if (err == ESRCH) throw Error("process " + std::to_string(pid_) + " has exited");
      if (err != EFAULT) {
        throw Error("cannot read the memory of process " + std::to_string(pid_) + ": " + std::strerror(err) + " (" +
                    std::to_string(batch.size()) + " ranges from 0x" + ToHex(batch[0].first) + ", " +
                    std::to_string(batch_bytes) + " bytes)");
      }
      got = 0;  // the first piece's first page is unreadable
    }
    // The bytes came in order: whole pieces (and the gaps between joined
    // ones) up to where the call stopped, if it stopped short.
    uint64_t left = static_cast<uint64_t>(got);
    for (size_t i = 0; i < batch.size(); ++i) {
      auto [s, e] = batch[i];
      uint64_t skip = joined[i] ? s - batch[i - 1].second : 0;
      uint64_t stop = 0;  // where the call stopped, if in this piece or the gap before it
      if (left < skip) {
        stop = s - skip + left;
      } else {
        left -= skip;
        if (left >= e - s) {
          left -= e - s;
          out->bytes += e - s;
          out->added.push_back({s, e - s, where[i]});
          continue;
        }
        if (left) {  // keep what came
          out->bytes += left;
          out->added.push_back({s, left, where[i]});
        }
        stop = s + left;
      }
      // The page where it stopped cannot be read: skipped; the rest of
      // this piece and the pieces after it are queued again.
      uint64_t bad = PageFloor(stop);
      out->unreadable.push_back(bad);
      std::vector<std::pair<uint64_t, uint64_t>> again;
      for (size_t j = i; j < batch.size(); ++j) {
        uint64_t from = std::max(batch[j].first, stop);
        if (PageFloor(from) == bad) from = bad + kPage;
        if (from < batch[j].second) again.emplace_back(from, batch[j].second);
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
  // A merge sort: 100,000 goroutine stacks in allgs order made std::sort's
  // introsort fall back to heapsort, at several times the cost, while the
  // process is held.
  std::stable_sort(ranges.begin(), ranges.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& r : ranges) {
    if (r.second <= r.first) continue;
    if (!merged.empty() && r.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  // Only what is not held yet: the sorted ranges against the sorted
  // chunks, side by side (a binary search or two per range was 100,000
  // of each for the goroutine stacks).
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  size_t j = merged.empty() ? 0 : After(merged.front().first);
  if (j) --j;  // the chunk that may hold the first range's start
  for (auto [s, e] : merged) {
    for (uint64_t a = s; a < e;) {
      // The first chunk ending after `a`: a few steps, else a search.
      for (int step = 0; j < chunks_.size() && chunks_[j].end() <= a; ++step) {
        if (step == 8) {
          j = std::max(j, After(a));
          if (j && chunks_[j - 1].end() > a) --j;
          break;
        }
        ++j;
      }
      if (j < chunks_.size() && chunks_[j].start <= a) {
        a = chunks_[j].end();
        continue;
      }
      uint64_t stop = j < chunks_.size() ? std::min(e, chunks_[j].start) : e;
      pieces.emplace_back(a, stop);
      a = stop;
    }
  }
  CopyPieces(std::move(pieces));
}

const uint8_t* ProcessCopy::Direct(uint64_t addr, size_t len) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  size_t i = Find(addr);
  if (i == kNone || chunks_[i].end() - addr < len) return nullptr;
  return chunks_[i].data + (addr - chunks_[i].start);
}

ProcessCopy::Slab ProcessCopy::NewSlab(uint64_t bytes) {
  // Not zero-filled: the kernel writes it.
  Slab s;
  s.size = std::max(bytes, kSlab);
  s.bytes.reset(new uint8_t[s.size]);
  return s;
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
  slabs_.push_back(NewSlab(bytes));
  slabs_.back().used = bytes;
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
  slabs_.push_back(NewSlab(bytes));
  std::memset(slabs_.back().bytes.get(), 0, bytes);
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

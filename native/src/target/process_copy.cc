#include "target/process_copy.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>

#include "error.h"

namespace cgostack {

namespace {

constexpr uint64_t kPage = 4096;
constexpr size_t kMaxIov = 1024;              // IOV_MAX on Linux
constexpr uint64_t kMaxBatchBytes = 256 << 20;  // one call's buffers

uint64_t PageFloor(uint64_t a) { return a & ~(kPage - 1); }

std::string ToHex(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::map<uint64_t, std::vector<uint8_t>>::const_iterator ProcessCopy::Find(uint64_t addr) const {
  auto it = chunks_.upper_bound(addr);
  if (it == chunks_.begin()) return chunks_.end();
  --it;
  return addr - it->first < it->second.size() ? it : chunks_.end();
}

uint64_t ProcessCopy::NextHeld(uint64_t addr) const {
  auto it = chunks_.upper_bound(addr);
  return it == chunks_.end() ? UINT64_MAX : it->first;
}

size_t ProcessCopy::Read(uint64_t addr, void* dst, size_t len) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  auto* out = static_cast<uint8_t*>(dst);
  size_t done = 0;
  while (done < len) {
    uint64_t a = addr + done;
    if (a < addr) break;  // wrapped past the top of the address space
    auto it = Find(a);
    if (it != chunks_.end()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, it->first + it->second.size() - a));
      std::memcpy(out + done, it->second.data() + (a - it->first), n);
      done += n;
      continue;
    }
    if (sealed_ || unreadable_pages_.count(PageFloor(a))) break;
    // A miss: copy the block around it, up to what the caller wants, never
    // over a chunk already held (neither before `a` nor after it).
    uint64_t start = std::max(a & ~(kMissBlock - 1), PageFloor(a));
    auto prev = chunks_.upper_bound(a);
    if (prev != chunks_.begin()) {
      --prev;
      start = std::max(start, prev->first + prev->second.size());
    }
    uint64_t want_end = a + (len - done);
    if (want_end < a) want_end = UINT64_MAX;
    uint64_t end = std::max((want_end + kMissBlock - 1) & ~(kMissBlock - 1), PageFloor(a) + kPage);
    end = std::min(end, NextHeld(a));
    CopyPieces({{start, end}});
    if (Find(a) == chunks_.end() && !unreadable_pages_.count(PageFloor(a))) break;  // nothing came
  }
  return done;
}

std::string ProcessCopy::WhyUnreadable(uint64_t addr) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (sealed_ && Find(addr) == chunks_.end() && !unreadable_pages_.count(PageFloor(addr)))
    return "not copied while the process was stopped";
  return "";
}

void ProcessCopy::CopyPieces(std::vector<std::pair<uint64_t, uint64_t>> pieces) const {
  std::deque<std::pair<uint64_t, uint64_t>> work(pieces.begin(), pieces.end());
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<iovec> local, remote;
  while (!work.empty()) {
    buffers.clear();
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
      buffers.emplace_back(e - s);
      batch_bytes += e - s;
      remote.push_back({reinterpret_cast<void*>(s), static_cast<size_t>(e - s)});
    }
    if (buffers.empty()) break;
    for (auto& b : buffers) local.push_back({b.data(), b.size()});
    ssize_t got = ::process_vm_readv(pid_, local.data(), local.size(), remote.data(), remote.size(), 0);
    ++calls_;
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
    for (size_t i = 0; i < buffers.size(); ++i) {
      uint64_t s = reinterpret_cast<uint64_t>(remote[i].iov_base), size = remote[i].iov_len;
      if (left >= size) {
        left -= size;
        bytes_ += size;
        chunks_.emplace(s, std::move(buffers[i]));
        continue;
      }
      // The call stopped inside this piece: keep what came, skip the page
      // that failed, and queue the rest of this piece and the pieces after.
      if (left) {
        buffers[i].resize(left);
        bytes_ += left;
        chunks_.emplace(s, std::move(buffers[i]));
      }
      uint64_t bad = PageFloor(s + left);
      unreadable_pages_.insert(bad);
      std::vector<std::pair<uint64_t, uint64_t>> again;
      if (bad + kPage < s + size) again.emplace_back(bad + kPage, s + size);
      for (size_t j = i + 1; j < buffers.size(); ++j) {
        uint64_t js = reinterpret_cast<uint64_t>(remote[j].iov_base);
        again.emplace_back(js, js + remote[j].iov_len);
      }
      work.insert(work.begin(), again.begin(), again.end());
      break;
    }
  }
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
      if (auto it = Find(a); it != chunks_.end()) {
        a = it->first + it->second.size();
        continue;
      }
      uint64_t stop = std::min(e, NextHeld(a));
      pieces.emplace_back(a, stop);
      a = stop;
    }
  }
  CopyPieces(std::move(pieces));
}

void ProcessCopy::Clear() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  chunks_.clear();
  unreadable_pages_.clear();
  bytes_ = 0;
  calls_ = 0;
}

std::vector<ProcessCopy::Range> ProcessCopy::Joined() const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::vector<Range> out;
  for (const auto& [s, bytes] : chunks_) {
    if (out.empty() || out.back().start + out.back().size != s) out.push_back({s, 0, {}});
    out.back().parts.emplace_back(bytes.data(), bytes.size());
    out.back().size += bytes.size();
  }
  return out;
}

}  // namespace cgostack

#include "report/goroutine_set.h"

#include <climits>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "report/huge_pages.h"

namespace cgostack {

namespace {

// Frames come from pcs, so equal pc sequences (with the line, which also
// covers the innermost frame's lookup, and a boundary's kind and
// description) are equal frame lists.  A stack is hashed and compared field
// by field, not turned into a key string: building, hashing and comparing
// 100,000 keys of ~260 bytes cost 0.3 G instructions (callgrind).
uint64_t Mix(uint64_t h) {
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

uint64_t StackHash(const std::vector<StackFrame>& frames) {
  uint64_t h = Mix(frames.size());
  for (const auto& f : frames) {
    h = Mix(h ^ f.pc);
    h = Mix(h ^ (static_cast<uint64_t>(static_cast<uint32_t>(f.line)) << 8) ^ static_cast<uint64_t>(f.lang));
    if (f.lang == FrameLang::kBoundary)
      h = Mix(h ^ std::hash<std::string_view>{}(f.function) ^ (std::hash<std::string_view>{}(f.file) << 1));
  }
  return h;
}

bool SameStack(const std::vector<StackFrame>& a, const std::vector<StackFrame>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const StackFrame &x = a[i], &y = b[i];
    if (x.pc != y.pc || x.line != y.line || x.lang != y.lang) return false;
    if (x.lang == FrameLang::kBoundary && (x.function != y.function || x.file != y.file)) return false;
  }
  return true;
}

}  // namespace

std::optional<int64_t> GoroutineSet::GdbThread(const std::optional<int64_t>& lwp) const {
  if (!lwp) return std::nullopt;
  auto it = gdb_threads.find(*lwp);
  return it == gdb_threads.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

GoroutineSet ReadGoroutineSet(GoRuntime& rt, bool with_frames, const StitchFn& stitch,
                              std::map<int64_t, int64_t> gdb_threads, bool all_frames) {
  GoroutineSet set;
  set.go_version = rt.BuildVersion();
  set.with_frames = with_frames;
  set.gdb_threads = std::move(gdb_threads);
  GoroutineReader reader(rt);
  GoroutineOptions opts;
  opts.with_frames = with_frames;
  opts.all_frames = all_frames;
  // The first stack with each hash; stacks with the same hash are chained
  // through same_hash (none on real cores, but a hash is not an identity).
  std::unordered_map<uint64_t, uint32_t> index;
  std::vector<uint32_t> same_hash;
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint64_t> order = reader.LiveInGoidOrder();
  set.goroutines.reserve(order.size());
  AdviseHugePages(set.goroutines.data(), order.size() * sizeof(Goroutine));
  set.stack_of.reserve(order.size());
  for (uint64_t gp : order) {
    Goroutine g = reader.Read(gp, opts);
    if (with_frames && stitch) stitch(&g);
    auto it = index.try_emplace(StackHash(g.frames), kNone).first;
    uint32_t s = it->second, last = kNone;
    while (s != kNone && !SameStack(set.stacks[s], g.frames)) s = same_hash[last = s];
    if (s == kNone) {
      s = static_cast<uint32_t>(set.stacks.size());
      (last == kNone ? it->second : same_hash[last]) = s;
      set.stacks.push_back(std::move(g.frames));
      same_hash.push_back(kNone);
    }
    std::vector<StackFrame>().swap(g.frames);
    set.stack_of.push_back(s);
    set.partial = set.partial || !g.error.empty() || (with_frames && !g.frames_error.empty());
    set.goroutines.push_back(std::move(g));
  }
  set.labels_cut = reader.labels_cut();
  set.now_ns = rt.target().MonotonicNow();
  set.warnings = rt.target().warnings();
  if (!reader.wait_reasons_error().empty())
    set.warnings.push_back("wait reasons unavailable: " + reader.wait_reasons_error());
  set.partial = set.partial || !set.warnings.empty();
  return set;
}

}  // namespace cgostack

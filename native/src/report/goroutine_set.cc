#include "report/goroutine_set.h"

#include <unordered_map>

#include "report/huge_pages.h"

namespace cgostack {

namespace {

// Frames come from pcs, so equal pc sequences (with the line, which also
// covers the innermost frame's lookup, and a boundary's kind) are equal
// frame lists.
void StackKey(const std::vector<StackFrame>& frames, std::string& key) {
  key.clear();
  for (const auto& f : frames) {
    key.append(reinterpret_cast<const char*>(&f.pc), sizeof f.pc);
    key.append(reinterpret_cast<const char*>(&f.line), sizeof f.line);
    key.push_back(static_cast<char>(f.lang));
    if (f.lang == FrameLang::kBoundary) {
      key.append(f.function);
      key.push_back('\0');
      key.append(f.file);
      key.push_back('\0');
    }
  }
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
  std::unordered_map<std::string, uint32_t> index;
  std::string key;
  std::vector<uint64_t> order = reader.LiveInGoidOrder();
  set.goroutines.reserve(order.size());
  AdviseHugePages(set.goroutines.data(), order.size() * sizeof(Goroutine));
  set.stack_of.reserve(order.size());
  for (uint64_t gp : order) {
    Goroutine g = reader.Read(gp, opts);
    if (with_frames && stitch) stitch(&g);
    // One key buffer for every goroutine: a key is copied only for a new stack.
    StackKey(g.frames, key);
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, static_cast<uint32_t>(set.stacks.size())).first;
      set.stacks.push_back(std::move(g.frames));
    }
    std::vector<StackFrame>().swap(g.frames);
    set.stack_of.push_back(it->second);
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

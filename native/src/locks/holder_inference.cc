#include "locks/holder_inference.h"


#include "report/format.h"

namespace cgostack {

namespace {

constexpr uint64_t kMaxFunctionBytes = 1 << 20;

enum class Op { kNone, kLock, kUnlock };

bool IsLockName(std::string_view n) {
  return n.size() >= 13 && (n.find("(*Mutex).Lock") != std::string_view::npos ||
                            n.find("(*Mutex).lockSlow") != std::string_view::npos ||
                            n.find("(*RWMutex).Lock") != std::string_view::npos);
}
bool IsUnlockName(std::string_view n) {
  return n.find("(*Mutex).Unlock") != std::string_view::npos || n.find("(*Mutex).unlockSlow") != std::string_view::npos ||
         n.find("(*RWMutex).Unlock") != std::string_view::npos;
}

}  // namespace

HolderInference::HolderInference(GoRuntime& rt) : rt_(rt), tab_(rt.Pclntab()) {}

std::optional<uint64_t> HolderInference::LockedBefore(uint64_t pc, uint64_t mutex) {
  auto [memo, fresh_pc] = locked_before_.try_emplace({pc, mutex});
  if (!fresh_pc) return memo->second;
  auto f = tab_.FindFunc(pc - 1);
  if (!f || f->end <= f->entry || f->end - f->entry > kMaxFunctionBytes) return std::nullopt;
  auto [it, fresh] = code_.try_emplace(f->entry);
  const MutexCodeRules& rules = MutexCodeRulesFor(rt_.target().arch());
  if (fresh) {
    if (!dis_) dis_ = std::make_unique<Disassembler>(rt_.target().arch());
    std::string code(f->end - f->entry, '\0');
    if (rt_.target().memory().TryRead(f->entry, code.data(), code.size()))
      rules.scan(*dis_, code, f->entry, &it->second);
  }
  const std::vector<CodeEvent>& events = it->second;
  size_t limit = pc - f->entry;
  // What the next few bytes after the address do with it.
  auto op_after = [&](size_t k) {
    size_t from = events[k].end;
    for (size_t j = k + 1; j < events.size() && events[j].at < from + rules.window; ++j) {
      const CodeEvent& e = events[j];
      if (e.at < from) continue;
      if (e.kind == CodeEvent::kLock) return Op::kLock;
      if (e.kind == CodeEvent::kUnlock) return Op::kUnlock;
      if (e.kind == CodeEvent::kCall)
        if (auto callee = tab_.FindFunc(e.value)) {
          std::string_view n = tab_.FuncName(*callee);
          if (IsLockName(n)) return Op::kLock;
          if (IsUnlockName(n)) return Op::kUnlock;
        }
    }
    return Op::kNone;
  };
  std::optional<uint64_t>& locked_at = memo->second;
  for (size_t k = 0; k < events.size(); ++k) {
    const CodeEvent& e = events[k];
    if (e.kind != CodeEvent::kAddress || e.end > limit || e.value != mutex) continue;
    switch (op_after(k)) {
      case Op::kLock:
        locked_at = f->entry + e.at;
        break;
      case Op::kUnlock:
        locked_at.reset();
        break;
      case Op::kNone:
        break;
    }
  }
  return locked_at;
}

std::optional<InferredHolder> HolderInference::Holder(uint64_t mutex, const std::vector<HolderCandidate>& candidates) {
  // Per distinct stack: its first frame whose code leaves the mutex locked
  // (the frame and the lock site), or none.
  struct Locks {
    const StackFrame* frame = nullptr;
    uint64_t at = 0;
  };
  std::unordered_map<const std::vector<StackFrame>*, Locks> by_stack;
  std::optional<uint64_t> goid;
  Locks found;
  for (const HolderCandidate& c : candidates) {
    auto [it, fresh] = by_stack.try_emplace(c.frames);
    if (fresh) {
      for (const StackFrame& fr : *c.frames) {
        if (fr.lang != FrameLang::kGo || fr.inlined || !fr.pc) continue;
        if (auto at = LockedBefore(fr.pc, mutex)) {
          it->second = Locks{&fr, *at};
          break;
        }
      }
    }
    if (!it->second.frame) continue;
    if (goid && *goid != c.goid) return std::nullopt;  // two candidates: no inference
    goid = c.goid;
    found = it->second;
  }
  if (!goid) return std::nullopt;
  // The lock site as the user wrote it: the outermost frame of the
  // (possibly inlined) code at the LEA.
  std::string_view file;
  int32_t line = 0;
  if (auto f = tab_.FindFunc(found.at)) {
    auto locs = tab_.Symbolize(*f, found.at);
    if (!locs.empty()) {
      file = locs.back().file;
      line = locs.back().line;
    }
  }
  return InferredHolder{*goid, std::string(found.frame->function) + " locks it at " + std::string(file) + ":" +
                                   std::to_string(line) + " (pc " + Hex(found.at) +
                                   ") and its code has no unlock of it before the frame's pc"};
}

}  // namespace cgostack

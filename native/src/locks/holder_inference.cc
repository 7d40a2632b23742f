#include "locks/holder_inference.h"

#include <cstring>

#include "report/format.h"

namespace cgostack {

namespace {

constexpr uint64_t kMaxFunctionBytes = 1 << 20;
// How far after the LEA the lock or unlock itself may come (the inlined fast
// path is a few instructions; argument set-up before a call is too).
constexpr size_t kWindow = 48;

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
  if (fresh) {
    it->second.resize(f->end - f->entry);
    if (!rt_.target().memory().TryRead(f->entry, it->second.data(), it->second.size())) it->second.clear();
  }
  const std::string& code = it->second;
  size_t limit = std::min<uint64_t>(pc - f->entry, code.size());
  auto u8 = [&](size_t i) { return static_cast<uint8_t>(code[i]); };
  // What the next few bytes after a LEA of the mutex do with it.
  auto op_after = [&](size_t from) {
    for (size_t j = from; j + 5 <= code.size() && j < from + kWindow; ++j) {
      if (u8(j) == 0xf0 && u8(j + 1) == 0x0f && u8(j + 2) == 0xb1) return Op::kLock;    // LOCK CMPXCHG
      if (u8(j) == 0xf0 && u8(j + 1) == 0x0f && u8(j + 2) == 0xc1) return Op::kUnlock;  // LOCK XADD
      if (u8(j) == 0xe8) {  // CALL rel32
        int32_t rel;
        std::memcpy(&rel, code.data() + j + 1, 4);
        uint64_t target = f->entry + j + 5 + static_cast<int64_t>(rel);
        if (auto callee = tab_.FindFunc(target)) {
          std::string_view n = tab_.FuncName(*callee);
          if (IsLockName(n)) return Op::kLock;
          if (IsUnlockName(n)) return Op::kUnlock;
        }
      }
    }
    return Op::kNone;
  };
  std::optional<uint64_t>& locked_at = memo->second;
  for (size_t i = 0; i + 7 <= limit; ++i) {
    // LEA r64, [rip + disp32]: REX.W (0x48/0x4c), 0x8d, ModRM mod=00 rm=101.
    if ((u8(i) != 0x48 && u8(i) != 0x4c) || u8(i + 1) != 0x8d || (u8(i + 2) & 0xc7) != 0x05) continue;
    int32_t disp;
    std::memcpy(&disp, code.data() + i + 3, 4);
    if (f->entry + i + 7 + static_cast<int64_t>(disp) != mutex) continue;
    switch (op_after(i + 7)) {
      case Op::kLock:
        locked_at = f->entry + i;
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

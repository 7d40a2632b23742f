#include "stacks/go_unwind.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>

#include "report/format.h"

namespace cgostack {

bool HiddenByDefault(std::string_view name, GoFuncKind kind) {
  // runtime/traceback.go showfuncinfo (1.19-1.27): wrappers are elided; a name
  // without a package dot is hidden; runtime.* is hidden unless exported
  // (runtime.Goexit, runtime.GC) or a panic frame the user must see.
  if (kind == GoFuncKind::kWrapper) return true;
  if (name.find('.') == std::string_view::npos) return true;
  constexpr std::string_view kRuntime = "runtime.";
  if (name.substr(0, kRuntime.size()) != kRuntime) return false;
  if (name == "runtime.gopanic") return false;
  std::string_view rest = name.substr(kRuntime.size());
  return rest.empty() || !std::isupper(static_cast<unsigned char>(rest[0]));
}

const GoUnwinder::PcInfo& GoUnwinder::Lookup(uint64_t pc, bool is_return) {
  uint64_t key = (pc << 1) | (is_return ? 1 : 0);
  Recent& recent = recent_[(key ^ (key >> 9)) % kRecent];
  if (recent.info && recent.key == key) return *recent.info;
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    recent = {key, &it->second};
    return it->second;
  }
  PcInfo info;
  if (auto f = tab_.FindFunc(pc)) {
    info.in_go = true;
    info.top_frame = tab_.IsTopFrame(*f);
    info.kind = tab_.Kind(*f);
    info.name = tab_.FuncName(*f);
    if (auto d = tab_.SpDelta(*f, pc)) info.sp_delta = *d;
    tab_.Symbolize(*f, GoPclntab::LookupPC(*f, pc, is_return), &scratch_);
    for (const auto& loc : scratch_) {
      StackFrame fr;
      fr.function = loc.function;
      fr.file = loc.file;
      fr.line = loc.line;
      fr.inlined = loc.inlined;
      fr.hidden_by_default = HiddenByDefault(loc.function, loc.kind);
      info.frames.push_back(fr);
    }
  }
  const PcInfo& added = cache_.emplace(key, std::move(info)).first->second;
  recent = {key, &added};
  return added;
}

UnwindResult GoUnwinder::Unwind(UnwindStart start, uint64_t stack_lo, uint64_t stack_hi, size_t max_frames,
                                size_t keep_tail) {
  UnwindResult r;
  // Frames collect in a vector the unwinder keeps, and the result gets one
  // allocation of the exact size: growing each goroutine's vector by
  // doubling cost five allocations and copies per stack (100,000 stacks).
  std::vector<StackFrame>& frames = frames_scratch_;
  frames.clear();
  uint64_t pc = start.pc, sp = start.sp;
  bool is_return = start.pc_is_return_address;
  // The frame's LR when it is known: the innermost frame's, or the one an
  // injected call (sigpanic, asyncPreempt) interrupted on arm64.
  uint64_t lr = start.lr;
  // Past the head, frames go to a ring of keep_tail; what falls out of it
  // is counted as elided.
  std::vector<StackFrame> tail;
  size_t tail_next = 0;
  // The stack in place when the memory holds it in one piece (a core):
  // return addresses are then read from it without a Read each.
  const uint8_t* stack = stack_hi > stack_lo ? mem_.Direct(stack_lo, stack_hi - stack_lo) : nullptr;
  auto keep = [&](const StackFrame& fr) {
    if (frames.size() < max_frames) {
      frames.push_back(fr);
    } else if (tail.size() < keep_tail) {
      tail.push_back(fr);
    } else {
      tail[tail_next] = fr;
      tail_next = (tail_next + 1) % keep_tail;
      ++r.elided;
    }
  };
  while (true) {
    if (frames.size() >= max_frames && keep_tail == 0) {
      r.truncated = true;
      break;
    }
    const PcInfo& info = Lookup(pc, is_return);
    if (!info.in_go) {
      r.error = "pc " + Hex(pc) + " is not in Go code";
      break;
    }
    if (sp < stack_lo || sp > stack_hi) {
      r.error = "sp " + Hex(sp) + " is outside the goroutine's stack [" + Hex(stack_lo) + ", " +
                Hex(stack_hi) + ")";
      break;
    }
    for (StackFrame fr : info.frames) {
      fr.pc = pc;
      fr.sp = sp;
      keep(fr);
    }
    // goexit, mstart, rt0_go: the bottom of every goroutine stack.
    if (info.top_frame) break;
    if (info.sp_delta < 0) {
      r.error = "no frame size for " + std::string(info.name) + " at " + Hex(pc);
      break;
    }
    uint64_t caller_sp = arch_.CallerSp(sp, info.sp_delta);
    uint64_t ret = 0;
    if (auto slot = arch_.ReturnAddressSlot(sp, info.sp_delta)) {
      if (stack && *slot >= stack_lo && stack_hi - *slot >= sizeof ret) {
        std::memcpy(&ret, stack + (*slot - stack_lo), sizeof ret);
      } else if (!mem_.TryRead(*slot, &ret, sizeof ret)) {
        r.error = "cannot read the return address at " + Hex(*slot);
        break;
      }
    } else {
      ret = lr;  // a frameless function returns through LR
    }
    lr = 0;
    if (ret == 0) break;
    // A frame "called" by sigpanic or asyncPreempt was interrupted at `ret`
    // itself, not at a call (runtime/traceback.go, unwinder.next), and on
    // arm64 below the word where the handler saved its LR.
    is_return = !(info.kind == GoFuncKind::kSigpanic || info.kind == GoFuncKind::kAsyncPreempt);
    if (!is_return && !arch_.InjectedCallCaller(mem_, caller_sp, &caller_sp, &lr)) {
      r.error = "cannot read the link register saved at " + Hex(caller_sp) + " for " + std::string(info.name);
      break;
    }
    pc = ret;
    sp = caller_sp;
  }
  if (!tail.empty()) {
    if (r.elided) {
      StackFrame b;
      b.lang = FrameLang::kBoundary;
      b.function = kElidedBoundary;
      b.line = static_cast<int32_t>(std::min<uint64_t>(r.elided, INT32_MAX));
      frames.push_back(b);
    }
    for (size_t i = 0; i < tail.size(); ++i) frames.push_back(tail[(tail_next + i) % tail.size()]);
  }
  r.frames.assign(frames.begin(), frames.end());
  if (frames.capacity() > kScratchFramesKept) std::vector<StackFrame>().swap(frames);  // a very deep stack
  return r;
}

}  // namespace cgostack

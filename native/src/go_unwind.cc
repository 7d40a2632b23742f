#include "go_unwind.h"

#include <cctype>

#include "format.h"

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

UnwindResult UnwindGoStack(const GoPclntab& tab, const MemorySource& mem, UnwindStart start,
                           uint64_t stack_lo, uint64_t stack_hi, size_t max_frames) {
  UnwindResult r;
  uint64_t pc = start.pc, sp = start.sp;
  bool is_return = start.pc_is_return_address;
  std::vector<GoPclntab::Location> locs;
  while (true) {
    if (r.frames.size() >= max_frames) {
      r.truncated = true;
      break;
    }
    auto f = tab.FindFunc(pc);
    if (!f) {
      r.error = "pc " + Hex(pc) + " is not in Go code";
      break;
    }
    if (sp < stack_lo || sp > stack_hi) {
      r.error = "sp " + Hex(sp) + " is outside the goroutine's stack [" + Hex(stack_lo) + ", " +
                Hex(stack_hi) + ")";
      break;
    }
    tab.Symbolize(*f, GoPclntab::LookupPC(*f, pc, is_return), &locs);
    for (const auto& loc : locs) {
      GoFrame fr;
      fr.pc = pc;
      fr.sp = sp;
      fr.function = loc.function;
      fr.file = loc.file;
      fr.line = loc.line;
      fr.inlined = loc.inlined;
      fr.hidden_by_default = HiddenByDefault(loc.function, loc.kind);
      r.frames.push_back(fr);
    }
    // goexit, mstart, rt0_go: the bottom of every goroutine stack.
    if (tab.IsTopFrame(*f)) break;
    GoFuncKind kind = tab.Kind(*f);
    auto delta = tab.SpDelta(*f, pc);
    if (!delta || *delta < 0) {
      r.error = "no frame size for " + std::string(tab.FuncName(*f)) + " at " + Hex(pc);
      break;
    }
    uint64_t fp = sp + static_cast<uint64_t>(*delta) + 8;
    uint64_t ret;
    if (!mem.TryRead(fp - 8, &ret, sizeof ret)) {
      r.error = "cannot read the return address at " + Hex(fp - 8);
      break;
    }
    if (ret == 0) break;
    // A frame "called" by sigpanic or asyncPreempt was interrupted at `ret`
    // itself, not at a call (runtime/traceback.go, unwinder.next).
    is_return = !(kind == GoFuncKind::kSigpanic || kind == GoFuncKind::kAsyncPreempt);
    pc = ret;
    sp = fp;
  }
  return r;
}

}  // namespace cgostack

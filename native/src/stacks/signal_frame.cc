#include "stacks/signal_frame.h"

#include <cstring>

namespace cgostack {

namespace {

constexpr size_t kMaxHandlerFrames = 64;
constexpr size_t kMaxNesting = 4;

bool IsSigtramp(std::string_view name) { return name == "runtime.sigtramp"; }

// The ucontext address if `regs` unwinds to runtime.sigtramp, else 0.
uint64_t FindUcontext(const Arch& arch, const GoPclntab& tab, const MemorySource& mem, const Registers& regs,
                      const CgoCallers* cgo) {
  uint64_t pc = regs.pc, sp = regs.sp, lr = regs.lr;
  for (size_t i = 0; i < kMaxHandlerFrames; ++i) {
    auto f = tab.FindFunc(pc);
    if (!f) return 0;
    auto delta = tab.SpDelta(*f, pc);
    if (!delta || *delta < 0) return 0;
    // sigtramp was entered by the kernel with SP at its rt_sigframe; its
    // frame's caller SP locates the ucontext.
    uint64_t caller_sp = arch.CallerSp(sp, *delta);
    if (IsSigtramp(tab.FuncName(*f))) {
      uint64_t ret = 0;
      if (auto slot = arch.ReturnAddressSlot(sp, *delta)) mem.TryRead(*slot, &ret, sizeof ret);
      if (cgo && ret && cgo->Contains(ret)) {
        // Called by x_cgo_callers: the kernel's frame is above its frame.
        auto c = cgo->Cfa(ret, caller_sp);
        return c ? SignalUcontext(arch, *c) : 0;
      }
      return SignalUcontext(arch, caller_sp);
    }
    if (tab.IsTopFrame(*f)) return 0;
    uint64_t ret = 0;
    if (auto slot = arch.ReturnAddressSlot(sp, *delta)) {
      if (!mem.TryRead(*slot, &ret, sizeof ret)) return 0;
    } else if (i == 0) {
      ret = lr;  // a frameless innermost function: its caller is in LR
    }
    if (ret == 0) return 0;
    pc = ret;
    sp = caller_sp;
  }
  return 0;
}

// si_code at +8; the union at +16 holds si_pid (sent) or si_addr (fault).
void ReadSiginfoDetail(const MemorySource& mem, uint64_t info, SignalFrame* sf) {
  int32_t code = 0;
  if (!sf->signal || !mem.TryRead(info + 8, &code, sizeof code)) return;
  sf->code = code;
  if (code > 0) mem.TryRead(info + 16, &sf->fault_address, sizeof sf->fault_address);
  else mem.TryRead(info + 16, &sf->sender_pid, sizeof sf->sender_pid);
}

}  // namespace

std::optional<SignalFrame> ReadSignalFrame(const Arch& arch, const MemorySource& mem, uint64_t uc,
                                           const Registers& base) {
  SignalFrame sf;
  sf.ucontext = uc;
  sf.interrupted = base;
  if (!arch.read_mcontext(mem, uc, &sf.interrupted)) return std::nullopt;
  mem.TryRead(uc + arch.sigmask_in_ucontext, &sf.blocked_signals, sizeof sf.blocked_signals);
  int32_t signo = 0;
  uint64_t info = uc + static_cast<uint64_t>(arch.siginfo_from_ucontext);
  if (mem.TryRead(info, &signo, sizeof signo) && signo > 0 && signo < 65) sf.signal = signo;
  ReadSiginfoDetail(mem, info, &sf);
  return sf;
}

std::vector<SignalFrame> CrossGoSignalFrames(const Arch& arch, const GoPclntab& tab, const MemorySource& mem,
                                             const Registers& regs, const CgoCallers* cgo) {
  std::vector<SignalFrame> out;
  Registers cur = regs;
  while (out.size() < kMaxNesting) {
    uint64_t uc = FindUcontext(arch, tab, mem, cur, cgo);
    if (!uc) break;
    auto sf = ReadSignalFrame(arch, mem, uc, cur);
    if (!sf) break;
    out.push_back(*sf);
    cur = sf->interrupted;
  }
  return out;
}

}  // namespace cgostack

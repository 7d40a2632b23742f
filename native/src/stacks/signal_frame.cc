#include "stacks/signal_frame.h"

#include <cstring>

namespace cgostack {

namespace {

// struct ucontext (asm-generic + x86-64 sigcontext): uc_flags, uc_link,
// uc_stack (24 bytes), then uc_mcontext = struct sigcontext whose first 18
// words are r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
// uc_sigmask follows the 256-byte sigcontext.
constexpr uint64_t kMcontextOffset = 40;
constexpr uint64_t kSigmaskOffset = kMcontextOffset + 256;
// struct rt_sigframe puts the siginfo right after the 304-byte ucontext
// (the kernel's sigset_t is one word); si_signo is its first int.
constexpr uint64_t kSiginfoOffset = kSigmaskOffset + 8;
enum SigcontextReg { R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP, EFLAGS, kSigcontextRegs };

constexpr size_t kMaxHandlerFrames = 64;
constexpr size_t kMaxNesting = 4;

bool IsSigtramp(std::string_view name) { return name == "runtime.sigtramp"; }

// The ucontext address if `regs` unwinds to runtime.sigtramp, else 0.
uint64_t FindUcontext(const GoPclntab& tab, const MemorySource& mem, const Registers& regs) {
  uint64_t pc = regs.rip, sp = regs.rsp;
  for (size_t i = 0; i < kMaxHandlerFrames; ++i) {
    auto f = tab.FindFunc(pc);
    if (!f) return 0;
    auto delta = tab.SpDelta(*f, pc);
    if (!delta || *delta < 0) return 0;
    // sigtramp was entered by the kernel with SP at the rt_sigframe's
    // return-address slot; its frame's top (caller SP) is the ucontext.
    uint64_t fp = sp + static_cast<uint64_t>(*delta) + 8;
    if (IsSigtramp(tab.FuncName(*f))) return fp;
    if (tab.IsTopFrame(*f)) return 0;
    uint64_t ret;
    if (!mem.TryRead(fp - 8, &ret, sizeof ret) || ret == 0) return 0;
    pc = ret;
    sp = fp;
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

std::optional<SignalFrame> ReadSignalFrame(const MemorySource& mem, uint64_t uc, const Registers& base) {
  uint64_t g[kSigcontextRegs];
  if (!mem.TryRead(uc + kMcontextOffset, g, sizeof g)) return std::nullopt;
  SignalFrame sf;
  sf.ucontext = uc;
  Registers& r = sf.interrupted;
  r = base;
  r.r8 = g[R8]; r.r9 = g[R9]; r.r10 = g[R10]; r.r11 = g[R11]; r.r12 = g[R12]; r.r13 = g[R13];
  r.r14 = g[R14]; r.r15 = g[R15]; r.rdi = g[RDI]; r.rsi = g[RSI]; r.rbp = g[RBP]; r.rbx = g[RBX];
  r.rdx = g[RDX]; r.rax = g[RAX]; r.rcx = g[RCX]; r.rsp = g[RSP]; r.rip = g[RIP]; r.eflags = g[EFLAGS];
  mem.TryRead(uc + kSigmaskOffset, &sf.blocked_signals, sizeof sf.blocked_signals);
  int32_t signo = 0;
  if (mem.TryRead(uc + kSiginfoOffset, &signo, sizeof signo) && signo > 0 && signo < 65) sf.signal = signo;
  ReadSiginfoDetail(mem, uc + kSiginfoOffset, &sf);
  return sf;
}

std::vector<SignalFrame> CrossGoSignalFrames(const GoPclntab& tab, const MemorySource& mem,
                                             const Registers& regs) {
  std::vector<SignalFrame> out;
  Registers cur = regs;
  while (out.size() < kMaxNesting) {
    uint64_t uc = FindUcontext(tab, mem, cur);
    if (!uc) break;
    auto sf = ReadSignalFrame(mem, uc, cur);
    if (!sf) break;
    out.push_back(*sf);
    cur = sf->interrupted;
  }
  return out;
}

}  // namespace cgostack

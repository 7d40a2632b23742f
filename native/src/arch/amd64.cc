// x86-64 Linux: the System V psABI, the kernel's user_regs_struct and
// rt_sigframe (arch/x86/include/uapi/asm/sigcontext.h), Go's amd64 frames.
#include <elf.h>

#include <cstring>

#include "arch/arch.h"
#include "target/memory.h"

namespace cgostack {

namespace {

// DWARF numbers (psABI table 3.36).
enum : unsigned { kRax, kRdx, kRcx, kRbx, kRsi, kRdi, kRbp, kRsp, kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15 };

constexpr const char* kGdbNames[] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
                                     "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

constexpr unsigned kCalleeSaved[] = {kRbx, kRbp, kR12, kR13, kR14, kR15};
// crosscall2 (runtime/cgo/asm_amd64.s, PUSH_REGS_HOST_TO_ABI0 for non-Windows
// in runtime/cgo/abi_amd64.h, Go 1.19-1.27) saves them at the bottom of its
// 48-byte frame: BX, R12, R13, R14, R15, BP; its return address is above.
constexpr Arch::SavedRegister kCrosscall2Saved[] = {{kRbx, 56}, {kR12, 48}, {kR13, 40},
                                                    {kR14, 32}, {kR15, 24}, {kRbp, 16}};
// asmcgocall (asm_amd64.s): depth at 0(SP) and g at 8(SP) of a 16-byte
// area; Go 1.19-1.21 kept them at 40(SP) and 48(SP) of a 64-byte one.
constexpr Arch::AsmcgocallSlots kAsmcgocallSlots[] = {{0, 8}, {40, 48}};

// user_regs_struct (sys/user.h), the order of NT_PRSTATUS's pr_reg.
enum UserRegs {
  U_R15, U_R14, U_R13, U_R12, U_RBP, U_RBX, U_R11, U_R10, U_R9, U_R8, U_RAX, U_RCX, U_RDX, U_RSI, U_RDI,
  U_ORIG_RAX, U_RIP, U_CS, U_EFLAGS, U_RSP, U_SS, U_FS_BASE, U_GS_BASE, U_DS, U_ES, U_FS, U_GS, kUserRegs
};

void FromPrstatus(const uint8_t* gregs, Registers* out) {
  uint64_t u[kUserRegs];
  std::memcpy(u, gregs, sizeof u);
  Registers r;
  r.pc = u[U_RIP];
  r.sp = u[U_RSP];
  r.fp = u[U_RBP];
  r.tls = u[U_FS_BASE];
  r.flags = u[U_EFLAGS];
  r.syscall = static_cast<int64_t>(u[U_ORIG_RAX]);  // -1 outside a system call
  const std::pair<unsigned, int> gpr[] = {{kRax, U_RAX}, {kRdx, U_RDX}, {kRcx, U_RCX}, {kRbx, U_RBX},
                                          {kRsi, U_RSI}, {kRdi, U_RDI}, {kR8, U_R8},   {kR9, U_R9},
                                          {kR10, U_R10}, {kR11, U_R11}, {kR12, U_R12}, {kR13, U_R13},
                                          {kR14, U_R14}, {kR15, U_R15}};
  for (auto [dwarf, user] : gpr) r.gpr[dwarf] = u[user];
  *out = r;
}

// struct ucontext (asm-generic + x86-64 sigcontext): uc_flags, uc_link,
// uc_stack (24 bytes), then uc_mcontext = struct sigcontext whose first 18
// words are r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
// uc_sigmask follows the 256-byte sigcontext.
constexpr uint64_t kMcontextOffset = 40;
constexpr uint64_t kSigmaskOffset = kMcontextOffset + 256;
enum SigcontextReg { R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP, EFLAGS, kSigcontextRegs };

bool ReadMcontext(const MemorySource& mem, uint64_t uc, Registers* out) {
  uint64_t g[kSigcontextRegs];
  if (!mem.TryRead(uc + kMcontextOffset, g, sizeof g)) return false;
  Registers& r = *out;
  const std::pair<unsigned, int> gpr[] = {{kR8, R8},   {kR9, R9},   {kR10, R10}, {kR11, R11}, {kR12, R12},
                                          {kR13, R13}, {kR14, R14}, {kR15, R15}, {kRdi, RDI}, {kRsi, RSI},
                                          {kRbx, RBX}, {kRdx, RDX}, {kRax, RAX}, {kRcx, RCX}};
  for (auto [dwarf, sc] : gpr) r.gpr[dwarf] = g[sc];
  r.fp = g[RBP];
  r.sp = g[RSP];
  r.pc = g[RIP];
  r.flags = g[EFLAGS];
  r.syscall = -1;  // not in the signal context (thread_waits reads rax at a `syscall`)
  return true;
}

const Arch kAmd64 = {
    "x86-64", "amd64", EM_X86_64,
    kRsp, kRbp, -1, 16, kGdbNames, "rip", "eflags", kCalleeSaved, sizeof kCalleeSaved / sizeof kCalleeSaved[0],
    kUserRegs * 8, /*prstatus_has_syscall=*/true, FromPrstatus, 0,
    /*link_register=*/false, /*min_insn=*/1, /*injected_call_frame=*/0,
    // rt_sigframe: the return address (pretcode) the kernel pushed, then
    // the 304-byte ucontext, then the siginfo.
    /*ucontext_from_caller_sp=*/0, /*siginfo_from_ucontext=*/static_cast<int64_t>(kSigmaskOffset + 8),
    kSigmaskOffset, ReadMcontext,
    kCrosscall2Saved, sizeof kCrosscall2Saved / sizeof kCrosscall2Saved[0], /*return address below the CFA:*/ 8,
    kAsmcgocallSlots, sizeof kAsmcgocallSlots / sizeof kAsmcgocallSlots[0], /*asmcgocall_go_frame=*/0,
    /*cgocallback_saved_g0_sp=*/0, /*mcall_g_slot: PUSHQ AX*/ 0, /*mcall_frame=*/8,
    /*descriptor_below_tp=*/false,
    /*sys_futex=*/202, kRax, {kRdi, kRsi}, {0x0f, 0x05}, 2,
};

}  // namespace

const Arch& ArchAmd64() { return kAmd64; }

}  // namespace cgostack

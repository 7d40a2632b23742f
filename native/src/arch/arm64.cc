// aarch64 Linux: AAPCS64 and its DWARF numbering, the kernel's
// user_pt_regs and rt_sigframe (arch/arm64/include/uapi/asm/ptrace.h,
// sigcontext.h, arch/arm64/kernel/signal.c), Go's arm64 frames.
#include <elf.h>

#include <cstring>

#include "arch/arch.h"
#include "target/memory.h"

namespace cgostack {

namespace {

// DWARF numbers (DWARF for the Arm 64-bit Architecture): x0-x30 are 0-30, sp 31.
constexpr unsigned kX29 = 29, kX30 = 30, kSp = 31;
constexpr const char* kGdbNames[] = {"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10",
                                     "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
                                     "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp"};

constexpr unsigned kCalleeSaved[] = {19, 20, 21, 22, 23, 24, 25, 26, 27, 28, kX29};

// crosscall2 (runtime/cgo/asm_arm64.s, abi_arm64.h, Go 1.19-1.27): a
// 192-byte frame, R19-R28 at 32(RSP)..104(RSP) (SAVE_R19_TO_R28(8*4)), F8-F15
// above them, then R29 and R30 (C's return address) at 176(RSP) and 184(RSP).
constexpr Arch::SavedRegister kCrosscall2Saved[] = {
    {19, 160}, {20, 152}, {21, 144}, {22, 136}, {23, 128}, {24, 120},
    {25, 112}, {26, 104}, {27, 96},  {28, 88},  {kX29, 16}};
// asmcgocall (asm_arm64.s): the old g at 0(RSP), the depth at 8(RSP).
constexpr Arch::AsmcgocallSlots kAsmcgocallSlots[] = {{8, 0}};

// struct user_pt_regs: x0..x30, sp, pc, pstate.
constexpr size_t kUserRegs = 34;

void FromPrstatus(const uint8_t* gregs, Registers* out) {
  uint64_t u[kUserRegs];
  std::memcpy(u, gregs, sizeof u);
  Registers r;
  for (unsigned i = 0; i < kX29; ++i) r.gpr[i] = u[i];
  r.fp = u[kX29];
  r.lr = u[kX30];
  r.sp = u[31];
  r.pc = u[32];
  r.flags = u[33];
  // TPIDR_EL0 is a note of its own (NT_ARM_TLS), absent from qemu's cores;
  // user_pt_regs has no syscall number either.
  *out = r;
}

// struct ucontext (arm64): uc_flags, uc_link, uc_stack (24 bytes),
// uc_sigmask (8), 120 bytes reserved, then uc_mcontext = struct sigcontext
// aligned to 16: fault_address, regs[31], sp, pc, pstate.
constexpr uint64_t kSigmaskOffset = 40;
constexpr uint64_t kMcontextOffset = 176;

bool ReadMcontext(const MemorySource& mem, uint64_t uc, Registers* out) {
  uint64_t g[1 + 31 + 3];
  if (!mem.TryRead(uc + kMcontextOffset, g, sizeof g)) return false;
  Registers& r = *out;
  for (unsigned i = 0; i < kX29; ++i) r.gpr[i] = g[1 + i];
  r.fp = g[1 + kX29];
  r.lr = g[1 + kX30];
  r.sp = g[32];
  r.pc = g[33];
  r.flags = g[34];
  r.syscall = -1;
  return true;
}

const Arch kArm64 = {
    "aarch64", "arm64", EM_AARCH64,
    kSp, kX29, static_cast<int>(kX30), 32, kGdbNames, "pc", "cpsr", kCalleeSaved, sizeof kCalleeSaved / sizeof kCalleeSaved[0],
    kUserRegs * 8, /*prstatus_has_syscall=*/false, FromPrstatus, 0x401 /*NT_ARM_TLS*/,
    /*link_register=*/true, /*min_insn=*/4, /*injected_call_frame=*/16,
    // rt_sigframe: the kernel leaves SP at the 128-byte siginfo, the
    // ucontext follows it (sigtramp's frame has its caller SP there).
    /*ucontext_from_caller_sp=*/128, /*siginfo_from_ucontext=*/-128,
    kSigmaskOffset, ReadMcontext,
    kCrosscall2Saved, sizeof kCrosscall2Saved / sizeof kCrosscall2Saved[0], /*return address below the CFA:*/ 8,
    // asmcgocall is $0-20 but calls, so the assembler gives it a 16-byte
    // frame (cmd/internal/obj/arm64/obj7.go: LR slot + frame pointer slot).
    kAsmcgocallSlots, 1, /*asmcgocall_go_frame=*/16,
    /*cgocallback_saved_g0_sp: savedsp-16(SP)*/ 16,
    // mcall keeps the g in R0 and opens a 16-byte frame (dummy LR) on g0.
    /*mcall_g_slot=*/-1, /*mcall_frame=*/16,
    /*descriptor_below_tp=*/true,
    /*sys_futex=*/98, /*x8*/ 8, {0, 1}, {0x01, 0x00, 0x00, 0xd4}, 4,
};

}  // namespace

const Arch& ArchArm64() { return kArm64; }

}  // namespace cgostack

// Everything cgostack knows that differs between the machines it reads
// (x86-64 and aarch64 Linux), one table per machine: register numbering and
// the kernel's NT_PRSTATUS layout, where Go keeps g, Go's frame layout, the
// kernel's signal frame, and the glibc/kernel numbers the lock decoders use.
// The rest of the code asks the target's Arch (Target::arch()) instead of
// testing which machine it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "arch/registers.h"

namespace cgostack {

class MemorySource;

struct Arch {
  const char* name;     // "x86-64", "aarch64" (as GDB and readelf say)
  const char* go_arch;  // GOARCH: "amd64", "arm64"
  uint16_t elf_machine; // EM_X86_64, EM_AARCH64

  // --- registers: DWARF numbers (x86-64 psABI table 3.36; AAPCS64 DWARF) ---
  unsigned dwarf_sp, dwarf_fp;
  int dwarf_lr;           // -1: no link register
  unsigned gpr_count;     // DWARF 0..gpr_count-1 are the general registers
  // GDB's names of the registers (GDB's `info registers`, its Python
  // read_register and unwinders), by DWARF number, and of the pc.
  const char* const* gdb_names;
  const char* gdb_pc_name;
  const char* gdb_flags_name;
  // Registers a C function preserves for its caller (callee-saved), as
  // DWARF numbers; crosscall2 saves and restores exactly these for C.
  const unsigned* callee_saved;
  size_t callee_saved_count;
  // The kernel's elf_gregset_t in NT_PRSTATUS (after the 112-byte header
  // both 64-bit ABIs share) and its size in bytes.
  size_t prstatus_regs_size;
  bool prstatus_has_syscall;  // the kernel's registers name the system call (x86-64 orig_rax)
  void (*from_prstatus)(const uint8_t* gregs, Registers* out);
  // The note (and ptrace regset) holding the thread pointer when the
  // general registers do not (aarch64 NT_ARM_TLS); 0 when they do.
  uint32_t tls_note;

  // --- Go's frames (runtime/traceback.go, cmd/internal/obj/<arch>) ---
  // amd64: CALL pushes the return address above the callee's frame, so a
  // frame of pcsp size d at SP has its caller's SP at SP+d+8, the return
  // address at SP+d and the caller's frame pointer at SP+d-8 (d > 0).
  // arm64 (a link-register machine): the frame's first word 0(SP) holds
  // the saved LR, the caller's SP is SP+d, the saved frame pointer is at
  // SP-8; a function with no frame (d == 0) still has its return address
  // in LR.
  bool link_register;
  unsigned min_insn;  // the pc quantum of .gopclntab (1 on amd64, 4 on arm64)
  // A call the signal handler injects at the interrupted pc (runtime.sigpanic
  // for a fault, runtime.asyncPreempt for a preemption).  amd64 pushes the
  // interrupted pc as the return address (sigctxt.preparePanic, pushCall):
  // an ordinary call frame, 0 here.  arm64 first stores LR at SP-16 and
  // moves SP there, then sets LR to the interrupted pc (signal_arm64.go):
  // the interrupted frame's SP is this much above the injected function's
  // caller SP, and its LR the word at that caller SP (traceback.go,
  // unwinder.next: "sighandler saves the LR on stack before faking a call").
  uint64_t injected_call_frame;

  // --- the kernel's signal frame (arch/<arch>/kernel/signal.c) ---
  // Where the ucontext and the siginfo are relative to runtime.sigtramp's
  // caller SP (CallerSp of its frame: the kernel's rt_sigframe), and the
  // layout of the interrupted registers inside uc_mcontext.
  int64_t ucontext_from_caller_sp;  // ucontext = caller SP + this
  int64_t siginfo_from_ucontext;   // siginfo = ucontext + this
  uint64_t sigmask_in_ucontext;    // uc_sigmask's offset
  // Reads uc_mcontext's registers into *out (which keeps what the
  // signal context lacks, such as the thread pointer); false if unreadable.
  bool (*read_mcontext)(const MemorySource& mem, uint64_t ucontext, Registers* out);

  // --- cgo and the runtime's stack switches (runtime/cgo/asm_<arch>.s,
  // runtime/asm_<arch>.s, Go 1.19-1.27) ---
  // crosscall2 saves C's callee-saved registers in its frame: each one
  // (DWARF number) and how far below crosscall2's CFA it is.  C's return
  // address is `crosscall2_return_below_cfa` below it (amd64: pushed by
  // CALL; arm64: crosscall2 stores LR next to R29 at the top of its frame).
  struct SavedRegister {
    unsigned regno;
    uint64_t below_cfa;
  };
  const SavedRegister* crosscall2_saved;
  size_t crosscall2_saved_count;
  uint64_t crosscall2_return_below_cfa;
  // runtime.asmcgocall on the system stack: the offsets from its SP there
  // of the goroutine's stack depth and of its g, the layouts of all
  // releases (tried in turn: one gives a g whose stack holds the result).
  struct AsmcgocallSlots {
    uint64_t depth, g;
  };
  const AsmcgocallSlots* asmcgocall_slots;
  size_t asmcgocall_slots_count;
  // asmcgocall's frame on the goroutine stack (the SP the depth gives):
  // 0 on amd64 (no frame of its own: the return address at that SP, or a
  // word above it where a newer assembler pushed BP); on arm64 the
  // assembler's frame of this size (LR at 0(SP), the frame pointer at
  // -8(SP)), the caller's SP above it.
  uint64_t asmcgocall_go_frame;
  // runtime.cgocallback saved the previous g0.sched.sp at this offset from
  // its SP on the system stack (amd64 0(SP), arm64 16(RSP): "unwindm knows").
  uint64_t cgocallback_saved_g0_sp;
  // runtime.mcall on g0: the calling g is at this offset from its SP
  // (amd64 pushes it), -1 when it is only in a register (arm64's R0); the
  // caller's SP (g0.sched.sp) is `mcall_frame` above mcall's SP.
  int64_t mcall_g_slot;
  uint64_t mcall_frame;

  // --- glibc's thread descriptor (struct pthread) against the thread
  // pointer: x86-64 uses TLS variant II (the descriptor starts at fs_base,
  // static TLS below it); aarch64 variant I (TPIDR_EL0 points past the
  // descriptor: THREAD_SELF = tp - TLS_PRE_TCB_SIZE, sysdeps/aarch64/nptl/tls.h).
  bool descriptor_below_tp;

  // --- the kernel's system calls (asm/unistd.h, the syscall ABI) ---
  uint64_t sys_futex;
  unsigned syscall_nr_reg;       // DWARF number of the register holding the call number
  unsigned syscall_arg_regs[2];  // ... and its first two arguments
  uint8_t syscall_insn[4];       // the system call instruction (x86-64 `syscall`, aarch64 `svc #0`)
  unsigned syscall_insn_size;

  // The caller of a Go frame of pcsp size `delta` at `sp`: where its SP is
  // and where its return address and frame pointer were saved.
  uint64_t CallerSp(uint64_t sp, int64_t delta) const {
    return sp + static_cast<uint64_t>(delta) + (link_register ? 0 : 8);
  }
  // The address holding the return address, or nullopt when it is still in
  // the link register (a frameless function on a link-register machine).
  std::optional<uint64_t> ReturnAddressSlot(uint64_t sp, int64_t delta) const {
    if (!link_register) return CallerSp(sp, delta) - 8;
    if (delta == 0) return std::nullopt;
    return sp;
  }
  // The frame an injected call (injected_call_frame) interrupted, from
  // the injected function's caller SP `cfa`: *sp is the interrupted SP and,
  // on a link-register machine, *lr the LR it had (the handler saved it at
  // `cfa`); *lr is left alone on amd64.  False if that word is unreadable.
  bool InjectedCallCaller(const MemorySource& mem, uint64_t cfa, uint64_t* sp, uint64_t* lr) const;
  // A register by DWARF number, wherever Registers keeps it.
  uint64_t Get(const Registers& r, unsigned regno) const {
    if (regno == dwarf_sp) return r.sp;
    if (regno == dwarf_fp) return r.fp;
    if (dwarf_lr >= 0 && regno == static_cast<unsigned>(dwarf_lr)) return r.lr;
    return regno < r.gpr.size() ? r.gpr[regno] : 0;
  }
  void Set(Registers& r, unsigned regno, uint64_t v) const {
    if (regno == dwarf_sp) r.sp = v;
    else if (regno == dwarf_fp) r.fp = v;
    else if (dwarf_lr >= 0 && regno == static_cast<unsigned>(dwarf_lr)) r.lr = v;
    else if (regno < r.gpr.size()) r.gpr[regno] = v;
  }
  // Where the frame saved its caller's frame pointer (only if delta > 0).
  uint64_t SavedFpSlot(uint64_t sp, int64_t delta) const {
    return link_register ? sp - 8 : CallerSp(sp, delta) - 16;
  }
};

const Arch& ArchAmd64();
const Arch& ArchArm64();
// The Arch of an ELF e_machine; nullptr when cgostack does not know it.
const Arch* ArchForMachine(uint16_t elf_machine);
// The machine cgostack itself runs on: a live process is always one of its
// own (ptrace reads registers in the host's layout).
const Arch& HostArch();
// "x86-64 and aarch64", for messages.
std::string SupportedMachines();

}  // namespace cgostack

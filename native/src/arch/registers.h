// A thread's registers, the same struct on every architecture: the ones
// the stack code reasons about by role (pc, sp, frame pointer, link
// register, thread pointer) by name, the others by their DWARF number.
// Which machine register plays which role, and how the kernel lays them out
// in a core, is the architecture's business (arch/arch.h), never the
// caller's.
#pragma once

#include <array>
#include <cstdint>

namespace cgostack {

struct Registers {
  uint64_t pc = 0;
  uint64_t sp = 0;
  uint64_t fp = 0;   // frame pointer: x86-64 rbp, aarch64 x29
  uint64_t lr = 0;   // link register: aarch64 x30; always 0 on x86-64 (returns go through the stack)
  uint64_t tls = 0;  // thread pointer: x86-64 fs_base, aarch64 TPIDR_EL0 (0: unknown)
  // The system call the thread was in when the kernel says so (x86-64's
  // orig_rax in NT_PRSTATUS; aarch64's note does not carry it): -1 otherwise.
  int64_t syscall = -1;
  uint64_t flags = 0;  // x86-64 eflags, aarch64 pstate
  // Every other general register by DWARF number (x86-64: 0-15 = rax, rdx,
  // rcx, rbx, rsi, rdi, rbp, rsp, r8-r15; aarch64: 0-30 = x0-x30).  The
  // slots of the registers named above (sp, fp, lr) are not used.
  std::array<uint64_t, 32> gpr{};
};

}  // namespace cgostack

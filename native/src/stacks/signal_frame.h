// Crossing the Go runtime's signal handler.  When a thread is inside the
// handler (every thread of a GOTRACEBACK=crash core), its registers describe
// the handler; the context the signal interrupted is in the ucontext the
// kernel placed just above runtime.sigtramp's frame (the kernel's
// rt_sigframe; where in it the ucontext and siginfo lie, and the layout of
// the saved registers, are the Arch's: arch/arch.h).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "arch/arch.h"
#include "target/core_file.h"
#include "goruntime/gopclntab.h"
#include "target/memory.h"
#include "stacks/cgo_callers.h"

namespace cgostack {

struct SignalFrame {
  uint64_t ucontext = 0;     // address of the kernel's struct ucontext
  Registers interrupted{};   // uc_mcontext's registers
  uint64_t blocked_signals = 0;  // uc_sigmask: the interrupted code's mask
  int signal = 0;                // siginfo.si_signo of the signal being handled
  // The rest of that siginfo: si_code (> 0: the kernel's, a fault; <= 0:
  // sent, SI_USER/SI_TKILL/...), si_pid of a sent signal, si_addr of a fault.
  int code = 0;
  int32_t sender_pid = 0;
  uint64_t fault_address = 0;
};

// Reads the kernel's signal frame whose struct ucontext is at `ucontext`
// (found from runtime.sigtramp's caller SP: SignalUcontext); registers the
// frame does not hold are taken from `base`.  nullopt if unreadable.
std::optional<SignalFrame> ReadSignalFrame(const Arch& arch, const MemorySource& mem, uint64_t ucontext,
                                           const Registers& base);
// The ucontext of the signal frame above a runtime.sigtramp frame whose
// caller SP (CFA) is `sigtramp_cfa`.
inline uint64_t SignalUcontext(const Arch& arch, uint64_t sigtramp_cfa) {
  return sigtramp_cfa + static_cast<uint64_t>(arch.ucontext_from_caller_sp);
}

// Follows the Go frames from `regs` down to runtime.sigtramp and reads the
// interrupted context; repeats while that context is itself inside the
// handler (a signal taken during another).  Innermost handler first; empty if
// `regs` is not in the Go signal handler.  A runtime.sigtramp that cgo's
// x_cgo_callers called (`cgo`, cgo_callers.h) has the signal frame above
// x_cgo_callers's frame; without `cgo` it is taken for one the kernel entered.
std::vector<SignalFrame> CrossGoSignalFrames(const Arch& arch, const GoPclntab& tab, const MemorySource& mem,
                                             const Registers& regs, const CgoCallers* cgo = nullptr);

}  // namespace cgostack

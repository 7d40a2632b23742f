// runtime/cgo's x_cgo_callers (gcc_traceback.c, Go 1.19-1.27): when a cgo
// traceback function is set (runtime.SetCgoTraceback), the runtime's
// signal handler runtime.cgoSigtramp jumps, for a signal taken during a cgo
// call, to this C function, which calls the traceback function and then
// *calls* runtime.sigtramp.  That sigtramp was not entered by the kernel:
// its caller is x_cgo_callers, and the kernel's signal frame lies above
// x_cgo_callers's frame (its return address is the signal trampoline).
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <optional>

#include "target/target.h"

namespace cgostack {

class CgoCallers {
 public:
  explicit CgoCallers(Target& target) : target_(target) {}
  ~CgoCallers();
  CgoCallers(const CgoCallers&) = delete;
  CgoCallers& operator=(const CgoCallers&) = delete;
  // Whether runtime.sigtramp's return address `ret` is in C code that
  // called it, x_cgo_callers, rather than the signal trampoline the kernel
  // returns to.  By the executable's symbol table where it names
  // x_cgo_callers; without one (-ldflags=-s, strip) by its call-frame information: ret - 1 is C
  // code of the executable (.eh_frame describes no Go function) in a frame
  // that is no signal frame.  The kernel enters a handler with a signal
  // trampoline as its return address: Go's runtime.sigreturn__sigaction
  // (Go code), libc's __restore_rt (another file, or, linked statically,
  // a frame .eh_frame marks as a signal frame); x_cgo_callers is the only C
  // code that calls runtime.sigtramp.
  bool Contains(uint64_t ret) const;
  // x_cgo_callers's canonical frame address (its caller's SP) when it is
  // at return address `ret` with stack pointer `sp`, from the executable's
  // call-frame information (.eh_frame, read with libdw); nullopt if unknown.
  std::optional<uint64_t> Cfa(uint64_t ret, uint64_t sp) const;

 private:
  // The executable's CFI (made on first use) and its row for link-time
  // address `addr`, or nullptr; the caller frees the row.
  Dwarf_Frame* FrameAt(uint64_t addr) const;
  Target& target_;
  mutable Dwarf_CFI* cfi_ = nullptr;
  mutable bool cfi_tried_ = false;
};

}  // namespace cgostack

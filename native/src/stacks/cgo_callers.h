// runtime/cgo's x_cgo_callers (gcc_traceback.c, Go 1.19-1.27): when a cgo
// traceback function is set (runtime.SetCgoTraceback), the runtime's
// signal handler runtime.cgoSigtramp jumps, for a signal taken during a cgo
// call, to this C function, which calls the traceback function and then
// *calls* runtime.sigtramp.  That sigtramp was not entered by the kernel:
// its caller is x_cgo_callers, and the kernel's signal frame lies above
// x_cgo_callers's frame (its return address is the signal trampoline).
#pragma once

#include <cstdint>
#include <optional>

#include "target/target.h"

namespace cgostack {

class CgoCallers {
 public:
  explicit CgoCallers(Target& target) : target_(target) {}
  // Whether return address `ret` is inside x_cgo_callers (the executable's
  // symbol table; false when it has none).
  bool Contains(uint64_t ret) const;
  // x_cgo_callers's canonical frame address (its caller's SP) when it is
  // at return address `ret` with stack pointer `sp`, from the executable's
  // call-frame information (.eh_frame, read with libdw); nullopt if unknown.
  std::optional<uint64_t> Cfa(uint64_t ret, uint64_t sp) const;

 private:
  Target& target_;
};

}  // namespace cgostack

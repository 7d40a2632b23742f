// Unwinds a goroutine's Go frames from memory with the runtime's own tables
// (.gopclntab), the way the runtime's traceback does (runtime/traceback.go):
// the caller's SP is SP + pcsp(pc) + 8 and the return address sits just
// below it.  Never touches GDB's registers, so it works on cores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gopclntab.h"
#include "memory.h"

namespace cgostack {

struct GoFrame {
  uint64_t pc = 0;       // the frame's pc (a return address except innermost)
  uint64_t sp = 0;
  std::string_view function;
  std::string_view file;
  int32_t line = 0;
  bool inlined = false;
  // The runtime's traceback hides this frame at GOTRACEBACK=all or single
  // (runtime/traceback.go showfuncinfo: unexported runtime.* functions,
  // functions with no package, wrappers).
  bool hidden_by_default = false;
};

struct UnwindStart {
  uint64_t pc = 0, sp = 0;
  // True when pc was saved by a call (gobuf.pc, syscallpc, a return address):
  // line lookups then use pc-1, inside the call instruction.
  bool pc_is_return_address = true;
};

struct UnwindResult {
  std::vector<GoFrame> frames;
  std::string error;  // why unwinding stopped early; empty if it reached the top
  bool truncated = false;  // stopped at max_frames
};

// `stack_lo`/`stack_hi` bound every SP; a frame outside them ends the walk with
// an error (a corrupt or reused stack must not send us through the heap).
UnwindResult UnwindGoStack(const GoPclntab& tab, const MemorySource& mem, UnwindStart start,
                           uint64_t stack_lo, uint64_t stack_hi, size_t max_frames);

// The GOTRACEBACK=all rule for hiding a frame, from the function's name.
bool HiddenByDefault(std::string_view function, GoFuncKind kind);

}  // namespace cgostack

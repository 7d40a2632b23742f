// Unwinds a goroutine's Go frames from memory with the runtime's own tables
// (.gopclntab), the way the runtime's traceback does (runtime/traceback.go):
// the caller's SP is SP + pcsp(pc) (+ 8 for the return address on amd64),
// the return address where the Arch says it was saved (arch/arch.h).
// Never touches GDB's registers, so it works on cores.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "arch/arch.h"
#include "goruntime/gopclntab.h"
#include "target/memory.h"

namespace cgostack {

// One frame of a stack: a Go frame, a native (C) frame, or a marker where
// the stack switches between the two (see stitch.h).
enum class FrameLang : uint8_t { kGo, kC, kBoundary };

struct StackFrame {
  uint64_t pc = 0;       // the frame's pc (a return address except innermost)
  uint64_t sp = 0;
  // Names point into the executable's pc table (Go) or into the native
  // frames the session holds (C); a boundary's function is its kind
  // ("cgocall", "callback", "signal", ...) and its file a description.
  std::string_view function;
  std::string_view file;
  int32_t line = 0;
  bool inlined = false;
  bool tail_call = false;  // C frames: the function left by a tail call (NativeFrame::tail_call)
  // The runtime's traceback hides this frame at GOTRACEBACK=all or single
  // (runtime/traceback.go showfuncinfo: unexported runtime.* functions,
  // functions with no package, wrappers).
  bool hidden_by_default = false;
  FrameLang lang = FrameLang::kGo;
  std::string_view object;  // C frames: the shared object or executable
};

struct UnwindStart {
  uint64_t pc = 0, sp = 0;
  // True when pc was saved by a call (gobuf.pc, syscallpc, a return address):
  // line lookups then use pc-1, inside the call instruction.
  bool pc_is_return_address = true;
  // The link register at pc (link-register machines, registers from a
  // thread or a signal context): the return address of a frameless
  // innermost function.  0 when unknown.
  uint64_t lr = 0;
};

struct UnwindResult {
  std::vector<StackFrame> frames;
  std::string error;  // why unwinding stopped early; empty if it reached the top
  bool truncated = false;  // stopped at max_frames
  uint64_t elided = 0;     // frames left out between the head and the tail (keep_tail)
};

// The marker Unwind puts between the first max_frames frames and the last
// keep_tail ones: a boundary of kind "elided" whose line holds the count.
inline constexpr std::string_view kElidedBoundary = "elided";

// The GOTRACEBACK=all rule for hiding a frame, from the function's name.
bool HiddenByDefault(std::string_view function, GoFuncKind kind);

class GoUnwinder {
 public:
  GoUnwinder(const Arch& arch, const GoPclntab& tab, const MemorySource& mem) : arch_(arch), tab_(tab), mem_(mem) {}
  // recent_ points into cache_: a copy would point into the original's.
  GoUnwinder(const GoUnwinder&) = delete;
  GoUnwinder& operator=(const GoUnwinder&) = delete;

  // `stack_lo`/`stack_hi` bound every SP; a frame outside them ends the walk
  // with an error (a corrupt or reused stack must not send us through the heap).
  // With `keep_tail`, a stack deeper than max_frames + keep_tail keeps its
  // first max_frames and last keep_tail frames with one elided boundary
  // between them, as the runtime's traceback does (runtime/traceback.go,
  // tracebackInner, Go 1.21+: 50 and 50); the middle is walked (Go frame
  // sizes vary, so the bottom cannot be found without it) but not symbolized
  // again beyond the per-pc cache, nor kept.
  UnwindResult Unwind(UnwindStart start, uint64_t stack_lo, uint64_t stack_hi, size_t max_frames,
                      size_t keep_tail = 0);

 private:
  // Everything the tables say about one pc; goroutines blocked in the same
  // place share pcs, so 100,000 stacks decode only a few hundred of them.
  struct PcInfo {
    bool in_go = false;
    bool top_frame = false;
    GoFuncKind kind = GoFuncKind::kNormal;
    int32_t sp_delta = -1;  // -1: unknown
    std::string_view name;
    std::vector<StackFrame> frames;  // symbolized, innermost first; pc/sp unset
  };
  const PcInfo& Lookup(uint64_t pc, bool is_return);

  const Arch& arch_;
  const GoPclntab& tab_;
  const MemorySource& mem_;
  std::unordered_map<uint64_t, PcInfo> cache_;
  // A direct-mapped front to cache_ (whose entries never move): 1.75
  // million lookups for 100,000 stacks cost a hash-table probe each, 56
  // instructions, where a few hundred pcs repeat.
  struct Recent {
    uint64_t key = 0;
    const PcInfo* info = nullptr;
  };
  static constexpr size_t kRecent = 512;
  Recent recent_[kRecent];
  std::vector<GoPclntab::Location> scratch_;
  // Unwind's frames before they are copied out; kept between calls up to
  // kScratchFramesKept frames of capacity.
  static constexpr size_t kScratchFramesKept = 4096;
  std::vector<StackFrame> frames_scratch_;
};

}  // namespace cgostack

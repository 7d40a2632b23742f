// The text of one stack, as goroutines and threads views show it: one line
// per frame, the function column aligned, boundaries where the stack
// switches, a run of identical frames (deep recursion) as one line
// "(N times)".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "stacks/go_unwind.h"

namespace cgostack::views {

inline constexpr char kIndent[] = "    ";
inline constexpr size_t kFuncWidthMax = 48;  // so one long name does not push every line

// "    ---- C code called from Go (...) ----" for a boundary frame.
std::string BoundaryLine(const StackFrame& f);
// "file:line", or "pc 0x..." for a frame without a file.
void AppendWhere(std::string& out, const StackFrame& f);

struct FrameBlock {
  std::vector<std::string> lines;
  bool runtime_hidden = false;  // runtime frames were left out
};

// The frame lines of one stack plus the notes about frames left out:
// `limit` lines at most (nullopt: all), runtime frames unless asked for.
FrameBlock RenderFrames(const std::vector<StackFrame>& frames, std::optional<size_t> limit, bool runtime_frames);

}  // namespace cgostack::views

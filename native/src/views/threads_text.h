// Text of `threads`: one header per OS thread, its blocked signals, then its
// stitched stack (C and Go frames, boundaries where the stack switches).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "report/threads_report.h"

namespace cgostack::views {

// `gdb_threads`: GDB's thread number per LWP (none in the CLI).
std::string RenderThreads(const ThreadRows& rows, const std::map<int64_t, int64_t>& gdb_threads);

}  // namespace cgostack::views

// Text of the goroutines views: the list (like the runtime's traceback, one
// line per frame), the grouped view, and one goroutine in full.
//
//   goroutine 17 [sync.Mutex.Lock, 5 minutes, locked to thread] on M3 (LWP 26296, thread 5):
//       sync.(*Mutex).Lock  /usr/lib/go/src/sync/mutex.go:90 (inlined)
//       main.worker         /src/main.go:30
//       created by main.main in goroutine 1 at /src/main.go:25
//
// The header keeps the runtime's `goroutine N [` prefix so it can be
// searched for the same way; "thread 5" is GDB's thread number.  Each
// distinct stack is rendered once per output.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "views/goroutine_selection.h"
#include "report/goroutine_set.h"

namespace cgostack::views {

inline constexpr size_t kListFrames = 20;  // default frame limit of the list and grouped views

std::string RenderGoroutineList(const GoroutineSet& set, const Selection& sel, std::optional<size_t> frame_limit,
                                bool runtime_frames);
std::string RenderGoroutineGroups(const GoroutineSet& set, const Selection& sel, const std::vector<Group>& groups,
                                  std::optional<size_t> frame_limit, bool runtime_frames);
// cgo-goroutine N: every field and every frame (runtime frames too, marked)
// with pcs.
std::string RenderGoroutineFull(const GoroutineSet& set, size_t index, std::optional<size_t> frame_limit);

}  // namespace cgostack::views

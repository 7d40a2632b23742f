// The fields of one goroutine, in the order every goroutine report writes
// them, for any sink: the JSON writer (goroutines_report.cc) and the Python
// rows the plugin reads (native/python/bindings.cc).  One list, so the two
// forms cannot drift apart (schema: docs/json-schema.md).
//
// A sink provides Put(key, value) (value or std::optional: null when
// empty), Text(key, string) (null when empty), RareText / RareCount (left
// out of objects when empty or zero), Labels(key, pairs) and
// Frames(key, stack index).
#pragma once

#include <cstdint>
#include <optional>

#include "report/goroutine_query.h"
#include "goruntime/goroutines.h"

namespace cgostack {

inline std::optional<int64_t> GdbThread(const GoroutineQuery& q, const std::optional<int64_t>& lwp) {
  if (!lwp) return std::nullopt;
  auto it = q.gdb_threads.find(*lwp);
  return it == q.gdb_threads.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

// `stack`: the goroutine's entry in the report's table of distinct stacks.
template <typename Sink>
void VisitGoroutineFields(const Goroutine& g, const GoroutineQuery& q, size_t stack, Sink& out,
                          size_t frame_count = SIZE_MAX) {
  // frame_count: the stack's length when its frames were already dropped
  // (serialised as they were read); SIZE_MAX means g.frames.size().
  if (frame_count == SIZE_MAX) frame_count = g.frames.size();
  out.Put("goid", g.goid);
  out.Put("address", g.address);
  out.Put("status", g.status);
  out.Put("wait_reason", g.wait_reason);
  out.Put("wait_since_ns", g.wait_since_ns);
  out.Put("m", g.m);
  out.Put("lwp", g.lwp);
  out.Put("gdb_thread", GdbThread(q, g.lwp));
  out.Put("locked_to_thread", g.locked_to_thread);
  out.Put("locked_m", g.locked_m);
  out.Put("locked_lwp", g.locked_lwp);
  out.Put("locked_gdb_thread", GdbThread(q, g.locked_lwp));
  out.Put("created_by", g.created_by);
  out.Put("created_by_file", g.created_by_file);
  out.Put("created_by_line", g.created_by_line);
  out.Put("parent_goid", g.parent_goid);
  out.Put("start", g.start);
  out.Labels("labels", g.labels);
  out.RareText("labels_error", g.labels_error);
  out.Put("system", g.system);
  static const std::string kNotCrashed;
  out.Text("crash", q.crash_goid && *q.crash_goid == g.goid ? q.crash : kNotCrashed);
  if (q.with_frames) {
    if (q.stack_table) out.Put("stack", static_cast<uint64_t>(stack));
    else out.Frames("frames", stack);
    out.RareCount("frames_omitted", frame_count > q.max_frames ? frame_count - q.max_frames : 0);
  }
  out.Text("frames_error", g.frames_error);
  out.Text("error", g.error);
}

}  // namespace cgostack

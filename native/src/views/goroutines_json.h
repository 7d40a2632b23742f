// The JSON of filtered and grouped goroutines views (schema in
// docs/json-schema.md): {"go_version", "goroutines" | "groups", "warnings",
// "now_ns", "total", "filtered_out", "not_found"}.  The unfiltered report is
// written by report/goroutines_report.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/json_writer.h"
#include "views/goroutine_selection.h"
#include "report/goroutine_set.h"

namespace cgostack::views {

void WriteGoroutineListJson(const GoroutineSet& set, const Selection& sel, std::optional<size_t> frame_limit,
                            JsonWriter& w);
void WriteGoroutineGroupsJson(const GoroutineSet& set, const Selection& sel, const std::vector<Group>& groups,
                              std::optional<size_t> frame_limit, JsonWriter& w);
// One goroutine: the list's shape with one entry and no selection counts.
void WriteGoroutineOneJson(const GoroutineSet& set, size_t index, std::optional<size_t> frame_limit, JsonWriter& w);

}  // namespace cgostack::views

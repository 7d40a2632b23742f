// Text of `threads`: one header per OS thread, its blocked signals, then its
// stitched stack (C and Go frames, boundaries where the stack switches).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cgostack::views {

// From the threads report (report/threads_report.h; schema in
// docs/json-schema.md), already cut to the LWPs asked for.
std::string RenderThreads(const nlohmann::json& report);

}  // namespace cgostack::views

// Text of `info`: one aligned "key  value" line per fact, then warnings.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cgostack::views {

// From the cgo-info model (report/info_report.h).
std::string RenderInfo(const nlohmann::json& info);

}  // namespace cgostack::views

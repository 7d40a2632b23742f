// The `cgo-goroutines` model as JSON (schema in docs/json-schema.md).
#pragma once

#include <nlohmann/json.hpp>

#include "goroutines.h"

namespace cgostack {

nlohmann::json GoroutinesReport(GoRuntime& rt, const GoroutineOptions& opts);
nlohmann::json GoFramesJson(const std::vector<GoFrame>& frames);

}  // namespace cgostack

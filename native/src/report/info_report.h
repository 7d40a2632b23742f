// The `cgo-info` model: a summary of the process (Go version, goroutines,
// threads, Ms, Ps, GOMAXPROCS, cgo, build info, GODEBUG knobs that matter for
// cgo debugging) as one JSON object (schema in docs/json-schema.md).
#pragma once

#include <nlohmann/json.hpp>

#include "goruntime/go_runtime.h"

namespace cgostack {

nlohmann::json BuildInfoReport(GoRuntime& rt);
// The report as text.  Strings read from a damaged target need not be UTF-8
// (runtime.buildVersion, runtime.envs); invalid bytes become U+FFFD instead
// of failing the whole command, as the goroutine reports' writer does.
std::string InfoReportJson(GoRuntime& rt);

}  // namespace cgostack

// Helpers shared by the C++ unit tests: Go fixtures are built at test time by
// fixtures/harness.py (never committed), with a chosen Go toolchain.
#pragma once

#include <string>

namespace cgostack::testing {

// Oldest and newest Go releases the default test run covers.
inline const char* kOldestGo = "1.19";
inline const char* kNewestGo = "1.27";

// Builds fixtures/<fixture> with Go `go_version` (cached by the harness) and
// returns the path of the executable.  Fails the calling test (ADD_FAILURE and
// returns "") if the build fails.
std::string BuildFixture(const std::string& fixture, const std::string& go_version);

// Runs a shell command, returns its stdout; sets *rc to the exit status.
std::string RunCommand(const std::string& command, int* rc);

}  // namespace cgostack::testing

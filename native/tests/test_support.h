// Helpers shared by the C++ unit tests: Go fixtures are built at test time by
// fixtures/harness.py (never committed), with a chosen Go toolchain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgostack::testing {

// The supported Go releases, oldest first, from go-releases.txt (the one
// list); with ci_only those the default test run covers (marked `ci`).
const std::vector<std::string>& GoReleases(bool ci_only);

// The releases this run covers: CGOSTACK_GO_MATRIX (the build's matrix,
// set on every unit test by native/CMakeLists.txt), else GoReleases(true).
const std::vector<std::string>& GoMatrix();

// Oldest and newest Go releases the default test run covers.
inline const char* kOldestGo = GoReleases(true).front().c_str();
inline const char* kNewestGo = GoReleases(true).back().c_str();

// Builds fixtures/<fixture> with Go `go_version` for GOARCH `arch` ("":
// the host's; "arm64" is cross-built, fixtures/harness.py) (cached by the
// harness) and returns the path of the executable.  Fails the calling test
// (ADD_FAILURE and returns "") if the build fails.
std::string BuildFixture(const std::string& fixture, const std::string& go_version, const std::string& arch = "");

// Runs a shell command, returns its stdout; sets *rc to the exit status.
std::string RunCommand(const std::string& command, int* rc);

// Hand-assembled aarch64 code: the instruction words in memory order
// (little-endian, as the host stores a uint32_t).
inline std::string Arm64Code(const std::vector<uint32_t>& words) {
  std::string s;
  for (uint32_t w : words) s.append(reinterpret_cast<const char*>(&w), 4);
  return s;
}

}  // namespace cgostack::testing

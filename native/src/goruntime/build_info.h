// The build information the Go linker embeds in every executable
// (.go.buildinfo: Go version, main package path and module, build settings
// such as CGO_ENABLED and -ldflags), the same data `go version -m` prints.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "target/elf_image.h"

namespace cgostack {

struct GoBuildInfo {
  std::string go_version;
  std::string path;         // main package path
  std::string main_module;  // "module version"
  std::vector<std::pair<std::string, std::string>> settings;  // "build" lines: key=value
};

// nullopt if the executable has no .go.buildinfo or it is in a format older
// than Go 1.18's (which stored pointers instead of inline strings).
std::optional<GoBuildInfo> ReadBuildInfo(ElfImage& exe);

}  // namespace cgostack

// Every --output (and --dot) file of the CLI and of the GDB commands is
// written through here: to a temporary file in the same directory, renamed
// into place only when complete, so a failure never leaves a partial file
// and never truncates what was there.  `inputs` are the files the report is
// read from (executable, core, debug files): an output must not name one.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cgostack::views {

void WriteOutput(const std::string& path, std::string_view bytes, const std::vector<std::string>& inputs);
// The same for output produced in pieces (a streamed JSON report): `write`
// gets the open temporary file and throws on failure.
void WriteOutputWith(const std::string& path, const std::vector<std::string>& inputs,
                     const std::function<void(std::FILE*)>& write);

}  // namespace cgostack::views

// The one exception type the backend throws for expected failures (bad input,
// unreadable memory, missing runtime symbols).  Its message is a single line a
// user can act on; the GDB and CLI front ends print it after "cgostack: ".
#pragma once

#include <stdexcept>
#include <string>

namespace cgostack {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace cgostack

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

// A report could not be written (a full disk, a reader that closed its
// pipe).  Thrown as soon as a write fails, so a 300 MB report stops at once;
// `err` is the errno, so the CLI can end quietly on EPIPE as Unix tools do.
class OutputError : public Error {
 public:
  OutputError(const std::string& message, int err) : Error(message), err_(err) {}
  int err() const { return err_; }

 private:
  int err_;
};

}  // namespace cgostack

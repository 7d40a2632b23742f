// One debugging session: a Target and the Go runtime view over it, opened
// once and reused by every command (DWARF indexing is the expensive part).
#pragma once

#include <memory>
#include <string>

#include "go_runtime.h"
#include "target.h"

namespace cgostack {

class Session {
 public:
  static std::unique_ptr<Session> OpenCore(const std::string& exe, const std::string& core);
  static std::unique_ptr<Session> OpenLive(const std::string& exe, int pid);

  Target& target() { return *target_; }
  GoRuntime& runtime() { return *runtime_; }

  // `cgo-info` as a JSON string.
  std::string InfoJson();
  // `cgo-goroutines` as a JSON string; frames only when `with_frames`.
  std::string GoroutinesJson(bool with_frames, size_t max_frames);

 private:
  explicit Session(std::unique_ptr<Target> target);
  std::unique_ptr<Target> target_;
  std::unique_ptr<GoRuntime> runtime_;
};

}  // namespace cgostack

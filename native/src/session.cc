#include "session.h"

#include "goroutines_report.h"
#include "info_report.h"

namespace cgostack {

Session::Session(std::unique_ptr<Target> target)
    : target_(std::move(target)), runtime_(std::make_unique<GoRuntime>(*target_)) {}

std::unique_ptr<Session> Session::OpenCore(const std::string& exe, const std::string& core) {
  return std::unique_ptr<Session>(new Session(Target::OpenCore(exe, core)));
}

std::unique_ptr<Session> Session::OpenLive(const std::string& exe, int pid) {
  return std::unique_ptr<Session>(new Session(Target::OpenLive(exe, pid)));
}

std::string Session::InfoJson() { return BuildInfoReport(*runtime_).dump(); }

}  // namespace cgostack

namespace cgostack {

std::string Session::GoroutinesJson(bool with_frames, size_t max_frames) {
  GoroutineOptions opts;
  opts.with_frames = with_frames;
  opts.max_frames = max_frames;
  return GoroutinesReport(*runtime_, opts).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cgostack

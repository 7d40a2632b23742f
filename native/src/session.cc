#include "session.h"

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

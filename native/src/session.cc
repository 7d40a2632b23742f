#include "session.h"

#include "goroutines_report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.h"
#include "info_report.h"
#include "threads_report.h"

namespace cgostack {

Session::Session(std::unique_ptr<Target> target)
    : target_(std::move(target)), runtime_(std::make_unique<GoRuntime>(*target_)) {}

std::unique_ptr<Session> Session::OpenCore(const std::string& exe, const std::string& core) {
  return std::unique_ptr<Session>(new Session(Target::OpenCore(exe, core)));
}

std::unique_ptr<Session> Session::OpenLive(const std::string& exe, int pid) {
  return std::unique_ptr<Session>(new Session(Target::OpenLive(exe, pid)));
}

std::string Session::InfoJson() { return InfoReportJson(*runtime_); }

}  // namespace cgostack

namespace cgostack {

std::string Session::GoroutinesJson(const GoroutineQuery& query, const std::string& output_path) {
  std::string out;
  if (output_path.empty()) {
    JsonWriter w(&out);
    WriteGoroutinesReport(*runtime_, query, w);
    return out;
  }
  std::FILE* f = std::fopen(output_path.c_str(), "w");
  if (!f) throw Error("cannot write " + output_path + ": " + std::strerror(errno));
  {
    JsonWriter w(&out, f);
    WriteGoroutinesReport(*runtime_, query, w);
    w.Flush();
  }
  bool failed = std::ferror(f) != 0;
  if (std::fclose(f) != 0 || failed) throw Error("cannot write " + output_path + ": " + std::strerror(errno));
  return "";
}

std::string Session::ThreadsJson() {
  std::string out;
  JsonWriter w(&out);
  WriteThreadsReport(*runtime_, w);
  return out;
}

}  // namespace cgostack

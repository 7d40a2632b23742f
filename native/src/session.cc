#include "session.h"

#include "goroutines_report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.h"
#include "info_report.h"
#include "lock_graph.h"
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

namespace {

// Runs `write` into a string, or streams it to `output_path` ("-" is
// standard output, for the CLI) and returns "".
template <typename Write>
std::string JsonTo(const std::string& output_path, Write write) {
  std::string out;
  if (output_path.empty()) {
    JsonWriter w(&out);
    write(w);
    return out;
  }
  if (output_path == "-") {
    {
      JsonWriter w(&out, stdout);
      write(w);
      w.Flush();
    }
    std::fputc('\n', stdout);
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) throw Error(std::string("cannot write to standard output: ") + std::strerror(errno));
    return "";
  }
  std::FILE* f = std::fopen(output_path.c_str(), "w");
  if (!f) throw Error("cannot write " + output_path + ": " + std::strerror(errno));
  {
    JsonWriter w(&out, f);
    write(w);
    w.Flush();
  }
  bool failed = std::ferror(f) != 0;
  if (std::fclose(f) != 0 || failed) throw Error("cannot write " + output_path + ": " + std::strerror(errno));
  return "";
}

}  // namespace

ThreadStacks& Session::stacks() {
  if (!stacks_) stacks_ = std::make_unique<ThreadStacks>(*runtime_);
  return *stacks_;
}

std::string Session::GoroutinesJson(const GoroutineQuery& query, const std::string& output_path) {
  StitchFn stitch;
  if (stacks_ && stacks_->has_chains()) stitch = [this](Goroutine* g) { stacks_->StitchGoroutine(g); };
  return JsonTo(output_path, [&](JsonWriter& w) { last_report_partial_ = WriteGoroutinesReport(*runtime_, query, w, stitch); });
}

std::string Session::LockGraphJson(const std::string& output_path, size_t max_waiters) {
  LockGraph graph = BuildLockGraph(*runtime_, stacks());
  last_report_partial_ = !graph.warnings.empty();
  return JsonTo(output_path, [&](JsonWriter& w) { WriteLockGraph(graph, w, max_waiters); });
}

std::string Session::ThreadsJson(const ThreadsQuery& query, const std::string& output_path) {
  return JsonTo(output_path, [&](JsonWriter& w) { last_report_partial_ = WriteThreadsReport(*runtime_, stacks(), query, w); });
}

}  // namespace cgostack

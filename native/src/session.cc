#include "session.h"

#include "report/goroutines_report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "error.h"
#include "report/info_report.h"
#include "report/output_file.h"
#include "locks/lock_graph.h"
#include "report/threads_report.h"

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
// standard output, for the CLI) and returns "".  A failed write throws
// OutputError naming the file at once, not after the whole report is read.
template <typename Write>
std::string JsonTo(const std::string& output_path, Write write) {
  std::string out;
  if (output_path.empty()) {
    JsonWriter w(&out);
    write(w);
    return out;
  }
  bool to_stdout = output_path == "-";
  std::string where = to_stdout ? "to standard output" : output_path;
  // A file is written whole or not at all, never over an input
  // (report/output_file.h).
  std::unique_ptr<OutputFile> file = to_stdout ? nullptr : std::make_unique<OutputFile>(output_path);
  std::FILE* f = to_stdout ? stdout : file->stream();
  try {
    JsonWriter w(&out, f);
    write(w);
    w.Flush();
  } catch (const OutputError& e) {
    throw OutputError("cannot write " + where + ": " + e.what(), e.err());
  }
  if (file) {
    file->Commit();
    return "";
  }
  // Standard output ends the line, as for a terminal; a file holds the JSON alone.
  errno = 0;
  bool ok = std::fputc('\n', f) != EOF && std::fflush(f) == 0 && !std::ferror(f);
  int err = errno ? errno : EIO;
  if (!ok) throw OutputError("cannot write " + where + ": " + std::strerror(err), err);
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

#include "session.h"

#include "report/goroutines_report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "error.h"
#include "report/crash_report.h"
#include "report/info_report.h"
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

std::string Session::InfoJson() {
  nlohmann::json out = BuildInfoReport(*runtime_);
  // Why the process stopped (a core only); a damaged core loses this
  // section, not the report.
  out["crash"] = nullptr;
  if (target_->is_core()) {
    try {
      out["crash"] = CrashJson(*runtime_, stacks());
    } catch (const Error& e) {
      out["warnings"].push_back(std::string("crash: ") + e.what());
    }
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

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
  std::FILE* f = to_stdout ? stdout : std::fopen(output_path.c_str(), "w");
  if (!f) throw Error("cannot write " + where + ": " + std::strerror(errno));
  // Our own file is closed on every path (a failure to close counts only
  // when nothing else failed).
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(to_stdout ? nullptr : f, std::fclose);
  try {
    JsonWriter w(&out, f);
    write(w);
    w.Flush();
  } catch (const OutputError& e) {
    throw OutputError("cannot write " + where + ": " + e.what(), e.err());
  }
  errno = 0;
  // Standard output ends the line, as for a terminal; a file holds the JSON alone.
  bool ok = (!to_stdout || std::fputc('\n', f) != EOF) && std::fflush(f) == 0 && !std::ferror(f);
  if (owned) ok = std::fclose(owned.release()) == 0 && ok;
  int err = errno ? errno : EIO;
  if (!ok) throw OutputError("cannot write " + where + ": " + std::strerror(err), err);
  return "";
}

}  // namespace

ThreadStacks& Session::stacks() {
  if (!stacks_) stacks_ = std::make_unique<ThreadStacks>(*runtime_);
  return *stacks_;
}

std::optional<CrashRecord> Session::Crash() {
  if (!target_->is_core()) return std::nullopt;
  try {
    return FindCrash(*runtime_, stacks());
  } catch (const Error&) {
    return std::nullopt;  // cgo-info says why
  }
}

std::string Session::GoroutinesJson(const GoroutineQuery& given, const std::string& output_path) {
  GoroutineQuery query = given;
  if (auto crash = Crash(); crash && !crash->chain.back().requested) {
    query.crash_goid = crash->goid;
    query.crash = CrashSummary(*crash, stacks().signals());
  }
  StitchFn stitch;
  if (stacks_ && stacks_->has_chains()) stitch = [this](Goroutine* g) { stacks_->StitchGoroutine(g); };
  return JsonTo(output_path, [&](JsonWriter& w) { last_report_partial_ = WriteGoroutinesReport(*runtime_, query, w, stitch); });
}

std::string Session::LockGraphJson(const std::string& output_path, size_t max_waiters) {
  LockGraph graph = BuildLockGraph(*runtime_, stacks());
  last_report_partial_ = !graph.warnings.empty();
  return JsonTo(output_path, [&](JsonWriter& w) { WriteLockGraph(graph, w, max_waiters); });
}

std::string Session::ThreadsJson(const ThreadsQuery& given, const std::string& output_path) {
  ThreadsQuery query = given;
  if (auto crash = Crash(); crash && !crash->chain.back().requested) {
    query.crash_lwp = crash->lwp;
    query.crash = CrashSummary(*crash, stacks().signals());
  }
  return JsonTo(output_path, [&](JsonWriter& w) { last_report_partial_ = WriteThreadsReport(*runtime_, stacks(), query, w); });
}

}  // namespace cgostack

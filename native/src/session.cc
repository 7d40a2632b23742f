#include "session.h"

#include "report/goroutines_report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "error.h"
#include "report/crash_report.h"
#include "report/info_report.h"
#include "report/output_file.h"
#include "locks/lock_graph.h"
#include "locks/lock_graph_json.h"
#include "report/threads_report.h"
#include "report/output_file.h"
#include "target/regular_file.h"

namespace cgostack {

Session::Session(std::unique_ptr<Target> target)
    : target_(std::move(target)), runtime_(std::make_unique<GoRuntime>(*target_)) {}

std::unique_ptr<Session> Session::OpenCore(const std::string& exe, const std::string& core,
                                           const LibrarySearch& search) {
  std::unique_ptr<Session> s(new Session(Target::OpenCore(exe, core, search)));
  s->inputs_ = {exe, core};
  s->RememberInputs();
  return s;
}

std::unique_ptr<Session> Session::OpenLive(const std::string& exe, int pid) {
  return OpenLiveThrough(exe, pid, nullptr);
}

std::unique_ptr<Session> Session::OpenLiveThrough(const std::string& exe, int pid,
                                                  std::shared_ptr<const MemorySource> memory) {
  std::unique_ptr<Session> s(new Session(Target::OpenLive(exe, pid, std::move(memory))));
  s->inputs_ = {exe};
  s->RememberInputs();
  return s;
}

void Session::RememberInputs() {
  // Every file the target layer opened is an input already; the session's
  // own list (executable, core) is added in case one was read another way,
  // so that no --output can name one (report/output_file.h).
  for (const auto& in : inputs_)
    if (!in.empty()) RememberInputFile(in);
}

std::string Session::InfoJson() {
  return InfoReport().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json Session::InfoReport() {
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
  return out;
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
  auto stream = [&](std::FILE* f, const std::string& where) {
    try {
      JsonWriter w(&out, f);
      write(w);
      w.Flush();
    } catch (const OutputError& e) {
      throw OutputError("cannot write " + where + ": " + e.what(), e.err());
    }
  };
  if (output_path != "-") {
    // A file: written whole or not at all, never over an input.
    OutputFile file(output_path);
    stream(file.stream(), output_path);
    file.Commit();
    return "";
  }
  std::string where = "to standard output";
  stream(stdout, where);
  errno = 0;
  // Standard output ends the line, as for a terminal; a file holds the JSON alone.
  bool ok = std::fputc('\n', stdout) != EOF && std::fflush(stdout) == 0 && !std::ferror(stdout);
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

const Session::CrashMark* Session::crash_mark() {
  if (!crash_mark_known_) {
    crash_mark_known_ = true;
    if (auto crash = Crash(); crash && !crash->chain.back().requested)
      crash_mark_ = CrashMark{crash->goid, crash->lwp, CrashSummary(*crash, stacks().signals())};
  }
  return crash_mark_ ? &*crash_mark_ : nullptr;
}

std::string Session::GoroutinesJson(const GoroutineQuery& given, const std::string& output_path) {
  GoroutineQuery query = given;
  if (const CrashMark* crash = crash_mark()) {
    query.crash_goid = crash->goid;
    query.crash = crash->summary;
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
  if (const CrashMark* crash = crash_mark()) {
    query.crash_lwp = crash->lwp;
    query.crash = crash->summary;
  }
  return JsonTo(output_path, [&](JsonWriter& w) { last_report_partial_ = WriteThreadsReport(*runtime_, stacks(), query, w); });
}

}  // namespace cgostack

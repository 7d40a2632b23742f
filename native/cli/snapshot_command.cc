#include "snapshot_command.h"

#include <cstdio>
#include <cstdlib>

#include "args.h"
#include "error.h"
#include "report/output_file.h"
#include "snapshot/take_snapshot.h"
#include "snapshot/watch.h"

namespace cgostack::cli {

namespace {

constexpr int kOk = 0, kPartial = 2;

const char kSnapshotHelp[] =
    "Usage: cgostack snapshot --pid PID -o FILE [--json]\n\n"
    "Writes an ELF core of live process PID holding only what cgostack's reports\n"
    "need: the process is stopped while that memory is copied, then runs on.\n"
    "Every cgostack command and GDB open FILE as a core:\n"
    "  cgostack goroutines EXE FILE     gdb EXE FILE\n\n"
    "Options:\n"
    "  -o, --output FILE  the core to write (never over an input)\n"
    "  --json             the figures (pause, bytes, segments) as JSON on stdout\n";

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

int Snapshot(const std::vector<std::string>& words) {
  Args args = ParseArgs("snapshot", {{"-o", true}, {"--output", true}, {"--json", false}}, words);
  if (args.help) {
    std::fputs(kSnapshotHelp, stdout);
    return kOk;
  }
  if (!args.pid) throw UsageError("snapshot: give --pid PID (see `cgostack snapshot --help`)");
  if (!args.filters.empty())
    throw UsageError("snapshot: unexpected argument '" + args.filters.front() + "' (see `cgostack snapshot --help`)");
  std::string output = args.Has("--output") ? args.Last("--output") : args.Last("-o");
  if (output.empty()) throw UsageError("snapshot: give -o FILE (see `cgostack snapshot --help`)");
  SnapshotStats s = TakeSnapshot(args.pid, output);
  for (const std::string& w : s.warnings) std::fprintf(stderr, "cgostack: warning: %s\n", w.c_str());
  std::string out;
  if (args.Has("--json")) {
    out = s.ToJson().dump() + "\n";
  } else {
    out = "Snapshot of process " + std::to_string(s.pid) + " written to " + output + "\n" +
          "  held for " + Fmt("%.1f", s.pause_s * 1e3) + " ms, " + Fmt("%.1f", s.pause_cpu_s * 1e3) +
          " ms of CPU (stop " + Fmt("%.1f", s.stop_s * 1e3) +
          ", copy " + Fmt("%.1f", s.copy_s * 1e3) + "); reports checked against the copy afterwards in " +
          Fmt("%.1f", s.analysis_s * 1e3) + " ms\n" +
          "  " + std::to_string(s.threads) + " threads, " + std::to_string(s.goroutines) + " goroutines, " +
          Fmt("%.1f", s.bytes_copied / 1048576.0) + " MiB copied in " + std::to_string(s.copy_calls) +
          " calls, " + std::to_string(s.segments) + " segments, file " + Fmt("%.1f", s.file_size / 1048576.0) +
          " MiB\n";
  }
  std::fputs(out.c_str(), stdout);
  return s.warnings.empty() ? kOk : kPartial;
}

const char kWatchHelp[] =
    "Usage: cgostack watch --pid PID [--interval 1s] [--count 3] [--json] [--output FILE]\n\n"
    "Takes COUNT snapshots of live process PID, INTERVAL apart (each holds the\n"
    "process only while memory is copied), and reports what did not move between\n"
    "them -- goroutines and threads in the same wait with the same stack and the\n"
    "same lock and holder, deadlock cycles present every time: stuck, with for how\n"
    "long -- next to what did (progressing).\n\n"
    "Options:\n"
    "  --interval T   time between snapshots: 1s, 500ms, 0.5 (seconds); default 1s\n"
    "  --count N      snapshots, at least 2; default 3\n"
    "  --json         {\"snapshots\", \"interval_s\", \"stuck\", \"progressing\", ...}\n"
    "  --output FILE  write the report to FILE (whole or not at all)\n";

double ParseInterval(const std::string& v) {
  std::string num = v;
  double scale = 1;
  if (num.size() > 2 && num.compare(num.size() - 2, 2, "ms") == 0) {
    num.resize(num.size() - 2);
    scale = 1e-3;
  } else if (!num.empty() && num.back() == 's') {
    num.pop_back();
  }
  char* end = nullptr;
  double x = std::strtod(num.c_str(), &end);
  if (num.empty() || *end || !(x > 0) || x * scale > 3600)
    throw UsageError("watch: --interval wants a time such as 1s or 500ms, not '" + v + "'");
  return x * scale;
}

int WatchCommand(const std::vector<std::string>& words) {
  Args args = ParseArgs("watch", {{"--interval", true}, {"--count", true}, {"--json", false}, {"--output", true}}, words);
  if (args.help) {
    std::fputs(kWatchHelp, stdout);
    return kOk;
  }
  if (!args.pid) throw UsageError("watch: give --pid PID (see `cgostack watch --help`)");
  if (!args.filters.empty())
    throw UsageError("watch: unexpected argument '" + args.filters.front() + "' (see `cgostack watch --help`)");
  WatchOptions o;
  o.pid = args.pid;
  if (args.Has("--interval")) o.interval_s = ParseInterval(args.Last("--interval"));
  if (args.Has("--count")) {
    std::string v = args.Last("--count");
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || n < 2 || n > 1000) throw UsageError("watch: --count wants 2 to 1000, not '" + v + "'");
    o.count = static_cast<int>(n);
  }
  if (args.Has("--output")) CheckNotAnInput(args.Last("--output"));
  nlohmann::json report = Watch(o);
  std::string out = args.Has("--json") ? report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                                       : WatchText(report);
  if (args.Has("--output"))
    WriteOutputFile(args.Last("--output"), out);
  else
    std::fputs(out.c_str(), stdout);
  return report["warnings"].empty() ? kOk : kPartial;
}

}  // namespace

const char* SnapshotCommandsHelp() {
  return "  snapshot    a core of a live process, held only while memory is copied\n"
         "  watch       several snapshots: what is stuck, what progresses\n";
}

int RunSnapshotCommand(const std::string& name, const std::vector<std::string>& words) {
  if (name == "snapshot") return Snapshot(words);
  if (name == "watch") return WatchCommand(words);
  return -1;
}

}  // namespace cgostack::cli

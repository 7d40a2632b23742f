#include "snapshot_command.h"

#include <cstdio>
#include <cstdlib>

#include "args.h"
#include "error.h"
#include "report/output_file.h"
#include "snapshot/take_snapshot.h"
#include "snapshot/watch.h"
#include "views/command_options.h"

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

// Options and help from the `watch` option table (views/command_options),
// which GDB's cgo-watch shares.
int WatchCommand(const std::vector<std::string>& words) {
  const views::CommandSpec& spec = *views::FindCommand("watch");
  std::vector<OptionSpec> specs;
  for (const auto& o : spec.options) specs.push_back({o.name, o.metavar != nullptr});
  Args args = ParseArgs("watch", specs, words);
  if (args.help) {
    std::fputs(views::CliHelp(spec).c_str(), stdout);
    return kOk;
  }
  const std::string hint = "cgostack watch --help";
  if (!args.pid)  // a core is one instant: nothing to compare
    throw UsageError("watch: needs a live process (--pid PID), not a core (see `" + hint + "`)");
  if (!args.filters.empty())
    throw UsageError("watch: unexpected argument '" + args.filters.front() + "' (see `" + hint + "`)");
  views::ParsedOptions parsed = views::ParseOptions(spec, args.forward, "watch", hint);
  WatchOptions o = ParseWatchOptions(parsed, "watch", hint);
  o.pid = args.pid;
  if (parsed.Has("--output")) CheckNotAnInput(parsed.Last("--output"));
  nlohmann::json report = Watch(o);
  std::string out = parsed.Has("--json") ? report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                                         : WatchText(report);
  if (parsed.Has("--output"))
    WriteOutputFile(parsed.Last("--output"), out);
  else
    std::fputs(out.c_str(), stdout);
  return report["warnings"].empty() ? kOk : kPartial;
}

}  // namespace

const char* SnapshotCommandsHelp() {
  return "  snapshot    a core of a live process, held only while memory is copied\n";
}

int RunSnapshotCommand(const std::string& name, const std::vector<std::string>& words) {
  if (name == "snapshot") return Snapshot(words);
  if (name == "watch") return WatchCommand(words);
  return -1;
}

}  // namespace cgostack::cli

// cgostack: the GDB commands' reports without GDB, for crash pipelines
// (systemd-coredump, CI artefacts, fleets collecting cores).
//
//   cgostack info|goroutines|threads|lockgraph [OPTIONS] EXE CORE
//   cgostack info|goroutines|threads [OPTIONS] --pid PID
//
// The same library as the plugin: JSON comes from the backend's report
// writers (one schema, one serializer), text and filtered JSON from the
// plugin's own Python formatters (text_step.h).  Native frames come from
// libdwfl (dwfl_unwinder.h) instead of GDB.
//
// Exit status: 0 full success; 2 partial results (warnings, unreadable
// goroutines, threads or stacks); 1 failure (one `cgostack:` line on
// stderr); 64 usage error.
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.h"
#include "stacks/dwfl_unwinder.h"
#include "error.h"
#include "session.h"
#include "target/stopped_process.h"
#include "report/output_file.h"
#include "text_step.h"

namespace cgostack::cli {
namespace {

constexpr int kOk = 0, kFailure = 1, kPartial = 2, kUsage = 64;

// What a subcommand produced: written already (JSON straight from the
// backend) or a report for the text step.
struct Outcome {
  bool written = false;
  std::string report;  // for the text step, unless written
  bool partial = false;
};

struct Context {
  const Args& args;
  Session& session;
  // Walks every thread's native frames (libdwfl) and hands them over;
  // needed only for stacks.
  std::function<void()> unwind;
};

// Writes `text` to --output (whole or not at all, never over an input:
// report/output_file.h) or stdout.
void Emit(const Args& a, const std::string& text) {
  std::string out = a.Last("--output");
  if (!out.empty()) return WriteOutputFile(out, text + "\n");
  bool ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fputc('\n', stdout) != EOF;
  if (!(std::fflush(stdout) == 0 && ok)) throw OutputError("cannot write to standard output: " + std::string(std::strerror(errno)), errno);
}

// Where the backend streams JSON: --output, or "-" for standard output (a
// 300 MB report is never held in memory as one string).
std::string OutputPath(const Args& a) {
  std::string out = a.Last("--output");
  return out.empty() ? "-" : out;
}

Outcome Info(Context& c) {
  Outcome o;
  std::string json = c.session.InfoJson();
  o.partial = !nlohmann::json::parse(json).value("warnings", nlohmann::json::array()).empty();
  if (c.args.Has("--json")) {
    Emit(c.args, json);
    o.written = true;
  } else {
    o.report = std::move(json);
  }
  return o;
}

// The limit --frames gives (SIZE_MAX for all or not given).  The text step
// checks the value again with the GDB command's parser.
size_t FramesOption(const Args& a, size_t fallback) {
  std::string v = a.Last("--frames");
  if (v.empty() || v == "all") return fallback;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (*end || n < 0) throw UsageError("goroutines: --frames: want a count >= 0 or `all`, not '" + v + "' (see `cgostack goroutines --help`)");
  return static_cast<size_t>(n);
}

Outcome Goroutines(Context& c) {
  const Args& a = c.args;
  size_t frames = FramesOption(a, SIZE_MAX);
  bool filtered = !a.filters.empty() || a.Has("--state") || a.Has("--function") || a.Has("--group");
  // The same choice as views.plan_goroutines: stacks are read unless
  // --frames 0 asks for none and nothing needs them.
  bool with_frames = !(frames == 0 && !a.Has("--function") && !a.Has("--group"));
  if (a.filters.size() == 1 && !a.Has("--group")) with_frames = true;  // one goroutine, in full
  if (with_frames) c.unwind();
  GoroutineQuery q;
  q.with_frames = with_frames;
  Outcome o;
  if (a.Has("--json") && !filtered) {
    // Every goroutine, written by the backend straight to the file or the
    // screen: the same bytes as `cgo-goroutines --json` (gdb_thread null).
    q.max_frames = frames;
    c.session.GoroutinesJson(q, OutputPath(a));
    o.written = true;
  } else {
    q.stack_table = true;
    q.rows = true;
    o.report = c.session.GoroutinesJson(q, "");
  }
  o.partial = c.session.last_report_partial();
  return o;
}

Outcome Threads(Context& c) {
  const Args& a = c.args;
  ThreadsQuery q;
  q.with_frames = !a.Has("--no-frames");
  q.signal_frames = a.Has("--signal-frames");
  if (q.with_frames) c.unwind();
  Outcome o;
  if (a.Has("--json") && a.filters.empty()) {
    c.session.ThreadsJson(q, OutputPath(a));
    o.written = true;
  } else {
    o.report = c.session.ThreadsJson(q, "");
  }
  o.partial = c.session.last_report_partial();
  return o;
}

Outcome Lockgraph(Context& c) {
  const Args& a = c.args;
  c.unwind();
  Outcome o;
  if (a.Has("--json") && !a.Has("--dot")) {
    c.session.LockGraphJson(OutputPath(a));
    o.written = true;
  } else {
    // The text view lists ten waiters per lock (lockgraph_text.TEXT_WAITERS):
    // the rest stay out of the report, counted, as in GDB.
    constexpr size_t kTextWaiters = 10;
    o.report = c.session.LockGraphJson("", a.Has("--json") || a.Has("--dot") ? SIZE_MAX : kTextWaiters);
  }
  o.partial = c.session.last_report_partial();
  return o;
}

struct Subcommand {
  const char* name;
  const char* summary;
  const char* help;
  std::vector<OptionSpec> options;
  Outcome (*run)(Context&);
};

const char kInfoHelp[] =
    R"(Usage: cgostack info [--json] [--output FILE] EXE CORE
       cgostack info [--json] [--output FILE] --pid PID

A summary of the Go process: Go version, cgo, goroutines by status, OS
threads, Ms, Ps, GOMAXPROCS, build info, GODEBUG, GOTRACEBACK, warnings.
The same report as GDB's `cgo-info` (docs/commands.md).

  --json          one JSON object (docs/json-schema.md)
  --output FILE   write to FILE instead of standard output
  --pid PID       a live process (stopped with ptrace while it is read)
)";

const char kGoroutinesHelp[] =
    R"(Usage: cgostack goroutines [GOID...] [--state STATE] [--function SUBSTR]
                  [--system] [--group] [--frames N|all] [--runtime-frames]
                  [--json] [--output FILE] EXE CORE | --pid PID

Goroutines with their stitched C+Go stacks, as GDB's `cgo-goroutines`;
every option means what it means there (docs/commands.md):

  GOID...            only these goroutines (`1 17 42` or `1,17,42`); one
                     GOID shows that goroutine in full
  --state STATE      status, or a substring of the wait reason (any of several)
  --function SUBSTR  a frame's or the start function contains SUBSTR (all of several)
  --system           show runtime-internal goroutines in text
  --group            one entry per distinct stack, largest group first
  --frames N|all     at most N frames per stack (text: 20, JSON: all)
  --runtime-frames   show runtime.* frames in text
  --json             one JSON object (docs/json-schema.md); gdb_thread is null
  --output FILE      write to FILE instead of standard output
  --pid PID          a live process (stopped with ptrace while it is read)
)";

const char kThreadsHelp[] =
    R"(Usage: cgostack threads [LWP...] [--no-frames] [--signal-frames]
                        [--json] [--output FILE] EXE CORE | --pid PID

Every OS thread: M, kind, activity, goroutine, P, blocked signals and its
stitched C+Go stack, as GDB's `cgo-threads` (docs/commands.md).  C frames
come from libdwfl: shared libraries from the core's file mappings, debug
info by build-id when installed.

  LWP...           only these threads
  --no-frames      headers only
  --signal-frames  show the Go signal handler's frames
  --json           one JSON object (docs/json-schema.md); gdb_thread is null
  --output FILE    write to FILE instead of standard output
  --pid PID        a live process (stopped with ptrace while it is read)
)";

const char kLockgraphHelp[] =
    R"(Usage: cgostack lockgraph [--dot FILE] [--json] [--output FILE] EXE CORE | --pid PID

Who waits for what across C and Go, who holds it, every cycle, and diagnoses
that name the cause, as GDB's `cgo-lockgraph` (docs/commands.md): pthread
mutexes (owner from glibc), rwlocks, condition variables, joins, sync.Mutex/
RWMutex/WaitGroup (holders inferred, with the evidence), channels, package
initialization, runtime locks.

  --dot FILE      also write Graphviz source (and FILE.svg when `dot` is installed)
  --json          one JSON object (docs/json-schema.md)
  --output FILE   write to FILE instead of standard output
  --pid PID       a live process (stopped with ptrace while it is read)
)";

const std::vector<OptionSpec> kCommon = {{"--json", false}, {"--output", true}};

std::vector<OptionSpec> With(std::vector<OptionSpec> extra) {
  extra.insert(extra.end(), kCommon.begin(), kCommon.end());
  return extra;
}

// The subcommand table: a new command is one entry here.
const std::vector<Subcommand>& Subcommands() {
  static const std::vector<Subcommand> table = {
      {"info", "Go version, goroutines, threads, Ms, Ps, cgo, GODEBUG", kInfoHelp, kCommon, Info},
      {"goroutines", "goroutines with stitched C+Go stacks (filters, --group)", kGoroutinesHelp,
       With({{"--state", true},
             {"--function", true},
             {"--system", false},
             {"--group", false},
             {"--frames", true},
             {"--runtime-frames", false}}),
       Goroutines},
      {"threads", "every OS thread: M, P, goroutine, activity, signals, C+Go stack", kThreadsHelp,
       With({{"--no-frames", false}, {"--signal-frames", false}}), Threads},
      {"lockgraph", "wait-for graph across C and Go: owners, cycles, diagnoses", kLockgraphHelp,
       With({{"--dot", true}}), Lockgraph},
  };
  return table;
}

void GeneralHelp(std::FILE* f) {
  std::fprintf(f,
               "Usage: cgostack COMMAND [OPTIONS] EXE CORE\n"
               "       cgostack COMMAND [OPTIONS] --pid PID\n\n"
               "Goroutines, OS threads and stitched C+Go stacks of Go programs that use cgo,\n"
               "from core files and live processes, without GDB.\n\nCommands:\n");
  for (const auto& s : Subcommands()) std::fprintf(f, "  %-11s %s\n", s.name, s.summary);
  std::fprintf(f,
               "\n`cgostack COMMAND --help` describes each.  Exit status: 0 success, 2 partial\n"
               "results (warnings, unreadable goroutines or stacks), 1 failure, 64 usage error.\n");
}

int Run(int argc, char** argv) {
  if (argc < 2) {
    GeneralHelp(stderr);
    return kUsage;
  }
  std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    GeneralHelp(stdout);
    return kOk;
  }
  const Subcommand* cmd = nullptr;
  for (const auto& s : Subcommands())
    if (name == s.name) cmd = &s;
  if (!cmd) throw UsageError("unknown command '" + name + "' (see `cgostack --help`)");
  Args args = ParseArgs(name, cmd->options, std::vector<std::string>(argv + 2, argv + argc));
  if (args.help) {
    std::fputs(cmd->help, stdout);
    return kOk;
  }

  // A live process is held still (ptrace) only while it is read; it runs
  // on before the text step.
  std::unique_ptr<StoppedProcess> stopped;
  std::unique_ptr<Session> session;
  if (args.pid) {
    stopped = std::make_unique<StoppedProcess>(args.pid);
    // The executable by its real path (not /proc/PID/exe), as GDB names it.
    std::string proc_exe = "/proc/" + std::to_string(args.pid) + "/exe";
    char exe[4096];
    ssize_t n = ::readlink(proc_exe.c_str(), exe, sizeof exe - 1);
    std::string path = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "";
    if (path.empty() || ::access(path.c_str(), R_OK) != 0) path = proc_exe;  // deleted or replaced since
    session = Session::OpenLive(path, args.pid);
    for (const auto& [lwp, regs] : stopped->registers()) session->target().SetThreadRegisters(lwp, regs);
  } else {
    // Absolute paths, as GDB has them (the JSON names them).
    auto absolute = [](const std::string& p) {
      if (p.empty() || p[0] == '/') return p;
      char cwd[4096];
      return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + p : p;
    };
    session = Session::OpenCore(absolute(args.exe), absolute(args.core));
  }
  // Before any work: an output over an input (the core, say) is refused.
  for (const char* option : {"--output", "--dot"})
    if (args.Has(option)) CheckNotAnInput(args.Last(option));
  std::unique_ptr<DwflUnwinder> unwinder;
  Context c{args, *session, [&] {
              if (unwinder) return;
              unwinder = std::make_unique<DwflUnwinder>(session->target());
              unwinder->HandOver(session->stacks());
            }};
  Outcome o = cmd->run(c);
  stopped.reset();
  if (!o.written) {
    // --output: the text step's output is collected and written here,
    // whole or not at all (report/output_file.h).
    std::string out = args.Last("--output");
    std::vector<std::string> forward;
    for (size_t i = 0; i < args.forward.size(); ++i) {
      if (!out.empty() && args.forward[i] == "--output") ++i;  // and its value
      else forward.push_back(args.forward[i]);
    }
    std::string text;
    int rc = RunTextStep(name, forward, o.report, out.empty() ? nullptr : &text);
    if (rc != 0) return rc;
    if (!out.empty()) WriteOutputFile(out, text);
  }
  return o.partial ? kPartial : kOk;
}

}  // namespace
}  // namespace cgostack::cli

int main(int argc, char** argv) {
  try {
    return cgostack::cli::Run(argc, argv);
  } catch (const cgostack::OutputError& e) {
    if (e.err() == EPIPE) {
      // The reader has gone (`cgostack ... | head`): end as Unix tools do,
      // by SIGPIPE and without a message.
      std::signal(SIGPIPE, SIG_DFL);
      std::raise(SIGPIPE);
    }
    std::fprintf(stderr, "cgostack: %s\n", e.what());
    return cgostack::cli::kFailure;
  } catch (const cgostack::cli::UsageError& e) {
    std::fprintf(stderr, "cgostack: %s\n", e.what());
    return cgostack::cli::kUsage;
  } catch (const cgostack::Error& e) {
    std::fprintf(stderr, "cgostack: %s\n", e.what());
    return cgostack::cli::kFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cgostack: internal error: %s\n", e.what());
    return cgostack::cli::kFailure;
  }
}

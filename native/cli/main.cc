// cgostack: the GDB commands' reports without GDB, for crash pipelines
// (systemd-coredump, CI artefacts, fleets collecting cores).
//
//   cgostack info|goroutines|threads|lockgraph [OPTIONS] EXE CORE
//   cgostack info|goroutines|threads [OPTIONS] --pid PID
//   cgostack snapshot --pid PID -o FILE      (snapshot_command.h)
//
// The same library and the same views as the plugin (views/run_command.h):
// options, text and JSON are the GDB commands' own.  It runs no other
// program.  Native frames come from libdwfl (dwfl_unwinder.h) instead of GDB.
//
// Exit status: 0 full success; 2 partial results (warnings, unreadable
// goroutines, threads or stacks); 1 failure (one `cgostack:` line on
// stderr); 64 usage error.
#include <sys/stat.h>
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

#include "args.h"
#include "snapshot_command.h"
#include "stacks/dwfl_unwinder.h"
#include "error.h"
#include "session.h"
#include "report/output_file.h"
#include "snapshot/take_snapshot.h"
#include "views/command_options.h"
#include "views/run_command.h"

namespace cgostack::cli {
namespace {

constexpr int kOk = 0, kFailure = 1, kPartial = 2, kUsage = 64;

void GeneralHelp(std::FILE* f) {
  std::fprintf(f,
               "Usage: cgostack COMMAND [OPTIONS] EXE CORE\n"
               "       cgostack COMMAND [OPTIONS] --pid PID\n\n"
               "Goroutines, OS threads and stitched C+Go stacks of Go programs that use cgo,\n"
               "from core files and live processes, without GDB.\n\nCommands:\n");
  for (const auto& c : views::Commands())
    if (c.cli) std::fprintf(f, "  %-11s %s\n", c.name, c.summary);
  std::fputs(SnapshotCommandsHelp(), f);
  std::fprintf(f,
               "\n`cgostack COMMAND --help` describes each.  Exit status: 0 success, 2 partial\n"
               "results (warnings, unreadable goroutines or stacks), 1 failure, 64 usage error.\n");
}

void WriteScreen(const std::string& text) {
  if (text.empty()) return;
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    int err = errno ? errno : EIO;
    throw OutputError(std::string("cannot write to standard output: ") + std::strerror(err), err);
  }
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
  if (int rc = RunSnapshotCommand(name, std::vector<std::string>(argv + 2, argv + argc)); rc >= 0) return rc;
  const views::CommandSpec* cmd = views::FindCommand(name);
  if (!cmd || !cmd->cli || name != cmd->name) throw UsageError("unknown command '" + name + "' (see `cgostack --help`)");
  std::vector<OptionSpec> specs;
  for (const auto& o : cmd->options) specs.push_back({o.name, o.metavar != nullptr});
  Args args = ParseArgs(name, specs, std::vector<std::string>(argv + 2, argv + argc));
  if (args.help) {
    std::fputs(views::CliHelp(*cmd).c_str(), stdout);
    return kOk;
  }
  views::CommandRequest req;
  req.spec = cmd;
  req.words = args.forward;
  req.prog = name;
  req.hint = "cgostack " + name + " --help";
  req.screen = stdout;
  // Options are checked before the target is opened: a usage error is
  // reported as one, whatever the target.
  views::ParseOptions(*cmd, req.words, req.prog, req.hint);

  std::unique_ptr<Session> session;
  if (args.pid) {
    // The snapshot path (issue 20): the process is held only while the
    // memory the reports need is copied, and runs on while they are made
    // from the copy.
    session = std::move(CopyLiveProcess(args.pid).session);
  } else {
    auto absolute = [](const std::string& p) {
      if (p.empty() || p[0] == '/') return p;
      char cwd[4096];
      return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + p : p;
    };
    if (!args.sysroot.empty()) {  // a typo must not read as "no libraries there"
      struct stat st;
      if (::stat(args.sysroot.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error("--sysroot " + args.sysroot + " is not a directory");
    }
    LibrarySearch search{args.sysroot.empty() ? std::string() : absolute(args.sysroot), {}};
    for (const std::string& dir : args.solib_dirs) search.dirs.push_back(absolute(dir));
    session = Session::OpenCore(absolute(args.exe), absolute(args.core), search);
  }
  // Before any work: an output over an input (the core, say) is refused.
  for (const char* option : {"--output", "--dot"})
    if (args.Has(option)) CheckNotAnInput(args.Last(option));
  std::unique_ptr<DwflUnwinder> unwinder;
  req.native_frames = [&] {
    unwinder = std::make_unique<DwflUnwinder>(session->target());
    unwinder->HandOver(session->stacks());
  };
  views::CommandResult result = views::RunCommand(*session, req);
  WriteScreen(result.screen);
  return result.partial ? kPartial : kOk;
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
  } catch (const cgostack::views::UsageError& e) {
    std::fprintf(stderr, "cgostack: %s\n", e.what());
    return cgostack::cli::kUsage;
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

#include "text_step.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "error.h"

namespace cgostack::cli {

namespace {

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

int RunTextStep(const std::string& command, const std::vector<std::string>& args, const std::string& report,
                std::string* captured) {
  std::string python = Env("CGOSTACK_PYTHON", CGOSTACK_PYTHON);
  std::string plugin = Env("CGOSTACK_PLUGIN_DIR", CGOSTACK_PLUGIN_DIR);
  if (::access((plugin + "/cgostack_gdb/render.py").c_str(), R_OK) != 0)
    throw Error("cannot find the text formatter in " + plugin + " (set CGOSTACK_PLUGIN_DIR to cgostack's gdb_plugin)");
  std::vector<std::string> argv_s = {python, "-m", "cgostack_gdb.render", command};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  int out[2] = {-1, -1};
  if (captured && ::pipe2(out, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  pid_t child = ::fork();
  if (child < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    ::dup2(fds[0], 0);
    if (captured) ::dup2(out[1], 1);
    std::string path = plugin;
    if (const char* old = std::getenv("PYTHONPATH"); old && *old) path += std::string(":") + old;
    ::setenv("PYTHONPATH", path.c_str(), 1);
    ::execvp(argv[0], argv.data());
    std::string msg = "cgostack: cannot run " + python + ": " + std::strerror(errno) + " (set CGOSTACK_PYTHON)\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(1);
  }
  ::close(fds[0]);
  // The formatter may stop reading early (it failed, or a pager quit):
  // a broken pipe is its exit status to report, not a crash.
  ::signal(SIGPIPE, SIG_IGN);
  const char* p = report.data();
  size_t left = report.size();
  while (left > 0) {
    ssize_t n = ::write(fds[1], p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::close(fds[1]);
  if (captured) {
    // The formatter reads the whole report before it writes (json.load).
    ::close(out[1]);
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      captured->append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1;
}

}  // namespace cgostack::cli

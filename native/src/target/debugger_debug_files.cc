#include "target/debugger_debug_files.h"

#include <cstdlib>
#include <mutex>

#include "error.h"

namespace cgostack {

namespace {

struct DebuggerView {
  std::mutex mu;
  std::vector<std::string> dirs;
  std::map<std::string, std::string> loaded;
};

DebuggerView& View() {
  static DebuggerView v;
  return v;
}

std::string RealPath(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  std::string out = real ? real : path;
  std::free(real);
  return out;
}

}  // namespace

void UseDebuggerDebugFiles(std::vector<std::string> debug_dirs, std::map<std::string, std::string> loaded) {
  std::map<std::string, std::string> by_real;
  for (const auto& [objfile, debug] : loaded) by_real[RealPath(objfile)] = debug;
  DebuggerView& v = View();
  std::lock_guard<std::mutex> lock(v.mu);
  v.dirs = std::move(debug_dirs);
  v.loaded = std::move(by_real);
}

std::optional<DebugFile> FindDebugFileAsDebugger(ElfImage& exe) {
  std::vector<std::string> dirs;
  std::string loaded;
  {
    DebuggerView& v = View();
    std::lock_guard<std::mutex> lock(v.mu);
    dirs = v.dirs;
    if (auto it = v.loaded.find(RealPath(exe.path())); it != v.loaded.end()) loaded = it->second;
  }
  if (!loaded.empty()) {
    // GDB checked it already; a file changed since must not describe
    // another build.
    try {
      if (ElfImage::Open(loaded)->GnuBuildId() == exe.GnuBuildId()) return DebugFile{loaded, "gdb"};
    } catch (const Error&) {
    }
  }
  if (dirs.empty()) return FindSeparateDebugFile(exe);
  return FindSeparateDebugFile(exe, dirs);
}

}  // namespace cgostack

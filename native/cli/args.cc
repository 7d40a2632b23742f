#include "args.h"

#include <cerrno>
#include <cstdlib>

#include "target/library_search.h"

namespace cgostack::cli {

std::string Args::Last(const std::string& option) const {
  auto it = values.find(option);
  return it == values.end() || it->second.empty() ? "" : it->second.back();
}

Args ParseArgs(const std::string& command, const std::vector<OptionSpec>& specs,
               const std::vector<std::string>& words) {
  Args a;
  std::vector<std::string> positional;
  auto fail = [&](const std::string& what) {
    throw UsageError(command + ": " + what + " (see `cgostack " + command + " --help`)");
  };
  for (size_t i = 0; i < words.size(); ++i) {
    std::string w = words[i];
    if (w == "-h" || w == "--help") {
      a.help = true;
      continue;
    }
    if (w.size() < 2 || w[0] != '-' || (w[1] >= '0' && w[1] <= '9')) {
      positional.push_back(w);
      continue;
    }
    std::string name = w, value;
    bool inline_value = false;
    if (size_t eq = w.find('='); eq != std::string::npos) {
      name = w.substr(0, eq);
      value = w.substr(eq + 1);
      inline_value = true;
    }
    // Target options, the CLI's own (GDB has its target and settings).
    bool target_option = name == "--pid" || name == "--sysroot" || name == "--solib-search-path";
    bool known = target_option, takes_value = target_option;
    for (const auto& s : specs)
      if (s.name == name) known = true, takes_value = s.takes_value;
    if (!known) fail("unrecognized option " + name);
    if (takes_value && !inline_value) {
      if (i + 1 >= words.size()) fail("option " + name + " needs a value");
      value = words[++i];
    } else if (!takes_value && inline_value) {
      fail("option " + name + " takes no value");
    }
    if (name == "--pid") {
      char* end = nullptr;
      errno = 0;
      long pid = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || errno || pid <= 0 || pid > 0x3fffffff) fail("--pid wants a process id, not '" + value + "'");
      a.pid = static_cast<int>(pid);
      continue;
    }
    if (name == "--sysroot") {
      if (value.empty()) fail("--sysroot wants a directory");
      a.sysroot = value;
      continue;
    }
    if (name == "--solib-search-path") {
      for (const std::string& dir : SplitSearchPath(value)) a.solib_dirs.push_back(dir);
      continue;
    }
    a.values[name].push_back(value);
    a.forward.push_back(name);
    if (takes_value) a.forward.push_back(value);
  }
  if (a.help) return a;
  // EXE CORE are the last two words; with --pid there is no target word.
  size_t target_words = a.pid ? 0 : 2;
  if (positional.size() < target_words) fail("give EXE CORE, or --pid PID for a live process");
  a.filters.assign(positional.begin(), positional.end() - static_cast<long>(target_words));
  if (a.pid && (!a.sysroot.empty() || !a.solib_dirs.empty()))
    fail("--sysroot and --solib-search-path are for a core from another machine, not --pid");
  if (!a.pid) {
    a.exe = positional[positional.size() - 2];
    a.core = positional.back();
  }
  a.forward.insert(a.forward.end(), a.filters.begin(), a.filters.end());
  return a;
}

}  // namespace cgostack::cli

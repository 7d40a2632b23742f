// Command-line words of one cgostack subcommand: its options (from a table,
// so a new subcommand is a new table), the target (EXE CORE, or --pid PID)
// and everything else, kept in order for the Python text step, which
// parses the same options again with the GDB command's parser.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace cgostack::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;  // "--frames"
  bool takes_value = false;
};

struct Args {
  bool help = false;
  int pid = 0;
  std::string exe, core;
  std::string sysroot;                  // --sysroot DIR
  std::vector<std::string> solib_dirs;  // --solib-search-path DIR[:DIR...]
  std::vector<std::string> filters;                        // GOIDs / LWPs
  std::map<std::string, std::vector<std::string>> values;  // option -> values ("" for a flag)
  std::vector<std::string> forward;  // every word but the target, for the text step
  bool Has(const std::string& option) const { return values.count(option) != 0; }
  std::string Last(const std::string& option) const;
};

// Throws UsageError (one line, without the "cgostack:" prefix).
Args ParseArgs(const std::string& command, const std::vector<OptionSpec>& specs,
               const std::vector<std::string>& words);

}  // namespace cgostack::cli

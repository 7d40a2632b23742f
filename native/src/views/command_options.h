// One option table per command: it drives the CLI's parser, the GDB
// commands' parser (the same code), `help cgo-...`, `cgostack COMMAND
// --help`, and the generated part of docs/commands.md.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace cgostack::views {

// A command line that does not parse; the message is one line naming the
// command and where its help is.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  const char* name;     // "--frames"
  const char* metavar;  // "N|all"; nullptr for a flag
  const char* help;     // may span lines ("\n" between them)
};

struct CommandSpec {
  const char* name;        // "goroutines" (the CLI's subcommand)
  const char* gdb_name;    // "cgo-goroutines"
  const char* summary;     // one line
  const char* positional;  // "GOID..." or nullptr
  const char* positional_help;
  size_t max_positional;   // SIZE_MAX: any number
  size_t min_positional;
  std::vector<OptionSpec> options;  // --json and --output included
  const char* description;  // what it shows (both help texts)
  const char* gdb_notes;    // GDB-only paragraphs after the options
  const char* gdb_examples; // lines of `(gdb) ...`
  bool cli = true;          // also a CLI subcommand
  // Only a live process, never a core: the CLI's target is `--pid PID`
  // alone (cgostack watch), GDB's the process it is attached to.
  bool live_only = false;
};

const std::vector<CommandSpec>& Commands();
const CommandSpec* FindCommand(const std::string& name);  // "goroutines" or "cgo-goroutines"

struct ParsedOptions {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  // option -> values ("" for a flag)
  bool Has(const std::string& o) const { return values.count(o) != 0; }
  std::string Last(const std::string& o) const;
  std::vector<std::string> All(const std::string& o) const;
};

// `prog` names the command in messages ("cgo-goroutines", or "goroutines"
// for the CLI); `hint` is where help is ("help cgo-goroutines").
ParsedOptions ParseOptions(const CommandSpec& spec, const std::vector<std::string>& words, const std::string& prog,
                           const std::string& hint);
// GDB's argument string split as a POSIX shell would (quotes, backslashes).
std::vector<std::string> SplitCommandLine(const std::string& line, const std::string& prog);

std::string GdbHelp(const CommandSpec& spec);
std::string CliHelp(const CommandSpec& spec);
// The options of every command as Markdown tables (docs/commands.md).
std::string MarkdownOptions();

}  // namespace cgostack::views

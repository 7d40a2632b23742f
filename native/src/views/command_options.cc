#include "views/command_options.h"

#include <algorithm>
#include <cstdint>  // SIZE_MAX (GCC 14 no longer brings it in through <algorithm>)

namespace cgostack::views {

namespace {

const OptionSpec kJson{"--json", nullptr, "print one JSON object (schema: docs/json-schema.md)"};
const OptionSpec kOutput{"--output", "FILE", "write the result to FILE instead of the screen"};

std::vector<CommandSpec> BuildCommands() {
  std::vector<CommandSpec> c;
  c.push_back({"info", "cgo-info", "Summarise a Go process: Go version, goroutines, threads, Ms, Ps, cgo, GODEBUG.",
               nullptr, nullptr, 0, 0, {kJson, kOutput},
               "A summary of the Go process: Go version, cgo, goroutines by status, OS\n"
               "threads, Ms, Ps, GOMAXPROCS, build info, GODEBUG, GOTRACEBACK, warnings.\n"
               "Works on a core (`gdb EXE CORE`) and on a live process (`gdb -p PID`).",
               nullptr,
               "(gdb) cgo-info\n"
               "(gdb) cgo-info --json --output /tmp/info.json"});
  c.push_back({"goroutines", "cgo-goroutines", "List goroutines: state, wait reason, M/LWP/GDB thread, stack, creator.",
               "GOID...",
               "only these goroutines (`1 17 42` or `1,17,42`); a\n"
               "single GOID shows that goroutine in full, as\n"
               "cgo-goroutine does",
               SIZE_MAX, 0,
               {{"--state", "STATE",
                 "goroutines whose status is STATE (idle, runnable,\n"
                 "running, syscall, waiting, ...; case-insensitive) or\n"
                 "whose wait reason contains STATE (case-insensitive:\n"
                 "`mutex` matches sync.Mutex.Lock and sync.RWMutex.RLock);\n"
                 "repeat it or separate with commas for any of several"},
                {"--function", "SUBSTR",
                 "goroutines with SUBSTR (case-sensitive) in the function\n"
                 "of any frame, runtime frames included, or in the start\n"
                 "function; repeat it to require all of several"},
                {"--system", nullptr,
                 "show runtime-internal goroutines (GC workers,\n"
                 "finalizers, ...) in text, hidden by default as in the\n"
                 "runtime's own traceback; goroutines named by GOID are\n"
                 "always shown, and JSON always has them (marked \"system\")"},
                {"--group", nullptr,
                 "one entry per distinct stack (state, function+file+line\n"
                 "of every frame, creation site) with its count and goids,\n"
                 "largest group first"},
                {"--frames", "N|all",
                 "at most N frames per stack (default 20 in text, all in\n"
                 "JSON); text shows a run of identical frames (deep\n"
                 "recursion) as one line \"(N times)\" and counts it once;\n"
                 "0 gives one line per goroutine or group, and without\n"
                 "--function or --group skips reading stacks"},
                {"--runtime-frames", nullptr,
                 "show runtime.* frames in text (hidden by default, as\n"
                 "GOTRACEBACK=all does; JSON always has every frame, each\n"
                 "marked \"runtime\")"},
                {"--json", nullptr,
                 "print one JSON object: {\"go_version\", \"goroutines\": [...],\n"
                 "\"warnings\", \"total\", \"filtered_out\", \"not_found\"}; with\n"
                 "--group \"groups\": [{\"count\", \"goids\", \"status\",\n"
                 "\"wait_reason\", \"frames\", ...}] instead of \"goroutines\""},
                kOutput},
               "One header per goroutine, then its Go stack, innermost first:\n"
               "  goroutine 17 [sync.Mutex.Lock, 5 minutes, locked to thread] on M3 (LWP 26296, thread 5):\n"
               "      main.lockIt         /src/main.go:30\n"
               "      created by main.main in goroutine 1 at /src/main.go:25\n"
               "The bracket holds the wait reason (the runtime's own string) or else the\n"
               "status; \"thread 5\" is GDB's thread number, so `thread 5` and `bt` show that\n"
               "OS thread's C frames.  A goroutine or stack that cannot be read is still\n"
               "listed, with an \"error:\" or \"stack error:\" line.  The last line counts what\n"
               "was shown, filtered out and hidden.",
               "Filters combine: a goroutine is shown if it passes all of them.  Works on a\n"
               "core (`gdb EXE CORE`) and on a live process (`gdb -p PID`).",
               "(gdb) cgo-goroutines --group                   100,000 goroutines on a screen\n"
               "(gdb) cgo-goroutines --state syscall           goroutines in cgo calls/syscalls\n"
               "(gdb) cgo-goroutines --state mutex --state chan --frames 5\n"
               "(gdb) cgo-goroutines --function main.worker --runtime-frames\n"
               "(gdb) cgo-goroutines 1 17 42 --frames 0\n"
               "(gdb) cgo-goroutines --json --output /tmp/goroutines.json"});
  c.push_back({"goroutine", "cgo-goroutine", "Show one goroutine in full: every field and every frame with its pc.",
               "GOID", "the goroutine", 1, 1,
               {{"--frames", "N|all", "at most N frames (default all)"},
                {"--json", nullptr,
                 "print one JSON object, the shape of cgo-goroutines --json\n"
                 "with one goroutine in \"goroutines\""},
                kOutput},
               "Shows status, wait reason, how long it has waited (where the runtime\n"
               "recorded it), g address, the M it runs on with its LWP and GDB thread\n"
               "number, the M/LWP it is locked to, creator and creating goroutine, start\n"
               "function, pprof labels, and its Go stack innermost first with pcs; runtime\n"
               "and inlined frames are included and marked.  A GOID that does not exist is\n"
               "one error line.",
               nullptr,
               "(gdb) cgo-goroutine 17\n"
               "(gdb) cgo-goroutine 17 --json --output /tmp/g17.json",
               false});
  c.push_back({"threads", "cgo-threads",
               "List every OS thread: M, kind, activity, goroutine, P, blocked signals, C+Go stack.", "LWP...",
               "only these threads", SIZE_MAX, 0,
               {{"--no-frames", nullptr, "headers only"},
                {"--signal-frames", nullptr, "show the Go signal handler's frames"},
                kJson,
                kOutput},
               "Every thread of the process, including C threads Go never saw and idle Ms:\n"
               "  Thread 7 (LWP 2322): Go thread M5, in a cgo call, goroutine 20, P1 syscall (given up for the call: m.oldp):\n"
               "      blocked signals: none\n"
               "      futex_wait            ../sysdeps/nptl/futex-internal.h:146 [C libc.so.6]\n"
               "      ___pthread_mutex_lock ./nptl/pthread_mutex_lock.c:93 [C libc.so.6]\n"
               "      lock_C_blocking       deadlock.c:33 [C deadlock]\n"
               "      ---- C code called from Go (runtime.cgocall -> asmcgocall, system stack above) ----\n"
               "      runtime.cgocall       /usr/lib/go/src/runtime/cgocall.go:185\n"
               "      main.cycleG1          /src/deadlock/main.go:120\n"
               "C frames come from GDB's own unwinder in GDB (so they match `bt`) and from\n"
               "libdwfl in the CLI; Go frames from the runtime's pc tables.  A `!!` flags a\n"
               "thread that blocks a signal the Go runtime needs (SIGURG for preemption,\n"
               "SIGPROF for profiling, ...).  In a core written with GOTRACEBACK=crash every\n"
               "thread is inside the Go signal handler; its frames are folded into one line\n"
               "(--signal-frames shows them).",
               "Since cgostack is loaded, `thread N` then `bt` also crosses from C frames\n"
               "into the goroutine's Go frames (and back below a callback).",
               "(gdb) cgo-threads\n"
               "(gdb) cgo-threads 2322 --signal-frames\n"
               "(gdb) cgo-threads --json --output /tmp/threads.json"});
  c.push_back({"lockgraph", "cgo-lockgraph",
               "Who waits for what, who holds it, and why nothing moves: across C and Go.", nullptr, nullptr, 0, 0,
               {{"--dot", "FILE", "also write the graph as Graphviz source to FILE\n(`dot -Tsvg FILE > FILE.svg` draws it)"},
                kJson,
                kOutput},
               "Nodes are goroutines, OS threads and locks: pthread mutexes (owner from\n"
               "glibc's __owner), rwlocks (the writer; readers are counted only), condition\n"
               "variables, pthread_join, semaphores, sync.Mutex/RWMutex/WaitGroup (from the\n"
               "runtime's semaphore table), channels (from g.waiting), package\n"
               "initialization and runtime locks.  Edges are \"waits_for\", \"held_by\" (exact,\n"
               "or inferred with the evidence: Go records no mutex owner) and \"runs\" (a\n"
               "goroutine's cgo call on its thread, a thread's C frames below a callback).\n"
               "Every cycle is found; diagnoses name the cause:\n"
               "  deadlock_cycle  self_deadlock  owner_exited  lock_leaked\n"
               "  held_across_callback  waits_for_package_init  signals_blocked  all_blocked",
               "Works without libc debug symbols (glibc's object layouts are ABI).",
               "(gdb) cgo-lockgraph\n"
               "(gdb) cgo-lockgraph --dot /tmp/locks.dot\n"
               "(gdb) cgo-lockgraph --json --output /tmp/locks.json"});
  c.push_back({"watch", "cgo-watch", "Several looks at a live process: what is stuck, what progresses.", nullptr,
               nullptr, 0, 0,
               {{"--interval", "T",
                 "time the process runs between two looks: 1s, 500ms,\n"
                 "0.5 (seconds); default 1s"},
                {"--count", "N", "looks, 2 to 1000; default 3"},
                {"--json", nullptr,
                 "print one JSON object: {\"snapshots\", \"interval_s\",\n"
                 "\"watched_s\", \"stuck\": [...], \"progressing\": [...],\n"
                 "\"warnings\"} (docs/json-schema.md)"},
                kOutput},
               "Looks at the process COUNT times, INTERVAL apart, and compares: a goroutine\n"
               "or a thread Go does not run is stuck when every look shows the same state\n"
               "and wait, the same stack and the same lock and holder (the lock graph); a\n"
               "deadlock cycle seen every time is stuck.  What changed is progressing (a busy\n"
               "lock changing hands), and so is a thread caught outside a system call\n"
               "(computing).  How long: the runtime's g.waitsince where it recorded one,\n"
               "else at least the time watched.  The CLI takes a snapshot each time\n"
               "(the process held only while memory is copied); GDB looks at its own stops.",
               "Needs a live process (`gdb -p PID`, or `run` and a stop); on a core it says\n"
               "so.  The first look is the current stop; between looks the process runs\n"
               "(all threads, as `continue` does) and GDB interrupts it again after INTERVAL;\n"
               "its stop is not announced.  A stop of another kind meanwhile (a breakpoint,\n"
               "a signal, the exit) ends the watch with what was seen so far.  The thread\n"
               "and frame selected before are selected again at the end.",
               "(gdb) cgo-watch\n"
               "(gdb) cgo-watch --interval 200ms --count 5\n"
               "(gdb) cgo-watch --json --output /tmp/watch.json",
               true, true});
  return c;
}

const OptionSpec* FindOption(const CommandSpec& spec, const std::string& name) {
  for (const auto& o : spec.options)
    if (name == o.name) return &o;
  return nullptr;
}

std::string OptionWords(const OptionSpec& o) { return std::string(o.name) + (o.metavar ? std::string(" ") + o.metavar : ""); }

// The CLI's options naming its target (GDB has its own commands for them:
// `attach`, `set sysroot`, `set solib-search-path`): in `--help` and in
// docs/commands.md's tables.
const std::vector<std::pair<std::string, std::string>>& CliTargetOptions() {
  static const std::vector<std::pair<std::string, std::string>> rows = {
      {"--pid PID", "a live process (stopped with ptrace while it is read)"},
      {"--sysroot DIR", "a core from another machine: its libraries under DIR (DIR/usr/lib/...), as GDB's "
                        "`set sysroot`"},
      {"--solib-search-path DIRS", "a core from another machine: its libraries by name in these directories "
                                   "(colon-separated), as GDB's `set solib-search-path`"}};
  return rows;
}

// `  --frames N|all     at most N frames ...`, help lines aligned.
std::string OptionBlock(const CommandSpec& spec, bool cli) {
  std::vector<std::pair<std::string, std::string>> rows;
  if (spec.positional) rows.push_back({spec.positional, spec.positional_help});
  for (const auto& o : spec.options) rows.push_back({OptionWords(o), o.help});
  if (cli)
    for (const auto& row : CliTargetOptions())
      if (!spec.live_only || row.first == "--pid PID") rows.push_back(row);
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  std::string out;
  for (const auto& [words, help] : rows) {
    std::string pad(width + 2 - words.size(), ' ');
    size_t start = 0;
    bool first = true;
    while (start <= help.size()) {
      size_t nl = help.find('\n', start);
      std::string line = help.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      out += first ? "  " + words + pad : std::string(width + 4, ' ');
      out += line + "\n";
      first = false;
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  return out;
}

// "Usage: PROG [GOID...] [--state STATE] ...", wrapped under the first word.
std::string Usage(const CommandSpec& spec, const std::string& prog, const std::string& tail) {
  std::vector<std::string> words;
  if (spec.positional) words.push_back(spec.min_positional ? spec.positional : "[" + std::string(spec.positional) + "]");
  for (const auto& o : spec.options) words.push_back("[" + OptionWords(o) + "]");
  if (!tail.empty()) words.push_back(tail);
  std::string head = "Usage: " + prog;
  std::string out = head, line = head;
  for (const auto& w : words) {
    if (line.size() + 1 + w.size() > 78 && line.size() > head.size()) {
      out += "\n" + std::string(head.size(), ' ');
      line = std::string(head.size(), ' ');
    }
    out += " " + w;
    line += " " + w;
  }
  return out + "\n";
}

}  // namespace

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> commands = BuildCommands();
  return commands;
}

const CommandSpec* FindCommand(const std::string& name) {
  for (const auto& c : Commands())
    if (name == c.name || name == c.gdb_name) return &c;
  return nullptr;
}

std::string ParsedOptions::Last(const std::string& o) const {
  auto it = values.find(o);
  return it == values.end() || it->second.empty() ? "" : it->second.back();
}

std::vector<std::string> ParsedOptions::All(const std::string& o) const {
  auto it = values.find(o);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

ParsedOptions ParseOptions(const CommandSpec& spec, const std::vector<std::string>& words, const std::string& prog,
                           const std::string& hint) {
  ParsedOptions p;
  auto fail = [&](const std::string& what) { throw UsageError(prog + ": " + what + " (see `" + hint + "`)"); };
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    // "-1" would be a goid or LWP, never an option.
    if (w.size() < 2 || w[0] != '-' || (w[1] >= '0' && w[1] <= '9')) {
      p.positional.push_back(w);
      continue;
    }
    std::string name = w, value;
    bool inline_value = false;
    if (size_t eq = w.find('='); eq != std::string::npos && w.compare(0, 2, "--") == 0) {
      name = w.substr(0, eq);
      value = w.substr(eq + 1);
      inline_value = true;
    }
    const OptionSpec* o = FindOption(spec, name);
    if (!o) fail("unrecognized option " + name);
    if (o->metavar && !inline_value) {
      if (i + 1 >= words.size()) fail("option " + name + " needs a value (" + o->metavar + ")");
      value = words[++i];
    } else if (!o->metavar && inline_value) {
      fail("option " + name + " takes no value");
    }
    p.values[name].push_back(value);
  }
  if (p.positional.size() > spec.max_positional || p.positional.size() < spec.min_positional) {
    if (!spec.positional) fail("unexpected argument '" + p.positional[0] + "'");
    if (spec.max_positional == spec.min_positional)
      fail("give exactly " + std::to_string(spec.min_positional) + " " + spec.positional);
    fail("too many arguments");
  }
  return p;
}

std::vector<std::string> SplitCommandLine(const std::string& line, const std::string& prog) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(word);
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 < line.size()) word += line[++i];
      continue;
    }
    if (c == '\'' || c == '"') {
      size_t j = i + 1;
      for (; j < line.size() && line[j] != c; ++j) {
        if (c == '"' && line[j] == '\\' && j + 1 < line.size() &&
            (line[j + 1] == '"' || line[j + 1] == '\\' || line[j + 1] == '$' || line[j + 1] == '`'))
          ++j;
        word += line[j];
      }
      if (j >= line.size()) throw UsageError(prog + ": No closing quotation");
      i = j;
      continue;
    }
    word += c;
  }
  if (in_word) out.push_back(word);
  return out;
}

std::string GdbHelp(const CommandSpec& spec) {
  std::string out = std::string(spec.summary) + "\n\n" + Usage(spec, spec.gdb_name, "") + "\n" + spec.description +
                    "\n\n" + OptionBlock(spec, false);
  if (spec.gdb_notes) out += "\n" + std::string(spec.gdb_notes) + "\n";
  out += "\nExamples:\n";
  std::string ex = spec.gdb_examples;
  size_t start = 0;
  while (start < ex.size()) {
    size_t nl = ex.find('\n', start);
    out += "  " + ex.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  out.pop_back();  // GDB adds the last newline
  return out;
}

std::string CliHelp(const CommandSpec& spec) {
  std::string prog = std::string("cgostack ") + spec.name;
  std::string out = Usage(spec, prog, spec.live_only ? "--pid PID" : "EXE CORE | --pid PID") + "\n" + spec.summary + "\n\n" + spec.description +
                    "\nEvery option means what it means for GDB's `" + spec.gdb_name + "` (docs/commands.md);\n"
                    "without GDB, thread numbers and gdb_thread fields are left out.\n\n" + OptionBlock(spec, true);
  return out;
}

std::string MarkdownOptions() {
  std::string out;
  for (const auto& c : Commands()) {
    out += "### `" + std::string(c.gdb_name) + "`" + (c.cli ? std::string(" / `cgostack ") + c.name + "`" : "") + "\n\n";
    out += "```\n" + Usage(c, c.gdb_name, "") + "```\n\n| option | meaning |\n|---|---|\n";
    auto row = [&](const std::string& words, std::string help) {
      std::replace(help.begin(), help.end(), '\n', ' ');
      std::string escaped;
      for (char ch : help) escaped += ch == '|' ? std::string("\\|") : std::string(1, ch);
      out += "| `" + words + "` | " + escaped + " |\n";
    };
    if (c.positional) row(c.positional, c.positional_help);
    for (const auto& o : c.options) row(OptionWords(o), o.help);
    if (c.cli)
      for (const auto& [words, help] : CliTargetOptions())
        if (!c.live_only || words == "--pid PID") row(words, "CLI only: " + help);
    out += "\n";
  }
  return out;
}

}  // namespace cgostack::views

// The only pybind11 code: exposes Session to gdb_plugin/cgostack.py.  Results
// cross as JSON strings (one schema, serialised once in C++); backend errors
// become _cgostack.Error carrying the one-line message.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string_view>
#include <tuple>
#include <unordered_set>

#include "stacks/cxx_names.h"
#include "stacks/vdso_module.h"
#include "error.h"
#include "goruntime/goroutine_fields.h"
#include "report/goroutines_report.h"
#include "report/output_file.h"
#include "stacks/dwfl_unwinder.h"
#include "target/compressed_core.h"
#include "target/debugger_debug_files.h"
#include "target/regular_file.h"
#include "session.h"
#include "snapshot/watch.h"
#include "views/command_options.h"
#include "views/run_command.h"

namespace py = pybind11;

namespace {

// Goroutine fields straight into Python rows (no JSON in between): the
// plugin's one-line-per-goroutine list of 100,000 goroutines spends most of
// its time decoding otherwise.  Same field list as the JSON report.
class PyRowSink {
 public:
  explicit PyRowSink(const std::vector<std::string>& only) : only_(only.begin(), only.end()) {}
  void Begin() { row_ = py::list(); }
  py::list& row() { return row_; }
  py::list& columns() { return columns_; }
  void EndFirstRow() { first_ = false; }

  template <typename T>
  void Put(std::string_view key, const T& v) {
    if (Want(key)) row_.append(py::cast(v));
  }
  template <typename T>
  void Put(std::string_view key, const std::optional<T>& v) {
    if (Want(key)) row_.append(v ? py::cast(*v) : py::none());
  }
  void Text(std::string_view key, const std::string& s) {
    if (Want(key)) row_.append(s.empty() ? py::none() : py::cast(s));
  }
  void RareText(std::string_view key, const std::string& s) { Text(key, s); }
  void RareCount(std::string_view key, uint64_t n) {
    if (Want(key)) row_.append(n ? py::cast(n) : py::none());
  }
  void Labels(std::string_view key, const std::vector<std::pair<std::string, std::string>>& labels) {
    if (!Want(key)) return;
    if (labels.empty()) {
      row_.append(py::none());
      return;
    }
    py::dict d;
    for (const auto& [k, v] : labels) d[py::str(k)] = py::str(v);
    row_.append(d);
  }
  void Frames(std::string_view, size_t) {}  // rows carry no frames

 private:
  bool Want(std::string_view key) {
    if (!only_.empty() && !only_.count(key)) return false;
    if (first_) columns_.append(py::str(key.data(), key.size()));
    return true;
  }
  std::unordered_set<std::string_view> only_;
  py::list row_, columns_;
  bool first_ = true;
};

py::dict GoroutineRows(cgostack::Session& s, const std::vector<std::string>& fields,
                       std::map<int64_t, int64_t> gdb_threads) {
  cgostack::GoroutineSnapshot snap;
  {
    py::gil_scoped_release release;
    snap = cgostack::ReadGoroutines(s.runtime(), false);
  }
  cgostack::GoroutineQuery q;
  q.with_frames = false;
  q.gdb_threads = std::move(gdb_threads);
  PyRowSink sink(fields);
  py::list rows;
  for (const auto& g : snap.goroutines) {
    sink.Begin();
    cgostack::VisitGoroutineFields(g, q, 0, sink);
    rows.append(sink.row());
    sink.EndFirstRow();
  }
  py::dict out;
  out["go_version"] = snap.go_version;
  out["total"] = snap.goroutines.size();
  out["now_ns"] = snap.now_ns ? py::cast(*snap.now_ns) : py::none();
  out["warnings"] = snap.warnings;
  out["columns"] = sink.columns();
  out["rows"] = rows;
  return out;
}

py::object GoFrameStep(cgostack::Session& s, int lwp, uint64_t pc, uint64_t sp, uint64_t fp, bool return_address,
                       uint64_t lr) {
  cgostack::Registers frame{};
  frame.pc = pc;
  frame.sp = sp;
  frame.fp = fp;
  frame.lr = lr;
  std::optional<cgostack::FrameStep> step;
  {
    py::gil_scoped_release release;
    step = s.stacks().switcher().Step(lwp, frame, return_address);
  }
  if (!step) return py::none();
  py::dict out;
  out["entry"] = step->entry;
  out["cfa"] = step->cfa;
  out["outermost"] = step->outermost;
  out["top_frame"] = step->top_frame;
  out["on_goroutine_stack"] = step->on_goroutine_stack;
  out["system_stack_lo"] = step->system_stack_lo;
  out["error"] = step->error;
  out["switch"] = std::string(step->switch_kind);
  // For runtime.sigtramp (a "signal" step, whose cfa is its caller SP by
  // the pcsp rule): where it keeps its return address, the signal
  // trampoline GDB's sigtramp unwinder recognises.  The word below the
  // caller's SP on amd64, the frame's own 0(SP) on arm64; None otherwise.
  out["return_address_slot"] = py::none();
  if (step->switch_kind == std::string_view("signal") && step->cfa >= sp) {
    const cgostack::Arch& arch = s.target().arch();
    int64_t delta = static_cast<int64_t>(step->cfa - sp) - (arch.link_register ? 0 : 8);
    if (delta >= 0)
      if (auto slot = arch.ReturnAddressSlot(sp, delta)) out["return_address_slot"] = *slot;
  }
  // The caller's registers by GDB's names for the target's machine.
  py::dict regs;
  if (!step->outermost) {
    const cgostack::Arch& arch = s.target().arch();
    const cgostack::Registers& r = step->caller;
    regs[arch.gdb_pc_name] = r.pc;
    regs[arch.gdb_names[arch.dwarf_sp]] = r.sp;
    regs[arch.gdb_names[arch.dwarf_fp]] = r.fp;
    if (step->callee_saved || step->all)
      for (size_t i = 0; i < arch.callee_saved_count; ++i)
        regs[arch.gdb_names[arch.callee_saved[i]]] = arch.Get(r, arch.callee_saved[i]);
    if (step->all) {
      for (unsigned regno = 0; regno < arch.gpr_count; ++regno) regs[arch.gdb_names[regno]] = arch.Get(r, regno);
      regs[arch.gdb_flags_name] = r.flags;
    }
  }
  out["registers"] = regs;
  return out;
}

using NativeTuple =
    std::tuple<uint64_t, uint64_t, std::string, std::string, int32_t, std::string, bool, uint64_t, bool, bool>;

void SetNativeChain(cgostack::Session& s, int lwp, const std::vector<NativeTuple>& frames, const std::string& error) {
  cgostack::NativeChain chain;
  chain.error = error;
  for (const auto& [pc, sp, function, file, line, object, inlined, elided, tail_call, trampoline] : frames)
    chain.frames.push_back(
        cgostack::NativeFrame{pc, sp, function, file, line, object, inlined, elided, tail_call, trampoline});
  s.stacks().SetChain(lwp, std::move(chain));
}

// Every thread's native frames from the backend's libdwfl unwinder (the
// CLI's, stacks/dwfl_unwinder.h) instead of GDB's frame API: what the
// plugin does on a core, where walking thousands of threads through GDB's
// frames costs more than GDB's own `bt`.  Returns the LWPs whose walk
// ended in an error: where a stack runs into garbage the two unwinders
// give up differently, so the plugin takes those threads from GDB.
std::vector<int> UnwindNativeFrames(cgostack::Session& s, const std::vector<std::string>& debug_dirs) {
  py::gil_scoped_release release;
  cgostack::DwflUnwinder unwinder(s.target(), debug_dirs);
  unwinder.HandOver(s.stacks());
  std::vector<int> failed;
  for (const cgostack::ThreadState& t : s.target().threads()) {
    const cgostack::NativeChain* chain = s.stacks().Chain(t.lwp);
    if (!chain || !chain->error.empty()) failed.push_back(t.lwp);
  }
  return failed;
}

// The target machine's registers as GDB names them, by the roles the
// plugin needs (arch/arch.h is the one table): pc, sp, frame pointer, link
// register (None on x86-64), and every register a Python unwinder may hand
// GDB (the general registers and the pc; the flags register has a flags
// type GDB does not convert plain integers to).
py::dict RegisterNames(cgostack::Session& s) {
  const cgostack::Arch& arch = s.target().arch();
  py::dict out;
  out["machine"] = arch.name;
  out["pc"] = arch.gdb_pc_name;
  out["sp"] = arch.gdb_names[arch.dwarf_sp];
  out["fp"] = arch.gdb_names[arch.dwarf_fp];
  out["lr"] = arch.dwarf_lr >= 0 ? py::cast(arch.gdb_names[arch.dwarf_lr]) : py::none();
  py::list unwound;
  unwound.append(arch.gdb_pc_name);
  for (unsigned regno = 0; regno < arch.gpr_count; ++regno) unwound.append(arch.gdb_names[regno]);
  out["unwound"] = unwound;
  return out;
}

// A GDB command: its argument string parsed and run by the backend's views;
// returns (what to print, whether the report is partial).  `native_frames`
// (GDB's frames of every thread, handed over) is called only when the view
// needs stacks.
py::tuple RunCommand(cgostack::Session& s, const std::string& command, const std::string& arg,
                     std::map<int64_t, int64_t> gdb_threads, py::object native_frames) {
  const cgostack::views::CommandSpec* spec = cgostack::views::FindCommand(command);
  if (!spec) throw cgostack::Error("unknown command " + command);
  cgostack::views::CommandRequest req;
  req.spec = spec;
  req.prog = spec->gdb_name;
  req.hint = std::string("help ") + spec->gdb_name;
  req.words = cgostack::views::SplitCommandLine(arg, req.prog);
  req.gdb_threads = std::move(gdb_threads);
  if (!native_frames.is_none()) {
    req.native_frames = [&native_frames] {
      py::gil_scoped_acquire gil;
      native_frames();
    };
  }
  cgostack::views::CommandResult result;
  {
    py::gil_scoped_release release;
    result = cgostack::views::RunCommand(s, req);
  }
  return py::make_tuple(py::str(result.screen), result.partial);
}

// cgo-watch: the argument string parsed with the `watch` option table
// (as the CLI's `cgostack watch`), the looks the plugin takes at GDB's
// stops, and the report of snapshot/watch.h.
struct GdbWatch {
  const cgostack::views::CommandSpec* spec = cgostack::views::FindCommand("cgo-watch");
  cgostack::views::ParsedOptions options;
  cgostack::WatchOptions watch;
  cgostack::WatchLooks looks;

  explicit GdbWatch(const std::string& arg) {
    const std::string prog = spec->gdb_name, hint = std::string("help ") + spec->gdb_name;
    options = cgostack::views::ParseOptions(*spec, cgostack::views::SplitCommandLine(arg, prog), prog, hint);
    watch = cgostack::ParseWatchOptions(options, prog, hint);
    if (options.Has("--output")) cgostack::CheckNotAnInput(options.Last("--output"));
  }
  // The report names goroutines and LWPs, not GDB's thread numbers.
  void Add(cgostack::Session& s, py::object native_frames, int64_t taken_ns, int64_t held_ns) {
    native_frames();    // GDB's frames of every thread, as the other commands take them
    py::gil_scoped_release release;
    looks.Add(s, taken_ns, -1, held_ns);
  }
  // The text or JSON to print, or "" once written to --output.
  std::string Report() {
    py::gil_scoped_release release;
    nlohmann::json r = looks.Report(watch.interval_s);
    std::string out = options.Has("--json") ? r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                                            : cgostack::WatchText(r);
    if (!options.Has("--output")) return out;
    cgostack::WriteOutputFile(options.Last("--output"), out);
    return "";
  }
};

}  // namespace

PYBIND11_MODULE(_cgostack, m) {
  m.doc() = "cgostack backend: Go runtime structures from cores and live processes";
  static py::exception<cgostack::Error> error(m, "Error");
  static py::exception<cgostack::views::UsageError> usage_error(m, "UsageError");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const cgostack::Error& e) {
      // The C API, not py::exception::operator() (deprecated in pybind11
      // 2.12+, Debian 13) nor py::set_error (absent before 2.12, Debian 12).
      PyErr_SetString(error.ptr(), e.what());
    } catch (const cgostack::views::UsageError& e) {
      PyErr_SetString(usage_error.ptr(), e.what());
    }
  });

  py::class_<cgostack::Session>(m, "Session")
      .def_static(
          "open_core",
          [](const std::string& exe, const std::string& core, const std::string& sysroot,
             const std::string& solib_search_path) {
            return cgostack::Session::OpenCore(exe, core,
                                               {sysroot, cgostack::SplitSearchPath(solib_search_path)});
          },
          py::arg("executable"), py::arg("core"), py::arg("sysroot") = "", py::arg("solib_search_path") = "",
          py::call_guard<py::gil_scoped_release>(),
          "Open a Go executable and its core file; the core's libraries are read from `sysroot` and "
          "`solib_search_path` (GDB's settings) when given.")
      .def_static("open_live", &cgostack::Session::OpenLive, py::arg("executable"), py::arg("pid"),
                  py::call_guard<py::gil_scoped_release>(),
                  "Open a live process (GDB must already be attached).")
      .def("info_json", &cgostack::Session::InfoJson, py::call_guard<py::gil_scoped_release>(),
           "cgo-info as a JSON string.")
      .def(
          "set_thread_registers",
          [](cgostack::Session& s, int lwp, uint64_t pc, uint64_t sp, uint64_t fp, uint64_t lr) {
            cgostack::Registers r{};
            r.pc = pc;
            r.sp = sp;
            r.fp = fp;
            r.lr = lr;
            s.target().SetThreadRegisters(lwp, r);
          },
          py::arg("lwp"), py::arg("pc"), py::arg("sp"), py::arg("fp"), py::arg("lr") = 0,
          "Registers of a live thread as GDB sees them (cores carry their own); `lr`: the link register "
          "(0 on machines without one).")
      .def("register_names", &RegisterNames,
           "GDB's names of the target's registers by role: {machine, pc, sp, fp, lr (None without a link "
           "register), unwound: the registers a frame unwinder may give GDB}.")
      .def("goroutine_rows", &GoroutineRows, py::arg("fields") = std::vector<std::string>{},
           py::arg("gdb_threads") = std::map<int64_t, int64_t>{},
           "Goroutines without stacks as Python rows: {go_version, total, now_ns, warnings, "
           "columns, rows}; only `fields` when given.")
      .def(
          "threads_json",
          [](cgostack::Session& s, bool with_frames, bool signal_frames, std::map<int64_t, int64_t> gdb_threads,
             const std::string& output) {
            cgostack::ThreadsQuery q;
            q.with_frames = with_frames;
            q.signal_frames = signal_frames;
            q.gdb_threads = std::move(gdb_threads);
            py::gil_scoped_release release;
            return s.ThreadsJson(q, output);
          },
          py::arg("with_frames") = true, py::arg("signal_frames") = false,
          py::arg("gdb_threads") = std::map<int64_t, int64_t>{}, py::arg("output") = "",
          "cgo-threads as a JSON string (or written to `output`, returning \"\").")
      .def(
          "is_go_pc", [](cgostack::Session& s, uint64_t pc, bool return_address) {
            return s.stacks().switcher().IsGo(pc, return_address);
          },
          py::arg("pc"), py::arg("return_address") = false, "Whether pc is in a Go function.")
      .def(
          "vdso",
          [](cgostack::Session& s) -> py::object {
            std::optional<cgostack::VdsoObject> v;
            {
              py::gil_scoped_release release;
              v = cgostack::FindVdso(s.target());
            }
            if (!v) return py::none();
            return py::make_tuple(v->start, v->end, v->name);
          },
          "The vDSO as (start, end, name): the addresses it spans and the object name its frames get "
          "(its DT_SONAME, e.g. linux-vdso.so.1); None when the target's auxv names none.")
      .def("go_frame_step", &GoFrameStep, py::arg("lwp"), py::arg("pc"), py::arg("sp"), py::arg("fp"),
           py::arg("return_address"), py::arg("lr") = 0,
           "The caller of a Go frame on thread `lwp`, across stack switches: None if pc is not Go, else "
           "{entry, cfa, outermost, top_frame, on_goroutine_stack, system_stack_lo, error, switch, "
           "return_address_slot, registers: {name: value}}.  `lr`: "
           "the link register where the frame's pc is not a return address (a frameless function returns "
           "through it), else 0.")
      .def("unwind_native_frames", &UnwindNativeFrames, py::arg("debug_dirs"),
           "Every thread's native frames from libdwfl (as the CLI), separate debug files looked for in "
           "`debug_dirs` (GDB's debug-file-directory); returns the LWPs whose walk ended in an error.")
      .def("set_native_chain", &SetNativeChain, py::arg("lwp"), py::arg("frames"), py::arg("error") = "",
           "A thread's frames as the native unwinder found them, innermost first: tuples "
           "(pc, sp, function, file, line, object, inlined, elided, tail_call, signal_trampoline); elided > 0 "
           "marks the count of C frames a deep run left out between its first and last 50 (the other fields "
           "then unused); tail_call: GDB's TAILCALL_FRAME; signal_trampoline: GDB's SIGTRAMP_FRAME where no "
           "Go runtime.sigtramp frame precedes it.")
      .def(
          "lockgraph_json",
          [](cgostack::Session& s, const std::string& output, int64_t max_waiters) {
            py::gil_scoped_release release;
            return s.LockGraphJson(output, max_waiters < 0 ? SIZE_MAX : static_cast<size_t>(max_waiters));
          },
          py::arg("output") = "", py::arg("max_waiters") = -1,
          "cgo-lockgraph as a JSON string (or written to `output`, returning \"\"); with max_waiters >= 0 "
          "at most that many waiters per lock (the text view's summary).")
      .def("run_command", &RunCommand, py::arg("command"), py::arg("arg") = "",
           py::arg("gdb_threads") = std::map<int64_t, int64_t>{}, py::arg("native_frames") = py::none(),
           "Run a cgostack GDB command (`cgo-goroutines`, ...) with its argument string: "
           "(text or JSON to print, partial); --output files are written by the backend.")
      .def("reset_threads", &cgostack::Session::ResetThreads,
           "Forget thread state and native frames (new native frames are to be handed over).")
      .def("process_ran", &cgostack::Session::ProcessRan,
           "A live process ran: its threads are read again and every thread's state is forgotten "
           "(registers are to be handed over again); what comes from the executable is kept.")
      .def(
          "goroutines_json",
          [](cgostack::Session& s, bool with_frames, int64_t max_frames, bool stack_table, bool rows,
             std::map<int64_t, int64_t> gdb_threads, const std::string& output, bool all_frames) {
            cgostack::GoroutineQuery q;
            q.with_frames = with_frames;
            q.all_frames = all_frames;
            q.max_frames = max_frames < 0 ? SIZE_MAX : static_cast<size_t>(max_frames);
            q.stack_table = stack_table;
            q.rows = rows;
            q.gdb_threads = std::move(gdb_threads);
            py::gil_scoped_release release;
            return s.GoroutinesJson(q, output);
          },
          py::arg("with_frames") = true, py::arg("max_frames") = -1, py::arg("stack_table") = false,
          py::arg("rows") = false, py::arg("gdb_threads") = std::map<int64_t, int64_t>{}, py::arg("output") = "",
          py::arg("all_frames") = false,
          "cgo-goroutines as a JSON string (or written to `output`, returning \"\").  A stack deeper than 100 "
          "Go frames keeps its first and last 50 unless `all_frames`.");

  py::class_<GdbWatch>(m, "Watch")
      .def(py::init<const std::string&>(), py::arg("arg") = "",
           "cgo-watch's argument string, parsed with its option table (raises UsageError, one line).")
      .def_property_readonly("count", [](const GdbWatch& w) { return w.watch.count; }, "--count")
      .def_property_readonly("interval_s", [](const GdbWatch& w) { return w.watch.interval_s; }, "--interval")
      .def("add", &GdbWatch::Add, py::arg("session"), py::arg("native_frames"),
           py::arg("taken_ns"), py::arg("held_ns"),
           "One look at the stopped process: `native_frames()` hands GDB's frames over first; taken at "
           "`taken_ns` (CLOCK_MONOTONIC), after the process was held `held_ns` since the first look.")
      .def("warn", [](GdbWatch& w, const std::string& text) { w.looks.Warn(text); }, py::arg("text"),
           "A warning for the report.")
      .def("looks", [](const GdbWatch& w) { return w.looks.size(); }, "Looks taken so far.")
      .def("report", &GdbWatch::Report,
           "The comparison as text or JSON to print, or \"\" once written to --output (raises Error with "
           "fewer than 2 looks).");

  m.def("frame_name", &cgostack::WithoutParameters, py::arg("print_name"),
        "A C++ symbol's print name as GDB names a frame of it (stacks/cxx_names.h): without the "
        "parameter list, except where GDB's C++ name parser keeps it (lambdas).");
  m.def(
      "help_text",
      [](const std::string& command) {
        const cgostack::views::CommandSpec* spec = cgostack::views::FindCommand(command);
        if (!spec) throw cgostack::Error("unknown command " + command);
        return cgostack::views::GdbHelp(*spec);
      },
      py::arg("command"), "The `help` text of a GDB command, from its option table.");
  m.def("commands", [] {
    std::vector<std::string> names;
    for (const auto& c : cgostack::views::Commands()) names.push_back(c.gdb_name);
    return names;
  }, "The GDB commands the views serve.");
  m.def(
      "option_names",
      [](const std::string& command) {
        std::vector<std::string> names;
        if (const auto* spec = cgostack::views::FindCommand(command))
          for (const auto& o : spec->options) names.push_back(o.name);
        std::sort(names.begin(), names.end());
        return names;
      },
      py::arg("command"), "A command's long options, sorted (for completion).");
  m.def("markdown_options", &cgostack::views::MarkdownOptions,
        "Every command's options as Markdown (the generated part of docs/commands.md).");
  // Output files for the plugin's own writers (text, filtered JSON, DOT):
  // whole or not at all, never over an input (report/output_file.h).
  m.def("write_output", [](const std::string& path, const std::string& text) {
        py::gil_scoped_release release;
        cgostack::WriteOutputFile(path, text);
      },
      py::arg("path"), py::arg("text"),
      "Writes `text` to `path` through a temporary file renamed into place; raises Error (one line naming "
      "the file) if it cannot, or if `path` is an input (executable, core, library, debug file).");
  m.def("remember_inputs", [](const std::vector<std::string>& paths) {
        for (const auto& p : paths) cgostack::RememberInputFile(p);
      },
      py::arg("paths"), "Files GDB has read (objfiles, separate debug files) that no output may overwrite.");

  m.def("use_gdb_debug_files", &cgostack::UseDebuggerDebugFiles, py::arg("debug_dirs"), py::arg("loaded"),
        "GDB's debug-file-directory (split at ':') and, per objfile path, the separate debug file GDB "
        "loaded for it: the Go module's DWARF is then read from the file GDB uses.");

  m.def("compressed_core_advice", &cgostack::CompressedCoreAdvice, py::arg("path"),
        "For a zstd/lz4/xz-compressed core (told by its magic number): one line saying GDB cannot open it "
        "and what to do; \"\" for any other file.");

  m.attr("__version__") = "0.1.0";
}

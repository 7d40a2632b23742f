// The only pybind11 code: exposes Session to gdb_plugin/cgostack.py.  Results
// cross as JSON strings (one schema, serialised once in C++); backend errors
// become _cgostack.Error carrying the one-line message.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "error.h"
#include "session.h"

namespace py = pybind11;

PYBIND11_MODULE(_cgostack, m) {
  m.doc() = "cgostack backend: Go runtime structures from cores and live processes";
  static py::exception<cgostack::Error> error(m, "Error");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const cgostack::Error& e) {
      error(e.what());
    }
  });

  py::class_<cgostack::Session>(m, "Session")
      .def_static("open_core", &cgostack::Session::OpenCore, py::arg("executable"), py::arg("core"),
                  py::call_guard<py::gil_scoped_release>(),
                  "Open a Go executable and its core file.")
      .def_static("open_live", &cgostack::Session::OpenLive, py::arg("executable"), py::arg("pid"),
                  py::call_guard<py::gil_scoped_release>(),
                  "Open a live process (GDB must already be attached).")
      .def("info_json", &cgostack::Session::InfoJson, py::call_guard<py::gil_scoped_release>(),
           "cgo-info as a JSON string.")
      .def(
          "set_thread_registers",
          [](cgostack::Session& s, int lwp, uint64_t rip, uint64_t rsp, uint64_t rbp) {
            cgostack::Registers r{};
            r.rip = rip;
            r.rsp = rsp;
            r.rbp = rbp;
            s.target().SetThreadRegisters(lwp, r);
          },
          py::arg("lwp"), py::arg("rip"), py::arg("rsp"), py::arg("rbp"),
          "Registers of a live thread as GDB sees them (cores carry their own).")
      .def("threads_json", &cgostack::Session::ThreadsJson, py::call_guard<py::gil_scoped_release>(),
           "OS threads with their M and Go signal frames, as a JSON string.")
      .def(
          "goroutines_json",
          [](cgostack::Session& s, bool with_frames, int64_t max_frames, bool stack_table, bool rows,
             std::vector<std::string> fields, std::map<int64_t, int64_t> gdb_threads, const std::string& output) {
            cgostack::GoroutineQuery q;
            q.with_frames = with_frames;
            q.max_frames = max_frames < 0 ? SIZE_MAX : static_cast<size_t>(max_frames);
            q.stack_table = stack_table;
            q.rows = rows;
            q.fields = std::move(fields);
            q.gdb_threads = std::move(gdb_threads);
            py::gil_scoped_release release;
            return s.GoroutinesJson(q, output);
          },
          py::arg("with_frames") = true, py::arg("max_frames") = -1, py::arg("stack_table") = false,
          py::arg("rows") = false, py::arg("fields") = std::vector<std::string>{}, py::arg("gdb_threads") = std::map<int64_t, int64_t>{}, py::arg("output") = "",
          "cgo-goroutines as a JSON string (or written to `output`, returning \"\").");

  m.attr("__version__") = "0.1.0";
}

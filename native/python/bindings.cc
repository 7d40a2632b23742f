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
      .def("goroutines_json", &cgostack::Session::GoroutinesJson, py::arg("with_frames") = true,
           py::arg("max_frames") = 1024, py::call_guard<py::gil_scoped_release>(),
           "cgo-goroutines as a JSON string: every live goroutine, with Go frames.");

  m.attr("__version__") = "0.1.0";
}

// Text (and filtered JSON) output of the CLI comes from the same Python
// code as the GDB commands' (gdb_plugin/cgostack_gdb/render.py over
// views.py): one formatter, no second copy in C++.  The report is fed to
// `python3 -m cgostack_gdb.render COMMAND ARGS...` on its stdin.
#pragma once

#include <string>
#include <vector>

namespace cgostack::cli {

// Runs the text step; returns its exit status (0, 1, 64), or throws Error
// if Python cannot be started.  The plugin directory is $CGOSTACK_PLUGIN_DIR
// or the source tree's gdb_plugin (configured at build time); the
// interpreter $CGOSTACK_PYTHON or the one CMake found (GDB's).
// With `captured`, the step's standard output is collected there instead
// (the CLI's --output then writes it through report/output_file.h, so a
// full disk is reported with the file's name).
int RunTextStep(const std::string& command, const std::vector<std::string>& args, const std::string& report,
                std::string* captured = nullptr);

}  // namespace cgostack::cli

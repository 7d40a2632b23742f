"""cgostack: goroutines, OS threads, stitched Go+C stacks and lock graphs for
Go programs that use cgo, in GDB.

Load it with `source /path/to/cgostack/gdb_plugin/cgostack.py` (after building
the backend with `cmake -S . -B build && cmake --build build`), then run
`help cgostack` for the command list.
"""

import os
import sys

# GDB runs a sourced file in __main__ and sets __file__ only when it is not
# set already (PyRun_SimpleFile): sourced through gdb.execute() from another
# script, __file__ names that script.  The code object's file name is always
# this file.
_here = os.path.dirname(os.path.abspath(sys._getframe(0).f_code.co_filename))
if _here not in sys.path:
    sys.path.insert(0, _here)

import cgostack_gdb.commands  # noqa: E402  (registers the commands)

cgostack_gdb.commands.register()

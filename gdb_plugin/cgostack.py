"""cgostack: goroutines, OS threads, stitched Go+C stacks and lock graphs for
Go programs that use cgo, in GDB.

Load it with `source /path/to/cgostack/gdb_plugin/cgostack.py` (after building
the backend with `cmake -S . -B build && cmake --build build`), then run
`help cgostack` for the command list.
"""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
if _here not in sys.path:
    sys.path.insert(0, _here)

import cgostack_gdb.commands  # noqa: E402  (registers the commands)

cgostack_gdb.commands.register()

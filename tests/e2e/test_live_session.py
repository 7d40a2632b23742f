"""A live process under GDB, stopped again and again: the plugin keeps its
backend session across the stops (opening one indexes the executable's
DWARF; a program stopped often, at a breakpoint under an ignore count or
by signals GDB passes, paid that at every stop and never got to the stop
asked for), and what it reports at each stop is that stop's: every thread
GDB has, the stopped thread at its breakpoint.  On Go's own cgo test
program (testprogcgo's CgoCCodeSIGPROF: callbacks from C under the CPU
profiler), the 1st and then the 41st hit of runtime.cgocallbackg1."""

import json
import os
import tempfile
import unittest

import gdbrun
import testprogcgo  # fixtures/, on the path through gdbrun

GO = gdbrun.go_version_from_argv()

_SCRIPT = r'''
import gdb, json
from cgostack_gdb import target
out = {"stops": []}
def look():
    stopped = gdb.selected_thread().ptid[1]
    threads = json.loads(gdb.execute("cgo-threads --json", to_string=True))
    out["stops"].append({
        "session": id(target.session()),
        "gdb_lwps": sorted(t.ptid[1] for t in gdb.selected_inferior().threads()),
        "lwps": sorted(t["lwp"] for t in threads["threads"]),
        "stopped": [f.get("function") for t in threads["threads"] if t["lwp"] == stopped
                    for f in (t["frames"] or []) if f.get("lang") == "go"][:1],
    })
look()
gdb.execute("ignore 1 39")
gdb.execute("continue")
look()
with open(%r, "w") as f:
    json.dump(out, f)
'''


class LiveSessionTest(unittest.TestCase):
    def test_session_kept_and_current_across_stops(self):
        binary = testprogcgo.build(GO)
        with tempfile.TemporaryDirectory() as d:
            script, result = os.path.join(d, "look.py"), os.path.join(d, "out.json")
            with open(script, "w") as f:
                f.write(_SCRIPT % result)
            rc, out, err = gdbrun.gdb(["handle all nostop noprint pass", "file " + binary,
                                       "break runtime.cgocallbackg1", "run CgoCCodeSIGPROF",
                                       "source " + script, "kill"], timeout=300)
            self.assertTrue(os.path.exists(result), "GDB did not get to both stops (rc %d):\n%s\n%s"
                            % (rc, out[-2000:], err[-2000:]))
            with open(result) as f:
                stops = json.load(f)["stops"]
        self.assertEqual(len(stops), 2)
        first, second = stops
        self.assertEqual(first["session"], second["session"], "a new backend session was opened after continue")
        for n, stop in enumerate(stops, 1):
            self.assertEqual(stop["lwps"], stop["gdb_lwps"], "stop %d: cgo-threads lists other threads than GDB" % n)
            self.assertEqual(stop["stopped"], ["runtime.cgocallbackg1"], "stop %d: the stopped thread's frames" % n)


if __name__ == "__main__":
    unittest.main()

"""A C program hosting Go, the way cgo libraries ship: a c-archive linked
into the executable, and a c-shared library whose runtime, DWARF and pc
tables live in libcembed.so at a load address only the core's NT_FILE note
(or /proc/PID/maps) gives.  In library mode the runtime does not handle
SIGQUIT, so there is no runtime traceback: the expected goroutines are the
ones fixtures/cembed/main.go describes."""

import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()
MODES = ("c-archive", "c-shared")


def by_function(goroutines, function):
    return [g for g in goroutines if function in [f.get("function") for f in g["frames"]]]


class HostedGoTest(unittest.TestCase):
    def check(self, ours, pid):
        gs = ours["goroutines"]
        waiter = by_function(gs, "main.chanWaiter")
        self.assertEqual(len(waiter), 1, gs)
        self.assertEqual(waiter[0]["wait_reason"], "chan receive")
        self.assertEqual(len(by_function(gs, "main.sleeper")), 1, gs)
        # The C main thread's call into Go: a goroutine on an extra M, locked
        # to the main thread (whose LWP is the pid) while in the callback.
        entry = by_function(gs, "main.CembedRun")
        self.assertEqual(len(entry), 1, gs)
        self.assertTrue(entry[0]["locked_to_thread"])
        self.assertEqual(entry[0]["locked_lwp"], pid)

    def test_core(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                core = harness.kernel_core("cembed", GO, flags=["-buildmode=" + mode], oracle=False)
                ours = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
                self.check(ours, core["pid"])
                info = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
                self.assertEqual(info["target"]["executable"], core["binary"])
                if mode == "c-shared":
                    self.assertTrue(info["target"]["go_library"].endswith("/libcembed.so"), info["target"])
                else:
                    self.assertNotIn("go_library", info["target"])

    def test_live_c_shared(self):
        with harness.live("cembed", GO, flags=["-buildmode=c-shared"]) as p:
            ours = gdbrun.gdb_json("cgo-goroutines", "-p", p.pid)
        self.check(ours, p.pid)


if __name__ == "__main__":
    unittest.main()

"""The GDB commands as glue over the backend's views, on a kernel core of
the deadlock fixture: errors are one `cgostack:` line, help and completion
come from the backend's option tables, --output writes the file and
prints nothing, the screen shows what the file holds, GDB's `bt` keeps
working with the unwinder registered for the Go objfile only, and no
target is one line.  (What the views show is test_golden_views.py's and
native/tests/views_test.cc's.)"""

import os
import tempfile
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()


class GdbCommandsTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        core = harness.kernel_core("deadlock", GO, trigger="SIGQUIT")
        cls.target = (os.path.abspath(core["binary"]), os.path.abspath(core["core"]))

    def gdb(self, *commands):
        rc, out, err = gdbrun.gdb(list(commands), *self.target)
        return out, err

    def test_errors_are_one_line(self):
        out, err = self.gdb("cgo-goroutine 999999", "cgo-goroutines --nope", "cgo-goroutine",
                            "cgo-goroutines --frames x", "cgo-threads 1", "cgo-goroutines 'open")
        lines = [l for l in err.splitlines() if l.startswith("cgostack:")]
        self.assertEqual(len(lines), 6, err)
        self.assertRegex(lines[0], r"^cgostack: no goroutine 999999 \(there are \d+ goroutines; see cgo-goroutines\)$")
        self.assertEqual(lines[1], "cgostack: cgo-goroutines: unrecognized option --nope (see `help cgo-goroutines`)")
        self.assertEqual(lines[2], "cgostack: cgo-goroutine: give exactly 1 GOID (see `help cgo-goroutine`)")
        self.assertEqual(lines[3], "cgostack: cgo-goroutines: argument --frames: want a count >= 0 or `all`, "
                                   "not 'x' (see `help cgo-goroutines`)")
        self.assertEqual(lines[4], "cgostack: cgo-threads: no thread with LWP 1 in this process (cgo-threads lists them)")
        self.assertEqual(lines[5], "cgostack: cgo-goroutines: No closing quotation")
        self.assertNotIn("Traceback", err + out)

    def test_help_and_completion(self):
        out, err = self.gdb("help cgo-goroutines", "complete cgo-goroutines --f",
                            "complete cgo-goroutine --j", "help cgostack", "help cgo-lockgraph")
        self.assertIn("Usage: cgo-goroutines [GOID...] [--state STATE]", out)
        self.assertIn("  --runtime-frames   show runtime.* frames in text", out)
        self.assertIn("Examples:\n  (gdb) cgo-goroutines --group", out)
        self.assertIn("cgo-goroutines --frames\ncgo-goroutines --function\n", out)
        self.assertIn("cgo-goroutine --json\n", out)
        self.assertIn("  cgo-goroutines  ", out)
        self.assertIn("Usage: cgo-lockgraph [--dot FILE] [--json] [--output FILE]", out)

    def test_output_prints_nothing_and_holds_the_screen(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "g.txt")
            out, err = self.gdb("echo ==screen==\\n", "cgo-goroutines --group",
                                "echo ==file==\\n", "cgo-goroutines --group --output " + path,
                                "echo ==end==\\n")
            screen = out.split("==screen==\n", 1)[1].split("==file==\n", 1)[0]
            between = out.split("==file==\n", 1)[1].split("==end==\n", 1)[0]
            self.assertEqual(between, "")
            with open(path) as f:
                self.assertEqual(f.read(), screen)
            self.assertRegex(screen, r"goroutines shown in \d+ groups")
            # No temporary file is left behind.
            self.assertEqual(os.listdir(d), ["g.txt"])

    def test_output_never_over_an_input(self):
        size = os.path.getsize(self.target[1])
        out, err = self.gdb("cgo-goroutines --json --output " + self.target[1])
        self.assertIn("cgostack: will not write %s: it is an input, which writing would destroy"
                      % self.target[1], err)
        self.assertEqual(os.path.getsize(self.target[1]), size)

    def test_bt_crosses_into_go_with_the_objfile_unwinder(self):
        out, err = self.gdb("info unwinder", "thread apply all bt")
        self.assertRegex(out, r"Objfile .*deadlock:\n\s+cgostack-go\b")
        self.assertNotRegex(out, r"Global:\n\s+cgostack-go\b")
        self.assertIn("main.cycleG1", out)


class NoTargetTest(unittest.TestCase):
    def test_no_target_is_one_line(self):
        rc, out, err = gdbrun.gdb(["cgo-goroutines"])
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("cgostack: "), err)


if __name__ == "__main__":
    unittest.main()

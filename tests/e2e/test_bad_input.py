"""Bad input gets one clear `cgostack:` line from every command: no Python
traceback, no GDB crash.  Covers a non-Go program, a Go program without DWARF
or symbols (-s -w), a core of another executable, a truncated core, a file
that is not a core, and no target at all."""

import os
import shutil
import subprocess
import tempfile
import unittest

import gdbrun
from gdbrun import harness

GO = os.environ.get("CGOSTACK_TEST_GO", "1.27")
COMMANDS = ("cgo-info", "cgo-goroutines")


def cgostack_lines(text):
    return [l for l in text.splitlines() if l.startswith("cgostack:")]


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cgostack-bad-")
        cls.core = harness.kernel_core("deadlock", GO)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def expect_one_line(self, needle, *target):
        for command in COMMANDS:
            rc, out, err = gdbrun.gdb([command], *target)
            lines = cgostack_lines(err)
            self.assertEqual(len(lines), 1, "%s: %r" % (command, err))
            self.assertIn(needle, lines[0])
            self.assertNotIn("Traceback", out + err)
            self.assertNotIn("internal error", lines[0])
        return lines[0]

    def test_not_a_go_program(self):
        p = subprocess.Popen(["sleep", "300"])
        try:
            self.expect_one_line("is not a Go program", "-p", p.pid)
        finally:
            p.kill()
            p.wait()

    def test_go_program_without_dwarf_or_symbols(self):
        # Neither DWARF nor a symbol table (-s -w): the runtime's globals
        # are found through .gopclntab and the code that uses them
        # (goruntime/global_finder.h); the commands work and cgo-info says
        # how the binary was stripped and what was done instead.
        with harness.live("deadlock", GO, flags=["-ldflags=-s -w"]) as p:
            rc, out, err = gdbrun.gdb(["cgo-goroutines"], "-p", p.pid)
            rc2, out2, err2 = gdbrun.gdb(["cgo-info"], "-p", p.pid)
        self.assertEqual(cgostack_lines(err), [], err)
        self.assertRegex(out, r"goroutines? shown")
        self.assertIn("main.cycleG1", out)
        self.assertNotIn("Traceback", out + err + out2 + err2)
        self.assertEqual(cgostack_lines(err2), [])
        self.assertIn("Go version", out2)
        self.assertIn("stripped: no symbol table, no DWARF", out2)
        self.assertIn("-s -w", out2)

    def test_core_of_another_executable(self):
        other = harness.build("condwait", GO)
        line = self.expect_one_line("was not produced by", other, self.core["core"])
        self.assertIn("build-id", line)

    def test_truncated_core(self):
        cut = os.path.join(self.tmp, "truncated.core")
        with open(self.core["core"], "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(os.path.getsize(self.core["core"]) // 3))
        # What can be read is shown, with a warning naming the truncation;
        # what cannot is one error line.  Either way, never a traceback.
        for command in COMMANDS:
            rc, out, err = gdbrun.gdb([command], self.core["binary"], cut)
            self.assertNotIn("Traceback", out + err)
            said = cgostack_lines(err) + [l for l in out.splitlines() if "truncated" in l]
            self.assertTrue(said, "%s said nothing about the truncated core: %r %r" % (command, out, err))
            self.assertTrue(any("truncated" in l for l in said), said)

    def test_file_that_is_not_a_core(self):
        junk = os.path.join(self.tmp, "junk.core")
        with open(junk, "wb") as f:
            f.write(os.urandom(1 << 16))
        self.expect_one_line("cgostack: ", self.core["binary"], junk)

    def test_no_target(self):
        self.expect_one_line("no process or core", self.core["binary"])


if __name__ == "__main__":
    unittest.main()

"""A Go program as Debian ships it, not a fixture: /usr/bin/webhook from
Debian's webhook package (scripts/setup.sh installs it).  Built by Debian's
Go 1.19 with cgo, stripped by the package build (no .symtab, no DWARF; a
.gnu_debuglink to a -dbgsym file that is not installed).  Run with
GOTRACEBACK=crash and stopped by SIGQUIT, its kernel core must give the
goroutines, states and Go frames of its own traceback, with the CLI and in
GDB; and `--pid` on the running program must leave it running."""

import json
import os
import subprocess
import time
import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare

BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")
PROGRAM = "webhook"


def cli(*args):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


class DebianProgramTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.core = harness.packaged_core(PROGRAM)
        cls.oracle = harness.load_oracle(cls.core)

    def test_it_is_a_stripped_cgo_program(self):
        # What makes it worth testing: if the package changes, say so.
        rc, out, err = cli("info", "--json", self.core["binary"], self.core["core"])
        self.assertIn(rc, (0, 2), err)
        info = json.loads(out)
        self.assertTrue(any("stripped after the build" in w for w in info["warnings"]), info["warnings"])
        self.assertIs(info["cgo"], True)
        self.assertEqual(info["go_version"], self.oracle["go_version"] if "go_version" in self.oracle
                         else self.core["go_version"])
        self.assertEqual(info["goroutines"], self.oracle["goroutine_count"])
        p = subprocess.run(["readelf", "-S", "-W", self.core["binary"]], stdout=subprocess.PIPE, text=True)
        self.assertNotIn(".symtab", p.stdout)
        self.assertNotIn(".debug_info", p.stdout)

    def test_core_matches_its_traceback_cli(self):
        rc, out, err = cli("goroutines", "--json", self.core["binary"], self.core["core"])
        self.assertIn(rc, (0, 2), err)
        ours = json.loads(out)
        self.assertTrue(ours["goroutines"])
        self.assertEqual(compare(ours, self.oracle), [])

    def test_core_matches_its_traceback_gdb(self):
        ours = gdbrun.gdb_json("cgo-goroutines", self.core["binary"], self.core["core"])
        self.assertEqual(compare(ours, self.oracle), [])

    def test_threads_are_its_ms(self):
        rc, out, err = cli("threads", "--json", self.core["binary"], self.core["core"])
        self.assertIn(rc, (0, 2), err)
        threads = json.loads(out)["threads"]
        # The runtime printed one traceback per M (GOTRACEBACK=crash); each
        # is one OS thread of the core, with its M number and its frames.
        self.assertEqual(sorted(t["m"] for t in threads), sorted(t["m"] for t in self.oracle["threads"]))
        for t in threads:
            self.assertTrue(t["frames"], t)

    def test_pid_leaves_it_running(self):
        with harness.packaged_live(PROGRAM) as live:
            rc, out, err = cli("goroutines", "--json", "--pid", live.pid)
            # 2: the warning that says how the stripped binary was read.
            self.assertIn(rc, (0, 2), err)
            goroutines = json.loads(out)["goroutines"]
            self.assertFalse([g for g in goroutines if g.get("error") or g.get("frames_error")])
            functions = {f["function"] for g in goroutines for f in g["frames"]}
            self.assertIn("main.main", functions)
            time.sleep(0.2)
            self.assertIsNone(live.proc.poll(), "webhook died after cgostack --pid")
            with open("/proc/%d/status" % live.pid) as f:
                status = f.read()
            self.assertRegex(status, r"TracerPid:\s+0\n")
            self.assertNotRegex(status, r"State:\s+t")


if __name__ == "__main__":
    unittest.main()

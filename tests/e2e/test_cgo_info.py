"""cgo-info on kernel cores, gcore cores and live processes of the deadlock
fixture, for one Go release (--go), checked against the Go runtime's own
traceback of the same process."""

import collections
import os
import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import oracle_goroutines

GO = gdbrun.go_version_from_argv()


class KernelCoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.core = harness.kernel_core("deadlock", GO)
        cls.oracle = harness.load_oracle(cls.core)
        cls.info = gdbrun.gdb_json("cgo-info", cls.core["binary"], cls.core["core"])

    def test_go_version_is_the_binarys(self):
        self.assertEqual(self.info["go_version"], self.core["go_version"])
        self.assertTrue(self.info["go_version"].startswith("go" + GO), self.info["go_version"])

    def test_goroutine_count_matches_the_runtime_traceback(self):
        self.assertEqual(self.info["goroutines"], len(oracle_goroutines(self.oracle)))

    def test_status_breakdown_matches_the_runtime_traceback(self):
        # The runtime prints the status for non-waiting goroutines and the
        # wait reason for waiting ones; syscall/runnable counts must agree.
        states = collections.Counter(g["state"] for g in oracle_goroutines(self.oracle).values())
        by_status = self.info["goroutines_by_status"]
        self.assertEqual(sum(by_status.values()), self.info["goroutines"])
        for status in ("syscall", "runnable"):
            self.assertEqual(by_status.get(status, 0), states.get(status, 0), status)

    def test_threads_are_the_cores_threads(self):
        rc, out, err = gdbrun.gdb(["python print('NTHREADS', len(gdb.selected_inferior().threads()))"],
                                  self.core["binary"], self.core["core"])
        n = int(out.split("NTHREADS")[1].split()[0])
        self.assertEqual(self.info["threads"], n)
        self.assertGreaterEqual(self.info["ms"], 1)

    def test_cgo_and_gomaxprocs(self):
        self.assertTrue(self.info["cgo"])
        self.assertEqual(self.info["gomaxprocs"], os.cpu_count())
        self.assertEqual(self.info["ncpu"], os.cpu_count())
        self.assertEqual(len(self.info["ps"]), self.info["gomaxprocs"])
        self.assertEqual(self.info["target"]["kind"], "core")
        self.assertEqual(self.info["gotraceback"], "crash")
        self.assertEqual(self.info["build_info"]["settings"].get("CGO_ENABLED"), "1")

    def test_text_output_has_the_summary(self):
        rc, out, err = gdbrun.gdb(["cgo-info"], self.core["binary"], self.core["core"])
        self.assertIn("Goroutines", out)
        self.assertIn(self.info["go_version"], out)
        self.assertNotIn("Traceback", out + err)


class GcoreTest(unittest.TestCase):
    def test_gcore_of_a_live_process(self):
        c = harness.gcore("deadlock", GO)
        info = gdbrun.gdb_json("cgo-info", c["binary"], c["core"])
        self.assertTrue(info["go_version"].startswith("go" + GO))
        self.assertEqual(info["target"]["kind"], "core")
        # The fixture's own goroutines are all there (plus runtime ones).
        self.assertGreaterEqual(info["goroutines"], 8)
        self.assertEqual(info["warnings"], [])


class LiveTest(unittest.TestCase):
    def test_attach_then_compare_with_the_same_process_traceback(self):
        with harness.live("deadlock", GO, env={"GOTRACEBACK": "crash"}) as p:
            info = gdbrun.gdb_json("cgo-info", "-p", p.pid)
            self.assertEqual(info["target"]["kind"], "live")
            self.assertEqual(info["target"]["pid"], p.pid)
            tasks = len(os.listdir("/proc/%d/task" % p.pid))
            # GDB has detached; the process is still hung.  Ask the runtime.
            oracle = gdbrun.runtime_traceback(p)
        self.assertEqual(info["goroutines"], len(oracle_goroutines(oracle)))
        self.assertEqual(info["threads"], tasks)


if __name__ == "__main__":
    unittest.main()

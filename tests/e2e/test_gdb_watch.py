"""cgo-watch in GDB (issue 20.2) on live fixtures GDB is attached to: the
looks are GDB's own stops, the process run and interrupted through GDB
between them, and the comparison is the CLI's (`cgostack watch`,
test_snapshot.py):
 - the deadlock fixture: its cycle and waiters are stuck, in every look
   (checked against the runtime's own traceback of the same process);
 - the busylock fixture: threads whose pthread mutexes change hands
   are progressing, nothing in C is stuck;
 - the progress fixture computing in C: that cgo call is progressing (a
   thread stopped outside any system call), its waiter stuck;
 - GDB's state after: the user's thread and frame selected again, no stop
   announced, the process still GDB's and running on `continue`;
 - on a core, a usage error, a bad --interval: one `cgostack:` line each."""

import json
import os
import re
import tempfile
import unittest

import gdbrun
import test_snapshot  # the module only: its tests are not run here
from gdbrun import harness

GO = gdbrun.go_version_from_argv()


def watch(pid, options, before=(), after=()):
    """cgo-watch's JSON from a GDB attached to `pid`, and GDB's output."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "watch.json")
        rc, stdout, stderr = gdbrun.gdb(list(before) + ["cgo-watch %s --json --output %s" % (options, out)]
                                        + list(after), "-p", pid)
        if not os.path.exists(out):
            raise AssertionError("cgo-watch wrote nothing (rc=%d)\nstdout:\n%s\nstderr:\n%s" % (rc, stdout, stderr))
        with open(out) as f:
            return json.load(f), stdout, stderr


class GdbWatchTest(unittest.TestCase):
    maxDiff = None

    def test_deadlock_is_stuck(self):
        with harness.live("deadlock", GO) as live:
            r, out, err = watch(live.pid, "--interval 300ms --count 3",
                                before=["thread 2", "frame 1"],
                                after=["python print('selected', gdb.selected_thread().num, "
                                       "gdb.selected_frame().level())", "cgo-watch --count 1"])
            oracle = gdbrun.runtime_traceback(live)
        self.assertEqual((r["snapshots"], r["interval_s"], r["pause_ms_max"]), (3, 0.3, None))
        # The time the process ran, not the time GDB held it for the looks.
        self.assertGreaterEqual(r["watched_s"], 0.55)
        self.assertLess(r["watched_s"], 3)
        test_snapshot.check_deadlock_stuck(self, r, oracle, 0.55)
        # GDB's state: the user's selection back, no stop announced, errors one line.
        self.assertIn("selected 2 1\n", out)
        self.assertNotIn("SIGINT", out + err)
        self.assertIn("cgostack: cgo-watch: --count wants 2 to 1000, not '1' (see `help cgo-watch`)", err)
        self.assertNotIn("Traceback", out + err)

    def test_busy_lock_progresses(self):
        with harness.live("busylock", GO, args=("-n", "8")) as live:
            r, out, err = watch(live.pid, "--interval 200ms --count 4", after=["info threads"])
            # GDB detached at its end: the process runs on, no thread left stopped.
            self.assertIsNone(live.proc.poll())
            with open("/proc/%d/status" % live.pid) as f:
                self.assertRegex(f.read(), r"TracerPid:\s+0\n")
            for tid in os.listdir("/proc/%d/task" % live.pid):
                with open("/proc/%d/task/%s/stat" % (live.pid, tid)) as f:
                    self.assertNotIn(f.read().rsplit(")", 1)[1].split()[0], ("t", "T"), "thread %s" % tid)
        in_c = [e for e in r["progressing"] if e["state"] == "syscall"]
        self.assertEqual(len(in_c), 8, r)
        self.assertEqual([e for e in r["stuck"] if e.get("state") == "syscall" or "cycle" in e], [], r["stuck"])
        self.assertRegex(out, r"\* \d+ +Thread ")
        self.assertNotIn("SIGINT", out + err)
        self.assertNotIn("Traceback", out + err)

    def test_computing_in_c_progresses(self):
        with harness.live("progress", GO, args=("-mode", "compute")) as live:
            r, out, err = watch(live.pid, "--interval 200ms --count 3")
        # main.computer's cgo call runs C code, caught outside any system
        # call (the kernel's /proc/PID/task/TID/syscall): progressing,
        # whatever its pc; main.resultWaiter waits for it on a channel: stuck.
        computing = [e for e in r["progressing"] if e["state"] == "syscall" and e["top"] == "compute_forever"]
        self.assertEqual(len(computing), 1, r)
        self.assertEqual([e for e in r["stuck"] if e.get("state") == "syscall"], [], r)
        self.assertIn("chan receive", [e.get("waits_on") for e in r["stuck"]], r)

    def test_core_and_usage(self):
        core = harness.kernel_core("deadlock", GO, trigger="SIGQUIT")
        rc, out, err = gdbrun.gdb(["cgo-watch", "cgo-watch --interval fast", "help cgo-watch"],
                                  core["binary"], core["core"])
        lines = [l for l in err.splitlines() if l.startswith("cgostack:")]
        self.assertEqual(lines, ["cgostack: cgo-watch needs a live process (`gdb -p PID`, or `run`): a core is "
                                 "one instant, with nothing to compare",
                                 "cgostack: cgo-watch: --interval wants a time such as 1s or 500ms, not 'fast' "
                                 "(see `help cgo-watch`)"])
        self.assertIn("Usage: cgo-watch [--interval T] [--count N] [--json] [--output FILE]", out)
        self.assertTrue(re.search(r"\(gdb\) cgo-watch --interval 200ms --count 5", out), out)
        self.assertNotIn("Traceback", out + err)


if __name__ == "__main__":
    unittest.main()

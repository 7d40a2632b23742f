"""`cgostack snapshot --pid PID -o FILE` (issue 20) on a live fixture:
 - the snapshot's reports (goroutines, threads, lock graph, info) equal
   those of a gcore GDB takes of the same process right after (the
   deadlock fixture's state does not move);
 - GDB opens the snapshot and its `bt` of the threads in C equals its `bt`
   on the gcore;
 - the process runs on normally afterwards: traced by nobody, no thread
   left stopped, the preloaded heartbeat thread (bench/heartbeat.c) beats
   again, and SIGQUIT still gives the runtime's own traceback, whose
   goroutines (ids, states) are the snapshot's;
 - errors: no such process, an output over an input, usage."""

import json
import os
import re
import signal
import struct
import subprocess
import tempfile
import time
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")
HEARTBEAT_SRC = os.path.join(gdbrun.SOURCE_DIR, "bench", "heartbeat.c")


def cli(*args, timeout=300):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def heartbeat_library(directory):
    out = os.path.join(directory, "heartbeat.so")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", out, HEARTBEAT_SRC, "-lpthread"], check=True)
    return out


def signal_number(name):
    m = re.fullmatch(r"SIG(\d+)", name)
    return int(m.group(1)) if m else int(getattr(signal, name))


def live_masks(pid):
    """{lwp: {blocked signal numbers}} from /proc/PID/task/*/status."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            blk = int(re.search(r"^SigBlk:\s*([0-9a-f]+)", f.read(), re.M).group(1), 16)
        out[int(tid)] = {n + 1 for n in range(64) if blk >> n & 1}
    return out


def reports(exe, core):
    out = {}
    for name in ("goroutines", "threads", "lockgraph", "info"):
        rc, text, err = cli(name, "--json", exe, core)
        if rc not in (0, 2):
            raise AssertionError("%s on %s: rc=%d %s" % (name, core, rc, err))
        out[name] = json.loads(text)
    out["info"]["target"].pop("core", None)
    # Threads come in the core's note order: the snapshot's by LWP, a
    # gcore's as that GDB lists them (GDB 16 newest first).  Compared by LWP.
    out["threads"]["threads"].sort(key=lambda t: t["lwp"])
    # The lock graph lists nodes, edges and diagnoses in thread order too.
    for key, value in out["lockgraph"].items():
        if isinstance(value, list):
            value.sort(key=lambda v: json.dumps(v, sort_keys=True))
    return out


def gdb_bt(exe, core):
    """GDB's own `thread apply all bt` (no plugin): {lwp: [function, ...]}."""
    p = subprocess.run(["gdb", "-nx", "-batch", "-iex", "set auto-load no", "-ex", "thread apply all bt",
                        exe, core], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    threads, lwp = {}, None
    for line in p.stdout.splitlines():
        m = re.match(r"Thread \d+ \(.*LWP (\d+)\)", line)
        if m:
            lwp = int(m.group(1))
            threads[lwp] = []
            continue
        m = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+)", line)
        if m and lwp is not None:
            threads[lwp].append(m.group(1))
    return threads, p.stdout


class SnapshotTest(unittest.TestCase):
    maxDiff = None

    def test_deadlock_same_as_gcore(self):
        with tempfile.TemporaryDirectory() as d:
            beat_file = os.path.join(d, "beat")
            with open(beat_file, "wb") as f:
                f.write(bytes(32))
            env = {"LD_PRELOAD": heartbeat_library(d), "CGOSTACK_HEARTBEAT": beat_file}
            with harness.live("deadlock", GO, env=env) as live:
                snap, gcore = os.path.join(d, "snap.core"), os.path.join(d, "gcore.core")
                rc, out, err = cli("snapshot", "--pid", live.pid, "-o", snap, "--json")
                self.assertEqual(rc, 0, err)
                stats = json.loads(out)
                masks = live_masks(live.pid)  # static in this hung process
                self.assertGreater(stats["threads"], 3)
                self.assertGreater(stats["goroutines"], 8)
                # The held copy part by part adds up to the whole of it.
                steps = stats["copy_steps"]
                self.assertEqual([s["name"] for s in steps],
                                 ["objects", "heap spans", "goroutine walk", "stacks", "link map"])
                self.assertEqual(sum(s["bytes"] for s in steps), stats["bytes_copied"])
                self.assertEqual(sum(s["calls"] for s in steps), stats["copy_calls"])
                self.assertGreater(next(s for s in steps if s["name"] == "stacks")["pieces"], 8)
                self.assert_running(live.pid, beat_file)
                p = subprocess.run(["gdb", "-nx", "-batch", "-p", str(live.pid), "-ex", "gcore " + gcore],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
                self.assertTrue(os.path.exists(gcore), p.stdout)
                self.assert_running(live.pid, beat_file)
                # The snapshot holds a small part of what gcore wrote.
                self.assertLess(os.path.getsize(snap), os.path.getsize(gcore) / 4,
                                (os.path.getsize(snap), os.path.getsize(gcore)))
                exe = live.binary
                want, got = reports(exe, gcore), reports(exe, snap)
                # A gcore records no blocked-signal masks; the snapshot has
                # each thread's (PTRACE_GETSIGMASK), as /proc shows them.
                for t in got["threads"]["threads"]:
                    self.assertEqual({signal_number(n) for n in t.pop("signals_blocked")}, masks[t["lwp"]],
                                     "LWP %d" % t["lwp"])
                    t.pop("runtime_signals_blocked")
                for t in want["threads"]["threads"]:
                    self.assertIsNone(t.pop("signals_blocked"))
                    t.pop("runtime_signals_blocked")
                self.assertIn("SIGQUIT", [n for lwp, m in masks.items() for n in [signal.Signals(x).name for x in m
                                                                                      if x < 32]])
                # With the masks comes the diagnosis that the heartbeat
                # thread blocks the signals Go needs (none in a gcore).
                codes = [d["code"] for d in got["lockgraph"]["diagnoses"]]
                self.assertIn("signals_blocked", codes)
                got["lockgraph"]["diagnoses"] = [d for d in got["lockgraph"]["diagnoses"]
                                                 if d["code"] != "signals_blocked"]
                for name in ("goroutines", "threads", "lockgraph", "info"):
                    self.assertEqual(got[name], want[name], "%s of the snapshot differs from the gcore's" % name)
                self.assertIn("deadlock_cycle", [d["code"] for d in got["lockgraph"]["diagnoses"]])
                # GDB itself on the snapshot: the same C stacks as on the gcore.
                bt_snap, text_snap = gdb_bt(exe, snap)
                bt_gcore, _ = gdb_bt(exe, gcore)
                self.assertEqual(set(bt_snap), set(bt_gcore))
                locked = [lwp for lwp, fns in bt_gcore.items() if "___pthread_mutex_lock" in fns]
                self.assertTrue(locked)
                for lwp in locked:
                    self.assertEqual(bt_snap[lwp], bt_gcore[lwp], "bt of LWP %d" % lwp)
                self.assertNotIn("Cannot access memory", text_snap)
                # The runtime's own view, after: the process still answers
                # SIGQUIT, with the goroutines the snapshot saw.
                oracle = gdbrun.runtime_traceback(live)
                truth = {g["goid"]: g["state"] for g in oracle["goroutines"]}
                seen = {g["goid"]: g for g in got["goroutines"]["goroutines"]}
                self.assertEqual(set(seen), set(truth))
                for goid, state in truth.items():
                    self.assertTrue(state.startswith(seen[goid]["wait_reason"] or seen[goid]["status"]),
                                    (goid, state, seen[goid]["status"], seen[goid]["wait_reason"]))

    def assert_running(self, pid, beat_file):
        with open("/proc/%d/status" % pid) as f:
            self.assertRegex(f.read(), r"TracerPid:\s+0\n")
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            self.assertNotIn(state, ("t", "T"), "thread %s left stopped" % tid)
        with open(beat_file, "rb") as f:
            before = struct.unpack("<4Q", f.read(32))[2]
        time.sleep(0.2)
        with open(beat_file, "rb") as f:
            self.assertGreater(struct.unpack("<4Q", f.read(32))[2], before, "the heartbeat thread stopped")

    def test_errors(self):
        rc, out, err = cli("snapshot", "--pid", 0x3ffffff0, "-o", "/tmp/x")
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"^cgostack: no process with pid \d+\n$")
        rc, out, err = cli("snapshot", "-o", "/tmp/x")
        self.assertEqual(rc, 64)
        self.assertRegex(err, r"^cgostack: [^\n]+\n$")
        with harness.live("deadlock", GO) as live:
            rc, out, err = cli("snapshot", "--pid", live.pid, "-o", live.binary)
            self.assertEqual(rc, 1, err)
            self.assertRegex(err, r"^cgostack: will not write [^\n]+\n$")
            self.assertTrue(os.path.getsize(live.binary) > 0)


def watch(pid, *args):
    rc, out, err = cli("watch", "--pid", pid, "--json", *args)
    if rc not in (0, 2):
        raise AssertionError("watch: rc=%d %s" % (rc, err))
    return json.loads(out)


def check_deadlock_stuck(test, r, oracle, at_least_s):
    """A watch report of the deadlock fixture (CLI or GDB): the goroutines
    of its cycle and main.waiterA (found by start function in the
    runtime's traceback `oracle`) stuck for at least `at_least_s`, on
    mtxA for the waiter; the one Go/C cycle seen every time; nothing
    progressing."""
    start = {g["goid"]: g["start_function"] for g in oracle["goroutines"]}
    stuck = {e["goroutine"]: e for e in r["stuck"] if e.get("goroutine")}
    for fn in ("main.cycleG1", "main.cycleG2", "main.waiterA"):
        goid = [g for g, f in start.items() if f == fn]
        test.assertEqual(len(goid), 1, fn)
        test.assertIn(goid[0], stuck, fn)
        test.assertGreaterEqual(stuck[goid[0]]["since_s"], at_least_s)
    waiter = stuck[[g for g, f in start.items() if f == "main.waiterA"][0]]
    test.assertIn("mtxA", waiter["lock"])
    test.assertEqual(waiter["state"], "syscall")
    cycles = [e["cycle"] for e in r["stuck"] if "cycle" in e]
    test.assertEqual(len(cycles), 1, r["stuck"])
    test.assertEqual(r["progressing"], [])


class WatchTest(unittest.TestCase):
    """`cgostack watch` tells stuck from progressing."""

    def test_deadlock_is_stuck(self):
        with harness.live("deadlock", GO) as live:
            r = watch(live.pid, "--interval", "300ms", "--count", "3")
            oracle = gdbrun.runtime_traceback(live)
        self.assertEqual((r["snapshots"], r["interval_s"]), (3, 0.3))
        check_deadlock_stuck(self, r, oracle, 0.5)

    def test_busy_lock_progresses(self):
        with harness.live("busylock", GO, args=("-n", "8")) as live:
            r = watch(live.pid, "--interval", "200ms", "--count", "5")
        in_c = [e for e in r["progressing"] if e["state"] == "syscall"]
        self.assertEqual(len(in_c), 8, r)
        self.assertEqual([e for e in r["stuck"] if e.get("state") == "syscall" or "cycle" in e], [], r["stuck"])

    def test_computing_in_c_progresses(self):
        with harness.live("progress", GO, args=("-mode", "compute")) as live:
            r = watch(live.pid, "--interval", "200ms", "--count", "3")
        # main.computer's cgo call runs C code (no system call): progressing,
        # whatever its pc; main.resultWaiter waits for it on a channel: stuck.
        computing = [e for e in r["progressing"] if e["state"] == "syscall" and e["top"] == "compute_forever"]
        self.assertEqual(len(computing), 1, r)
        self.assertEqual([e for e in r["stuck"] if e.get("state") == "syscall"], [], r)
        self.assertIn("chan receive", [e.get("waits_on") for e in r["stuck"]], r)

    def test_usage(self):
        for args in (("--count", "1"), ("--interval", "fast"), ("--interval", "-1s")):
            rc, out, err = cli("watch", "--pid", os.getpid(), *args)
            self.assertEqual(rc, 64, err)
            self.assertRegex(err, r"^cgostack: [^\n]+\n$")


if __name__ == "__main__":
    unittest.main()

"""A goroutine stopped inside the vDSO (fixture stops, scenario vdso): main
calls time.Now, whose assembly (time.now on amd64, runtime.nanotime1 and
walltime elsewhere) switches to g0's stack and calls the vDSO's
clock_gettime, recording its caller in m.vdsoPC/vdsoSP.  GDB stops there
(a breakpoint on clock_gettime in that thread only: sysmon reads the clock
too).  Then, as in test_live_stops:

  cgo-goroutine N, cgo-threads, bt   the same frames: the vDSO's, the
                                     function that called it, time.Now,
                                     then what runtime.Callers said (TRUTH)
  the vDSO's frames                  named as GDB's own unwinder names them,
                                     in the object named after the vDSO
                                     (the dynamic linker's name for it,
                                     linux-vdso.so.1: ldd's), never the
                                     executable

and on a gcore GDB writes at that stop, the CLI (libdwfl) gives the same
threads and goroutine as the GDB commands, C frames field by field."""

import json
import os
import re
import subprocess
import tempfile
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()

from test_cli import C_FRAME_FIELDS, c_frame_rows, cli, without_gdb_threads  # noqa: E402
from test_live_stops import DRIVER, PLUMBING, frame_key  # noqa: E402

# What the views show above the frames runtime.Callers gives from
# main.vdsoNow down (TRUTH): the function that called the vDSO (time.now is
# assembly on linux/amd64, runtime/time_linux_amd64.s, Go 1.17+), the time
# package's frames down to time.Now (time.runtimeNow between them from Go
# 1.23 on), then main.vdsoClock.
VDSO_CALLER, GO_CALLER = "time.now", "main.vdsoClock"
REPEAT = int(os.environ.get("CGOSTACK_STOP_REPEAT", "2"))


def vdso_name_by_ldd():
    """The dynamic linker's name for the vDSO on this machine (ldd lists it
    first: "linux-vdso.so.1 (0x...)")."""
    out = subprocess.run(["ldd", "/bin/true"], stdout=subprocess.PIPE, text=True, check=True).stdout
    names = [line.split()[0] for line in out.splitlines() if "vdso" in line]
    return names[0] if names else None


def stop_in_vdso(gcore=None):
    """One GDB run of `stops vdso` stopped in clock_gettime: the views
    (stop_views.py), and a gcore of that instant when `gcore` is a path."""
    binary = harness.build("stops", GO)
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, STOPS_TRUTH=os.path.join(d, "truth"), STOP_VIEWS_OUT=os.path.join(d, "views.json"))
        argv = ["gdb", "-nx", "-batch", "-iex", "set auto-load no", "-iex", "set pagination off",
                "-ex", "source " + gdbrun.PLUGIN, "-ex", "set startup-with-shell off",
                "-ex", "handle SIGURG SIGPIPE SIGPROF nostop noprint pass",
                "-ex", "set backtrace past-main on",
                "-ex", "break main.vdsoClock", "-ex", "run",
                # In this thread only, only now, and only called by time.now:
                # the runtime (sysmon, the scheduler after a preemption)
                # reads the clock all the time.
                "-ex", "python b = gdb.Breakpoint('clock_gettime'); b.thread = gdb.selected_thread().num; "
                       "b.condition = '$_caller_is(\"time.now\")'",
                "-ex", "continue", "-ex", "source " + DRIVER]
        if gcore:
            argv += ["-ex", "gcore " + gcore]
        argv += ["-ex", "kill", "--args", binary, "vdso"]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                           stdin=subprocess.DEVNULL, env=env)
        out = env["STOP_VIEWS_OUT"]
        if not os.path.exists(out):
            raise AssertionError("no views (rc=%d)\nstdout:\n%s\nstderr:\n%s"
                                 % (p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
        with open(out) as f:
            return binary, json.load(f)


class VdsoStopTest(unittest.TestCase):
    maxDiff = None

    def check_views(self, v, where):
        """The three views of the goroutine stopped in the vDSO: the same
        frames, true to runtime.Callers and to GDB's own unwinder."""
        self.assertTrue(v["truth"], where + ": the fixture wrote no TRUTH line")
        truth = v["truth"].split()[3:]
        g = v["goroutine"]["goroutines"][0]
        gframes = g["frames"]
        self.assertFalse(g.get("frames_error"), where)
        gos = [f["function"] for f in gframes if f.get("lang", "go") == "go" and not f.get("inlined")]
        k = gos.index(GO_CALLER) if GO_CALLER in gos else len(gos)
        self.assertEqual(gos[k:], [GO_CALLER] + truth, "%s: goroutine %s Go frames" % (where, v["goid"]))
        self.assertEqual(gos[0], VDSO_CALLER, where)
        self.assertTrue(k >= 2 and all(n.startswith("time.") for n in gos[1:k]) and "time.Now" in gos[1:k],
                        "%s: %s" % (where, gos))
        # On top: the vDSO's frames, as GDB's own unwinder has them, in the
        # vDSO (not the executable), then the Go function that called it.
        top_c = []
        for f in gframes:
            if f.get("lang") != "c":
                break
            top_c.append(f)
        self.assertTrue(top_c, "%s: no C frames above the goroutine: %s" % (where, gframes[:3]))
        self.assertEqual([f["function"] for f in top_c], [f["function"] for f in v["bt_native"][:len(top_c)]], where)
        self.assertEqual(top_c[0]["function"], "clock_gettime", where)
        self.assertEqual({f["object"] for f in top_c}, {vdso_name_by_ldd()}, where)
        self.assertEqual(gframes[len(top_c)]["function"], VDSO_CALLER, where)
        # The thread view of that thread is the same stack.
        thread = [t for t in v["threads"]["threads"] if t["lwp"] == v["lwp"]][0]
        self.assertEqual([frame_key(f) for f in thread["frames"]], [frame_key(f) for f in gframes],
                         "%s: thread view vs goroutine view" % where)
        self.assertEqual([f.get("object") for f in thread["frames"]], [f.get("object") for f in gframes], where)
        # GDB's backtrace (plugin on) shows the same physical frames.
        ours = [(f["function"], f["pc"]) for f in thread["frames"]
                if f.get("lang") != "boundary" and not f.get("inlined")]
        bt = [(f["function"], f["pc"]) for f in v["bt"] if not f["inlined"] and f["function"] not in PLUMBING]
        self.assertEqual(bt, ours, "%s: bt vs thread view (bt error %r)" % (where, v["bt_error"]))
        self.assertFalse(v["bt_error"], where)
        return json.dumps([frame_key(f) for f in gframes])

    def test_views_agree_in_vdso(self):
        runs = [self.check_views(stop_in_vdso()[1], "run %d" % (i + 1)) for i in range(REPEAT)]
        self.assertEqual(len(set(runs)), 1, "%d runs gave %d different answers" % (REPEAT, len(set(runs))))

    def test_cli_matches_gdb_on_gcore_in_vdso(self):
        """The gcore GDB wrote at the stop: the CLI's threads and goroutine
        equal the GDB commands' on it (C frames field by field: function,
        file, line, object, pc, inlined, tail call), the vDSO's frames
        included."""
        with tempfile.TemporaryDirectory() as d:
            core = os.path.join(d, "core")
            exe, v = stop_in_vdso(gcore=core)
            self.assertTrue(os.path.exists(core), "GDB wrote no gcore")
            self.check_views(v, "gcore run")
            goid = v["goid"]
            files = {name: os.path.join(d, name + ".json") for name in ("threads", "goroutine")}
            rc, out, err = gdbrun.gdb(["cgo-threads --json --output " + files["threads"],
                                       "cgo-goroutine %d --json --output %s" % (goid, files["goroutine"])], exe, core)
            for name, words in (("threads", ["threads"]), ("goroutine", ["goroutines", str(goid)])):
                self.assertTrue(os.path.exists(files[name]), "GDB wrote no %s: %s %s" % (name, out, err))
                with open(files[name]) as f:
                    want = without_gdb_threads(json.load(f))
                rc, out, err = cli(*(words + ["--json", exe, core]))
                self.assertIn(rc, (0, 2), err)
                got = without_gdb_threads(json.loads(out))
                items = "threads" if name == "threads" else "goroutines"
                g_rows, w_rows = c_frame_rows(got, items), c_frame_rows(want, items)
                key = v["lwp"] if name == "threads" else goid
                self.assertTrue(g_rows[key], name)
                self.assertEqual(g_rows[key][0][C_FRAME_FIELDS.index("object")], vdso_name_by_ldd(), name)
                for k in sorted(w_rows):
                    self.assertEqual(g_rows.get(k), w_rows[k], "%s %s: C frames (%s), CLI vs GDB"
                                     % (name, k, ", ".join(C_FRAME_FIELDS)))
                self.assertEqual(got, want, "%s --json: CLI vs GDB" % name)


if __name__ == "__main__":
    unittest.main()

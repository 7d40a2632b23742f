"""The standalone CLI (build/cgostack) against the GDB commands on the same
kernel cores: the JSON of info, goroutines and threads must be the GDB
commands' JSON (gdb_thread fields aside, which the CLI leaves null), and
the C frames libdwfl finds equal to GDB's frame by frame (function, file,
line, object, pc, inlined, tail call: assert_same_c_frames); the text must
be the GDB text without GDB's thread numbers.  In GDB, the plugin's default
on a core (C frames from the same libdwfl unwinder, GDB's where a walk
ends in an error) must give every report byte for byte as with GDB's
frame API (`set cgostack-c-frames gdb`).  Plus --pid on a live fixture, exit statuses (full, partial on a
truncated core, failure, usage) and --help."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")
# deadlock: cgo calls and a callback into Go from a cgo call; cthread:
# callbacks on threads C created; crashc: a SIGSEGV inside C; cgotraceback:
# signals taken in C through runtime/cgo's x_cgo_callers.
FIXTURES = (("deadlock", "SIGQUIT"), ("cthread", "SIGQUIT"), ("crashc", "SIGUSR1"), ("cgotraceback", "SIGQUIT"))


def cli(*args, timeout=300):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def without_gdb_threads(o):
    if isinstance(o, dict):
        return {k: without_gdb_threads(v) for k, v in o.items()
                if k not in ("gdb_thread", "locked_gdb_thread")}
    if isinstance(o, list):
        return [without_gdb_threads(v) for v in o]
    return o


def without_thread_numbers(text):
    """GDB's text names GDB thread numbers; the CLI's cannot."""
    text = re.sub(r"\(LWP (\d+), thread \d+\)", r"(LWP \1)", text)
    return re.sub(r"^Thread \d+ \(LWP (\d+)\):", r"LWP \1:", text, flags=re.M)


def cut_below_morestack(value):
    """A goroutine preempted in runtime.morestack (any core may catch one):
    below it the stack is garbage to both unwinders (no stack-switch rule
    for morestack on g0 yet), GDB repeats a bad frame or two where libdwfl
    stops with an error.  Both reports are cut after runtime.morestack,
    JSON and text alike; everything above it is compared exactly."""
    if isinstance(value, list):
        return [cut_below_morestack(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: cut_below_morestack(v) for k, v in value.items()}
    frames = out.get("frames")
    if isinstance(frames, list):
        names = [f.get("function") for f in frames if isinstance(f, dict)]
        if "runtime.morestack" in names:
            i = names.index("runtime.morestack") + 1
            if all(f.get("lang") == "c" and not f.get("function") for f in frames[i:]):
                out["frames"] = frames[:i]
                if str(out.get("frames_error") or "").startswith("cannot unwind past"):
                    out["frames_error"] = None
    return out


def cut_text_below_morestack(text):
    lines, out, below = text.split("\n"), [], False
    for line in lines:
        stripped = line.strip()
        if below and (re.match(r"^\?\?\s+pc 0x[0-9a-f]+ \[C [^]]*\]$", stripped)
                      or stripped.startswith("stack error: cannot unwind past")):
            continue
        below = stripped.startswith("runtime.morestack ")
        out.append(line)
    return "\n".join(out)


def runs(frames):
    """[(is_c, [frames])]: maximal runs of C frames and of other frames."""
    out = []
    for f in frames or []:
        c = f["lang"] == "c"
        if not out or out[-1][0] != c:
            out.append((c, []))
        out[-1][1].append(f)
    return out


def is_subsequence(short, long):
    it = iter(long)
    return all(any(x == y for y in it) for x in short)


def c_frames(frames):
    return [f for f in frames or [] if f["lang"] == "c"]


# What a C frame is, field by field: the CLI's (libdwfl) and GDB's must
# agree on each of these for every frame, not only on the names in order.
C_FRAME_FIELDS = ("function", "file", "line", "object", "pc", "inlined", "tail_call")


def c_frame_rows(report, items):
    """{(goid or lwp): [C frame as a tuple of C_FRAME_FIELDS]} of a report."""
    out = {}
    for it in report.get(items) or []:
        key = it.get("goid", it.get("lwp"))
        out[key] = [tuple(f.get(k) for k in C_FRAME_FIELDS) for f in c_frames(it.get("frames"))]
    return out


class CliMatchesGdbTest(unittest.TestCase):
    maxDiff = None

    def assert_same_c_frames(self, name, got, want, items):
        """Every C frame of every goroutine/thread, the CLI's against GDB's,
        frame by frame and field by field (C_FRAME_FIELDS), with the first
        differing frame named.  Where a stack runs into garbage (an error
        from either unwinder, see assert_same_stacks) only the frames above
        it are held to this.  Returns the C frames compared."""
        g_rows, w_rows = c_frame_rows(got, items), c_frame_rows(want, items)
        g_err = {it.get("goid", it.get("lwp")): it.get("frames_error") for it in got.get(items) or []}
        self.assertEqual(sorted(g_rows), sorted(w_rows), name)
        compared = []
        for key in sorted(w_rows):
            g, w = g_rows[key], w_rows[key]
            n = max(len(g), len(w))
            if g_err.get(key):
                # The frames after the first difference are the garbage the
                # tolerated difference is about (assert_same_stacks checks it).
                n = next((i for i, (a, b) in enumerate(zip(g, w)) if a != b), min(len(g), len(w)))
            for i in range(n):
                a = g[i] if i < len(g) else None
                b = w[i] if i < len(w) else None
                self.assertEqual(a, b, "%s %s: C frame %d differs (%s): CLI %s, GDB %s"
                                 % (name, key, i, ", ".join(C_FRAME_FIELDS), a, b))
                compared.append(a)
        return compared

    def assert_same_stacks(self, got, want, where):
        """Frames of one goroutine or thread, where a stack runs into
        garbage (runtime.morestack on g0: no stack-switch rule yet): GDB
        repeats the bad frame where libdwfl stops, with an error.  Other C
        runs may only lack frames GDB has (kept in order, same first
        frame); every run is checked for equality first."""
        g_frames, w_frames = got.pop("frames", None), want.pop("frames", None)
        g_err, w_err = got.pop("frames_error", None), want.pop("frames_error", None)
        if g_err and g_err.startswith("cannot unwind past"):
            while w_frames and w_frames[-1]["lang"] == "c" and not w_frames[-1]["function"]:
                w_frames = w_frames[:-1]
            while g_frames and g_frames[-1]["lang"] == "c" and not g_frames[-1]["function"]:
                g_frames = g_frames[:-1]
        else:
            self.assertEqual(g_err, w_err, where)
        g_runs, w_runs = runs(g_frames), runs(w_frames)
        self.assertEqual([c for c, _ in g_runs], [c for c, _ in w_runs], where)
        for (c, g), (_, w) in zip(g_runs, w_runs):
            if not c:
                self.assertEqual(g, w, where)
                continue
            if g == w:
                continue
            self.assertTrue(g_err, "%s: C frames differ from GDB's: %s vs %s" % (where, g, w))
            self.assertEqual(g[0], w[0], where)
            self.assertTrue(is_subsequence(g, w), "%s: C frames %s are not a subsequence of GDB's %s"
                            % (where, g, w))

    def assert_same_report(self, name, got, want, exact):
        got, want = cut_below_morestack(got), cut_below_morestack(want)
        items = "goroutines" if name.endswith("goroutines") else "threads" if name.endswith("threads") else None
        if items:
            self.c_frames_compared.extend(self.assert_same_c_frames(name, got, want, items))
        if exact:
            self.assertEqual(got, want, "%s --json differs from GDB's" % name)
            return
        items = "goroutines" if name.endswith("goroutines") else "threads" if name.endswith("threads") else None
        if items is None:
            self.assertEqual(got, want, name)
            return
        self.assertEqual(len(got[items]), len(want[items]), name)
        for g, w in zip(got.pop(items), want.pop(items)):
            self.assert_same_stacks(g, w, "%s %s" % (name, g.get("goid", g.get("lwp"))))
            self.assertEqual(g, w, name)
        self.assertEqual(got, want, name)

    def compare(self, fixture, trigger, exact=True, args=()):
        self.c_frames_compared = []
        core = harness.kernel_core(fixture, GO, args=args, trigger=trigger)
        exe, path = os.path.abspath(core["binary"]), os.path.abspath(core["core"])
        with tempfile.TemporaryDirectory() as d:
            # The reports twice in one GDB: C frames from GDB's frame API
            # (`set cgostack-c-frames gdb`: what the CLI is compared with),
            # then as the plugin takes them on a core by default (the
            # backend's libdwfl unwinder, GDB's frames where a walk fails),
            # which must give the same reports byte for byte.
            cmds, files, plugin_default = ["set cgostack-c-frames gdb"], {}, {}
            reports = ((("info", "cgo-info"), ("goroutines", "cgo-goroutines"),
                        ("threads", "cgo-threads"), ("lockgraph", "cgo-lockgraph")),
                       (("goroutines_text", "cgo-goroutines --group"),
                        ("threads_text", "cgo-threads"), ("lockgraph_text", "cgo-lockgraph")))
            for mode, out_files in (("gdb", files), ("auto", plugin_default)):
                if mode == "auto":
                    cmds.append("set cgostack-c-frames auto")
                for json_reports, (name, command) in [(True, r) for r in reports[0]] + [(False, r) for r in reports[1]]:
                    out_files[name] = os.path.join(d, "%s.%s.%s" % (name, mode, "json" if json_reports else "txt"))
                    cmds.append("%s%s --output %s" % (command, " --json" if json_reports else "", out_files[name]))
            rc, out, err = gdbrun.gdb(cmds, exe, path)
            for name in files:
                with open(files[name]) as f, open(plugin_default[name]) as g:
                    self.assertEqual(g.read(), f.read(), "%s %s: the plugin's default C frames (libdwfl) "
                                     "differ from GDB's frame API" % (fixture, name))
            for name in ("info", "goroutines", "threads", "lockgraph"):
                with open(files[name]) as f:
                    want = without_gdb_threads(json.load(f))
                rc, out, err = cli(name, "--json", exe, path)
                self.assertIn(rc, (0, 2), err)
                self.assertEqual(err, "")
                got = without_gdb_threads(json.loads(out))
                if name == "info" and got.get("crash") and want.get("crash"):
                    # Where GDB repeats a bad frame libdwfl stops with an
                    # error (the tolerated difference, see the module doc).
                    got["crash"].pop("frames_error")
                    want["crash"].pop("frames_error")
                self.assert_same_report("%s %s" % (fixture, name), got, want, exact)
            for name, words in (("goroutines_text", ["goroutines", "--group"]),
                                ("threads_text", ["threads"]), ("lockgraph_text", ["lockgraph"]))[:None if exact else 0]:
                with open(files[name]) as f:
                    want = without_thread_numbers(f.read())
                rc, out, err = cli(*(words + [exe, path]))
                self.assertIn(rc, (0, 2), err)
                self.assertEqual(cut_text_below_morestack(out), cut_text_below_morestack(want),
                                 "%s %s text differs from GDB's" % (fixture, " ".join(words)))
        return json.loads(cli("threads", "--json", exe, path)[1])

    def test_deadlock(self):
        threads = self.compare("deadlock", "SIGQUIT")
        core = harness.kernel_core("deadlock", GO)
        graph = json.loads(cli("lockgraph", "--json", core["binary"], core["core"])[1])
        self.assertEqual([d["code"] for d in graph["diagnoses"] if d["code"] == "deadlock_cycle"], ["deadlock_cycle"])
        # Not equal by emptiness: the threads in cgo calls have libc and
        # fixture C frames, found by libdwfl.
        in_cgo = [t for t in threads["threads"] if t["activity"] == "cgo_call"]
        self.assertTrue(in_cgo)
        for t in in_cgo:
            names = [f["function"] for f in c_frames(t["frames"])]
            self.assertIn("___pthread_mutex_lock", names, names)
        callback = [t for t in threads["threads"] if t["in_callback"]]
        self.assertTrue(callback)
        self.assertIn("hold_C_then_call_go", [f["function"] for t in callback for f in c_frames(t["frames"])])
        # The comparison covered inlined C frames (futex_wait in libc).
        self.assertTrue([f for f in self.c_frames_compared if f[C_FRAME_FIELDS.index("inlined")]])

    def test_cthread(self):
        # Its C threads wait in libc functions reached by tail calls
        # (frames rebuilt from DWARF call sites, as GDB does); one thread's
        # stack runs into runtime.morestack, where both unwinders give up
        # differently (see assert_same_stacks).
        threads = self.compare("cthread", "SIGQUIT", exact=False)
        joiner = [t for t in threads["threads"] if "c_joiner_thread" in [f["function"] for f in c_frames(t["frames"])]]
        self.assertEqual(len(joiner), 1)
        self.assertIn("___pthread_join", [f["function"] for f in c_frames(joiner[0]["frames"])])
        self.assertTrue([t for t in threads["threads"] if t["kind"] == "c_extra_m"])
        # The comparison covered tail-call frames, flagged alike by both.
        self.assertTrue([f for f in self.c_frames_compared if f[C_FRAME_FIELDS.index("tail_call")]])

    def test_signal_through_cgo_callers(self):
        # A cgo traceback function is set: SIGQUIT reached the threads in C
        # through x_cgo_callers, whose frame holds the kernel's signal frame;
        # below each handler, the interrupted C code (a system call, and C
        # computing) as GDB's own unwinder finds it.
        threads = self.compare("cgotraceback", "SIGQUIT")
        names = {f["function"] for t in threads["threads"] for f in c_frames(t["frames"])}
        self.assertTrue({"wait_in_c", "spin_in_c"} <= names, names)
        # And cgo's prologue frame (_cgo_<hash>_Cfunc_wait_in_c: it calls a C
        # function that returns a value), whose file GDB names by its DWARF 5
        # directory 0: /tmp/go-build/cgo-gcc-prolog.
        prolog = [f for f in self.c_frames_compared if f[C_FRAME_FIELDS.index("function")].startswith("_cgo_")]
        self.assertTrue(prolog)
        self.assertTrue(all(f[C_FRAME_FIELDS.index("file")].endswith("/cgo-gcc-prolog") for f in prolog), prolog)

    def test_crash_in_c(self):
        self.compare("crashc", "SIGUSR1")
        self.assertTrue(self.c_frames_compared)

    def test_many_threads_in_c(self):
        # Threads parked in the same few places at different C depths: the
        # 2nd..Nth thread stopped in __lll_lock_wait reuses what libdwfl
        # said about the first (stacks/unwind_cache.h); every frame must
        # still be GDB's.
        threads = self.compare("cthreads", "SIGQUIT", args=("-n", "40"))
        waiting = [t for t in threads["threads"] if "___pthread_mutex_lock" in
                   [f["function"] for f in c_frames(t["frames"])]]
        self.assertEqual(len(waiting), 40)
        depths = {[f["function"] for f in c_frames(t["frames"])].count("descend") for t in waiting}
        self.assertEqual(depths, set(range(1, 9)))
        cond = [t for t in threads["threads"] if "cond_wait_at" in [f["function"] for f in c_frames(t["frames"])]]
        self.assertEqual(len(cond), 4)
        # The lock graph's text for many waiters (issue 15.5): one line per
        # lock and code location, with a count and the goroutine ids as
        # ranges, the location being the first frame in the program's own
        # code (descend, cond_wait_at, main.goWaiter), not __lll_lock_wait.
        core = harness.kernel_core("cthreads", GO, args=("-n", "40"), trigger="SIGQUIT")
        rc, text, err = cli("lockgraph", core["binary"], core["core"])
        self.assertIn(rc, (0, 2), err)
        goroutines = json.loads(cli("goroutines", "--json", core["binary"], core["core"])[1])["goroutines"]

        def goids_in(function):
            return {g["goid"] for g in goroutines if function in [f.get("function") for f in g.get("frames") or []]}

        def expand(ranges):
            out = set()
            for part in ranges.split(", "):
                lo, _, hi = part.partition("-")
                out.update(range(int(lo), int(hi or lo) + 1))
            return out

        lines = re.findall(r"^ +waited for by (\d+) at (\S+) \((\S+):\d+\) — .*: goroutines ([0-9, -]+)$", text, re.M)
        # (The 4 waiters on bigCond are few enough to be listed one by one.)
        self.assertEqual(sorted((where, int(n)) for n, where, _, _ in lines),
                         [("descend", 40), ("main.goWaiter", 40)], text)
        self.assertEqual(len(re.findall(r"^ +waited for by LWP \d+ \(M\d+\) — futex wait on 0x[0-9a-f]+ "
                                        r"in pthread_cond_wait$", text, re.M)), 4, text)
        for n, where, file, ids in lines:
            self.assertEqual(expand(ids), goids_in(where), "%s: %s" % (where, text))
            self.assertEqual(file, "main.go" if where.startswith("main.") else "cthreads.c")


class CliLiveTest(unittest.TestCase):
    def test_pid(self):
        with harness.live("deadlock", GO) as live:
            rc, out, err = cli("threads", "--json", "--pid", live.pid)
            self.assertEqual(rc, 0, err)
            data = json.loads(out)
            in_cgo = [t for t in data["threads"] if t["activity"] == "cgo_call"]
            self.assertTrue(in_cgo, out)
            for t in in_cgo:
                names = [f["function"] for f in c_frames(t["frames"])]
                self.assertIn("___pthread_mutex_lock", names)
                self.assertTrue({"wait_lock_A", "lock_C_blocking"} & set(names), names)
            rc, out, err = cli("goroutines", "--state", "syscall", "--pid", live.pid)
            self.assertEqual(rc, 0, err)
            self.assertIn("___pthread_mutex_lock", out)
            self.assertIn("---- C code called from Go", out)
            # Libraries by GDB's names (the dynamic linker's, e.g.
            # /lib/x86_64-linux-gnu/libc.so.6), not /proc/PID/maps' real paths.
            def objects(threads):
                return {(t["lwp"], f["function"], f["object"]) for t in threads
                        for f in c_frames(t["frames"]) if f["function"] == "___pthread_mutex_lock"}
            cli_objects = objects(data["threads"])
            gdb_objects = objects(gdbrun.gdb_json("cgo-threads", "-p", live.pid)["threads"])
            self.assertTrue(cli_objects)
            self.assertEqual(cli_objects, gdb_objects)
            # Detached: the process runs on, traced by nobody.
            with open("/proc/%d/status" % live.pid) as f:
                status = f.read()
            self.assertRegex(status, r"TracerPid:\s+0\n")
            self.assertNotRegex(status, r"State:\s+t")

    def test_no_such_process(self):
        rc, out, err = cli("info", "--pid", 0x3ffffff0)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"^cgostack: no process with pid \d+\n$")


class CliExitStatusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.core = harness.kernel_core("deadlock", GO)
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def one_error_line(self, expect_rc, *args):
        rc, out, err = cli(*args)
        self.assertEqual(rc, expect_rc, (out, err))
        self.assertEqual(out, "")
        self.assertRegex(err, r"^cgostack: [^\n]+\n$")
        self.assertNotIn("Traceback", err)
        return err

    def test_full(self):
        for command in ("info", "goroutines", "threads"):
            rc, out, err = cli(command, self.core["binary"], self.core["core"])
            self.assertEqual(rc, 0, err)
            self.assertTrue(out)

    def test_partial_on_truncated_core(self):
        cut = os.path.join(self.tmp, "truncated.core")
        with open(self.core["core"], "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(os.path.getsize(self.core["core"]) // 3))
        for command in ("info", "goroutines", "threads"):
            rc, out, err = cli(command, "--json", self.core["binary"], cut)
            self.assertNotIn("Traceback", err)
            if rc == 1:  # nothing could be read: one line
                self.assertRegex(err, r"^cgostack: [^\n]+\n$")
                continue
            self.assertEqual(rc, 2, err)
            self.assertTrue(any("truncated" in w for w in json.loads(out)["warnings"]))

    def test_failure(self):
        self.one_error_line(1, "goroutines", "/bin/true", self.core["core"])
        other = harness.build("cthread", GO)
        self.assertIn("was not produced by", self.one_error_line(1, "threads", other, self.core["core"]))
        self.one_error_line(1, "info", self.core["binary"], os.path.join(self.tmp, "missing"))
        self.assertIn("no goroutine 999999",
                      self.one_error_line(1, "goroutines", "999999", self.core["binary"], self.core["core"]))

    def test_output_that_cannot_be_written(self):
        err = self.one_error_line(1, "goroutines", "--json", "--output", "/dev/full",
                                  self.core["binary"], self.core["core"])
        self.assertIn("cannot write /dev/full: No space left on device", err)
        # A reader that has gone (`cgostack ... | head`): the CLI ends at the
        # first write, by SIGPIPE and silently, as Unix tools do.
        r, w = os.pipe()
        os.close(r)
        try:
            p = subprocess.run([CLI, "goroutines", "--json", self.core["binary"], self.core["core"]],
                               stdout=w, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=300)
        finally:
            os.close(w)
        self.assertEqual(p.returncode, -signal.SIGPIPE, p.stderr)
        self.assertEqual(p.stderr, b"")

    def test_usage(self):
        self.one_error_line(64, "bogus")
        self.one_error_line(64, "goroutines", "--frames", "x", self.core["binary"], self.core["core"])
        self.one_error_line(64, "goroutines", "--no-such-option", self.core["binary"], self.core["core"])
        self.one_error_line(64, "threads", self.core["binary"])
        self.one_error_line(64, "info", "--pid", "abc")
        self.one_error_line(64, "goroutines", "notagoid", self.core["binary"], self.core["core"])
        rc, out, err = cli()
        self.assertEqual(rc, 64)
        self.assertIn("Usage: cgostack", err)

    def test_help(self):
        rc, out, err = cli("--help")
        self.assertEqual(rc, 0)
        for command in ("info", "goroutines", "threads", "lockgraph"):
            self.assertIn(command, out)
            rc, out_c, err = cli(command, "--help")
            self.assertEqual((rc, err), (0, ""))
            self.assertTrue(out_c.startswith("Usage: cgostack " + command), out_c)


if __name__ == "__main__":
    unittest.main()

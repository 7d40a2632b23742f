"""Live stops under GDB where the Go runtime has switched stacks (fixtures
stops and purego): in C inside a cgo call, in Go called back from C (one and
two levels), at runtime.Breakpoint(), at a SIGSEGV in C, in Go on a thread C
created (extra M), in a program without cgo.  At each stop the three views of
the stopped goroutine must agree frame by frame:

  cgo-goroutine N    its stitched stack
  cgo-threads        the stopped thread's stack
  bt                 GDB's own backtrace with the plugin's unwinder

and be true: its Go frames are what runtime.Callers said just before the
stop (the fixture's TRUTH line), its top C frames what GDB's unwinder alone
says.  Each scenario runs CGOSTACK_STOP_REPEAT times (default 2; the
issue's determinism requirement is 20: `CGOSTACK_STOP_REPEAT=20`), and
every run must give the same answer."""

import json
import os
import re
import subprocess
import tempfile
import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare

GO = gdbrun.go_version_from_argv()
REPEAT = int(os.environ.get("CGOSTACK_STOP_REPEAT", "2"))
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stop_views.py")

# The frames that stand for a stack switch in the views (boundaries), which
# GDB's backtrace shows as frames of their own.
PLUMBING = {"runtime.asmcgocall", "runtime.asmcgocall_landingpad", "crosscall2", "crosscall2_trampoline"}

# scenario -> (fixture, program arguments, breakpoint or None, the Go frames
# the goroutine shows above the truth line's frames, the innermost function)
SCENARIOS = {
    "ccall": ("stops", ["ccall"], "c_stop", ["runtime.cgocall", "main._Cfunc_c_enter"], "c_stop"),
    "callback": ("stops", ["callback"], "main.goStop", ["main.goStop"], "main.goStop"),
    "nested": ("stops", ["nested"], "main.goStop", ["main.goStop"], "main.goStop"),
    "breakpoint": ("stops", ["breakpoint"], None, ["runtime.breakpoint", "runtime.Breakpoint"], "runtime.breakpoint"),
    "segv": ("stops", ["segv"], None, ["runtime.cgocall", "main._Cfunc_c_segv"], "c_segv"),
    "cthread": ("stops", ["cthread"], "main.goStop", ["main.goStop"], "main.goStop"),
    "purego": ("purego", ["stop"], "main.goStop", ["main.goStop"], "main.goStop"),
    "purego_w": ("purego", ["stop"], "main.goStop", ["main.goStop"], "main.goStop"),
}

# The pure-Go program is built as a user builds one: CGO_ENABLED=0 (static,
# no runtime/cgo), with DWARF and without (-ldflags=-w: layouts from the
# release's table, names from the pc table).
PUREGO_BUILDS = {"purego": ["CGO_ENABLED=0"], "purego_w": ["CGO_ENABLED=0", "-ldflags=-w"]}


def stop(scenario):
    fixture, args, bp, _, _ = SCENARIOS[scenario]
    binary = harness.build(fixture, GO, PUREGO_BUILDS.get(scenario))
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, STOPS_TRUTH=os.path.join(d, "truth"), STOP_VIEWS_OUT=os.path.join(d, "views.json"))
        argv = ["gdb", "-nx", "-batch", "-iex", "set auto-load no", "-iex", "set pagination off",
                "-ex", "source " + gdbrun.PLUGIN, "-ex", "set startup-with-shell off",
                "-ex", "handle SIGURG SIGPIPE SIGPROF nostop noprint pass",
                # bt goes on past main.main to runtime.main, as the views do
                "-ex", "set backtrace past-main on"]
        if bp:
            argv += ["-ex", "break " + bp]
        argv += ["-ex", "run", "-ex", "source " + DRIVER, "-ex", "kill", "--args", binary] + args
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                           stdin=subprocess.DEVNULL, env=env)
        out = env["STOP_VIEWS_OUT"]
        if not os.path.exists(out):
            raise AssertionError("%s: no views (rc=%d)\nstdout:\n%s\nstderr:\n%s"
                                 % (scenario, p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
        with open(out) as f:
            return json.load(f)


def gdb_minimal_symbol_name(name):
    """The Go name of a function as GDB names it from the ELF symbol table
    alone (no DWARF: -ldflags=-w): GDB 13 prints the symbol main.goStop as
    "main[goStop]", and the linker's symbol of an assembly function keeps
    its ABI suffix (runtime.goexit.abi0), which the pc table, the runtime
    and the views leave out.  The pcs are compared as they are."""
    m = re.fullmatch(r"([\w./-]*)\[(.*)\]", name)
    if m:
        name = m.group(1) + "." + m.group(2)
    return re.sub(r"\.abi0$", "", name)


def frame_key(f):
    """What a view says about a frame: language, function/kind, line, pc."""
    lang = f.get("lang", "go")
    if lang == "boundary":
        return ("boundary", f["kind"], f.get("signal"))
    return (lang, f["function"], f.get("line"), f["pc"], bool(f.get("inlined")))


class LiveStopTest(unittest.TestCase):
    def check(self, scenario):
        _, _, _, go_top, innermost = SCENARIOS[scenario]
        runs = []
        for i in range(REPEAT):
            v = stop(scenario)
            where = "%s run %d" % (scenario, i + 1)
            self.assertTrue(v["truth"], where + ": the fixture wrote no TRUTH line")
            truth = v["truth"].split()[3:]
            g = v["goroutine"]["goroutines"][0]
            gframes = g["frames"]
            # 1. The goroutine's Go frames are the truth.
            gos = [f for f in gframes if f.get("lang", "go") == "go"]
            # runtime.Callers elides ABI wrappers (Go 1.19: runtime.cgocallbackg
            # <autogenerated>, line 1, below the function of the same name);
            # the runtime's crash traceback and the views show them.
            got = [f["function"] for k, f in enumerate(gos)
                   if not (k and f["line"] == 1 and f["function"] == gos[k - 1]["function"])]
            self.assertEqual(got, go_top + truth, "%s: goroutine %s Go frames (%s)" % (where, v["goid"], g.get("frames_error")))
            first = [f for f in gframes if f.get("lang") != "boundary"][0]
            self.assertEqual(first["function"], innermost, where)
            # 2. The thread view of the stopped thread is the same stack.
            thread = [t for t in v["threads"]["threads"] if t["lwp"] == v["lwp"]][0]
            self.assertEqual([frame_key(f) for f in thread["frames"]], [frame_key(f) for f in gframes],
                             "%s: thread view vs goroutine view" % where)
            # 3. GDB's backtrace shows the same physical frames.
            ours = [(f["function"], f["pc"]) for f in thread["frames"]
                    if f.get("lang") != "boundary" and not f.get("inlined")]
            bt = [(f["function"], f["pc"]) for f in v["bt"] if not f["inlined"] and f["function"] not in PLUMBING]
            # Go 1.19 saves runtime.systemstack_switch's entry as the pc
            # (gosave_systemstack_switch); GDB names a caller frame at pc-1,
            # which is outside the function, so it has no name there: the
            # pc must still be the same.
            bt = [("runtime.systemstack_switch", pc) if not name and (("runtime.systemstack_switch", pc) in ours)
                  else (name, pc) for name, pc in bt]
            if "-ldflags=-w" in PUREGO_BUILDS.get(scenario, ()):
                bt = [(gdb_minimal_symbol_name(name), pc) for name, pc in bt]
            self.assertEqual(bt, ours, "%s: bt vs thread view (bt error %r)" % (where, v["bt_error"]))
            self.assertFalse(v["bt_error"], where)
            # 4. The C frames on top are GDB's own (its unwinder alone).
            top_c = [f["function"] for f in thread["frames"][:next(
                (k for k, f in enumerate(thread["frames"]) if f.get("lang") != "c"), len(thread["frames"]))]]
            if top_c:
                self.assertEqual([f["function"] for f in v["bt_native"][:len(top_c)]], top_c, where)
            runs.append(json.dumps([[frame_key(f) for f in gframes], [frame_key(f) for f in thread["frames"]], bt]))
            if scenario in PUREGO_BUILDS:
                for t in v["threads"]["threads"]:
                    fr = [f for f in (t["frames"] or []) if f.get("lang") != "boundary"]
                    if any(f["function"] == "runtime.sysmon" for f in fr):
                        self.assertEqual(fr[-1]["function"], "runtime.mstart", "%s: sysmon's thread" % where)
                    self.assertFalse([f for f in fr if not f["function"]], "%s: LWP %d has frames without a name: %s (%s)"
                                     % (where, t["lwp"], [(f["function"], hex(f["pc"])) for f in fr],
                                        t.get("frames_error")))
        self.assertEqual(len(set(runs)), 1, "%s: %d runs gave %d different answers" % (scenario, REPEAT, len(set(runs))))

    def test_c_breakpoint_in_cgo_call(self):
        self.check("ccall")

    def test_go_called_back_from_c(self):
        self.check("callback")

    def test_two_levels_of_callbacks(self):
        self.check("nested")

    def test_runtime_breakpoint(self):
        self.check("breakpoint")

    def test_sigsegv_in_c(self):
        self.check("segv")

    def test_c_thread_calls_go_first_time(self):
        self.check("cthread")

    def test_pure_go_program(self):
        self.check("purego")

    def test_pure_go_program_without_dwarf(self):
        self.check("purego_w")


def _static(binary):
    """True if the ELF executable has no program interpreter (PT_INTERP)."""
    import struct
    with open(binary, "rb") as f:
        head = f.read(64)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return all(struct.unpack_from("<I", table, k * phentsize)[0] != 3 for k in range(phnum))


class PureGoCoreTest(unittest.TestCase):
    """Fixture purego's `hang` (goroutines waiting on a channel, a
    sync.Mutex, a timer, in a read(2), one running) built with CGO_ENABLED=0,
    with DWARF and with -w: its kernel core against the runtime's own
    traceback of the same instant, in GDB and in the CLI; every thread's
    stack has names throughout and ends where the thread began."""

    def test_core_matches_the_runtime(self):
        for build, flags in PUREGO_BUILDS.items():
            with self.subTest(build=build):
                core = harness.kernel_core("purego", GO, args=["hang"], flags=flags)
                self.assertTrue(_static(core["binary"]), "%s: not a static executable" % build)
                oracle = harness.load_oracle(core)
                states = sorted(g["state"] for g in oracle["goroutines"] if g["goid"] > 0
                                and any(f["function"].startswith("main.") for f in g["frames"]))
                # Go 1.19 names a sync.Mutex wait "semacquire"; the spinner
                # may have been preempted by the time the runtime printed.
                states = sorted({"semacquire": "sync.Mutex.Lock", "runnable": "running"}.get(st, st)
                                for st in states)
                self.assertEqual(states, sorted(["select (no cases)", "chan receive", "sync.Mutex.Lock", "sleep",
                                                 "syscall", "running"]), "%s: the fixture's states" % build)
                gdb_gs = gdbrun.gdb_json("cgo-goroutines --runtime-frames", core["binary"], core["core"])
                problems = compare(gdb_gs, oracle)
                self.assertEqual(problems, [], "%s (GDB):\n%s" % (build, "\n".join(problems)))
                with tempfile.TemporaryDirectory() as d:
                    out = os.path.join(d, "g.json")
                    rc, _, err = gdbrun.run_cli("goroutines", "--runtime-frames", "--json", "--output", out,
                                                core["binary"], core["core"])
                    self.assertIn(rc, (0, 2), "%s: cgostack goroutines: %s" % (build, err))
                    with open(out) as f:
                        cli_gs = json.load(f)
                problems = compare(cli_gs, oracle)
                self.assertEqual(problems, [], "%s (CLI):\n%s" % (build, "\n".join(problems)))
                threads = gdbrun.gdb_json("cgo-threads", core["binary"], core["core"])
                for t in threads["threads"]:
                    fr = [f for f in (t["frames"] or []) if f.get("lang") != "boundary"]
                    where = "%s: LWP %d" % (build, t["lwp"])
                    self.assertTrue(fr, where + ": no frames")
                    self.assertFalse([f for f in fr if not f["function"]], where + ": frames without a name")
                    self.assertFalse(t.get("frames_error"), where)
                    self.assertIn(fr[-1]["function"], ("runtime.mstart", "runtime.rt0_go", "runtime.goexit"),
                                  where + ": ends in %s" % fr[-1]["function"])


# Run inside GDB before `run`: a breakpoint on the instruction after
# runtime.clone's system call, taken only in the child (rax 0), where the
# new thread starts on its M's g0 stack before it calls mstart.
_CLONE_CHILD_BREAK = r'''
import gdb
sym = gdb.lookup_global_symbol("runtime.clone") or gdb.lookup_static_symbol("runtime.clone")
start = int(sym.value().address)
end = gdb.block_for_pc(start).end
insns = gdb.selected_inferior().architecture().disassemble(start, end - 1)
after = [b["addr"] for a, b in zip(insns, insns[1:]) if a["asm"].split()[0] == "syscall"][0]
bp = gdb.Breakpoint("*%d" % after)
bp.condition = "$rax == 0"
'''

_CLONE_CHILD_VIEWS = r'''
import gdb, json
f, bt = gdb.newest_frame(), []
while f is not None and len(bt) < 20 and not (bt and f.pc() == 0):  # pc 0: the end, as stop_views.py
    bt.append({"function": f.name() or "", "pc": f.pc()})
    f = f.older()
with open(%r, "w") as out:
    json.dump({"lwp": gdb.selected_thread().ptid[1], "bt": bt}, out)
'''


class CloneChildTest(unittest.TestCase):
    """A thread the runtime has just created (the child of its own
    runtime.clone, on the new M's g0 stack, before mstart and before it set
    m.procid): its stack is runtime.clone alone in the thread view and in
    GDB's bt, with no frame read from the fresh stack's garbage (one
    pure-Go live stop of 20 on Go 1.27 caught another thread there and
    showed an unnamed frame at a heap address)."""

    def test_thread_stopped_in_clone_child(self):
        binary = harness.build("purego", GO, PUREGO_BUILDS["purego"])
        with tempfile.TemporaryDirectory() as d:
            setup, views, bt = (os.path.join(d, n) for n in ("setup.py", "views.py", "bt.json"))
            with open(setup, "w") as f:
                f.write(_CLONE_CHILD_BREAK)
            with open(views, "w") as f:
                f.write(_CLONE_CHILD_VIEWS % bt)
            rc, out, err = gdbrun.gdb(["set startup-with-shell off", "file " + binary, "source " + setup,
                                       "run stop", "cgo-threads --json --output %s/t.json" % d,
                                       "source " + views, "kill"])
            self.assertTrue(os.path.exists(bt), "no stop in the clone child (rc=%d)\n%s\n%s"
                            % (rc, out[-2000:], err[-2000:]))
            with open(bt) as f:
                stopped = json.load(f)
            with open(os.path.join(d, "t.json")) as f:
                threads = json.load(f)
        thread = [t for t in threads["threads"] if t["lwp"] == stopped["lwp"]][0]
        frames = [f["function"] for f in thread["frames"] or [] if f.get("lang") != "boundary"]
        self.assertEqual(frames, ["runtime.clone"], "thread view (%s)" % thread.get("frames_error"))
        self.assertEqual([f["function"] for f in stopped["bt"]], ["runtime.clone"], "GDB's bt")


_LIBC_CLONE_CHILD_BREAK = r"""
import gdb
# The deadlock fixture's Go runtime creates threads with pthread_create
# (cgo) after runtime.main starts: stop in one's child right after glibc's
# clone3 system call, before the child branched to thread_start.
gdb.Breakpoint("runtime.main")
gdb.execute("run")
gdb.execute("set language c")  # stopped in Go: C's syntax for a libc address
start = int(gdb.parse_and_eval("(long)&clone3"))
gdb.execute("set language auto")
end = gdb.block_for_pc(start).end if gdb.block_for_pc(start) else start + 200
insns = gdb.selected_inferior().architecture().disassemble(start, end - 1)
after = [b["addr"] for a, b in zip(insns, insns[1:]) if a["asm"].split()[0] == "syscall"][0]
bp = gdb.Breakpoint("*%d" % after)
bp.condition = "$rax == 0"
gdb.execute("delete 1")
gdb.execute("continue")
"""


class LibcCloneChildTest(unittest.TestCase):
    """A C thread caught in the child of glibc's clone3, right after the
    system call, on its fresh stack (seen once in CI: a crash core of
    crashc on Go 1.19 whose process was creating a thread).  glibc's CFI
    ends the child's stack only after the branch to thread_start, so there
    an unwinder reads the fresh stack's top word as a return address: GDB
    stops at clone3, the CLI's libdwfl went on to a frame at a heap
    address.  Both must show clone3 alone."""

    def test_thread_stopped_in_libc_clone_child(self):
        binary = harness.build("deadlock", GO)
        with tempfile.TemporaryDirectory() as d:
            setup, views, bt, core = (os.path.join(d, n) for n in ("setup.py", "views.py", "bt.json", "core"))
            with open(setup, "w") as f:
                f.write(_LIBC_CLONE_CHILD_BREAK)
            with open(views, "w") as f:
                f.write(_CLONE_CHILD_VIEWS % bt)
            rc, out, err = gdbrun.gdb(["set startup-with-shell off", "set breakpoint pending on",
                                       "file " + binary, "source " + setup, "source " + views,
                                       "gcore " + core, "kill"])
            self.assertTrue(os.path.exists(bt) and os.path.exists(core),
                            "no stop in clone3's child (rc=%d)\n%s\n%s" % (rc, out[-2000:], err[-2000:]))
            with open(bt) as f:
                stopped = json.load(f)
            rc, text, err = gdbrun.run_cli("threads", "--json", binary, core)
            self.assertIn(rc, (0, 2), err)
            threads = json.loads(text)
        thread = [t for t in threads["threads"] if t["lwp"] == stopped["lwp"]][0]
        self.assertEqual([f["function"] for f in stopped["bt"]], ["clone3"], "GDB's bt")
        frames = [f["function"] for f in thread["frames"] or [] if f.get("lang") != "boundary"]
        self.assertEqual((frames, thread["frames_error"]), (["clone3"], None), "the CLI's thread view")


class SourceFromPythonTest(unittest.TestCase):
    def test_source_through_gdb_execute(self):
        """`source cgostack.py` run by gdb.execute() from another Python
        script (GDB then leaves __file__ naming that script) loads the
        plugin and its commands work."""
        with tempfile.TemporaryDirectory() as d:
            outer = os.path.join(d, "outer.py")
            with open(outer, "w") as f:
                f.write("import gdb\ngdb.execute('source %s')\n" % gdbrun.PLUGIN)
            p = subprocess.run(["gdb", "-nx", "-batch", "-iex", "set auto-load no", "-ex", "source " + outer,
                                "-ex", "cgo-info"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=120, stdin=subprocess.DEVNULL)
        self.assertNotIn("ModuleNotFoundError", p.stdout)
        self.assertNotIn("Undefined command", p.stdout)
        self.assertIn("cgostack: no process or core", p.stdout)


if __name__ == "__main__":
    unittest.main()

"""The GDB plugin under gdb-multiarch on arm64 cores (issue 18): the fixtures
cross-built for linux/arm64 and run under qemu-user, SIGQUIT with
GOTRACEBACK=crash, qemu's core of the guest opened by `gdb-multiarch EXE
CORE` after `set sysroot /usr/aarch64-linux-gnu`.  On each core:

- cgo-goroutines --json from GDB is the CLI's on the same core (GDB's
  thread numbers aside), and agrees with the runtime's own traceback:
  goroutines, states, wait reasons, Ms, Go frames;
- cgo-goroutine N shows the goroutine the list shows, cgo-info the Go
  release the binary was built with, cgo-threads every thread of the core
  with the M the runtime names for it, cgo-lockgraph the CLI's graph and
  (deadlock) its Go/C lock cycle;
- GDB's own `bt` of the thread blocked in C inside a cgo call (fixture
  deadlock: wait_lock_A) crosses from the C frames through
  runtime.asmcgocall into the goroutine that made the call: its Go frames
  are the runtime's for that goroutine;
- every thread's `bt` ends quietly at runtime.goexit or runtime.mstart:
  no frame at pc 0, no "Backtrace stopped" from GDB;
- the goroutine called back from C (deadlock: hold_C_then_call_go called
  goLockB) shows the C frames GDB's own unwinder finds between crosscall2
  and runtime.asmcgocall in that thread's `bt`, between the runtime's Go
  frames of the callback and of the cgo call.

Needs qemu-user, gcc-aarch64-linux-gnu and gdb-multiarch
(scripts/setup.sh --arm64); skipped, saying so, without them."""

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare, oracle_goroutines, printed_name

GO = gdbrun.go_version_from_argv()
SYSROOT = "/usr/aarch64-linux-gnu"
GDB = "gdb-multiarch"
# deadlock: cgo calls, a callback into Go, locked threads, a Go/C lock
# cycle; condwait: a goroutine in C waiting on a condition variable.
FIXTURES = ("deadlock", "condwait")
MISSING = [t for t in ("qemu-aarch64", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-strip", GDB) if not shutil.which(t)]
VIEWS = (("info", "cgo-info"), ("goroutines", "cgo-goroutines"), ("threads", "cgo-threads"),
         ("lockgraph", "cgo-lockgraph"))


def without_gdb_threads(o):
    """GDB's thread numbers, which the CLI cannot know."""
    if isinstance(o, dict):
        return {k: without_gdb_threads(v) for k, v in o.items() if k not in ("gdb_thread", "locked_gdb_thread")}
    if isinstance(o, list):
        return [without_gdb_threads(v) for v in o]
    return o


def backtraces(text):
    """`thread apply all bt` output: ({lwp: [function names, innermost
    first]}, {lwp: why GDB stopped, from its "Backtrace stopped:" line},
    {lwp: [pcs of the frames GDB printed a pc for]}) ("<signal handler
    called>" as "<signal>", a frame without a name as "??")."""
    out, stops, pcs, lwp = {}, {}, {}, None
    for line in text.splitlines():
        m = re.match(r"^Thread \d+ \(.*?LWP (\d+)\)", line)
        if m:
            lwp = int(m.group(1))
            out.setdefault(lwp, [])
            pcs.setdefault(lwp, [])
            continue
        if lwp is None:
            continue
        m = re.match(r"^#\d+\s+(?:(0x[0-9a-f]+) in )?(<signal handler called>|\S+)", line)
        if m:
            out[lwp].append("<signal>" if m.group(2).startswith("<signal") else m.group(2))
            if m.group(1):
                pcs[lwp].append(int(m.group(1), 16))
        elif line.startswith("Backtrace stopped:"):
            stops[lwp] = line
    return out, stops, pcs


@functools.lru_cache(maxsize=None)
def examine(fixture):
    """The fixture's arm64 core, examined once by gdb-multiarch with the
    plugin (every view as JSON, cgo-goroutine of the goroutine in
    wait_lock_A or the first one, every thread's `bt`) and by the CLI."""
    core = harness.kernel_core(fixture, GO, arch="arm64")
    oracle = harness.load_oracle(core)
    exe, path = os.path.abspath(core["binary"]), os.path.abspath(core["core"])
    goroutines = oracle_goroutines(oracle)
    in_c = [goid for goid, g in sorted(goroutines.items())
            if "main._Cfunc_wait_lock_A" in [f["function"] for f in g["frames"]]]
    one = in_c[0] if in_c else min(goroutines)
    gdb_views, cli_views = {}, {}
    with tempfile.TemporaryDirectory() as d:
        cmds, files = [], {}
        for name, command in VIEWS + (("goroutine", "cgo-goroutine %d" % one),):
            files[name] = os.path.join(d, name + ".json")
            cmds.append("%s --json --output %s" % (command, files[name]))
        cmds += ["set backtrace past-main on", "thread apply all bt"]
        rc, stdout, stderr = gdbrun.gdb(cmds, exe, path, program=GDB, init=["set sysroot " + SYSROOT])
        for name, f in files.items():
            if not os.path.exists(f):
                raise AssertionError("%s: %s wrote nothing (rc=%d)\nstdout:\n%s\nstderr:\n%s"
                                     % (fixture, name, rc, stdout[-3000:], stderr[-3000:]))
            with open(f) as fh:
                gdb_views[name] = json.load(fh)
    for name, _ in VIEWS:
        # 2: partial (qemu's cores hold no build-id notes to check the executable against)
        rc, out, err = gdbrun.run_cli(name, "--json", "--sysroot", SYSROOT, exe, path)
        if rc not in (0, 2):
            raise AssertionError("cgostack %s: exit %d: %s" % (name, rc, err))
        cli_views[name] = json.loads(out)
    bt, stops, pcs = backtraces(stdout)
    return {"core": core, "oracle": oracle, "gdb": gdb_views, "cli": cli_views, "one": one,
            "bt": bt, "bt_stops": stops, "bt_pcs": pcs, "stderr": stderr}


@unittest.skipIf(MISSING, "arm64 GDB lane needs %s (scripts/setup.sh --arm64)" % ", ".join(MISSING))
class Arm64GdbTest(unittest.TestCase):
    maxDiff = None

    def test_goroutines_are_the_clis_and_the_runtimes(self):
        for fixture in FIXTURES:
            with self.subTest(fixture=fixture):
                seen = examine(fixture)
                ours = seen["gdb"]["goroutines"]
                self.assertEqual(ours["go_version"], seen["core"]["go_version"])
                self.assertGreater(len(ours["goroutines"]), 5)
                problems = compare(ours, seen["oracle"])
                self.assertEqual(problems, [], "\n".join(problems))
                self.assertEqual(without_gdb_threads(ours), without_gdb_threads(seen["cli"]["goroutines"]))
                # Every goroutine on a thread has GDB's number of that thread.
                on_thread = [g for g in ours["goroutines"] if g.get("lwp")]
                self.assertTrue(on_thread)
                self.assertTrue(all(g.get("gdb_thread") for g in on_thread), on_thread)

    def test_one_goroutine_info_threads(self):
        for fixture in FIXTURES:
            with self.subTest(fixture=fixture):
                seen = examine(fixture)
                views = seen["gdb"]
                self.assertEqual(views["info"]["go_version"], seen["core"]["go_version"])
                listed = {g["goid"]: g for g in views["goroutines"]["goroutines"]}
                one = views["goroutine"]["goroutines"]
                self.assertEqual([g["goid"] for g in one], [seen["one"]])
                self.assertEqual(one[0]["frames"], listed[seen["one"]]["frames"])
                # Every thread GDB sees, with the M the runtime traced on it.
                threads = views["threads"]["threads"]
                self.assertEqual(sorted(t["lwp"] for t in threads), sorted(seen["bt"]))
                by_m = {t["m"]: t for t in threads if t["m"] is not None}
                for want in seen["oracle"]["threads"]:
                    if want.get("m") is not None and want.get("pc"):
                        self.assertIn(want["m"], by_m)

    def test_lockgraph_is_the_clis(self):
        for fixture in FIXTURES:
            with self.subTest(fixture=fixture):
                seen = examine(fixture)
                self.assertEqual(without_gdb_threads(seen["gdb"]["lockgraph"]),
                                 without_gdb_threads(seen["cli"]["lockgraph"]))

    def test_deadlock_cycle(self):
        graph = examine("deadlock")["gdb"]["lockgraph"]
        self.assertEqual(len(graph["cycles"]), 1, graph["cycles"])
        symbols = {n.get("symbol") for n in graph["nodes"] if n["id"] in graph["cycles"][0]}
        self.assertTrue({"mtxC", "main.muB"} <= symbols, symbols)

    def test_bt_ends_at_the_outermost_frame(self):
        # Every thread's `bt` ends quietly at the frame that starts the
        # stack (runtime.goexit, runtime.mstart), as the runtime's traceback
        # does: never with a frame at pc 0 or an error from GDB.
        # Known gap: a thread caught in runtime.morestack on g0 (its stack
        # ends there, as in the runtime's traceback, but morestack is not a
        # TOPFRAME function, which GDB's DWARF unwinder would end) still ends
        # with a frame at pc 0 and "previous frame identical"
        # (docs/platforms.md); such threads are counted and the test is
        # skipped, naming them, once everything else held.
        gaps = []
        for fixture in FIXTURES:
            with self.subTest(fixture=fixture):
                seen = examine(fixture)
                for lwp, bt in seen["bt"].items():
                    if len(bt) > 1 and bt[-2:] == ["runtime.morestack", "??"] and seen["bt_pcs"][lwp][-1] == 0:
                        gaps.append((fixture, lwp))
                        continue
                    self.assertNotIn(lwp, seen["bt_stops"], (lwp, bt))
                    self.assertNotIn(0, seen["bt_pcs"][lwp], (lwp, bt))
                    self.assertIn(bt[-1], ("runtime.goexit", "runtime.mstart"), (lwp, bt))
        if gaps:
            self.skipTest("threads ending in runtime.morestack on g0 end with a pc-0 frame (known gap): %s" % gaps)

    def test_callback_stack_is_gdbs_and_the_runtimes(self):
        # deadlock's cycleG2 called C hold_C_then_call_go, which called Go
        # back (goLockB).  GDB's own unwinder gives the C frames between
        # crosscall2 and runtime.asmcgocall in the thread's `bt`; the
        # goroutine's stack from cgo-goroutines shows those C frames,
        # between the runtime's Go frames of the callback and of the cgo
        # call.
        seen = examine("deadlock")
        ours = {g["goid"]: g for g in seen["gdb"]["goroutines"]["goroutines"]}
        runtime = oracle_goroutines(seen["oracle"])
        goid = [g for g, o in runtime.items()
                if "main._Cfunc_hold_C_then_call_go" in [f["function"] for f in o["frames"]]]
        self.assertEqual(len(goid), 1, runtime.keys())
        frames = ours[goid[0]]["frames"]
        c = [f.get("function") for f in frames if f["lang"] == "c"]
        threads = [bt for bt in seen["bt"].values() if "crosscall2" in bt and "goLockB" in bt]
        self.assertEqual(len(threads), 1, seen["bt"])
        bt = threads[0]
        self.assertIn("runtime.asmcgocall", bt, bt)
        gdb_c = bt[bt.index("crosscall2") + 1:bt.index("runtime.asmcgocall")]
        self.assertEqual(gdb_c[:2], ["goLockB", "hold_C_then_call_go"], bt)
        self.assertEqual(c, gdb_c, frames)
        # The Go frames are the runtime's, the callback's above the C
        # frames and the cgo call's below them.
        go = [printed_name(f["function"]) for f in frames if f["lang"] == "go"]
        self.assertEqual(go, [printed_name(f["function"]) for f in runtime[goid[0]]["frames"]])
        kinds = [f.get("kind") for f in frames if f["lang"] == "boundary"]
        self.assertEqual(kinds, ["callback", "cgocall"], frames)

    def test_stripped_binary(self):
        # A `strip --strip-all` copy of deadlock (no symbol table, no
        # DWARF): in GDB too the runtime's globals are found through arm64
        # machine code (arch/code_refs.h) and the layouts come from the
        # arm64 table; the goroutines are the runtime's.
        core = harness.kernel_core("deadlock", GO, arch="arm64")
        with tempfile.TemporaryDirectory() as d:
            exe, out = os.path.join(d, "deadlock"), os.path.join(d, "goroutines.json")
            subprocess.run(["aarch64-linux-gnu-strip", "--strip-all", "-o", exe, core["binary"]], check=True)
            rc, stdout, stderr = gdbrun.gdb(["cgo-goroutines --json --output " + out], exe,
                                            os.path.abspath(core["core"]), program=GDB, init=["set sysroot " + SYSROOT])
            self.assertTrue(os.path.exists(out), "rc=%d\n%s\n%s" % (rc, stdout[-3000:], stderr[-3000:]))
            with open(out) as f:
                ours = json.load(f)
        problems = compare(ours, harness.load_oracle(core))
        self.assertEqual(problems, [], "\n".join(problems))
        self.assertIn("stripped: no symbol table, no DWARF (stripped after the build)", " ".join(ours["warnings"]))

    def test_bt_crosses_from_c_into_the_goroutine(self):
        seen = examine("deadlock")
        goroutine = oracle_goroutines(seen["oracle"])[seen["one"]]
        want = [printed_name(f["function"]) for f in goroutine["frames"]]
        self.assertIn("main._Cfunc_wait_lock_A", want)
        blocked = [bt for bt in seen["bt"].values() if "wait_lock_A" in bt]
        self.assertEqual(len(blocked), 1, seen["bt"])
        bt = blocked[0]
        self.assertIn("runtime.asmcgocall", bt, bt)
        # C below the cgo call, the goroutine's Go frames above it.
        self.assertLess(bt.index("wait_lock_A"), bt.index("runtime.asmcgocall"), bt)
        self.assertIn("pthread_mutex_lock", bt[:bt.index("wait_lock_A")], bt)
        self.assertEqual(bt[bt.index("runtime.asmcgocall") + 1:], want, bt)


if __name__ == "__main__":
    unittest.main()

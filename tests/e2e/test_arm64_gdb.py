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
  are the runtime's for that goroutine.

Needs qemu-user, gcc-aarch64-linux-gnu and gdb-multiarch
(scripts/setup.sh --arm64); skipped, saying so, without them."""

import functools
import json
import os
import re
import shutil
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
MISSING = [t for t in ("qemu-aarch64", "aarch64-linux-gnu-gcc", GDB) if not shutil.which(t)]
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
    """`thread apply all bt` output: {lwp: [function names, innermost first]}
    ("<signal handler called>" as "<signal>", a frame without a name as
    "??")."""
    out, frames = {}, None
    for line in text.splitlines():
        m = re.match(r"^Thread \d+ \(.*?LWP (\d+)\)", line)
        if m:
            frames = out.setdefault(int(m.group(1)), [])
            continue
        m = re.match(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(<signal handler called>|\S+)", line)
        if m and frames is not None:
            frames.append("<signal>" if m.group(1).startswith("<signal") else m.group(1))
    return out


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
    return {"core": core, "oracle": oracle, "gdb": gdb_views, "cli": cli_views, "one": one,
            "bt": backtraces(stdout), "stderr": stderr}


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

"""Deep stacks (deep fixture), for one Go release (--go):
- a goroutine parked 300,000 Go frames deep shows its first and last 50
  frames with one elided boundary, as the Go runtime's own traceback does
  (Go 1.21+ prints "...N frames elided..."; Go 1.19 prints the first 100 and
  "...additional frames elided...");
- a cgo call 50,000 C frames deep shows the first and last 50 C frames of
  the run with one elided boundary, in cgo-threads and cgo-goroutines, in
  GDB and in the CLI, equal to GDB's own frames (its unwinder alone: what
  `bt 50` and `bt -50` of the run show) and to the depth the fixture
  recursed."""

import json
import os
import re
import tempfile
import time
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()
CDEPTH = 50000

# Run inside GDB with cgostack's unwinder disabled: GDB's own frames of the
# thread whose C code recursed (fixture variable tidDeepC), from the first
# frame below the Go signal handlers' (the signals of the core dump) to the
# last before Go code: the C run, innermost first.
GDB_RUN = r"""
import gdb, json
gdb.execute("disable unwinder", to_string=True)
gdb.execute("set backtrace past-main on", to_string=True)
tid = int(gdb.parse_and_eval("tidDeepC"))
[t for t in gdb.selected_inferior().threads() if t.ptid[1] == tid][0].switch()
frames, f, started = [], gdb.newest_frame(), False
while f is not None:
    if f.type() == gdb.SIGTRAMP_FRAME:
        started, frames = True, []
    elif started:
        name = f.name() or ""
        if not name.startswith("runtime."):
            sal = f.find_sal()
            frames.append({"function": name, "pc": f.pc(), "line": sal.line if sal.symtab else 0})
        elif frames:
            break
    f = f.older()
with open(OUT, "w") as out:
    json.dump({"tid": tid, "frames": frames}, out)
"""


def views(core):
    """From one GDB session: cgo-goroutines (JSON) and GDB's own frames of
    the deep C run (each GDB command walks every frame of every thread
    again: 50,000 frames cost seconds of CPU in GDB); the thread view from
    the CLI (the same C++ stitcher, libdwfl's frames, checked equal to
    GDB's below)."""
    with tempfile.TemporaryDirectory() as d:
        paths = {k: os.path.join(d, k + ".json") for k in ("goroutines", "gdb", "threads")}
        script = os.path.join(d, "run.py")
        with open(script, "w") as f:
            f.write("OUT = %r\n" % paths["gdb"] + GDB_RUN)
        rc, out, err = gdbrun.gdb(["cgo-goroutines --json --output " + paths["goroutines"],
                                   "source " + script], core["binary"], core["core"])
        gdbrun.run_cli("threads", "--json", "--output", paths["threads"], core["binary"], core["core"])
        result = {}
        for k, path in paths.items():
            if not os.path.exists(path):
                raise AssertionError("%s: nothing written (rc=%d)\n%s\n%s" % (k, rc, out, err))
            with open(path) as f:
                result[k] = json.load(f)
    return result


def c_run(frames):
    """The frames of the first run of C frames (elided boundaries included)
    of a thread's or goroutine's stack: below the Go signal handler's."""
    i = [k for k, f in enumerate(frames) if f["lang"] == "c"][0]
    run = []
    while frames[i]["lang"] == "c" or frames[i].get("kind") == "elided":
        run.append(frames[i])
        i += 1
    return run


class DeepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.core = harness.kernel_core("deep", GO, args=("-cdepth", str(CDEPTH)))
        with open(cls.core["traceback"]) as f:
            cls.text = f.read()
        cls.views = views(cls.core)
        data = cls.views["goroutines"]
        cls.g = [g for g in data["goroutines"]
                 if any(f.get("function") == "main.parkDeep" for f in g["frames"])][0]
        cls.cg = [g for g in data["goroutines"]
                  if any(f.get("function") == "main.cDeep" for f in g["frames"])][0]
        cls.truth = cls.views["gdb"]["frames"]
        cls.thread = [t for t in cls.views["threads"]["threads"] if t["lwp"] == cls.views["gdb"]["tid"]][0]

    def assert_head_and_tail(self, run):
        self.assertEqual(len(run), 101, run[:3])
        self.assertEqual(run[50], {"lang": "boundary", "kind": "elided", "elided": len(self.truth) - 100})
        for ours, gdbs in zip(run[:50] + run[51:], self.truth[:50] + self.truth[-50:]):
            self.assertEqual((ours["function"], ours["pc"], ours["line"]), (gdbs["function"], gdbs["pc"], gdbs["line"]))

    def test_gdb_sees_the_depth_the_fixture_recursed(self):
        # c_recurse(CDEPTH) .. c_recurse(0): CDEPTH + 1 frames.
        self.assertEqual(sum(1 for f in self.truth if f["function"] == "c_recurse"), CDEPTH + 1)
        self.assertEqual(self.truth[-1]["function"], "c_recurse")  # the cgo wrapper tail-called it
        # Parked in pause(): its frame on top, or under glibc 2.41's
        # cancellable-syscall frames (__syscall_cancel_arch, ...).
        self.assertTrue(any("pause" in f["function"] for f in self.truth[:4]), self.truth[:4])

    def test_deep_c_run_in_the_thread_view_of_the_cli(self):
        self.assert_head_and_tail(c_run(self.thread["frames"]))
        self.assertIsNone(self.thread.get("frames_error"))

    def test_deep_c_run_in_the_goroutine_view(self):
        frames = self.cg["frames"]
        self.assert_head_and_tail(c_run(frames))
        go = [f["function"] for f in frames if f["lang"] == "go"]
        self.assertIn("main.cDeep", go)
        self.assertEqual(frames[[k for k, f in enumerate(frames) if f.get("kind") == "elided"][0] + 51],
                         {"lang": "boundary", "kind": "cgocall"})

    def test_cli_equals_gdb_and_is_quick(self):
        start = time.monotonic()
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "g.json")
            rc, stdout, stderr = gdbrun.run_cli("goroutines", "--json", "--output", out,
                                                self.core["binary"], self.core["core"])
            self.assertIn(rc, (0, 2), stderr)
            with open(out) as f:
                data = json.load(f)
        seconds = time.monotonic() - start
        cg = [g for g in data["goroutines"] if g["goid"] == self.cg["goid"]][0]
        self.assert_head_and_tail(c_run(cg["frames"]))
        self.assertEqual(c_run(cg["frames"]), c_run(self.cg["frames"]))
        # Not a timing test (bench/ measures): a walk gone quadratic would take minutes.
        self.assertLess(seconds, 120)

    def runtime_block(self):
        """The deep goroutine's block in the runtime's traceback: its frame
        function names and the elision line."""
        block = self.text[self.text.index("goroutine %d " % self.g["goid"]):]
        block = block[:block.index("\n\n")]
        names = [re.sub(r"\(.*$", "", l) for l in block.splitlines()[1:]
                 if l and not l.startswith("\t") and not l.startswith("...") and not l.startswith("created by")]
        return names, re.search(r"^\.\.\.(\d+|additional) frames elided\.\.\.$", block, re.M)

    def test_head_and_tail_with_one_elided_boundary(self):
        frames = self.g["frames"]
        self.assertEqual(len(frames), 101)
        self.assertEqual(frames[50], {"lang": "boundary", "kind": "elided", "elided": frames[50]["elided"]})
        # gopark, chanrecv, chanrecv1, then recurse.
        self.assertEqual([f["function"] for f in frames[3:50]], ["main.recurse"] * 47)
        self.assertEqual(frames[-1]["function"], "runtime.goexit")
        self.assertIn("main.parkDeep", [f["function"] for f in frames[-3:]])
        # 300,000 recurse frames + chan receive, parkDeep, goexit ... in all.
        self.assertGreater(frames[50]["elided"], 299800)
        self.assertIsNone(self.g["frames_error"])

    def test_against_the_runtime_traceback(self):
        names, elided = self.runtime_block()
        self.assertIsNotNone(elided)
        ours = [f["function"] for f in self.g["frames"] if f["lang"] == "go" and not f["runtime"]]
        self.assertEqual(ours[:40], [n for n in names if not n.startswith("runtime.")][:40])
        if elided.group(1) != "additional":  # Go 1.21+: first 50, "...N frames elided...", last 50
            self.assertEqual(self.g["frames"][50]["elided"], int(elided.group(1)))
            # GOTRACEBACK=crash prints every frame, runtime ones included.
            self.assertEqual([f["function"] for f in self.g["frames"][-50:]], names[-50:])

    def test_text_has_the_elided_line(self):
        rc, out, err = gdbrun.gdb(["cgo-goroutine %d" % self.g["goid"]], self.core["binary"], self.core["core"])
        self.assertIn("...%d frames elided... (--frames all shows them)" % self.g["frames"][50]["elided"], out)

    def test_frames_all_reads_every_frame(self):
        rc, out, err = gdbrun.gdb(["cgo-goroutine %d --frames all" % self.g["goid"]],
                                  self.core["binary"], self.core["core"])
        total = 101 - 1 + self.g["frames"][50]["elided"]
        self.assertIn("stack             %d frames, innermost first" % total, out)
        self.assertNotIn("frames elided", out)


if __name__ == "__main__":
    unittest.main()

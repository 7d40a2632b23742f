"""Deep stacks: a goroutine parked 300,000 Go frames deep (deep fixture)
shows its first and last 50 frames with one elided boundary, as the Go
runtime's own traceback does (Go 1.21+ prints "...N frames elided..."; Go
1.19 prints the first 100 and "...additional frames elided..."), for one Go
release (--go)."""

import re
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()


class DeepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.core = harness.kernel_core("deep", GO, args=("-cdepth", "100"))
        with open(cls.core["traceback"]) as f:
            cls.text = f.read()
        data = gdbrun.gdb_json("cgo-goroutines", cls.core["binary"], cls.core["core"])
        cls.g = [g for g in data["goroutines"]
                 if any(f.get("function") == "main.parkDeep" for f in g["frames"])][0]

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

"""cgo-info and cgo-goroutines on executables built the other ways cgo users
build them: PIE (loaded at a random base, found from the core's AT_ENTRY),
externally linked (gcc lays out the sections; the pc table moves), and both.
The oracle is the Go runtime's own traceback of the same process."""

import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare

GO = gdbrun.go_version_from_argv()
MODES = {
    "pie": ["-buildmode=pie"],
    "external": ["-ldflags=-linkmode=external"],
    "pie_external": ["-buildmode=pie", "-ldflags=-linkmode=external"],
}


class BuildModesTest(unittest.TestCase):
    def test_goroutines_match_the_runtime(self):
        for mode, flags in MODES.items():
            with self.subTest(mode=mode):
                core = harness.kernel_core("deadlock", GO, flags=flags)
                oracle = harness.load_oracle(core)
                ours = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
                problems = compare(ours, oracle)
                self.assertEqual(problems, [], "\n".join(problems))
                info = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
                self.assertEqual(info["goroutines"], oracle["goroutine_count"])
                self.assertEqual(info["warnings"], [])


if __name__ == "__main__":
    unittest.main()

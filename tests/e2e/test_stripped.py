"""Executables without DWARF.  -ldflags=-w keeps the ELF symbol table: the
runtime layouts come from the table scripts/gen_layouts.py measured on the
same Go release, globals from the symbols, frames from .gopclntab, and the
result still matches the runtime's own traceback; both commands say which
fallback they used.  -ldflags='-s -w' leaves no way to find the runtime's
globals: cgo-info shows what it can (Go version and cgo from .go.buildinfo,
threads) and says what is missing; cgo-goroutines says so in one line."""

import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare

GO = gdbrun.go_version_from_argv()


def warnings_about_layouts(data):
    return [w for w in data["warnings"] if w.startswith("layouts: Go %s table" % GO)]


class StrippedTest(unittest.TestCase):
    def test_without_dwarf_matches_the_runtime(self):
        core = harness.kernel_core("deadlock", GO, flags=["-ldflags=-w"])
        oracle = harness.load_oracle(core)
        ours = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
        self.assertEqual(compare(ours, oracle), [])
        self.assertEqual(len(warnings_about_layouts(ours)), 1, ours["warnings"])
        info = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        self.assertEqual(info["goroutines"], oracle["goroutine_count"])
        self.assertEqual(len(warnings_about_layouts(info)), 1, info["warnings"])
        rc, out, err = gdbrun.gdb(["cgo-goroutines"], core["binary"], core["core"])
        self.assertIn("layouts: Go %s table" % GO, out + err)

    def test_without_dwarf_or_symbols(self):
        core = harness.kernel_core("deadlock", GO, flags=["-ldflags=-s -w"], oracle=False)
        info = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        self.assertEqual(info["go_version"], core["go_version"])
        self.assertTrue(info["cgo"])
        self.assertIsNone(info["goroutines"])
        self.assertGreater(info["threads"], 0)
        notes = warnings_about_layouts(info)
        self.assertEqual(len(notes), 1, info["warnings"])
        self.assertIn("-s -w", notes[0])
        rc, out, err = gdbrun.gdb(["cgo-goroutines"], core["binary"], core["core"])
        lines = [l for l in err.splitlines() if l.startswith("cgostack:")]
        self.assertEqual(len(lines), 1, err)
        self.assertIn("-s -w", lines[0])
        self.assertNotIn("Traceback", out + err)


if __name__ == "__main__":
    unittest.main()

"""The text form of cgo-info shows what a user reads first: version, counts,
P states, GODEBUG and every warning (pure Python; no GDB needed)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gdb_plugin"))

from cgostack_gdb import info_text, options  # noqa: E402

INFO = {
    "go_version": "go1.27.3", "cgo": True,
    "target": {"kind": "core", "core": "/tmp/core", "executable": "/tmp/app", "pid": 42},
    "goroutines": 12, "goroutines_by_status": {"waiting": 10, "syscall": 2},
    "threads": 7, "ms": 8, "gomaxprocs": 2, "ncpu": 2,
    "ps": [{"id": 0, "status": "running", "m": 3}, {"id": 1, "status": "idle", "m": None},
           {"error": "cannot read 8 bytes at 0x10"}],
    "build_info": {"path": "example.com/app", "main_module": "example.com/app (devel)",
                   "settings": {"CGO_ENABLED": "1", "-ldflags": "-w"}},
    "godebug": {"env": "asyncpreemptoff=1", "asyncpreemptoff": 1, "cgocheck": 1},
    "gotraceback": None,
    "warnings": ["core file is truncated: 10 of 20 bytes present"],
}


class InfoTextTest(unittest.TestCase):
    def setUp(self):
        self.text = info_text.render(INFO)
        self.lines = self.text.splitlines()

    def line(self, key):
        hits = [l for l in self.lines if l.startswith(key)]
        self.assertEqual(len(hits), 1, self.text)
        return hits[0]

    def test_version_and_cgo(self):
        self.assertIn("go1.27.3 (cgo enabled)", self.line("Go version"))

    def test_goroutine_breakdown_largest_first(self):
        self.assertIn("12 (10 waiting, 2 syscall)", self.line("Goroutines"))

    def test_ps_show_state_and_m_and_unreadable(self):
        ps = self.line("Ps ")
        self.assertIn("P0 running on M3", ps)
        self.assertIn("P1 idle", ps)
        self.assertIn("P? unreadable", ps)

    def test_godebug_env_and_knobs(self):
        g = self.line("GODEBUG")
        self.assertIn("asyncpreemptoff=1;", g)
        self.assertIn("cgocheck=1", g)
        self.assertIn("(unset)", self.line("GOTRACEBACK"))

    def test_build_settings_that_matter(self):
        self.assertIn("CGO_ENABLED=1", self.line("Build"))
        self.assertIn("-ldflags=-w", self.line("Build"))

    def test_warnings_are_shown(self):
        self.assertIn("warning: core file is truncated: 10 of 20 bytes present", self.lines)


class OptionsTest(unittest.TestCase):
    def test_unknown_option_is_one_line_error_naming_the_command(self):
        p = options.Parser("cgo-info", "x")
        with self.assertRaises(options.UsageError) as cm:
            p.parse("--nope")
        self.assertIn("cgo-info", str(cm.exception))
        self.assertNotIn("\n", str(cm.exception))

    def test_completion_lists_long_options(self):
        self.assertEqual(options.Parser("cgo-info", "x").option_names(), ["--json", "--output"])


if __name__ == "__main__":
    unittest.main()

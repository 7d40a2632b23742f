"""Executables without DWARF, and without a symbol table.

-ldflags=-w keeps the ELF symbol table: the runtime layouts come from the
table scripts/gen_layouts.py measured on the same Go release, globals from
the symbols.  -ldflags='-s -w', and `strip --strip-all` as distributions
ship Go programs, leave no symbol either: the globals are found through
.gopclntab and the machine code of the runtime functions that use them
(goruntime/global_finder.cc).  Either way the result must match the
runtime's own traceback, and the stripped copy of a binary must give the
same goroutines, Ms, Ps, GOMAXPROCS, lock graph as the unstripped one on the
same core; each command says which fallback it used and how the binary was
stripped (never blaming -s -w for a `strip`)."""

import os
import shutil
import subprocess
import tempfile
import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")
# What info must report identically for the stripped and the unstripped copy.
INFO_KEYS = ("go_version", "goroutines", "goroutines_by_status", "threads", "ms", "ps", "gomaxprocs",
             "ncpu", "cgo", "godebug", "gotraceback")


def warnings_about_layouts(data):
    return [w for w in data["warnings"] if w.startswith("layouts: Go %s table" % GO)]


def cli_json(*args):
    p = subprocess.run([CLI] + [str(a) for a in args] + ["--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300, stdin=subprocess.DEVNULL)
    import json
    if not p.stdout:
        raise AssertionError("cgostack %s: rc=%d\n%s" % (" ".join(map(str, args)), p.returncode, p.stderr))
    return p.returncode, json.loads(p.stdout), p.stderr


def without_layout_warnings(data):
    data = dict(data)
    data["warnings"] = [w for w in data["warnings"] if not w.startswith("layouts: ")]
    return data


class StrippedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cgostack-stripped-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def strip_all(self, binary):
        """A `strip --strip-all` copy (no .symtab, no DWARF), as Debian ships Go programs."""
        out = os.path.join(self.tmp, os.path.basename(binary) + ".stripped")
        if not os.path.exists(out):
            subprocess.run(["strip", "--strip-all", "-o", out, binary], check=True)
        return out

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

    def test_built_with_s_w_matches_the_runtime(self):
        core = harness.kernel_core("deadlock", GO, flags=["-ldflags=-s -w"])
        oracle = harness.load_oracle(core)
        ours = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
        self.assertEqual(compare(ours, oracle), [])
        notes = warnings_about_layouts(ours)
        self.assertEqual(len(notes), 1, ours["warnings"])
        self.assertIn("stripped: no symbol table, no DWARF (built with -ldflags='-s -w')", notes[0])
        info = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        self.assertEqual(info["go_version"], core["go_version"])
        self.assertTrue(info["cgo"])
        self.assertEqual(info["goroutines"], oracle["goroutine_count"])
        self.assertGreater(info["gomaxprocs"], 0)
        self.assertEqual(len(info["ps"]), info["gomaxprocs"])
        self.assertGreater(info["ms"], 0)
        # The CLI: same goroutines (its C frames come from libdwfl).
        rc, cli, err = cli_json("goroutines", core["binary"], core["core"])
        self.assertEqual(compare(cli, oracle), [], err)

    def test_strip_all_gives_what_the_unstripped_binary_gives(self):
        core = harness.kernel_core("deadlock", GO)
        oracle = harness.load_oracle(core)
        stripped = self.strip_all(core["binary"])
        ours = gdbrun.gdb_json("cgo-goroutines", stripped, core["core"])
        self.assertEqual(compare(ours, oracle), [])
        notes = warnings_about_layouts(ours)
        self.assertEqual(len(notes), 1, ours["warnings"])
        self.assertIn("stripped: no symbol table, no DWARF (stripped after the build)", notes[0])
        self.assertNotIn("-s -w", notes[0])
        # Every fact cgo-info reads from the runtime's globals, as with symbols.
        full = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        info = gdbrun.gdb_json("cgo-info", stripped, core["core"])
        for key in INFO_KEYS:
            self.assertEqual(info[key], full[key], key)
        self.assertIsNotNone(info["gomaxprocs"])
        # The CLI agrees on goroutines, threads (M/LWP) and the lock graph's Go side.
        for command in ("goroutines", "threads"):
            rc1, a, _ = cli_json(command, core["binary"], core["core"])
            rc2, b, err = cli_json(command, stripped, core["core"])
            if command == "goroutines":
                self.assertEqual(compare(b, oracle), [], err)
            else:
                self.assertEqual([(t["lwp"], t.get("m"), t.get("goroutine")) for t in b["threads"]],
                                 [(t["lwp"], t.get("m"), t.get("goroutine")) for t in a["threads"]])
        rc1, a, _ = cli_json("lockgraph", core["binary"], core["core"])
        rc2, b, err = cli_json("lockgraph", stripped, core["core"])
        # C objects lose their symbol names (mtxA): compare by id and kind.
        nodes = lambda g: sorted((n["id"], n["kind"], n.get("lock_kind")) for n in g["nodes"])
        edges = lambda g: sorted((e["from"], e["to"], e["kind"]) for e in g["edges"])
        self.assertEqual(nodes(b), nodes(a), err)
        self.assertEqual(edges(b), edges(a), err)
        self.assertEqual(len(b["cycles"]), len(a["cycles"]), err)

    def test_separate_debug_file_by_gnu_debuglink(self):
        """objcopy --only-keep-debug + .gnu_debuglink, as distributions split
        debug info: found in the executable's .debug/ directory (where GDB
        looks), used instead of the layout table, named in cgo-info."""
        core = harness.kernel_core("deadlock", GO)
        oracle = harness.load_oracle(core)
        d = os.path.join(self.tmp, "debuglink")
        os.makedirs(os.path.join(d, ".debug"), exist_ok=True)
        exe = os.path.join(d, "deadlock")
        dbg = os.path.join(d, ".debug", "deadlock.debug")
        subprocess.run(["objcopy", "--only-keep-debug", core["binary"], dbg], check=True)
        subprocess.run(["objcopy", "--strip-all", "--add-gnu-debuglink=" + dbg, core["binary"], exe], check=True)
        info = gdbrun.gdb_json("cgo-info", exe, core["core"])
        self.assertEqual(info["debug_file"], dbg)
        self.assertEqual(info["warnings"], [])
        full = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        self.assertIsNone(full["debug_file"])
        for key in INFO_KEYS:
            self.assertEqual(info[key], full[key], key)
        ours = gdbrun.gdb_json("cgo-goroutines", exe, core["core"])
        self.assertEqual(compare(ours, oracle), [])
        self.assertEqual(ours["warnings"], [])
        rc, cli, err = cli_json("goroutines", exe, core["core"])
        self.assertEqual(compare(cli, oracle), [], err)
        # A debug file that is not this build's (CRC differs) is not used.
        with open(dbg, "ab") as f:
            f.write(b"\0")
        info = gdbrun.gdb_json("cgo-info", exe, core["core"])
        self.assertIsNone(info["debug_file"])
        self.assertEqual(len(warnings_about_layouts(info)), 1, info["warnings"])

    def test_go_126_text_start(self):
        """Go 1.26+ no longer writes pcHeader.textStart: without the
        runtime.text symbol it comes from runtime.firstmoduledata."""
        core = harness.kernel_core("deadlock", GO, flags=["-ldflags=-s -w"], oracle=False)
        rc, out, err = gdbrun.gdb(["cgo-goroutines"], core["binary"], core["core"])
        self.assertNotIn("textStart", out + err)
        self.assertNotIn("Traceback", out + err)
        self.assertIn("goroutine 1 [", out)


if __name__ == "__main__":
    unittest.main()

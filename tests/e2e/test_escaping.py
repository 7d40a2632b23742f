"""Terminal escaping (issue 16, point 5): strings taken from the target --
a pprof label, a C source file name, GODEBUG from the environment -- hold
ESC/OSC/CSI sequences, CR LF and a forged `goroutine 999 [running]:` line,
a C1 control and a byte that is not UTF-8 (fixture "hostile").  Every text
view, in the CLI and in GDB, and the DOT file show them escaped (`\\e`,
`\\xNN`) with no raw control byte; JSON keeps them exactly (JSON-escaped,
the invalid byte as U+FFFD as before)."""

import json
import os
import re
import subprocess
import tempfile
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")
HOSTILE = b"\x1b]0;pwned\x07\x1b[2J\r\ngoroutine 999 [running]:\xc2\x9b31m\xff"
ESCAPED = "\\e]0;pwned\\x07\\e[2J\\x0d\\x0agoroutine 999 [running]:\\xc2\\x9b31m\\xff"
LABELS = tuple(map(int, GO.split("."))) >= (1, 24)  # labels are a Go map before 1.24: not decoded


def cli(*args):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


class EscapingTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        core = harness.kernel_core("hostile", GO, trigger="SIGQUIT", oracle=False)
        cls.exe, cls.core = os.path.abspath(core["binary"]), os.path.abspath(core["core"])

    def assert_clean(self, text, where):
        """No byte a terminal would act on but the newlines between lines."""
        bad = re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", text)
        self.assertIsNone(bad, "%s: raw control byte %r in %r" % (where, bad and bad.group(), text[:2000]))
        text.decode("utf-8")  # valid UTF-8 throughout
        self.assertNotRegex(text.decode(), r"(?m)^goroutine 999 ", where)

    def texts(self):
        """(name, bytes) of every text view, CLI and GDB, and the DOT files."""
        out = []
        for words in (["goroutines"], ["goroutines", "--group"], ["goroutines", "--runtime-frames", "--frames", "all"],
                      ["threads"], ["info"], ["lockgraph"]):
            rc, text, err = cli(*words, self.exe, self.core)
            self.assertIn(rc, (0, 2), err)
            out.append(("cgostack " + " ".join(words), text))
        with tempfile.TemporaryDirectory() as d:
            cmds, files = [], []
            for i, c in enumerate(("cgo-goroutines", "cgo-goroutines --group", "cgo-threads", "cgo-info",
                                   "cgo-lockgraph --dot %s/gdb.dot" % d)):
                files.append((c, os.path.join(d, "%d.txt" % i)))
                cmds.append("%s --output %s" % (c, files[-1][1]))
            labelled = self.labelled_goid()
            files.append(("cgo-goroutine", os.path.join(d, "one.txt")))
            cmds.append("cgo-goroutine %d --output %s" % (labelled, files[-1][1]))
            rc, gdb_out, err = gdbrun.gdb(cmds, self.exe, self.core)
            rc, _, err = cli("lockgraph", "--dot", os.path.join(d, "cli.dot"), self.exe, self.core)
            for name, path in files + [("gdb dot", os.path.join(d, "gdb.dot")), ("cli dot", os.path.join(d, "cli.dot"))]:
                self.assertTrue(os.path.exists(path), "%s wrote nothing: %s" % (name, err))
                with open(path, "rb") as f:
                    out.append((name, f.read()))
        return out

    def labelled_goid(self):
        rc, out, err = cli("goroutines", "--json", "--function", "main.labelled", self.exe, self.core)
        return json.loads(out)["goroutines"][0]["goid"]

    def test_text_is_escaped(self):
        texts = dict(self.texts())
        for name, text in texts.items():
            self.assert_clean(text, name)
        # The hostile strings are shown, escaped, where they are.
        # GDB's Python API cannot hand over a file name that is not UTF-8
        # (native_frames.py then leaves it out); libdwfl gives the bytes.
        self.assertIn("evil" + ESCAPED + ".c:", texts["cgostack threads"].decode())
        self.assertIn("evil" + ESCAPED + ".c:", texts["cgostack goroutines"].decode())
        self.assertIn("hostile_wait", texts["cgo-threads"].decode())
        for name in ("cgostack info", "cgo-info"):
            self.assertIn("x=" + ESCAPED, texts[name].decode(), name)
        if LABELS:
            for name in ("cgostack goroutines", "cgo-goroutines", "cgo-goroutine"):
                self.assertIn("evil\\e[31m=" + ESCAPED, texts[name].decode(), name)

    def test_json_is_exact(self):
        want = HOSTILE.decode("utf-8", "replace")
        rc, out, err = cli("info", "--json", self.exe, self.core)
        self.assertIn("x=" + want, json.loads(out)["godebug"]["env"])
        rc, out, err = cli("threads", "--json", self.exe, self.core)
        files = {f.get("file") for t in json.loads(out)["threads"] for f in t["frames"] if f["lang"] == "c"}
        self.assertIn("evil" + want + ".c", {os.path.basename(f or "") for f in files} | files)
        if LABELS:
            rc, out, err = cli("goroutines", "--json", "--function", "main.labelled", self.exe, self.core)
            self.assertEqual(json.loads(out)["goroutines"][0]["labels"], {"evil\x1b[31m": want})


if __name__ == "__main__":
    unittest.main()

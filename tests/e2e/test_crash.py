"""Why a process stopped: cgo-info's `crash` record, the crash marks of
cgo-goroutines/cgo-threads and the lock graph's `crashed` diagnosis, on
kernel cores of the whystop fixture (one per -mode), for one Go release
(--go).  The oracle is what the Go runtime printed before it aborted (the
signal, sigcode, addr, panic value, fatal error, the crashing goroutine's
header) and glibc's own assert message on stderr."""

import json
import os
import re
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()
FIXTURE_DIR = os.path.join(gdbrun.SOURCE_DIR, "fixtures", "whystop")


def source_line(filename, needle):
    with open(os.path.join(FIXTURE_DIR, filename)) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return n
    raise AssertionError("%s not in %s" % (needle, filename))


def crash_core(mode):
    core = harness.kernel_core("whystop", GO, args=("-mode", mode), trigger="SIGUSR1")
    with open(core["traceback"], errors="replace") as f:
        core["text"] = f.read()
    return core


def first_goroutine(text):
    """goid and M of the first goroutine the runtime printed: the one that
    crashed (runtime.sighandler / fatalpanic print it first)."""
    m = re.search(r"^goroutine (\d+)(?: gp=\S+ m=(\d+))?.*\[", text, re.M)
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


def running_throwers(text):
    """{goid: M or None} of the [running] goroutines the runtime printed
    inside runtime.fatal/throw/fatalthrow."""
    out = {}
    for block in re.split(r"\n(?=goroutine \d+)", text):
        m = re.match(r"goroutine (\d+)(?: gp=\S+ m=(\d+))?.*\[running", block)
        if m and re.search(r"^runtime\.(fatal|throw|fatalthrow)\b", block, re.M):
            out[int(m.group(1))] = int(m.group(2)) if m.group(2) else None
    return out


def gdb_views(core):
    """cgo-info (JSON and text), cgo-threads and cgo-lockgraph (JSON) of
    `core` from one GDB session: a session costs seconds, the commands
    themselves little."""
    import json
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        paths = {name: os.path.join(d, name + ".json") for name in ("info", "threads", "lockgraph")}
        rc, text, err = gdbrun.gdb(["cgo-info --json --output " + paths["info"],
                                    "cgo-threads --json --output " + paths["threads"],
                                    "cgo-lockgraph --json --output " + paths["lockgraph"],
                                    "cgo-info"], core["binary"], core["core"])
        views = {"text": text, "stderr": err}
        for name, path in paths.items():
            if not os.path.exists(path):
                raise AssertionError("%s wrote nothing (rc=%d)\n%s\n%s" % (name, rc, text, err))
            with open(path) as f:
                views[name] = json.load(f)
    return views


class CrashMixin:
    mode = None

    @classmethod
    def setUpClass(cls):
        cls.core = crash_core(cls.mode)
        cls.views = gdb_views(cls.core)
        cls.info = cls.views["info"]
        cls.crash = cls.info["crash"]
        cls.threads = cls.views["threads"]

    def test_core_died_of_the_runtimes_abort(self):
        self.assertEqual(self.core["exit_signal"], "SIGABRT")
        self.assertIsNotNone(self.crash)
        # The runtime's own abort is the last signal of the chain.
        self.assertEqual(self.crash["chain"][0]["signal"], "SIGABRT")
        self.assertEqual(self.crash["chain"][-1]["signal"], self.crash["signal"])

    def test_crashing_goroutine_is_the_one_the_runtime_printed_first(self):
        goid, m = first_goroutine(self.core["text"])
        throwers = running_throwers(self.core["text"])
        if len(throwers) > 1 and self.crash["goroutine"] != goid:
            # Two goroutines threw at once (both printed "fatal error"): the
            # first to print waits for ever when it sees the other panicking
            # (dopanic_m), the other prints last and kills the process.
            # Either is the crash; the thread that died is the one shown.
            self.assertIn(self.crash["goroutine"], throwers)
            goid = self.crash["goroutine"]
            m = throwers[goid]
        self.assertEqual(self.crash["goroutine"], goid)
        thread = [t for t in self.threads["threads"] if t["lwp"] == self.crash["lwp"]][0]
        self.assertEqual(thread["goroutine"], goid)
        if m is not None:  # Go 1.22+ headers name the M
            self.assertEqual(thread["m"], m)

    def test_text_names_the_crash(self):
        out, err = self.views["text"], self.views["stderr"]
        self.assertIn("Crash ", out)
        self.assertIn(self.crash["summary"], out)
        for key, label in (("panic", "Panic"), ("fatal_error", "Fatal error"), ("abort_message", "Abort message")):
            if self.crash[key] is not None:
                self.assertRegex(out, r"(?m)^%s +%s$" % (label, re.escape(self.crash[key])))
        self.assertNotIn("Traceback", out + err)

    def test_lockgraph_says_crashed_not_all_blocked(self):
        g = self.views["lockgraph"]
        crashed = [d for d in g["diagnoses"] if d["code"] == "crashed"]
        self.assertEqual(len(crashed), 1, g["diagnoses"])
        self.assertIn(self.crash["summary"].split(";")[0], crashed[0]["message"])
        self.assertIn("cgo-info", crashed[0]["fix"])
        self.assertEqual(crashed[0]["nodes"], ["t%d" % self.crash["lwp"]])
        self.assertNotIn("all_blocked", [d["code"] for d in g["diagnoses"]])


    def test_cli_names_every_frame_as_gdb(self):
        # The CLI's libdwfl frames against GDB's: C++ names demangled as GDB
        # shows them (the segv mode's lambda in a template in a namespace).
        rc, out, err = gdbrun.run_cli("info", "--json", self.core["binary"], self.core["core"])
        cli = json.loads(out)["crash"]
        for key in ("summary", "frame", "signal", "lwp", "goroutine", "panic", "fatal_error", "abort_message"):
            self.assertEqual(cli[key], self.crash[key], key)
        # The program's own frames (glibc's abort path has inline frames
        # libdwfl and GDB split differently; e2e.cli tolerates that) by
        # name, line and pc (file names: e2e.cli).
        def own(frames):
            return [(f.get("function"), f.get("line"), f.get("pc")) for f in frames
                    if "libc.so" not in (f.get("object") or "")]
        self.assertEqual(own(cli["frames"]), own(self.crash["frames"]))


class SegvInCppTest(CrashMixin, unittest.TestCase):
    mode = "segv"

    def test_signal_code_and_address_as_the_runtime_printed(self):
        text = self.core["text"]
        # Go 1.21+: "SIGSEGV: segmentation violation / PC=0x... m=7 sigcode=1
        # addr=0x0 / signal arrived during cgo execution"; before, the
        # handler made the fault a runtime.sigpanic, which throws: "fatal
        # error: unexpected signal during runtime execution / [signal
        # SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x...]".
        new = re.search(r"^SIGSEGV: segmentation violation\nPC=(0x[0-9a-f]+) m=\d+ sigcode=(\d+) addr=(0x[0-9a-f]+)",
                        text, re.M)
        old = re.search(r"^\[signal SIGSEGV: segmentation violation code=(0x[0-9a-f]+) addr=(0x[0-9a-f]+) "
                        r"pc=(0x[0-9a-f]+)\]", text, re.M)
        self.assertTrue(new or old, text[:200])
        pc, code, addr = ((new.group(1), new.group(2), new.group(3)) if new
                          else (old.group(3), old.group(1), old.group(2)))
        self.assertEqual(self.crash["signal"], "SIGSEGV")
        self.assertEqual(int(code, 0), 1)
        self.assertEqual(self.crash["code"], "SEGV_MAPERR")
        self.assertEqual(self.crash["fault_address"], int(addr, 16))
        self.assertFalse(self.crash["requested"])
        self.assertIsNone(self.crash["sender_pid"])
        if new:
            self.assertIn("signal arrived during cgo execution", text)
        else:
            self.assertEqual(self.crash["fatal_error"], "unexpected signal during runtime execution")
        self.assertTrue(self.crash["in_c"])
        # The faulting frame is at the PC the runtime printed.
        self.assertEqual(self.crash["frames"][0]["pc"], int(pc, 16))

    def test_faulting_frame_is_the_lambda_in_the_template(self):
        f = self.crash["frame"]
        self.assertIn("engine::Weigh<engine::Item>", f["function"])
        self.assertIn("lambda", f["function"])
        self.assertTrue(f["file"].endswith("engine.cc"), f)
        self.assertEqual(f["line"], source_line("engine.cc", "total += item->weight"))
        names = [x.get("function", "") for x in self.crash["frames"]]
        self.assertTrue(any(n.startswith("engine::Weigh<engine::Item>") and "lambda" not in n for n in names), names)
        self.assertIn("weigh_items", names)
        self.assertIn("main.weigher", names)

    def test_summary_names_the_original_signal(self):
        self.assertTrue(self.crash["summary"].startswith("SIGSEGV at 0x0 in engine::Weigh<engine::Item>"),
                        self.crash["summary"])
        self.assertTrue(self.crash["summary"].endswith("the runtime then raised SIGABRT to dump core"))
        self.assertIsNone(self.crash["panic"])
        self.assertIsNone(self.crash["abort_message"])


class AssertInCTest(CrashMixin, unittest.TestCase):
    mode = "assert"

    def test_abort_message_is_glibcs(self):
        # glibc printed the same text on stderr before abort().
        first = self.core["text"].splitlines()[0]
        self.assertIn("Assertion `v > 0", first)
        self.assertEqual(self.crash["abort_message"], first)

    def test_signal_is_the_abort_from_inside(self):
        self.assertIn("SIGABRT: abort", self.core["text"])
        self.assertEqual(self.crash["signal"], "SIGABRT")
        self.assertEqual(self.crash["code"], "SI_TKILL")
        self.assertFalse(self.crash["requested"])
        self.assertEqual(self.crash["sender_pid"], self.core["pid"])
        self.assertIsNone(self.crash["fault_address"])
        self.assertTrue(self.crash["in_c"])
        self.assertEqual(self.crash["frame"]["function"], "check_invariant")
        self.assertEqual(self.crash["frame"]["line"], source_line("check.c", "assert(v > 0"))


class PanicInCallbackTest(CrashMixin, unittest.TestCase):
    mode = "panic"

    def test_panic_value_is_the_runtimes(self):
        m = re.search(r"^panic: (.*)$", self.core["text"], re.M)
        self.assertEqual(self.crash["panic"], m.group(1))
        self.assertEqual(self.crash["panic"], "validate: record 7: checksum mismatch")
        # runtime.preprintpanics replaced the error by its text before printing.
        self.assertIsNone(self.crash["panic_type"])
        self.assertEqual(self.crash["frame"]["function"], "main.validate")
        self.assertFalse(self.crash["in_c"])
        # The callback's thread was created by C.
        thread = [t for t in self.threads["threads"] if t["lwp"] == self.crash["lwp"]][0]
        self.assertEqual(thread["kind"], "c_extra_m")


class ThrowTest(CrashMixin, unittest.TestCase):
    mode = "throw"

    def test_fatal_error_is_the_runtimes(self):
        m = re.search(r"^fatal error: (.*)$", self.core["text"], re.M)
        self.assertEqual(self.crash["fatal_error"], m.group(1))
        self.assertEqual(self.crash["fatal_error"], "concurrent map writes")
        self.assertEqual(self.crash["frame"]["function"], "main.writer")
        self.assertFalse(self.crash["in_c"])


class LiveProcessTest(unittest.TestCase):
    def test_live_process_has_no_crash(self):
        with harness.live("whystop", GO) as live:
            info = gdbrun.gdb_json("cgo-info", "-p", live.pid)
        self.assertIsNone(info["crash"])
        self.assertGreater(info["goroutines"], 1)


if __name__ == "__main__":
    unittest.main()

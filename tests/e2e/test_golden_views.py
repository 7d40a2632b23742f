"""Golden views: the text and the filtered JSON of every command, in the
CLI and in GDB, against the formatters as they were before the renderer
moved into the C++ backend (issue 12).

Cores differ from run to run (addresses, LWPs, paths), so no output is
stored.  Instead every run takes, from the same core, each tool's complete
unfiltered JSON report (info, goroutines, threads, lockgraph: its schema
does not change) and feeds it to the old Python formatter, frozen in
tests/e2e/legacy_render/ (the oracle); the text and filtered JSON of each
command, with its options, must equal what the oracle makes of it.  Any
change in what a command shows makes this fail; a deliberate change (a
listed fix) changes the oracle in the same commit."""

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import gdbrun
from gdbrun import harness

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from legacy_render import views as old_views  # noqa: E402
from legacy_render import lockgraph_text as old_lockgraph  # noqa: E402

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")
# deadlock: cgo calls, callbacks, locks of every kind; crashc: a SIGSEGV
# in C, signal frames.
FIXTURES = (("deadlock", "SIGQUIT"), ("crashc", "SIGUSR1"))


def cli(*args):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode()


def oracle(command, words, full, prog):
    """What the old formatter shows for `command WORDS` given the complete
    report `full` (parsed JSON): text, or the parsed JSON object."""
    out = io.StringIO()
    data = json.loads(json.dumps(full))  # the formatter may change what it is given
    hint = "help " + prog
    if command == "info":
        args = old_views.info_parser(prog, hint).parse_args(words)
        old_views.show_info(args, data, out.write)
    elif command in ("goroutines", "goroutine"):
        parser = (old_views.goroutines_parser(prog, hint) if command == "goroutines"
                  else old_views.goroutine_parser(prog))
        args = old_views.parse_goroutines(parser, words)
        plan = old_views.plan_goroutines(args)
        if command == "goroutine":
            plan = old_views.Plan("one", True, plan.json_limit, plan.text_limit)
        if plan.kind == "rows":  # same text as render_list at --frames 0 (its docstring)
            plan = old_views.Plan("report", False, plan.json_limit, plan.text_limit)
        if plan.kind == "all_json":
            return data
        old_views.show_goroutines(args, plan, data, out.write)
    elif command == "threads":
        args = old_views.threads_parser(prog, hint).parse_args(words)
        old_views.show_threads(args, data, out.write)
    elif command == "lockgraph":
        args = old_views.lockgraph_parser(prog, hint).parse_args(words)
        args.dot = None
        old_views.show_lockgraph(args, data, out.write)
    text = out.getvalue()
    return json.loads(text) if "--json" in words else text


def dot_oracle(full):
    return old_lockgraph.dot(json.loads(json.dumps(full)))


def cases(goroutines):
    """(command, words) of every view, with goids and an LWP taken from the
    report."""
    gs = goroutines["goroutines"]
    user = [g["goid"] for g in gs if not g.get("system")]
    deep = max(gs, key=lambda g: len(g.get("frames") or ()))["goid"]
    one, two = str(user[0]), str(user[-1])
    return [
        ("info", []),
        ("goroutines", []),
        ("goroutines", ["--group"]),
        ("goroutines", ["--state", "waiting"]),
        ("goroutines", ["--state", "syscall,RUNNABLE", "--state", "mutex"]),
        ("goroutines", ["--frames", "3"]),
        ("goroutines", ["--frames", "0"]),
        ("goroutines", ["--frames", "0", "--system"]),
        ("goroutines", ["--frames", "all", "--runtime-frames"]),
        ("goroutines", ["--system"]),
        ("goroutines", ["--function", "main."]),
        ("goroutines", ["--function", "main.", "--function", "runtime.", "--frames", "0"]),
        ("goroutines", ["--group", "--runtime-frames", "--system"]),
        ("goroutines", ["--group", "--frames", "1"]),
        ("goroutines", ["--group", "--frames", "0", "--state", "waiting"]),
        ("goroutines", [one, two, "99999"]),
        ("goroutines", [str(deep)]),
        ("goroutines", ["--group", "--json"]),
        ("goroutines", ["--group", "--frames", "2", "--json"]),
        ("goroutines", ["--state", "waiting", "--json"]),
        ("goroutines", ["--function", "main.", "--frames", "0", "--json"]),
        ("goroutines", [one + "," + two, "--json"]),
        ("goroutines", [one, "--json"]),
        ("goroutine", [str(deep)]),
        ("goroutine", [one, "--frames", "2"]),
        ("goroutine", [one, "--json"]),
        ("threads", []),
        ("threads", ["--no-frames"]),
        ("threads", ["--signal-frames"]),
        ("lockgraph", []),
    ]


def full_words(command, words):
    """The options of the complete report a view is made from."""
    if command == "threads":
        return [w for w in words if w in ("--no-frames", "--signal-frames")]
    return []


class GoldenViewsTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.cores = {}
        for fixture, trigger in FIXTURES:
            core = harness.kernel_core(fixture, GO, trigger=trigger)
            cls.cores[fixture] = (os.path.abspath(core["binary"]), os.path.abspath(core["core"]))

    def check_cli(self, fixture):
        exe, core = self.cores[fixture]
        fulls = {}

        def full(command, words):
            key = (command, tuple(full_words(command, words)))
            if key not in fulls:
                name = "goroutines" if command == "goroutine" else command
                rc, out, err = cli(name, "--json", *key[1], exe, core)
                self.assertIn(rc, (0, 2), err)
                fulls[key] = json.loads(out)
            return fulls[key]

        all_cases = cases(full("goroutines", []))
        lwp = str(full("threads", [])["threads"][-1]["lwp"])
        all_cases += [("threads", [lwp]), ("threads", [lwp, "--json"]), ("lockgraph", ["--json"])]
        checked = 0
        for command, words in all_cases:
            if command == "goroutine":
                continue  # GDB only
            rc, out, err = cli(command, *words, exe, core)
            where = "%s: cgostack %s %s" % (fixture, command, " ".join(words))
            want = oracle(command, words, full(command, words), command)
            self.assertIn(rc, (0, 2), where + "\n" + err)
            got = json.loads(out) if "--json" in words else out
            self.assertEqual(got, want, where)
            checked += 1
        # DOT: the file --dot writes.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "g.dot")
            rc, out, err = cli("lockgraph", "--dot", path, exe, core)
            self.assertIn(rc, (0, 2), err)
            with open(path) as f:
                self.assertEqual(f.read(), dot_oracle(full("lockgraph", [])), fixture + " --dot")
            # Stdout is the text view (messages about the file aside).
            shown = "".join(l for l in out.splitlines(True) if not l.startswith("cgostack: "))
            self.assertEqual(shown, oracle("lockgraph", [], full("lockgraph", []), "lockgraph"))
        self.assertGreater(checked, 25)

    def check_gdb(self, fixture):
        exe, core = self.cores[fixture]
        with tempfile.TemporaryDirectory() as d:
            fulls = {}
            cmds = []

            def add(command, words, name):
                path = os.path.join(d, name)
                cmds.append("cgo-%s %s --output %s" % (command, " ".join(words), path))
                return path

            for command, words in (("info", []), ("goroutines", []), ("threads", []),
                                   ("threads", ["--no-frames"]), ("threads", ["--signal-frames"]),
                                   ("lockgraph", [])):
                fulls[(command, tuple(words))] = add(command, words + ["--json"],
                                                     "full-%d.json" % len(fulls))
            # The goids and LWPs come from a first run.
            rc, out, err = gdbrun.gdb(cmds[1:3], exe, core)
            with open(fulls[("goroutines", ())]) as f:
                all_cases = cases(json.load(f))
            with open(fulls[("threads", ())]) as f:
                lwp = str(json.load(f)["threads"][-1]["lwp"])
            all_cases += [("threads", [lwp]), ("threads", [lwp, "--json"]), ("lockgraph", ["--json"])]
            outputs = [add(command, words, "view-%d" % i) for i, (command, words) in enumerate(all_cases)]
            dot = os.path.join(d, "g.dot")
            cmds.append("cgo-lockgraph --dot %s --output %s" % (dot, os.path.join(d, "dot-text")))
            rc, out, err = gdbrun.gdb(cmds, exe, core)
            loaded = {}
            for key, path in fulls.items():
                with open(path) as f:
                    loaded[key] = json.load(f)
            loaded[("goroutine", ())] = loaded[("goroutines", ())]
            for (command, words), path in zip(all_cases, outputs):
                where = "%s: cgo-%s %s" % (fixture, command, " ".join(words))
                self.assertTrue(os.path.exists(path), "%s wrote nothing\n%s\n%s" % (where, out, err))
                with open(path, encoding="utf-8", errors="surrogateescape") as f:
                    got = f.read()
                want = oracle(command, words, loaded[(command, tuple(full_words(command, words)))],
                              "cgo-" + command)
                self.assertEqual(json.loads(got) if "--json" in words else got, want, where)
            with open(dot) as f:
                self.assertEqual(f.read(), dot_oracle(loaded[("lockgraph", ())]), fixture + " --dot")

    def test_cli_runs_no_program_and_needs_no_python(self):
        """Issue 12/16: no execve but the CLI's own (strace, when installed),
        and the same text with nothing on PATH."""
        exe, core = self.cores["deadlock"]
        with tempfile.TemporaryDirectory() as d:
            for words in (["goroutines"], ["goroutines", "--group"], ["threads"], ["info"],
                          ["lockgraph", "--dot", os.path.join(d, "g.dot")]):
                want = cli(*words, exe, core)
                p = subprocess.run([CLI] + words + [exe, core], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={"PATH": d}, timeout=300, stdin=subprocess.DEVNULL)
                self.assertEqual((p.returncode, p.stdout.decode()), want[:2], words)
                if not shutil.which("strace"):
                    continue
                trace = os.path.join(d, "strace.txt")
                subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", trace, CLI] + words + [exe, core],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
                with open(trace) as f:
                    execs = [l for l in f if "execve(" in l]
                self.assertEqual(len(execs), 1, execs)
                self.assertIn('execve("%s"' % CLI, execs[0])

    def test_cli_deadlock(self):
        self.check_cli("deadlock")

    def test_cli_crashc(self):
        self.check_cli("crashc")

    def test_gdb_deadlock(self):
        self.check_gdb("deadlock")

    def test_gdb_crashc(self):
        self.check_gdb("crashc")


class OracleCanFailTest(unittest.TestCase):
    """The oracle sees a change: a report with one more frame renders
    differently (guards against a comparison that always holds)."""

    def test_changed_report_changes_text(self):
        g = {"goid": 7, "status": "waiting", "wait_reason": "chan receive", "labels": {},
             "frames": [{"function": "main.f", "file": "/m.go", "line": 3, "pc": 4096,
                         "lang": "go", "runtime": False, "inlined": False}]}
        report = {"go_version": "go1.27", "goroutines": [g], "warnings": []}
        before = oracle("goroutines", [], report, "goroutines")
        g["frames"].append(dict(g["frames"][0], line=4, pc=4097))
        self.assertNotEqual(before, oracle("goroutines", [], report, "goroutines"))
        self.assertIn("goroutine 7 [chan receive]:", before)


if __name__ == "__main__":
    unittest.main()

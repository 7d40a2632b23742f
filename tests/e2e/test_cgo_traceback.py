"""A program with a cgo traceback function (fixture cgotraceback:
runtime.SetCgoTraceback), kernel core taken with SIGQUIT while two
goroutines are in cgo calls (one blocked in pthread_cond_wait, one
computing in C, whose thread the runtime then aborts the process from).  Each of their threads took the signal through
runtime.cgoSigtramp -> runtime/cgo's x_cgo_callers, which *called*
runtime.sigtramp (stacks/cgo_callers.h): the kernel's signal frame is above
x_cgo_callers's frame.

  normal build     cgo-goroutines equals the runtime's traceback; each of
                   the two threads shows the handler folded into one SIGQUIT
                   boundary above the interrupted C code, then the cgo call
                   and its goroutine
  -ldflags=-s      no symbol table names x_cgo_callers: the same stacks
                   (Go frames from .gopclntab, the same boundaries and
                   signals, C frames at the same pcs), again equal to the
                   runtime's traceback
  stripped copy    the normal build's core read with a copy of its
                   executable without any symbols (strip --strip-all): the
                   same answer as with the symbols, C names of the
                   executable's own code aside"""

import json
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
C_WORK = {"main.waiter": "wait_in_c", "main.spinner": "spin_in_c"}


def cli_json(*args):
    p = subprocess.run([CLI] + [str(a) for a in args] + ["--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if not p.stdout:
        raise AssertionError("cgostack %s: rc=%d\n%s" % (" ".join(map(str, args)), p.returncode, p.stderr))
    return json.loads(p.stdout)


def load(path):
    with open(path) as f:
        return json.load(f)


def shape(frames, exe):
    """What must not depend on the executable's symbol table: Go frames
    (function, line, pc), boundaries (kind, signal), and C frames by pc and
    object, named only where they are not the executable's own code."""
    out = []
    for f in frames or []:
        lang = f.get("lang", "go")
        if lang == "boundary":
            out.append(("boundary", f["kind"], f.get("signal")))
        elif lang == "c":
            own = f.get("object") == exe
            out.append(("c", f["pc"], None if own else f["function"], f.get("object") if not own else "exe"))
        else:
            out.append(("go", f["function"], f.get("line"), f["pc"], bool(f.get("inlined"))))
    return out


def in_cgo_goroutines(report):
    return {g["goid"]: g for g in report["goroutines"]
            if any(f.get("function") in C_WORK for f in g["frames"] or [])}


class CgoTracebackTest(unittest.TestCase):
    maxDiff = None

    def check_core(self, exe, core, oracle):
        """The core of `exe`: the runtime's traceback, and the two threads in
        C inside one SIGQUIT handler each, entered through x_cgo_callers."""
        goroutines = cli_json("goroutines", exe, core)
        self.assertEqual(compare(goroutines, oracle), [])
        threads = cli_json("threads", exe, core)
        in_cgo = in_cgo_goroutines(goroutines)
        self.assertEqual({f.get("function") for g in in_cgo.values() for f in g["frames"]} & set(C_WORK),
                         set(C_WORK))
        for goid, g in in_cgo.items():
            self.assertFalse(g.get("frames_error"), goid)
            frames = g["frames"]
            kinds = [f["kind"] for f in frames if f.get("lang") == "boundary"]
            # The handlers (SIGQUIT through x_cgo_callers; on the thread that
            # then aborted the process, SIGABRT above it), the C code they
            # interrupted, the cgo call: in this order.
            n = kinds.index("cgocall") if "cgocall" in kinds else 0
            self.assertTrue(n >= 1 and kinds[:n] == ["signal"] * n, (goid, kinds))
            cut = [i for i, f in enumerate(frames) if f.get("lang") == "boundary"]
            self.assertEqual(frames[cut[n - 1]]["signal"], "SIGQUIT", goid)
            c = frames[cut[n - 1] + 1:cut[n]]
            self.assertTrue(c and all(f["lang"] == "c" for f in c), (goid, c))
            thread = [t for t in threads["threads"] if t.get("goroutine") == goid]
            self.assertEqual(len(thread), 1, goid)
            t_frames = thread[0]["frames"]
            # The thread view: the same frames from the first signal boundary on.
            start = next(i for i, f in enumerate(t_frames) if f.get("lang") == "boundary" and f["kind"] == "signal")
            self.assertEqual(shape(t_frames[start:], exe), shape(frames, exe), goid)
            self.assertFalse(thread[0].get("frames_error"), goid)
        return goroutines, threads

    def test_normal_build(self):
        core = harness.kernel_core("cgotraceback", GO)
        goroutines, _ = self.check_core(core["binary"], core["core"], load(core["oracle"]))
        # With the symbol table, the executable's C frames are named: the
        # function each goroutine's cgo call is in.
        for g in in_cgo_goroutines(goroutines).values():
            self.assertTrue(set(C_WORK.values()) & {f.get("function") for f in g["frames"] if f.get("lang") == "c"})

    def test_no_symbol_table_build(self):
        """-ldflags=-s: the same stacks, from .gopclntab alone."""
        core = harness.kernel_core("cgotraceback", GO, flags=["-ldflags=-s"])
        out = subprocess.run(["readelf", "-S", core["binary"]], stdout=subprocess.PIPE, text=True).stdout
        self.assertNotIn(".symtab", out)
        self.check_core(core["binary"], core["core"], load(core["oracle"]))

    def test_stripped_copy_gives_the_same_stacks(self):
        core = harness.kernel_core("cgotraceback", GO)
        tmp = tempfile.mkdtemp()
        try:
            stripped = os.path.join(tmp, os.path.basename(core["binary"]))
            shutil.copy(core["binary"], stripped)
            subprocess.run(["strip", "--strip-all", stripped], check=True)
            oracle = load(core["oracle"])
            g_full, t_full = self.check_core(core["binary"], core["core"], oracle)
            g_bare, t_bare = self.check_core(stripped, core["core"], oracle)
            for a, b in ((g_full, g_bare), (t_full, t_bare)):
                items = "goroutines" if "goroutines" in a else "threads"
                full = {it.get("goid", it.get("lwp")): shape(it.get("frames"), core["binary"]) for it in a[items]}
                bare = {it.get("goid", it.get("lwp")): shape(it.get("frames"), stripped) for it in b[items]}
                self.assertEqual(bare, full, items)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()

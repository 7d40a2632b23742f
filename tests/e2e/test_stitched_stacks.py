"""Cross-language stacks: C frames from GDB's unwinder stitched to Go frames
from the runtime's tables, for cgo calls, callbacks from C (nested, and on
threads C created), the Go signal handler and a SIGSEGV inside C; checked
against GDB's own `bt` (C part) and the runtime's traceback (Go part), on
kernel cores, gcore cores and live processes, with and without libc debug
symbols; plus cgo-threads' kinds and blocked-signal masks."""

import json
import os
import tempfile
import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare, physical_functions

GO = gdbrun.go_version_from_argv()

# Frames of a plain GDB backtrace (cgostack's unwinder disabled) per LWP, as
# JSON: the reference for the C part.
_PLAIN_BT = r'''
import gdb, json
gdb.execute("disable unwinder global cgostack-go", to_string=True)
out = {}
for t in gdb.selected_inferior().threads():
    t.switch()
    fs, f = [], gdb.newest_frame()
    while f is not None and len(fs) < 64:
        fs.append({"pc": f.pc(), "function": f.name() or "", "line": f.find_sal().line})
        try:
            f = f.older()
        except gdb.error:
            break
    out[t.ptid[1]] = fs
with open(%r, "w") as fh:
    json.dump(out, fh)
'''


def c_part(frames):
    """The C frames at the top of a stitched stack (after any signal
    boundary), up to the first other boundary."""
    out = []
    for f in frames:
        if f["lang"] == "boundary":
            if f["kind"] in ("signal", "sigpanic") and not out:
                continue
            break
        if f["lang"] == "c":
            out.append(f)
        else:
            break
    return out


def segments(frames):
    """[(boundary kind before the segment or None, [frames])]."""
    segs = [(None, [])]
    for f in frames:
        if f["lang"] == "boundary":
            segs.append((f["kind"], []))
        else:
            segs[-1][1].append(f)
    return [s for s in segs if s[1] or s[0]]


def names(frames):
    return [f.get("function") for f in frames]


def goroutine_with(data, function):
    found = [g for g in data["goroutines"] if function in names(g["frames"])]
    assert len(found) == 1, "%d goroutines run %s" % (len(found), function)
    return found[0]


class StitchedStacksTest(unittest.TestCase):
    def run_gdb(self, commands, *target, iex=()):
        with tempfile.TemporaryDirectory() as d:
            outs = []
            cmds = []
            for c in commands:
                if c.startswith("python-bt"):
                    path = os.path.join(d, "bt.json")
                    script = os.path.join(d, "bt.py")
                    with open(script, "w") as f:
                        f.write(_PLAIN_BT % path)
                    cmds.append("source " + script)
                    outs.append(path)
                else:
                    path = os.path.join(d, "%d.json" % len(outs))
                    cmds.append(c + " --json --output " + path)
                    outs.append(path)
            argv_target = list(target)
            rc, stdout, stderr = gdbrun.gdb(list(iex) + cmds, *argv_target)
            results = []
            for p in outs:
                if not os.path.exists(p):
                    raise AssertionError("no %s (rc=%d)\n%s\n%s" % (p, rc, stdout[-3000:], stderr[-3000:]))
                with open(p) as f:
                    results.append(json.load(f))
            return results

    def test_kernel_core_cgo_calls_and_callback(self):
        core = harness.kernel_core("deadlock", GO)
        oracle = harness.load_oracle(core)
        gs, threads = self.run_gdb(["cgo-goroutines --runtime-frames", "cgo-threads"], core["binary"], core["core"])
        self.assertEqual(compare(gs, oracle), [])
        for fn, cfn in (("main.waiterA", "wait_lock_A"), ("main.cycleG1", "lock_C_blocking")):
            g = goroutine_with(gs, fn)
            c = c_part(g["frames"])
            # The cgo call's C frames: libc's mutex code on top, the
            # fixture's C function last, then the switch into Go.
            self.assertEqual(c[-1]["function"], cfn, names(g["frames"]))
            self.assertTrue(any("pthread_mutex_lock" in f["function"] and "libc" in f["object"] for f in c), c)
            segs = segments(g["frames"])
            kinds = [k for k, _ in segs]
            self.assertEqual(kinds[-1], "cgocall", kinds)
            self.assertEqual(physical_functions(segs[-1][1])[0], "runtime.cgocall")
            self.assertEqual(segs[0][0], "signal")  # GOTRACEBACK=crash: SIGQUIT handler folded
        # C holds mtxC and called back into Go, which blocks on muB.
        g = goroutine_with(gs, "main.lockB")
        segs = segments(g["frames"])
        self.assertEqual([k for k, _ in segs], [None, "callback", "cgocall"], names(g["frames"]))
        self.assertEqual(names(segs[1][1]), ["goLockB", "hold_C_then_call_go"])
        self.assertEqual(physical_functions(segs[0][1])[-1], "runtime.cgocallback")
        self.assertIn("main.cycleG2", physical_functions(segs[2][1]))
        # Its thread: idle M whose locked goroutine is inside the callback.
        t = [t for t in threads["threads"] if t["locked_goroutine"] == g["goid"]]
        self.assertEqual(len(t), 1)
        self.assertTrue(t[0]["in_callback"])
        # Every thread of the dump is in the handler: SIGQUIT, or SIGABRT on
        # the thread that ended the relay.
        self.assertIn(t[0]["signal"], ("SIGQUIT", "SIGABRT"))
        fnames = names(t[0]["frames"])
        self.assertLess(fnames.index("main.lockB"), fnames.index("hold_C_then_call_go"))
        self.assertLess(fnames.index("hold_C_then_call_go"), fnames.index("main.cycleG2"))

    def test_gcore_c_frames_match_gdb_backtrace(self):
        c = harness.gcore("deadlock", GO)
        threads, bt = self.run_gdb(["cgo-threads", "python-bt"], c["binary"], c["core"])
        checked = 0
        for t in threads["threads"]:
            self.assertIsNone(t["signals_blocked"])  # gcore records no mask: unknown
            if t["activity"] != "cgo_call":
                continue
            ours = [(f["pc"], f["function"]) for f in c_part(t["frames"])]
            plain = bt[str(t["lwp"])]
            gdbs = []
            for f in plain:
                if f["function"].startswith("runtime."):
                    break
                gdbs.append((f["pc"], f["function"]))
            self.assertEqual(ours, gdbs, "LWP %d" % t["lwp"])
            checked += 1
        self.assertEqual(checked, 2)

    def test_without_libc_debug_symbols(self):
        core = harness.kernel_core("deadlock", GO)
        with tempfile.TemporaryDirectory() as empty:
            (gs,) = self.run_gdb(["cgo-goroutines"], core["binary"], core["core"],
                                 iex=["set debug-file-directory " + empty])
        g = goroutine_with(gs, "main.waiterA")
        c = c_part(g["frames"])
        self.assertEqual(c[-1]["function"], "wait_lock_A")
        self.assertTrue(any("libc" in f["object"] for f in c))
        self.assertIn("main.waiterA", physical_functions(g["frames"]))

    def test_nested_callbacks_and_c_threads(self):
        core = harness.kernel_core("cthread", GO, args=("-nest", "2"))
        oracle = harness.load_oracle(core)
        gs, threads = self.run_gdb(["cgo-goroutines --runtime-frames", "cgo-threads"], core["binary"], core["core"])
        self.assertEqual(compare(gs, oracle), [])
        g = goroutine_with(gs, "main.nested")
        segs = segments(g["frames"])
        kinds = [k for k, _ in segs]
        self.assertEqual(kinds.count("callback"), 2, kinds)
        self.assertIn("c_inner", names(c_part(g["frames"])))
        for kind, frames in segs:
            if kind == "callback":
                self.assertIn("c_outer", names(frames))
        # A thread C created calling Go: C frames below the callback down to
        # the thread's start, and no runtime.goexit after them.
        g = goroutine_with(gs, "main.callbackWait")
        segs = segments(g["frames"])
        self.assertEqual([k for k, _ in segs], [None, "callback"])
        below = names(segs[1][1])
        self.assertEqual(below[:2], ["goCallbackBlock", "c_callback_thread"])
        self.assertEqual(physical_functions(segs[0][1])[-1], "runtime.goexit")
        self.assertIn("start_thread", below)
        kinds = sorted(t["kind"] for t in threads["threads"])
        self.assertEqual(kinds.count("c"), 2, kinds)  # sleeper and joiner never ran Go
        if tuple(map(int, GO.split("."))) >= (1, 21):  # m.isextra
            self.assertEqual(kinds.count("c_extra_m"), 1, kinds)

    def test_sigsegv_in_c(self):
        core = harness.kernel_core("crashc", GO, trigger="SIGUSR1")
        oracle = harness.load_oracle(core)
        (gs,) = self.run_gdb(["cgo-goroutines --runtime-frames"], core["binary"], core["core"])
        self.assertEqual(compare(gs, oracle), [])
        g = goroutine_with(gs, "main.crasher")
        kinds = [(f["kind"], f.get("signal")) for f in g["frames"] if f["lang"] == "boundary"]
        # Go 1.21+ crashes from the SIGSEGV handler itself; before, the
        # handler injected a call to runtime.sigpanic at the fault.
        self.assertTrue(("signal", "SIGSEGV") in kinds or ("sigpanic", None) in kinds, kinds)
        c = c_part(g["frames"])
        self.assertEqual(names(c)[:2], ["store_through", "crash_in_c"])
        self.assertTrue(c[0]["file"].endswith("crashc.c"))

    def test_blocked_signals(self):
        core = harness.kernel_core("condwait", GO)
        (threads,) = self.run_gdb(["cgo-threads"], core["binary"], core["core"])
        by_fn = {}
        for t in threads["threads"]:
            for f in t["frames"] or ():
                if f.get("function") in ("main.maskedWaiter", "main.plainWaiter"):
                    by_fn[f["function"]] = t
        self.assertEqual(by_fn["main.maskedWaiter"]["runtime_signals_blocked"], ["SIGURG", "SIGPROF"])
        self.assertEqual(by_fn["main.plainWaiter"]["runtime_signals_blocked"], [])

    def test_bt_crosses_into_go(self):
        core = harness.kernel_core("deadlock", GO)
        (threads,) = self.run_gdb(["cgo-threads"], core["binary"], core["core"])
        t = [t for t in threads["threads"] if "main.cycleG1" in names(t["frames"] or [])][0]
        rc, out, err = gdbrun.gdb(["thread %d" % t["gdb_thread"], "bt"], core["binary"], core["core"])
        i, j, k = out.find("lock_C_blocking"), out.find("runtime.cgocall"), out.find("main.cycleG1")
        self.assertTrue(0 <= i < j < k, out[-3000:])
        # The kernel core's SIGQUIT reached every M: GDB's own line for the
        # signal frame stays, between the Go handler and the C code it
        # interrupted, as GDB shows it without the plugin.
        s, h = out.find("<signal handler called>"), out.find("runtime.sigtramp")
        self.assertTrue(0 <= h < s < i, out[-3000:])
        rc, plain, err = gdbrun.gdb(["disable unwinder", "thread %d" % t["gdb_thread"], "bt"],
                                    core["binary"], core["core"])
        self.assertEqual(out.count("<signal handler called>"), plain.count("<signal handler called>"), plain[-3000:])

    def test_live_process(self):
        with harness.live("deadlock", GO) as live:
            (threads,) = self.run_gdb(["cgo-threads"], "-p", live.pid)
        cg = [t for t in threads["threads"] if "main.cycleG1" in names(t["frames"] or [])]
        self.assertEqual(len(cg), 1)
        self.assertEqual(cg[0]["activity"], "cgo_call")
        self.assertEqual(c_part(cg[0]["frames"])[-1]["function"], "lock_C_blocking")
        self.assertIsNotNone(cg[0]["signals_blocked"])  # /proc/PID/task/TID/status


if __name__ == "__main__":
    unittest.main()

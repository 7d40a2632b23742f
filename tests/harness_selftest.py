#!/usr/bin/env python3
"""Self-test of fixtures/harness.py: the fixtures build, kernel cores are
taken, and the oracle parsed from the Go runtime's own traceback says what the
fixtures are meant to show.  Everything else in the project trusts that
oracle, so this test keeps it honest.

Runs with Debian's /usr/bin/python3 (stdlib only):

    python3 tests/harness_selftest.py [-v] [unittest args]

Go releases: 1.19 and the newest installed one (scripts/goroot.sh --list);
CGOSTACK_SELFTEST_GO="1.19 1.23" overrides.  A release that is not
installed is skipped with a message.  Cores are cached by the harness under
build/cores/ (CGOSTACK_SELFTEST_FRESH=1 takes new ones).
"""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "fixtures"))

import harness  # noqa: E402

FRESH = os.environ.get("CGOSTACK_SELFTEST_FRESH") == "1"

# Wait reasons of a parked goroutine, which has no M.
PARKED = {"chan receive", "chan send", "select", "sleep", "semacquire", "sync.Mutex.Lock",
          "sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait", "sync.Cond.Wait"}


def _key(v):
    return tuple(int(x) for x in v.split("."))


def versions_under_test():
    env = os.environ.get("CGOSTACK_SELFTEST_GO")
    if env:
        return env.split()
    installed = harness.installed_versions()
    oldest = harness.supported_releases(ci_only=True)[0]  # go-releases.txt
    out = [oldest]
    if installed and installed[-1] != oldest:
        out.append(installed[-1])
    return out


def has(g, function):
    return any(f["function"] == function for f in g["frames"])


def find(oracle, function):
    """The goroutines whose stack has a frame of function."""
    return [g for g in oracle["goroutines"] if has(g, function)]


def one(test, oracle, function):
    gs = find(oracle, function)
    test.assertEqual(len(gs), 1, "expected exactly one goroutine with a frame %s, got %s"
                     % (function, [g["goid"] for g in gs]))
    return gs[0]


class ParserTest(unittest.TestCase):
    """The traceback parser on hand-written text in both header formats."""

    TEXT_OLD = "\n".join([
        "SIGQUIT: quit",
        "PC=0x463a01 m=0 sigcode=0",
        "",
        "goroutine 0 [idle]:",
        "runtime.futex()",
        "\t/go/src/runtime/sys_linux_amd64.s:559 +0x21 fp=0x7ffe0 sp=0x7ffd8 pc=0x463a01",
        "",
        "goroutine 1 [semacquire, 3 minutes]:",
        "runtime.gopark(0x0?, 0x0?)",
        "\t/go/src/runtime/proc.go:363 +0xd6 fp=0xc000046e88 sp=0xc000046e68 pc=0x436eb6",
        "runtime.goparkunlock(...)",
        "\t/go/src/runtime/proc.go:369",
        "sync.(*WaitGroup).Wait(0x4b256c?)",
        "\t/go/src/sync/waitgroup.go:139 +0x52 fp=0xc000046f48 sp=0xc000046f20 pc=0x4673b2",
        "main.main()",
        "\t/src/main.go:140 +0x151 fp=0xc000046f80 sp=0xc000046f48 pc=0x4958b1",
        "runtime.main()",
        "\t/go/src/runtime/proc.go:250 +0x212 fp=0xc000046fe0 sp=0xc000046f80 pc=0x436af2",
        "runtime.goexit()",
        "\t/go/src/runtime/asm_amd64.s:1594 +0x1 fp=0xc000046fe8 sp=0xc000046fe0 pc=0x461b61",
        "",
        "goroutine 7 [running (scan), locked to thread]:",
        "\tgoroutine running on other thread; stack unavailable",
        "created by main.main",
        "\t/src/main.go:123 +0xa9",
        "",
        "goroutine 9 [chan receive]:",
        "main.deep(0x3)",
        "\t/src/main.go:10 +0x1d fp=0x1 sp=0x2 pc=0x3",
        "...additional frames elided...",
        "created by main.main",
        "\t/src/main.go:124 +0xb5",
        "",
        "rax    0xca",
        "rip    0x463a01",
        "",
        "-----",
        "",
        "SIGQUIT: quit",
        "PC=0x7faf099f6129 m=3 sigcode=0",
        "signal arrived during cgo execution",
        "",
        "goroutine 7 [running, locked to thread]:",
        "main.spin()",
        "\t/src/main.go:50 +0x5 fp=0x1 sp=0x2 pc=0x3",
        "runtime.goexit()",
        "\t/go/src/runtime/asm_amd64.s:1594 +0x1 fp=0x1 sp=0x2 pc=0x3",
        "created by main.main",
        "\t/src/main.go:123 +0xa9",
        "rax    0x0",
        "rip    0x7faf099f6129",
        "",
    ])

    TEXT_NEW = "\n".join([
        "SIGQUIT: quit",
        "PC=0x471f61 m=0 sigcode=0",
        "",
        "goroutine 0 gp=0x57b400 m=0 mp=0x57c080 [idle]:",
        "runtime.futex(0x57c1c0, 0x80, 0x0, 0x0, 0x0, 0x0)",
        "\t/go/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0x7ffe0 sp=0x7ffd8 pc=0x471f61",
        "",
        "goroutine 22 gp=0xc000084700 m=3 mp=0xc000047008 [syscall]:",
        "runtime.cgocall(0x495b40, 0xc00003efb0)",
        "\t/go/src/runtime/cgocall.go:167 +0x4b fp=0x1 sp=0x2 pc=0x3",
        "main._Cfunc_wait_lock_A()",
        "\t_cgo_gotypes.go:119 +0x45 fp=0x1 sp=0x2 pc=0x3",
        "main.waiterA()",
        "\t/src/main.go:58 +0x5b fp=0x1 sp=0x2 pc=0x3",
        "runtime.goexit({})",
        "\t/go/src/runtime/asm_amd64.s:1700 +0x1 fp=0x1 sp=0x2 pc=0x3",
        "created by main.main in goroutine 1",
        "\t/src/main.go:121 +0x91",
        "",
        "goroutine 24 gp=0xc000084a80 m=nil [sync.Mutex.Lock, 12 minutes, locked to thread]:",
        "sync.(*Mutex).Lock(...)",
        "\t/go/src/sync/mutex.go:90",
        "main.f[...](0xc000010000)",
        "\t/src/main.go:70 +0x10 fp=0x1 sp=0x2 pc=0x3",
        "...8 frames elided...",
        "main.g()",
        "\t/src/main.go:80 +0x10 fp=0x1 sp=0x2 pc=0x3",
        "runtime.goexit({})",
        "\t/go/src/runtime/asm_amd64.s:1700 +0x1 fp=0x1 sp=0x2 pc=0x3",
        "created by main.main in goroutine 1",
        "\t/src/main.go:122 +0x91",
        "",
        "rax    0xca",
        "",
    ])

    def test_old_format(self):
        o = harness.parse_traceback(self.TEXT_OLD, go_version="go1.19.8", pid=5)
        self.assertEqual(o["unparsed"], [])
        self.assertFalse(o["header_has_gp_m"])
        gs = {g["goid"]: g for g in o["goroutines"]}
        self.assertEqual(sorted(gs), [1, 7, 9])
        g1 = gs[1]
        self.assertEqual((g1["state"], g1["wait_minutes"], g1["locked_to_thread"]), ("semacquire", 3, False))
        self.assertEqual([f["function"] for f in g1["frames"]],
                         ["runtime.gopark", "runtime.goparkunlock", "sync.(*WaitGroup).Wait", "main.main",
                          "runtime.main", "runtime.goexit"])
        self.assertTrue(g1["frames"][1]["inlined"])
        self.assertEqual(g1["frames"][1]["pc_offset"], None)
        self.assertEqual(g1["frames"][3]["pc_offset"], "0x151")
        self.assertEqual(g1["frames"][3]["line"], 140)
        self.assertEqual(g1["start_function"], "runtime.main")
        self.assertFalse(g1["system"])
        self.assertIsNone(g1["created_by"])
        g7 = gs[7]
        self.assertEqual((g7["state"], g7.get("scan"), g7["locked_to_thread"]), ("running", True, True))
        self.assertTrue(g7["stack_unavailable"])
        self.assertEqual(g7["frames_source"], "thread")  # filled from m=3's section
        self.assertEqual([f["function"] for f in g7["frames"]], ["main.spin", "runtime.goexit"])
        self.assertEqual(g7["thread_m"], 3)
        self.assertEqual(g7["created_by"], {"function": "main.main", "file": "/src/main.go", "line": 123,
                                            "pc_offset": "0xa9", "goid": None})
        self.assertTrue(gs[9]["frames_elided"])
        self.assertIsNone(gs[9]["start_function"])
        self.assertEqual([t["m"] for t in o["threads"]], [0, 3])
        self.assertEqual(o["threads"][0]["goroutines"][0]["goid"], 0)
        self.assertTrue(o["threads"][1]["in_cgo"])
        self.assertEqual(o["threads"][1]["registers"], {"rax": "0x0", "rip": "0x7faf099f6129"})

    def test_new_format(self):
        o = harness.parse_traceback(self.TEXT_NEW)
        self.assertEqual(o["unparsed"], [])
        self.assertTrue(o["header_has_gp_m"])
        gs = {g["goid"]: g for g in o["goroutines"]}
        g = gs[22]
        self.assertEqual((g["gp"], g["m"], g["mp"], g["state"]), ("0xc000084700", 3, "0xc000047008", "syscall"))
        self.assertEqual(g["created_by"]["goid"], 1)
        self.assertEqual(g["frames"][-1]["args"], "{}")
        g = gs[24]
        self.assertEqual((g["m"], g["state"], g["wait_minutes"], g["locked_to_thread"]),
                         (None, "sync.Mutex.Lock", 12, True))
        self.assertEqual(g["frames"][1]["function"], "main.f[...]")
        self.assertEqual(g["frames_elided_count"], 8)
        self.assertEqual(g["frames_elided_at"], 2)
        self.assertEqual(g["start_function"], "main.g")
        t = o["threads"][0]
        self.assertEqual((t["goroutines"][0]["gp"], t["goroutines"][0]["mp"]), ("0x57b400", "0x57c080"))


class ParserCurgTest(unittest.TestCase):
    """SIGQUIT caught on g0 (systemstack) of a thread running a goroutine:
    the first section prints g0, then that goroutine, then the others."""

    TEXT = "\n".join([
        "SIGQUIT: quit",
        "PC=0x474283 m=6 sigcode=0",
        "",
        "goroutine 0 gp=0xc00011a8c0 m=6 mp=0xc000122008 [idle]:",
        "runtime.systemstack(0x800000)",
        "\t/go/src/runtime/asm_amd64.s:514 +0x4a fp=0x1 sp=0x2 pc=0x3",
        "",
        "goroutine 6 gp=0xc00008e000 m=6 mp=0xc000122008 [running]:",
        "runtime.systemstack_switch()",
        "\t/go/src/runtime/asm_amd64.s:479 +0x8 fp=0x1 sp=0x2 pc=0x3",
        "main.gcLoop(0xf4240)",
        "\t/src/main.go:51 +0x18 fp=0x1 sp=0x2 pc=0x3",
        "runtime.goexit({})",
        "\t/go/src/runtime/asm_amd64.s:1700 +0x1 fp=0x1 sp=0x2 pc=0x3",
        "created by main.main in goroutine 1",
        "\t/src/main.go:82 +0x25",
        "",
        "goroutine 7 gp=0xc00008e1c0 m=2 mp=0xc000100008 [running]:",
        "\tgoroutine running on other thread; stack unavailable",
        "created by main.main in goroutine 1",
        "\t/src/main.go:83 +0x25",
        "",
        "rip    0x474283",
        "",
        "-----",
        "",
        "SIGQUIT: quit",
        "PC=0x474281 m=2 sigcode=0",
        "",
        "goroutine 0 gp=0xc0000061c0 m=2 mp=0xc000100008 [idle]:",
        "runtime.morestack()",
        "\t/go/src/runtime/asm_amd64.s:600 +0x4 fp=0x1 sp=0x2 pc=0x3",
        "",
        "goroutine 7 gp=0xc00008e1c0 m=2 mp=0xc000100008 [running]:",
        "main.allocator()",
        "\t/src/main.go:60 +0x18 fp=0x1 sp=0x2 pc=0x3",
        "runtime.goexit({})",
        "\t/go/src/runtime/asm_amd64.s:1700 +0x1 fp=0x1 sp=0x2 pc=0x3",
        "created by main.main in goroutine 1",
        "\t/src/main.go:83 +0x25",
        "rip    0x474281",
        "",
    ])

    def test_curg_after_g0(self):
        o = harness.parse_traceback(self.TEXT)
        self.assertEqual(o["unparsed"], [])
        gs = {g["goid"]: g for g in o["goroutines"]}
        self.assertEqual(sorted(gs), [6, 7])
        self.assertEqual((gs[6]["m"], gs[6]["thread_m"]), (6, 6))
        self.assertEqual([b["goid"] for b in o["threads"][0]["goroutines"]], [0, 6])
        self.assertEqual((gs[7]["thread_m"], gs[7]["frames_source"]), (2, "thread"))
        self.assertEqual(gs[7]["start_function"], "main.allocator")
        self.assertEqual([b["goid"] for b in o["threads"][1]["goroutines"]], [0, 7])


class _CoreTests:
    """Mixed into one TestCase class per Go release (see below)."""

    GO = None

    @classmethod
    def setUpClass(cls):
        try:
            harness.goroot(cls.GO)
        except harness.HarnessError as e:
            raise unittest.SkipTest("Go %s: %s" % (cls.GO, e))
        cls.new_format = _key(cls.GO) >= (1, 22)   # gp= m= mp= in headers
        cls.named_mutex_wait = _key(cls.GO) >= (1, 21)  # "sync.Mutex.Lock"

    def core(self, fixture, args=()):
        r = harness.kernel_core(fixture, self.GO, args, fresh=FRESH)
        self.assertTrue(os.path.getsize(r["core"]) > 1 << 20, r["core"])
        self.assertEqual(r["exit_signal"], "SIGABRT", "the crash relay did not complete: " + r["traceback"])
        return r, harness.load_oracle(r)

    def check_common(self, o):
        self.assertEqual(o["unparsed"], [])
        self.assertEqual(o["signal"], "SIGQUIT")
        self.assertTrue(o["go_version"].startswith("go" + self.GO), o["go_version"])
        self.assertEqual(o["header_has_gp_m"], self.new_format)
        goids = [g["goid"] for g in o["goroutines"]]
        self.assertEqual(len(goids), len(set(goids)))
        self.assertNotIn(0, goids)
        for g in o["goroutines"]:
            self.assertGreaterEqual(len(g["frames"]), 1, g["header"])
            for f in g["frames"]:
                self.assertTrue(f["function"] and f["file"] and f["line"], (g["header"], f))
            if self.new_format:
                self.assertRegex(g["gp"], r"^0x[0-9a-f]+$")
                if g["state"] in ("syscall", "running"):
                    self.assertIsNotNone(g["m"], g["header"])
                    self.assertEqual(g["m"], g["thread_m"], g["header"])
                elif not g["system"] and g["state"] in PARKED:
                    # (a runtime goroutine can be "waiting" while its M
                    # runs it on the system stack, e.g. "GC worker (active)")
                    self.assertIsNone(g["m"], g["header"])
            else:
                self.assertIsNone(g["gp"])
                self.assertIsNone(g["m"])
        ms = [t["m"] for t in o["threads"]]
        self.assertEqual(len(ms), len(set(ms)), ms)
        self.assertIn(0, ms)
        for t in o["threads"]:
            self.assertEqual(t["signal"], "SIGQUIT")
            self.assertIn("rip", t["registers"])
            self.assertIn("rsp", t["registers"])
            self.assertGreaterEqual(len(t["goroutines"]), 1)
            if t["in_cgo"]:
                g = t["goroutines"][0]
                self.assertNotEqual(g["goid"], 0)
                self.assertEqual(g["state"], "syscall")

    def test_build_cached(self):
        b1 = harness.build("deadlock", self.GO)
        m1 = os.stat(b1).st_mtime_ns
        b2 = harness.build("deadlock", self.GO)
        self.assertEqual(b1, b2)
        self.assertEqual(m1, os.stat(b2).st_mtime_ns)
        self.assertEqual(b1, os.path.join(harness.BUILD, "fixtures", "go" + self.GO, "deadlock", "deadlock"))
        p = subprocess.run([sys.executable, os.path.join(REPO, "fixtures", "harness.py"), "build",
                            "--go", self.GO, "--fixture", "deadlock"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b1 + "\n")

    def test_deadlock(self):
        r, o = self.core("deadlock")
        self.check_common(o)
        self.assertEqual(o["pid"], r["pid"])

        g = one(self, o, "main.waiterA")
        self.assertEqual(g["state"], "syscall")
        self.assertEqual(g["frames"][0]["function"], "runtime.cgocall")
        self.assertEqual(g["frames"][1]["function"], "main._Cfunc_wait_lock_A")
        self.assertFalse(g["locked_to_thread"])
        self.assertIsNotNone(g["thread_m"])
        waiter_m = g["thread_m"]

        g = one(self, o, "main.cycleG1")
        self.assertEqual(g["state"], "syscall")
        self.assertEqual(g["frames"][1]["function"], "main._Cfunc_lock_C_blocking")
        self.assertNotEqual(g["thread_m"], waiter_m)

        g = one(self, o, "main.cycleG2")
        self.assertEqual(g["state"], "sync.Mutex.Lock" if self.named_mutex_wait else "semacquire")
        self.assertTrue(g["locked_to_thread"])
        for fn in ("sync.(*Mutex).Lock", "main.lockB", "runtime.cgocallbackg", "runtime.cgocall",
                   "main._Cfunc_hold_C_then_call_go"):
            self.assertTrue(has(g, fn), fn)

        g = one(self, o, "main.leaker")
        self.assertEqual(g["state"], "chan receive")
        self.assertTrue(g["locked_to_thread"])

        for fn, state in (("main.chanReceiver", "chan receive"), ("main.sleeper", "sleep"),
                          ("main.selector", "select")):
            g = one(self, o, fn)
            self.assertEqual(g["state"], state, fn)
            self.assertFalse(g["locked_to_thread"], fn)
            self.assertEqual(g["created_by"]["function"], "main.main")
            self.assertEqual(g["created_by"]["goid"], 1 if _key(self.GO) >= (1, 21) else None)

        g = [g for g in o["goroutines"] if g["goid"] == 1][0]
        self.assertTrue(has(g, "main.main"))
        self.assertIn(g["state"], ("semacquire", "sync.WaitGroup.Wait"))
        self.assertFalse(g["system"])

        user = [g for g in o["goroutines"] if not g["system"]]
        self.assertEqual(len(user), 8, [g["header"] for g in user])
        self.assertEqual(o["user_goroutine_count"], 8)
        self.assertTrue(any(g["system"] and g["start_function"] == "runtime.forcegchelper"
                            for g in o["goroutines"]))

        cgo_threads = sorted(t["goroutines"][0]["goid"] for t in o["threads"] if t["in_cgo"])
        self.assertEqual(cgo_threads, sorted(g["goid"] for g in find(o, "runtime.cgocall")
                                             if g["state"] == "syscall"))

    def test_many(self):
        _, o = self.core("many", ["-n", "2000"])
        self.check_common(o)
        self.assertGreaterEqual(o["goroutine_count"], 2000)
        workers = find(o, "main.worker")
        self.assertEqual(len(workers), 2000)
        depths = {sum(1 for f in g["frames"] if f["function"] == "main.recurse") for g in workers}
        self.assertEqual(depths, set(range(1, 21)))
        cgo = find(o, "main.cgoWorker")
        self.assertEqual(len(cgo), 4)
        self.assertEqual({g["state"] for g in cgo}, {"syscall"})
        v = _key(self.GO)
        expected = {
            "main.blockChanRecv": "chan receive",
            "main.blockChanSend": "chan send",
            "main.blockMutex": "sync.Mutex.Lock" if v >= (1, 21) else "semacquire",
            "main.blockSelect": "select",
            "main.blockSleep": "sleep",
            "main.blockWaitGroup": "sync.WaitGroup.Wait" if v >= (1, 24) else "semacquire",
            "main.blockCond": "sync.Cond.Wait",
            "main.blockRLock": "sync.RWMutex.RLock" if v >= (1, 21) else "semacquire",
        }
        for fn, state in expected.items():
            gs = find(o, fn)
            self.assertEqual(len(gs), 250, fn)
            self.assertEqual({g["state"] for g in gs}, {state}, fn)

    def expect(self, o, function, state, locked=None):
        g = one(self, o, function)
        self.assertEqual(g["state"], state, function)
        if locked is not None:
            self.assertEqual(g["locked_to_thread"], locked, function)
        return g

    def test_other_fixtures(self):
        mutex = "sync.Mutex.Lock" if self.named_mutex_wait else "semacquire"

        _, o = self.core("gcwhilelocked")
        self.check_common(o)
        self.expect(o, "main.holder", "syscall")
        self.expect(o, "main.waiter", "syscall")
        one(self, o, "main.gcLoop")

        _, o = self.core("lockedthread")
        self.check_common(o)
        self.expect(o, "main.lockedChan", "chan receive", True)
        self.expect(o, "main.lockedCgo", "syscall", True)
        self.expect(o, "main.lockedTwice", mutex, True)
        self.expect(o, "main.lockedSyscall", "syscall", True)
        self.expect(o, "main.orphanWaiter", "syscall", False)
        self.assertTrue([g for g in o["goroutines"] if g["goid"] == 1][0]["locked_to_thread"])
        self.assertEqual(find(o, "main.orphaner"), [])

        _, o = self.core("condwait")
        self.check_common(o)
        self.expect(o, "main.maskedWaiter", "syscall")
        self.expect(o, "main.plainWaiter", "syscall")

        _, o = self.core("cthread")
        self.check_common(o)
        g = self.expect(o, "main.callbackWait", "chan receive", True)
        self.assertEqual(g["frames"][-2]["function"], "runtime.cgocallback")
        self.assertIsNone(g["created_by"])
        self.assertFalse(g["system"])
        g = self.expect(o, "main.nested", "syscall", True)
        self.assertEqual(sum(f["function"] == "main._Cfunc_c_outer" for f in g["frames"]), 2)

        _, o = self.core("errorcheck")
        self.check_common(o)
        for fn in ("main.errchkOwner", "main.errchkWaiter", "main.recursiveWaiter", "main.rwReader",
                   "main.rwWriter", "main.joiner"):
            self.expect(o, fn, "syscall")
        self.expect(o, "main.rwOwner", "chan receive", True)

        _, o = self.core("initwait")
        self.check_common(o)
        g = self.expect(o, "main.init.0", "chan receive", True)
        self.assertEqual(g["goid"], 1)
        g = self.expect(o, "runtime.cgocallbackg1", "chan receive", True)
        self.assertFalse(any(f["function"].startswith("main.") for f in g["frames"]))


# One TestCase class per Go release, named e.g. CoreGo1_19.
for _v in versions_under_test():
    _name = "CoreGo" + _v.replace(".", "_")
    globals()[_name] = type(_name, (_CoreTests, unittest.TestCase), {"GO": _v})
del _v, _name


if __name__ == "__main__":
    unittest.main()

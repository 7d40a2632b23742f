"""cgo-goroutines --json agrees with the Go runtime's own traceback of the same
process: the set of goroutines, each one's state (wait reason or status),
"locked to thread", the M the runtime prints, and the order and pcs of the
non-inlined Go frames; on every fixture, for one Go release (--go)."""

import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare, oracle_goroutines

GO = gdbrun.go_version_from_argv()
FIXTURES = ("deadlock", "gcwhilelocked", "lockedthread", "condwait", "cthread", "errorcheck",
            "initwait", "running")


class KernelCoreTest(unittest.TestCase):
    def check_fixture(self, fixture, args=()):
        core = harness.kernel_core(fixture, GO, args=args)
        oracle = harness.load_oracle(core)
        ours = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
        self.assertEqual(ours["go_version"], core["go_version"])
        problems = compare(ours, oracle)
        self.assertEqual(problems, [], "\n".join(problems))
        return ours, oracle

    def test_fixtures(self):
        for fixture in FIXTURES:
            with self.subTest(fixture=fixture):
                self.check_fixture(fixture)

    def test_syscall_goroutine_starts_at_its_thread(self):
        # A goroutine blocked in read(2): the runtime's traceback starts it
        # at syscall.Syscall's entersyscall call (g.syscallpc), but its
        # thread sits in the system call below that, on the goroutine's
        # stack.  The goroutine view and the thread view must show the
        # same frames, the thread's (docs/commands.md, "Which view shows
        # what"), and the runtime's frames are the bottom of them.
        core = harness.kernel_core("lockedthread", GO)
        gs = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
        threads = gdbrun.gdb_json("cgo-threads", core["binary"], core["core"])
        on_thread = {t["goroutine"]: t for t in threads["threads"] if t.get("goroutine")}
        checked = 0
        for g in gs["goroutines"]:
            if g["status"] != "syscall" or g["goid"] not in on_thread or not g["frames"]:
                continue
            if g["frames"][0].get("lang") != "go":
                continue  # in C: a cgo call, checked by the stitched-stack tests
            thread = [f for f in on_thread[g["goid"]]["frames"] if f.get("lang") != "boundary"]
            key = [(f["function"], f["pc"]) for f in g["frames"] if f.get("lang") == "go"]
            self.assertEqual([(f["function"], f["pc"]) for f in thread if f.get("lang") == "go"], key,
                             "goroutine %d: the goroutine view vs its thread's" % g["goid"])
            if any(f["function"] == "main.lockedSyscall" for f in g["frames"]):
                self.assertTrue(key[0][0].endswith("Syscall6"), key)
                checked += 1
        self.assertEqual(checked, 1, "the goroutine blocked in read was not found on its thread")

    def test_many_goroutines(self):
        ours, oracle = self.check_fixture("many", args=("-n", "3000"))
        self.assertGreaterEqual(len(ours["goroutines"]), 3000)

    def test_wait_reasons_come_from_the_binary(self):
        ours, _ = self.check_fixture("deadlock")
        reasons = {g["wait_reason"] for g in ours["goroutines"]}
        # sync.Mutex waits are "semacquire" before Go 1.20 and
        # "sync.Mutex.Lock" after; both come from runtime.waitReasonStrings.
        self.assertTrue(reasons & {"semacquire", "sync.Mutex.Lock"}, reasons)

    def test_pprof_labels(self):
        ours, _ = self.check_fixture("deadlock")
        sleeper = [g for g in ours["goroutines"] if any(f.get("function") == "main.sleeper" for f in g["frames"])]
        self.assertEqual(len(sleeper), 1)
        others = [g for g in ours["goroutines"] if g is not sleeper[0]]
        self.assertTrue(all(g["labels"] == {} for g in others))
        if tuple(map(int, GO.split("."))) >= (1, 24):
            self.assertEqual(sleeper[0]["labels"], {"job": "sleeper", "kind": "timer"})
        else:
            # Before Go 1.24 labels are a Go map, which is not decoded: say so.
            self.assertEqual(sleeper[0]["labels"], {})
            self.assertIn("Go map", sleeper[0]["labels_error"])

    def test_cgo_call_shows_m_and_lwp(self):
        ours, _ = self.check_fixture("deadlock")
        in_c = [g for g in ours["goroutines"] if g["status"] == "syscall"]
        self.assertTrue(in_c)
        for g in in_c:
            self.assertIsNotNone(g["m"], g)
            self.assertIsNotNone(g["lwp"], g)
            self.assertIn("runtime.cgocall", [f.get("function") for f in g["frames"]])


class GcoreAndLiveTest(unittest.TestCase):
    def test_live_attach_matches_the_same_process_traceback(self):
        with harness.live("deadlock", GO, env={"GOTRACEBACK": "crash"}) as p:
            ours = gdbrun.gdb_json("cgo-goroutines", "-p", p.pid)
            # GDB has detached; the process is still hung.  Ask the runtime.
            oracle = gdbrun.runtime_traceback(p)
        problems = compare(ours, oracle)
        self.assertEqual(problems, [], "\n".join(problems))

    def test_running_goroutines_unwind_from_gdbs_registers(self):
        def spinners_of(report):
            return [g for g in report["goroutines"] if g["start"] in ("main.spinner", "main.lockedSpinner")]
        with harness.live("running", GO) as p:
            # sysmon preempts a spinner every 10 ms and it is "runnable"
            # until rescheduled; on a loaded machine an attach can fall in
            # that window (a true observation, but not the case under test).
            for _ in range(5):
                ours = gdbrun.gdb_json("cgo-goroutines", "-p", p.pid)
                if all(g["status"] == "running" for g in spinners_of(ours)):
                    break
        spinners = spinners_of(ours)
        self.assertEqual(len(spinners), 2, ours["goroutines"])
        for g in spinners:
            self.assertEqual(g["status"], "running", g)
            self.assertIsNone(g["frames_error"], g)
            names = [f.get("function") for f in g["frames"]]
            self.assertEqual(names[0], "main.spinLoop", names)
            self.assertEqual(names[1], g["start"], names)
            self.assertIsNotNone(g["gdb_thread"], g)
        locked = [g for g in spinners if g["start"] == "main.lockedSpinner"]
        self.assertTrue(locked[0]["locked_to_thread"])
        self.assertEqual(locked[0]["locked_lwp"], locked[0]["lwp"])

    def test_gcore_lists_the_fixture_goroutines_with_stacks(self):
        c = harness.gcore("deadlock", GO)
        ours = gdbrun.gdb_json("cgo-goroutines", c["binary"], c["core"])
        mains = [g for g in ours["goroutines"] if g["start"].startswith("main.")]
        self.assertGreaterEqual(len(mains), 5)
        for g in mains:
            self.assertTrue(g["frames"], g)
            self.assertIsNone(g["frames_error"], g)


if __name__ == "__main__":
    unittest.main()

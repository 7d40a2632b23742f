"""cgo-lockgraph: the wait-for graph across C and Go on the fixtures, for one
Go release (--go): exact owner LWPs (checked against the thread ids the
fixtures' C code recorded, read with GDB from the same core), lock kinds,
addresses and symbols, inferred sync.Mutex holders, the members of each
cycle and every diagnosis; on kernel cores, a gcore, a live process and
without libc debug symbols."""

import json
import os
import re
import tempfile
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()


def run(*target, extra=(), iex=(), ints=()):
    """cgo-lockgraph --json on `target`, plus the values of the C ints
    `ints` (thread ids the fixture recorded) read by GDB."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "lg.json")
        cmds = list(iex) + ["cgo-lockgraph --json --output " + out] + list(extra)
        cmds += ["set language c"] + ["printf \"INT %s=%%d\\n\", (int)%s" % (n, n) for n in ints]
        rc, stdout, stderr = gdbrun.gdb(cmds, *target)
        if not os.path.exists(out):
            raise AssertionError("no graph (rc=%d)\n%s\n%s" % (rc, stdout[-3000:], stderr[-3000:]))
        with open(out) as f:
            graph = json.load(f)
    values = {m.group(1): int(m.group(2)) for m in re.finditer(r"^INT ([\w.]+)=(-?\d+)$", stdout, re.M)}
    return graph, values, stdout


class Graph:
    def __init__(self, data):
        self.data = data
        self.nodes = {n["id"]: n for n in data["nodes"]}

    def lock(self, symbol):
        found = [n for n in self.data["nodes"] if n["kind"] == "lock" and n["symbol"] == symbol]
        assert len(found) == 1, "%d lock nodes for %s" % (len(found), symbol)
        return found[0]

    def edges(self, kind, src=None, dst=None):
        return [e for e in self.data["edges"]
                if e["kind"] == kind and (src is None or e["from"] == src) and (dst is None or e["to"] == dst)]

    def diagnoses(self, code):
        return [d for d in self.data["diagnoses"] if d["code"] == code]

    def goroutine_running(self, function):
        found = [n["id"] for n in self.data["nodes"] if n["kind"] == "goroutine" and "(%s)" % function in n["label"]]
        assert len(found) == 1, (function, found)
        return found[0]


def check_deadlock_pthreads(test, g, tids):
    """The deadlock fixture's C side: pthread mutex owners are the threads
    it recorded, its waiters, the leaked and the callback-held mutex."""
    mtx_a, mtx_c, mu_b = g.lock("mtxA"), g.lock("mtxC"), g.lock("main.muB")
    test.assertEqual((mtx_a["lock_kind"], mtx_a["owner_lwp"]), ("pthread_mutex", tids["tidLeakA"]))
    test.assertEqual((mtx_c["lock_kind"], mtx_c["owner_lwp"]), ("pthread_mutex", tids["tidHoldC"]))
    test.assertEqual(g.edges("waits_for", "t%d" % tids["tidWaitA"], mtx_a["id"])[0]["exact"], True)
    test.assertTrue(g.edges("waits_for", "t%d" % tids["tidWaitC"], mtx_c["id"]))
    test.assertEqual(mu_b["lock_kind"], "sync.Mutex")
    test.assertTrue(g.edges("waits_for", g.goroutine_running("main.lockB"), mu_b["id"]))
    test.assertEqual(g.diagnoses("lock_leaked")[0]["nodes"], [mtx_a["id"], "t%d" % tids["tidLeakA"]])
    test.assertEqual(g.diagnoses("held_across_callback")[0]["nodes"], [mtx_c["id"], "t%d" % tids["tidHoldC"]])
    return mtx_a, mtx_c, mu_b


class LockGraphTest(unittest.TestCase):
    def check_deadlock(self, data, tids):
        g = Graph(data)
        mtx_a, mtx_c, mu_b = check_deadlock_pthreads(self, g, tids)
        g1, g2 = g.goroutine_running("main.cycleG1"), g.goroutine_running("main.lockB")
        held = g.edges("held_by", mu_b["id"])
        self.assertEqual([(e["to"], e["exact"]) for e in held], [(g1, False)])
        self.assertIn("main.cycleG1", held[0]["evidence"])
        self.assertTrue(g.edges("waits_for", g2, mu_b["id"]))
        # The Go/C lock-order cycle, exactly.
        want = {g1, "t%d" % tids["tidWaitC"], mtx_c["id"], "t%d" % tids["tidHoldC"], g2, mu_b["id"]}
        self.assertEqual([set(c) for c in data["cycles"]], [want])
        self.assertEqual(len(g.diagnoses("deadlock_cycle")), 1)
        # main.sleeper sleeps on a timer: something can still run, so the
        # graph does not claim that nothing can (the cycle is still a deadlock).
        self.assertFalse(g.diagnoses("all_blocked"))
        self.assertFalse(g.diagnoses("owner_exited") + g.diagnoses("self_deadlock"))
        return g

    TIDS = ("tidLeakA", "tidWaitA", "tidWaitC", "tidHoldC")

    def test_deadlock_kernel_core(self):
        core = harness.kernel_core("deadlock", GO)
        with tempfile.TemporaryDirectory() as d:
            dot = os.path.join(d, "g.dot")
            data, tids, out = run(core["binary"], core["core"], extra=["cgo-lockgraph --dot " + dot],
                                  ints=self.TIDS + ("mtxA.__data.__owner",))
            with open(dot) as f:
                self.assertTrue(f.read().startswith("digraph lockgraph {"))
        self.assertEqual(tids["mtxA.__data.__owner"], tids["tidLeakA"])  # glibc's field is the oracle
        self.check_deadlock(data, tids)

    def test_deadlock_gcore_and_without_libc_debug_symbols(self):
        c = harness.gcore("deadlock", GO)
        data, tids, _ = run(c["binary"], c["core"], ints=self.TIDS)
        self.check_deadlock(data, tids)
        core = harness.kernel_core("deadlock", GO)
        with tempfile.TemporaryDirectory() as empty:
            data, tids, _ = run(core["binary"], core["core"], iex=["set debug-file-directory " + empty],
                                ints=self.TIDS)
        self.check_deadlock(data, tids)

    def test_deadlock_live(self):
        with harness.live("deadlock", GO) as live:
            data, tids, _ = run("-p", live.pid, ints=self.TIDS)
        self.check_deadlock(data, tids)

    def test_pthread_lock_kinds(self):
        core = harness.kernel_core("errorcheck", GO)
        data, tids, _ = run(core["binary"], core["core"],
                            ints=("tidErrchkOwner", "tidErrchkWaiter", "tidRecursiveOwner", "rwl.__data.__cur_writer",
                                  "tidNeverExits"))
        g = Graph(data)
        errchk, rec, rwl = g.lock("mtxErrchk"), g.lock("mtxRecursive"), g.lock("rwl")
        self.assertEqual(errchk["owner_lwp"], tids["tidErrchkOwner"])
        self.assertEqual(errchk["details"]["type"], "errorcheck")
        self.assertEqual(rec["owner_lwp"], tids["tidRecursiveOwner"])
        self.assertEqual((rec["details"]["type"], rec["details"]["recursion count"]), ("recursive", "2"))
        self.assertEqual((rwl["lock_kind"], rwl["owner_lwp"]), ("pthread_rwlock", tids["rwl.__data.__cur_writer"]))
        self.assertEqual(len(g.edges("waits_for", dst=rwl["id"])), 2)  # a reader and a writer
        self.assertEqual([d["nodes"][0] for d in g.diagnoses("lock_leaked")], [rwl["id"]])
        join = [n for n in data["nodes"] if n.get("lock_kind") == "thread_join"]
        self.assertEqual([n["owner_lwp"] for n in join], [tids["tidNeverExits"]])
        self.assertEqual(data["cycles"], [])

    def test_owner_exited_and_inferred_holder(self):
        core = harness.kernel_core("lockedthread", GO)
        data, tids, _ = run(core["binary"], core["core"], ints=("tidOrphanOwner", "tidOrphanWaiter"))
        g = Graph(data)
        orphan = g.lock("mtxOrphan")
        self.assertEqual(orphan["owner_lwp"], tids["tidOrphanOwner"])
        self.assertEqual(g.diagnoses("owner_exited")[0]["nodes"], [orphan["id"], "t%d" % tids["tidOrphanOwner"]])
        self.assertTrue(g.nodes["t%d" % tids["tidOrphanOwner"]]["exited"])
        held = g.edges("held_by", g.lock("main.muL")["id"])
        self.assertEqual([(e["to"], e["exact"]) for e in held], [("g1", False)])

    def test_signals_blocked(self):
        core = harness.kernel_core("condwait", GO)
        data, tids, _ = run(core["binary"], core["core"], ints=("tidMasked",))
        g = Graph(data)
        d = g.diagnoses("signals_blocked")
        self.assertEqual([x["nodes"] for x in d], [["t%d" % tids["tidMasked"]]])
        self.assertIn("SIGURG, SIGPROF", d[0]["message"])
        self.assertEqual(g.lock("cvMasked")["lock_kind"], "pthread_cond")

    def test_package_init(self):
        core = harness.kernel_core("initwait", GO)
        data, _, _ = run(core["binary"], core["core"])
        g = Graph(data)
        d = g.diagnoses("waits_for_package_init")
        self.assertEqual(len(d), 1)
        self.assertEqual([e["to"] for e in g.edges("held_by", "package_init")], ["g1"])


if __name__ == "__main__":
    unittest.main()

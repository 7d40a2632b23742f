"""The lock graph tells a hang from work in progress: cgo-lockgraph on
kernel cores of the progress fixture (-mode compute: a C loop computing
while goroutines wait for its result; -mode poll: a goroutine holding a
sync.Mutex polls in C for a flag only a goroutine blocked on that mutex
would set) and of the allblocked fixture (nothing can move: all_blocked),
for one Go release.  The crashed diagnosis is e2e.crash's."""

import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()


def lockgraph(fixture, *args):
    """cgo-lockgraph's JSON and text on a kernel core of `fixture`, from one
    GDB session."""
    import json
    import os
    import tempfile
    core = harness.kernel_core(fixture, GO, args=args)
    with tempfile.TemporaryDirectory() as d:
        out, info = os.path.join(d, "g.json"), os.path.join(d, "info.json")
        rc, text, err = gdbrun.gdb(["cgo-lockgraph --json --output " + out, "cgo-info --json --output " + info,
                                    "cgo-lockgraph"], core["binary"], core["core"])
        if not os.path.exists(out) or not os.path.exists(info):
            raise AssertionError("nothing written (rc=%d)\n%s\n%s" % (rc, text, err))
        with open(out) as f:
            g = json.load(f)
        with open(info) as f:
            core["info"] = json.load(f)
    return core, g, text


def codes(g):
    return [d["code"] for d in g["diagnoses"]]


def goroutine_node(g, function):
    return [n for n in g["nodes"] if n["kind"] == "goroutine" and n["label"].endswith("(%s)" % function)][0]


class ComputeTest(unittest.TestCase):
    def test_a_computing_c_loop_is_not_a_hang(self):
        core, g, text = lockgraph("progress", "-mode", "compute")
        self.assertNotIn("all_blocked", codes(g))
        self.assertNotIn("polls_in_c", codes(g))
        self.assertNotIn("crashed", codes(g))  # a SIGQUIT dump, not a crash
        # The computing goroutine's thread is in its cgo call.
        computer = goroutine_node(g, "main.computer")
        runs = [e["to"] for e in g["edges"] if e["from"] == computer["id"] and e["kind"] == "runs"]
        thread = [n for n in g["nodes"] if n["id"] in runs][0]
        self.assertEqual(thread["activity"], "cgo_call")
        self.assertNotIn("no goroutine or thread can make progress", text)
        # The harness's SIGQUIT: a dump another process asked for, not a crash.
        crash = core["info"]["crash"]
        self.assertEqual((crash["signal"], crash["code"], crash["requested"]), ("SIGQUIT", "SI_USER", True))
        self.assertNotIn(crash["sender_pid"], (None, core["pid"]))
        self.assertIsNone(crash["fault_address"])


class PollTest(unittest.TestCase):
    def test_polling_holder_is_named_with_its_waiters(self):
        core, g, text = lockgraph("progress", "-mode", "poll")
        self.assertNotIn("all_blocked", codes(g))
        polls = [d for d in g["diagnoses"] if d["code"] == "polls_in_c"]
        self.assertEqual(len(polls), 1, g["diagnoses"])
        loader = goroutine_node(g, "main.loader")
        publisher = goroutine_node(g, "main.publisher")
        lock = [n for n in g["nodes"] if n.get("symbol") == "main.stateMu"][0]
        self.assertEqual(polls[0]["message"],
                         "%s holds sync.Mutex main.stateMu and polls in C (wait_ready \u2192 usleep); "
                         "%s waits for main.stateMu: if wait_ready waits for something only publisher "
                         "does, this is a deadlock" % (loader["label"], publisher["label"]))
        self.assertEqual(polls[0]["nodes"], [loader["id"], lock["id"], publisher["id"]])
        self.assertIn("polls in C (wait_ready", text)


class AllBlockedTest(unittest.TestCase):
    """The positive case: fixture allblocked, where two cgo calls are
    deadlocked on pthread mutexes and every other goroutine waits for a Go
    mutex, a channel or a WaitGroup."""

    @classmethod
    def setUpClass(cls):
        cls.core, cls.g, cls.text = lockgraph("allblocked")

    def test_every_goroutine_waits_in_the_runtimes_traceback(self):
        # The oracle: the runtime's own traceback of the same process shows
        # no goroutine running, runnable or asleep on a timer (the two cgo
        # calls are "syscall"), so nothing the runtime knows of can move.
        import json
        with open(self.core["oracle"]) as f:
            states = [g["state"] for g in json.load(f)["goroutines"]]
        self.assertTrue(states)
        for state in states:
            self.assertNotIn(state.split(",")[0], ("running", "runnable", "sleep"), states)
        self.assertEqual(sum(1 for s in states if s.startswith("syscall")), 2, states)

    def test_lockgraph_says_all_blocked(self):
        blocked = [d for d in self.g["diagnoses"] if d["code"] == "all_blocked"]
        self.assertEqual(len(blocked), 1, self.g["diagnoses"])
        self.assertIn("cgo calls are in flight", blocked[0]["message"])
        self.assertEqual(blocked[0]["fix"], "see the cycles and waits above")
        self.assertNotIn("crashed", codes(self.g))
        self.assertNotIn("polls_in_c", codes(self.g))
        self.assertIn("no goroutine or thread can make progress", self.text)

    def test_the_pthread_cycle_is_found(self):
        ab = goroutine_node(self.g, "main.lockAB")
        ba = goroutine_node(self.g, "main.lockBA")
        # The cycle is between their threads (in C) and the two mutexes.
        threads = {e["to"] for e in self.g["edges"] if e["kind"] == "runs" and e["from"] in (ab["id"], ba["id"])}
        self.assertEqual(len(threads), 2)
        locks = {n["id"] for n in self.g["nodes"] if n.get("symbol") in ("mtxA", "mtxB")}
        self.assertEqual(len(locks), 2)
        self.assertIn(threads | locks, [set(c) for c in self.g["cycles"]])


if __name__ == "__main__":
    unittest.main()

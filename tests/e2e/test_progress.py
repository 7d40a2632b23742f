"""The lock graph tells a hang from work in progress: cgo-lockgraph on
kernel cores of the progress fixture (-mode compute: a C loop computing
while goroutines wait for its result; -mode poll: a goroutine holding a
sync.Mutex polls in C for a flag only a goroutine blocked on that mutex
would set) and of the whystop fixture (a crash), for one Go release."""

import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()


def lockgraph(mode):
    core = harness.kernel_core("progress", GO, args=("-mode", mode))
    g = gdbrun.gdb_json("cgo-lockgraph", core["binary"], core["core"])
    rc, text, err = gdbrun.gdb(["cgo-lockgraph"], core["binary"], core["core"])
    return core, g, text


def codes(g):
    return [d["code"] for d in g["diagnoses"]]


def goroutine_node(g, function):
    return [n for n in g["nodes"] if n["kind"] == "goroutine" and n["label"].endswith("(%s)" % function)][0]


class ComputeTest(unittest.TestCase):
    def test_a_computing_c_loop_is_not_a_hang(self):
        core, g, text = lockgraph("compute")
        self.assertNotIn("all_blocked", codes(g))
        self.assertNotIn("polls_in_c", codes(g))
        self.assertNotIn("crashed", codes(g))  # a SIGQUIT dump, not a crash
        # The computing goroutine's thread is in its cgo call.
        computer = goroutine_node(g, "main.computer")
        runs = [e["to"] for e in g["edges"] if e["from"] == computer["id"] and e["kind"] == "runs"]
        thread = [n for n in g["nodes"] if n["id"] in runs][0]
        self.assertEqual(thread["activity"], "cgo_call")
        self.assertNotIn("no goroutine or thread can make progress", text)


class PollTest(unittest.TestCase):
    def test_polling_holder_is_named_with_its_waiters(self):
        core, g, text = lockgraph("poll")
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


class CrashTest(unittest.TestCase):
    def test_crash_core_says_crashed(self):
        core = harness.kernel_core("whystop", GO, args=("-mode", "segv"), trigger="SIGUSR1")
        g = gdbrun.gdb_json("cgo-lockgraph", core["binary"], core["core"])
        crashed = [d for d in g["diagnoses"] if d["code"] == "crashed"]
        self.assertEqual(len(crashed), 1)
        self.assertIn("SIGSEGV at 0x0 in engine::Weigh", crashed[0]["message"])
        self.assertIn("cgo-info", crashed[0]["fix"])
        self.assertNotIn("all_blocked", codes(g))


if __name__ == "__main__":
    unittest.main()

"""Crossing the Go signal handler: on a GOTRACEBACK=crash core every thread is
inside the handler; the context we read from the kernel's ucontext must be
the one the runtime itself dumped (rip, rsp per M) before it aborted."""

import json
import os
import sys
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()
sys.path.insert(0, os.path.join(os.environ.get("CGOSTACK_BUILD_DIR", os.path.join(gdbrun.SOURCE_DIR, "build")),
                                "python"))
import _cgostack  # noqa: E402


class SignalFrameTest(unittest.TestCase):
    def test_interrupted_context_matches_the_runtime_register_dump(self):
        core = harness.kernel_core("deadlock", GO)
        oracle = harness.load_oracle(core)
        dumps = {t["m"]: t["registers"] for t in oracle["threads"] if t.get("registers")}
        threads = json.loads(_cgostack.Session.open_core(core["binary"], core["core"]).threads_json())["threads"]
        checked = 0
        for t in threads:
            if t["m"] not in dumps:
                continue
            self.assertTrue(t["signal_frames"], "LWP %d (M%d) is not seen inside the handler" % (t["lwp"], t["m"]))
            got = t["signal_frames"][-1]["interrupted"]
            want = dumps[t["m"]]
            self.assertEqual((hex(got["rip"]), hex(got["rsp"])), (want["rip"], want["rsp"]),
                             "LWP %d (M%d)" % (t["lwp"], t["m"]))
            checked += 1
        self.assertGreaterEqual(checked, 3)

    def test_gcore_threads_have_no_signal_frames(self):
        c = harness.gcore("deadlock", GO)
        threads = json.loads(_cgostack.Session.open_core(c["binary"], c["core"]).threads_json())["threads"]
        self.assertTrue(threads)
        self.assertTrue(all(t["signal_frames"] == [] for t in threads))
        self.assertTrue(any(t["m"] is not None for t in threads))


if __name__ == "__main__":
    unittest.main()

"""arm64 cores (issue 18): the fixtures cross-built for linux/arm64, run under
qemu-user with GOTRACEBACK=crash, SIGQUIT, and qemu's core of the guest
(no NT_FILE, NT_SIGINFO, FP registers or NT_ARM_TLS) read by the CLI.
Held against the runtime's own traceback: every goroutine's state, M,
lock-to-thread and Go frames (with their pcs); and for every thread the
runtime traced, the pc its SIGQUIT interrupted (read from the aarch64
ucontext above runtime.sigtramp) and the Go frames below it.

Needs qemu-user and gcc-aarch64-linux-gnu (scripts/setup.sh --arm64);
skipped, saying so, without them."""

import json
import os
import shutil
import subprocess
import unittest

import gdbrun
from gdbrun import harness
from oracle_compare import compare, physical_functions

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(os.environ.get("CGOSTACK_CLI_DIR") or BUILD, "cgostack")
# deadlock: cgo calls, a callback into Go, locked threads; condwait: a
# goroutine in C waiting on a condition variable.
FIXTURES = ("deadlock", "condwait")
MISSING = [t for t in ("qemu-aarch64", "aarch64-linux-gnu-gcc") if not shutil.which(t)]


def cli_json(*args):
    p = subprocess.run([CLI] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=300, stdin=subprocess.DEVNULL)
    # 2: partial (qemu's cores hold no build-id notes to check the executable against)
    if p.returncode not in (0, 2):
        raise AssertionError("cgostack %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return json.loads(p.stdout)


@unittest.skipIf(MISSING, "arm64 lane needs %s (scripts/setup.sh --arm64)" % ", ".join(MISSING))
class Arm64CoreTest(unittest.TestCase):
    def core(self, fixture):
        return harness.kernel_core(fixture, GO, arch="arm64")

    def test_goroutines_agree_with_the_runtime(self):
        for fixture in FIXTURES:
            with self.subTest(fixture=fixture):
                core = self.core(fixture)
                oracle = harness.load_oracle(core)
                ours = cli_json("goroutines", "--json", core["binary"], core["core"])
                self.assertEqual(ours["go_version"], core["go_version"])
                self.assertGreater(len(ours["goroutines"]), 5)
                problems = compare(ours, oracle)
                self.assertEqual(problems, [], "\n".join(problems))

    def test_threads_cross_the_arm64_signal_frame(self):
        for fixture in FIXTURES:
            with self.subTest(fixture=fixture):
                core = self.core(fixture)
                oracle = harness.load_oracle(core)
                ours = cli_json("threads", "--json", core["binary"], core["core"])
                by_m = {t["m"]: t for t in ours["threads"] if t["m"] is not None}
                traced = [t for t in oracle["threads"] if t.get("pc") and t.get("m") is not None]
                self.assertTrue(traced, "the runtime traced no thread")
                compared_frames = 0
                for want in traced:
                    t = by_m.get(want["m"])
                    self.assertIsNotNone(t, "no thread for M%d" % want["m"])
                    quit_frames = [sf for sf in t["signal_frames"] if sf["signal"] == want["signal"]]
                    self.assertEqual(len(quit_frames), 1, "M%d: %s frames %s" % (want["m"], want["signal"],
                                                                                t["signal_frames"]))
                    self.assertEqual(hex(quit_frames[0]["interrupted"]["pc"]), want["pc"],
                                     "M%d: interrupted pc" % want["m"])
                    # The thread's own (g0) frames below the handler, when the
                    # runtime printed them and the thread was in Go.
                    g0 = [g for g in want["goroutines"] if g["goid"] == 0]
                    if not g0 or t["frames"] is None:
                        continue
                    wanted = physical_functions(g0[0]["frames"])
                    below = t["frames"]
                    for i, f in enumerate(below):
                        if f.get("lang") == "boundary" and f.get("kind") == "signal":
                            below = t["frames"][i + 1:]
                    got = physical_functions([f for f in below if f.get("lang") == "go"])
                    if got and wanted and below and below[0].get("lang") == "go":
                        self.assertEqual(got[:len(wanted)], wanted, "M%d's frames" % want["m"])
                        compared_frames += 1
                self.assertGreater(compared_frames, 0, "no thread's Go frames were compared")


if __name__ == "__main__":
    unittest.main()

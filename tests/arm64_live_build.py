#!/usr/bin/env python3
"""The live-process code compiled for aarch64 (issue 18).  A live process
is always of the machine cgostack runs on, so the ptrace, snapshot and
core-writing code takes the host's Arch (HostArch(): the aarch64 table,
user_pt_regs through PTRACE_GETREGSET, NT_ARM_TLS) only when cgostack is
built on arm64.  This machine is x86-64 and cannot run those paths; this
test compiles them with the aarch64 cross compiler, so that the arm64
branch of every `#if` and every use of the host's kernel structures
(elf_prstatus, user_regs, siginfo_t, PTRACE_* of aarch64's headers) is
held to compile.  Running them needs arm64 hardware (docs/platforms.md).

The headers of libdw, Capstone and nlohmann-json, which have no aarch64
copy here, come from the host's /usr/include after the cross compiler's
own (they are the same on both machines).  Compiled with -fsyntax-only
(every declaration and template checked, no code generated: 40% less CPU),
so nothing is linked.

Needs g++-aarch64-linux-gnu (scripts/setup.sh --arm64); skipped, saying so,
without it."""

import os
import shutil
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CXX = "aarch64-linux-gnu-g++"

# What runs only against a live process or writes its snapshot, and the
# machine tables the host's Arch comes from.
LIVE_SOURCES = (
    "native/src/arch/arch.cc",
    "native/src/arch/arm64.cc",
    "native/src/target/stopped_process.cc",
    "native/src/target/process_copy.cc",
    "native/src/target/proc_maps.cc",
    "native/src/target/core_writer.cc",
    "native/src/target/target.cc",
    "native/src/snapshot/take_snapshot.cc",
    "native/src/snapshot/watch.cc",
    "native/cli/snapshot_command.cc",
)


@unittest.skipUnless(shutil.which(CXX), "needs %s (scripts/setup.sh --arm64)" % CXX)
class Arm64LiveBuildTest(unittest.TestCase):
    def test_live_code_compiles_for_aarch64(self):
        predefined = subprocess.run([CXX, "-dM", "-E", "-x", "c++", "/dev/null"], stdout=subprocess.PIPE,
                                    text=True, check=True).stdout
        self.assertIn("#define __aarch64__ 1", predefined)
        for source in LIVE_SOURCES:
            with self.subTest(source=source):
                p = subprocess.run([CXX, "-std=c++17", "-Wall", "-Wextra", "-fsyntax-only",
                                    "-I", os.path.join(REPO, "native/src"), "-I", os.path.join(REPO, "native/cli"),
                                    "-idirafter", "/usr/include", os.path.join(REPO, source)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                self.assertEqual(p.returncode, 0, p.stdout[-4000:])
                if p.stdout:  # warnings: shown, not failed on (another compiler's set)
                    print("%s (aarch64):\n%s" % (source, p.stdout[-2000:]))


if __name__ == "__main__":
    unittest.main()

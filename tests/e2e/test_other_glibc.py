"""The lock graph's pthread objects on cores of other glibc releases: the
fixtures linked with the dynamic loader of Debian trixie's glibc (2.41,
which moved pthread_cond_t's fields) and sid's (2.43), as scripts/setup.sh
unpacks them, and with this machine's own glibc.  The layouts come from the
target's libc (its DWARF when libc6-dbg has it, else the table for the
release its text names); owners and waiters must be the ones the fixtures'
C code recorded, in GDB and in the CLI."""

import ctypes
import glob
import json
import os
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()

from test_lockgraph import Graph, run  # noqa: E402  (after --go is taken off argv)

TOOLCHAINS = os.environ.get("CGOSTACK_TOOLCHAINS", "/opt/cgostack/toolchains")
CLI = os.path.join(os.environ.get("CGOSTACK_BUILD_DIR", os.path.join(gdbrun.SOURCE_DIR, "build")), "cgostack")


def other_glibcs():
    """{version: library directory} of the glibcs setup.sh unpacked."""
    found = {}
    for stamp in glob.glob(os.path.join(TOOLCHAINS, "glibc-*", "cgostack.stamp")):
        with open(stamp) as f:
            fields = dict(line.strip().split("=", 1) for line in f if "=" in line and not line.startswith("#"))
        found[fields["glibc_version"]] = fields["libdir"]
    return found


def expected_source(libc, version):
    """How the tool must have read the layouts of `libc`: from the DWARF of
    its debug file when one with its build-id is installed (a trixie host
    has libc6-dbg of its own 2.41), else from the table for `version`."""
    import re
    import subprocess
    notes = subprocess.run(["readelf", "-n", libc], stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", notes)
    if m:
        debug = "/usr/lib/debug/.build-id/%s/%s.debug" % (m.group(1)[:2], m.group(1)[2:])
        if os.path.exists(debug):
            return "DWARF of " + debug
    return "table for glibc " + version


def linked_with(libdir):
    """go build flags that make the fixture load glibc from `libdir`."""
    return ["-ldflags=-linkmode=external -extldflags=-Wl,--dynamic-linker=%s/ld-linux-x86-64.so.2,-rpath=%s"
            % (libdir, libdir)]


def cli_lockgraph(binary, core):
    import subprocess
    p = subprocess.run([CLI, "lockgraph", "--json", binary, core], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    if not p.stdout:
        raise AssertionError("cgostack lockgraph printed nothing (status %d): %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


class OtherGlibcTest(unittest.TestCase):
    def check_condwait(self, core, version, source_prefix):
        data, tids, _ = run(core["binary"], core["core"], ints=("tidMasked", "tidPlain"))
        g = Graph(data)
        self.assertEqual(data["glibc"]["version"], version)
        self.assertTrue(data["glibc"]["layouts_from"].startswith(source_prefix), data["glibc"])
        for cv, tid in (("cvMasked", "tidMasked"), ("cvPlain", "tidPlain")):
            lock = g.lock(cv)
            self.assertEqual(lock["lock_kind"], "pthread_cond")
            self.assertEqual(lock["details"]["waiters"], "1")
            self.assertEqual([e["from"] for e in g.edges("waits_for", dst=lock["id"])], ["t%d" % tids[tid]])
        self.assertEqual(cli_lockgraph(core["binary"], core["core"])["glibc"], data["glibc"])

    def check_errorcheck(self, core, version):
        data, tids, _ = run(core["binary"], core["core"],
                            ints=("tidErrchkOwner", "tidRecursiveOwner", "rwl.__data.__cur_writer", "tidNeverExits"))
        g = Graph(data)
        self.assertEqual(data["glibc"]["version"], version)
        self.assertEqual(g.lock("mtxErrchk")["owner_lwp"], tids["tidErrchkOwner"])
        rec = g.lock("mtxRecursive")
        self.assertEqual((rec["owner_lwp"], rec["details"]["recursion count"]), (tids["tidRecursiveOwner"], "2"))
        self.assertEqual(g.lock("rwl")["owner_lwp"], tids["rwl.__data.__cur_writer"])
        join = [n for n in data["nodes"] if n.get("lock_kind") == "thread_join"]
        self.assertEqual([n["owner_lwp"] for n in join], [tids["tidNeverExits"]])

    def test_other_releases(self):
        glibcs = other_glibcs()
        if not glibcs:
            self.fail("no other glibc under %s: run scripts/setup.sh" % TOOLCHAINS)
        for version, libdir in sorted(glibcs.items()):
            with self.subTest(glibc=version):
                flags = linked_with(libdir)
                self.check_condwait(harness.kernel_core("condwait", GO, flags=flags), version,
                                    expected_source(os.path.join(libdir, "libc.so.6"), version))
                self.check_errorcheck(harness.kernel_core("errorcheck", GO, flags=flags), version)

    def test_this_machine(self):
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        version = libc.gnu_get_libc_version().decode()
        # setup.sh installs libc6-dbg: the layouts then come from its DWARF.
        self.check_condwait(harness.kernel_core("condwait", GO), version,
                            expected_source("/lib/x86_64-linux-gnu/libc.so.6", version))


if __name__ == "__main__":
    unittest.main()

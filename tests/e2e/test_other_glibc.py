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


def build_id(elf):
    """The GNU build-id of `elf` as readelf states it."""
    import re
    import subprocess
    notes = subprocess.run(["readelf", "-n", elf], stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", notes)
    return m.group(1) if m else None


def expected_source(libc, version, sysroot=""):
    """How the tool must have read the layouts of `libc`: from the DWARF of
    its debug file when one with its build-id is installed (a trixie host
    has libc6-dbg of its own 2.41; a sysroot's own debug directory first),
    else from the table for `version`."""
    bid = build_id(libc)
    if bid:
        for top in ([sysroot] if sysroot else []) + [""]:
            debug = "%s/usr/lib/debug/.build-id/%s/%s.debug" % (top, bid[:2], bid[2:])
            if os.path.exists(debug):
                return "DWARF of " + debug
    return "table for glibc " + version


# Debian roots with another release's glibc and gcc (scripts/glibc_root.sh,
# run by `scripts/test.sh --glibc-roots`; the Debian 13 lane's trixie root
# serves too): bullseye 2.31, trixie 2.41.  Bookworm's 2.36 is the host's.
ROOTS_DIR = os.environ.get("CGOSTACK_ROOTS", "/var/cache/cgostack")


def system_roots():
    """{suite: root} of the roots named by $CGOSTACK_GLIBC_ROOTS (set by
    `scripts/test.sh --glibc-roots`; unset, none: the default run stays
    fast even where roots exist).  A named root that is missing fails."""
    found = {}
    for suite in os.environ.get("CGOSTACK_GLIBC_ROOTS", "").split():
        root = os.path.join(ROOTS_DIR, suite)
        if not (os.path.isfile(os.path.join(root, ".cgostack-ready")) and os.path.exists(os.path.join(root, "usr/bin/gcc"))):
            raise AssertionError("no %s root with gcc at %s: run scripts/glibc_root.sh %s" % (suite, root, suite))
        found[suite] = root
    return found


def root_glibc(root):
    """The root's glibc: (upstream version, its libc.so.6 as the dynamic
    linker of the root resolves it), from dpkg's record of libc6."""
    with open(os.path.join(root, "var/lib/dpkg/status")) as f:
        for para in f.read().split("\n\n"):
            if "\nPackage: libc6\n" in "\n" + para + "\n":
                import re
                version = re.search(r"^Version: (\d+\.\d+)", para, re.M).group(1)
                libdir = os.path.join(root, "lib/x86_64-linux-gnu")
                return version, os.path.realpath(os.path.join(libdir, "libc.so.6"))
    raise AssertionError("no libc6 in %s's dpkg status" % root)


def linked_with(libdir):
    """go build flags that make the fixture load glibc from `libdir`."""
    return ["-ldflags=-linkmode=external -extldflags=-Wl,--dynamic-linker=%s/ld-linux-x86-64.so.2,-rpath=%s"
            % (libdir, libdir)]


def cli_lockgraph(binary, core, sysroot=None):
    import subprocess
    p = subprocess.run([CLI, "lockgraph", "--json"] + (["--sysroot", sysroot] if sysroot else []) + [binary, core],
                       stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    if not p.stdout:
        raise AssertionError("cgostack lockgraph printed nothing (status %d): %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


def sysroot_commands(sysroot):
    return ["set sysroot " + sysroot] if sysroot else []


class OtherGlibcTest(unittest.TestCase):
    def check_condwait(self, core, version, source_prefix, sysroot=None):
        data, tids, _ = run(core["binary"], core["core"], iex=sysroot_commands(sysroot),
                            ints=("tidMasked", "tidPlain"))
        self.check_cond_graph(data, tids, version, source_prefix)
        cli = cli_lockgraph(core["binary"], core["core"], sysroot)
        self.assertEqual(cli["glibc"], data["glibc"])
        self.check_cond_graph(cli, tids, version, source_prefix)
        self.assertEqual(cli["warnings"], [], "a sysroot with the process's libc needs no warning")

    def check_cond_graph(self, data, tids, version, source_prefix):
        g = Graph(data)
        self.assertEqual(data["glibc"]["version"], version)
        self.assertTrue(data["glibc"]["layouts_from"].startswith(source_prefix), data["glibc"])
        for cv, tid in (("cvMasked", "tidMasked"), ("cvPlain", "tidPlain")):
            lock = g.lock(cv)
            self.assertEqual(lock["lock_kind"], "pthread_cond")
            self.assertEqual(lock["details"]["waiters"], "1")
            self.assertEqual([e["from"] for e in g.edges("waits_for", dst=lock["id"])], ["t%d" % tids[tid]])

    def check_errorcheck(self, core, version, sysroot=None):
        data, tids, _ = run(core["binary"], core["core"], iex=sysroot_commands(sysroot),
                            ints=("tidErrchkOwner", "tidRecursiveOwner", "rwl.__data.__cur_writer", "tidNeverExits"))
        self.check_errorcheck_graph(data, tids, version)
        if sysroot:
            self.check_errorcheck_graph(cli_lockgraph(core["binary"], core["core"], sysroot), tids, version)

    def check_errorcheck_graph(self, data, tids, version):
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

    def test_debian_roots(self):
        """Cores taken inside Debian roots of other releases: the fixtures'
        C parts compiled by the root's gcc against its headers, linked
        against and run on its glibc; analysed here with the root as
        sysroot (GDB's `set sysroot`, the CLI's --sysroot)."""
        roots = system_roots()
        if not roots:
            self.skipTest("no Debian root named in CGOSTACK_GLIBC_ROOTS (scripts/test.sh --glibc-roots makes "
                          "bullseye's and trixie's under %s and names them)" % ROOTS_DIR)
        for suite, root in sorted(roots.items()):
            with self.subTest(suite=suite):
                version, libc = root_glibc(root)
                core = harness.kernel_core("condwait", GO, system_root=root)
                self.check_condwait(core, version, expected_source(libc, version, root), sysroot=root)
                self.check_errorcheck(harness.kernel_core("errorcheck", GO, system_root=root), version, sysroot=root)
                self.check_without_sysroot(core, version, libc, root)

    def check_without_sysroot(self, core, version, libc, root):
        """The same core without its sysroot: the libc the core names is
        missing here (bullseye's libc-2.31.so) or is this machine's, another
        build (trixie's libc.so.6).  One warning line says which, and how
        the layouts were found instead; never a silent guess."""
        data = cli_lockgraph(core["binary"], core["core"])
        path = "/" + os.path.relpath(libc, root)  # the path inside the root, as the core names it
        # (A library that is another build also gets the CLI's warning that
        # its C frames have no names: that one is not about the layouts.)
        said = [w for w in data["warnings"] if "pthread" in w]
        self.assertEqual(len(said), 1, data["warnings"])
        self.assertIn(path, said[0])
        self.assertNotIn("\n", said[0])
        if not os.path.exists(path):
            # glibc before 2.34 names its file by release: the table for it.
            self.assertEqual(data["glibc"]["version"], version)
            self.assertEqual(data["glibc"]["layouts_from"],
                             "table for glibc %s (release from the file name %s)" % (version, os.path.basename(path)))
            self.assertEqual(said[0], "cannot read %s, the process's libc: pthread layouts come from the %s"
                             % (path, data["glibc"]["layouts_from"]))
        else:
            self.assertTrue(said[0].startswith(path + " is not the libc the process used (build-id %s in the core, %s"
                                               " on disk), so it is not read: " % (build_id(libc), build_id(path))),
                            said[0])
            if data["glibc"]["layouts_from"].startswith("assumed"):
                self.assertIn("2.25-2.40's layouts, which may be wrong", said[0])

    def test_other_libc_in_sysroot(self):
        """A core of this machine analysed with a sysroot whose libc is
        another build (trixie's 2.41, whose condition variable moved, or on
        Debian 13 sid's):
        that libc must not be read silently.  One warning names both
        build-ids, and this machine's libc at the same path, which is the
        process's, gives the pthread layouts (its build-id proves it); the
        condition-variable waits stay with the right threads."""
        import tempfile
        # The path the core's file mappings name (merged /usr: /usr/lib/...).
        host_libc = os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")
        # Another build than the machine's own: trixie's 2.41 on Debian 12,
        # sid's on Debian 13 (whose own libc is trixie's).
        glibcs = other_glibcs()
        others = [v for v in ("2.41", "2.43") if v in glibcs
                  and build_id(os.path.join(glibcs[v], "libc.so.6")) != build_id(host_libc)]
        if not others:
            self.fail("no glibc other than this machine's under %s (%s): run scripts/setup.sh"
                      % (TOOLCHAINS, ", ".join(sorted(glibcs)) or "none"))
        core = harness.kernel_core("condwait", GO)
        with tempfile.TemporaryDirectory() as sysroot:
            libdir = sysroot + os.path.dirname(host_libc)
            os.makedirs(libdir)
            other = os.path.join(glibcs[others[0]], "libc.so.6")
            os.symlink(other, sysroot + host_libc)
            data = cli_lockgraph(core["binary"], core["core"], sysroot)
        self.assertNotEqual(build_id(other), build_id(host_libc))
        wrong = [w for w in data["warnings"] if "is not the libc the process used" in w]
        self.assertEqual(len(wrong), 1, data["warnings"])
        self.assertIn(build_id(other), wrong[0])
        self.assertIn(build_id(host_libc), wrong[0])
        self.assertTrue(wrong[0].endswith(": %s, whose build-id matches, is read instead" % host_libc), wrong[0])
        self.assertEqual(data["glibc"]["libc"], host_libc)
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        version = libc.gnu_get_libc_version().decode()
        self.assertEqual(data["glibc"]["version"], version)
        self.assertTrue(data["glibc"]["layouts_from"].startswith(expected_source(host_libc, version)), data["glibc"])
        # Its C frames are not named from the wrong file either (GDB's
        # sysroot rule: the machine's own copy is not taken in its place),
        # so the waits show as futex waits inside the condition variables,
        # each by the right thread, never as another object.
        unused = [w for w in data["warnings"] if "its C frames have no names" in w]
        self.assertEqual(len(unused), 1, data["warnings"])
        _, tids, _ = run(core["binary"], core["core"], ints=("tidMasked", "tidPlain"))
        g = Graph(data)
        for cv, tid in (("cvMasked", "tidMasked"), ("cvPlain", "tidPlain")):
            locks = [n for n in data["nodes"] if n["kind"] == "lock" and n["symbol"].split("+")[0] == cv]
            self.assertEqual(len(locks), 1, (cv, locks))
            self.assertEqual([e["from"] for e in g.edges("waits_for", dst=locks[0]["id"])], ["t%d" % tids[tid]])

    def test_sysroot_bad_input(self):
        """--sysroot that is not a directory, or with a live process: one
        `cgostack:` line each, no traceback."""
        import subprocess
        core = harness.kernel_core("condwait", GO)
        for argv, status, says in (
                (["--sysroot", "/nonexistent", core["binary"], core["core"]], 1, "is not a directory"),
                (["--sysroot", core["core"], core["binary"], core["core"]], 1, "is not a directory"),
                (["--sysroot", "/", "--pid", str(os.getpid())], 64, "are for a core")):
            p = subprocess.run([CLI, "info"] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.returncode, status, p.stderr)
            lines = p.stderr.splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertTrue(lines[0].startswith("cgostack: ") and says in lines[0], lines[0])

    def test_this_machine(self):
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        version = libc.gnu_get_libc_version().decode()
        # setup.sh installs libc6-dbg: the layouts then come from its DWARF.
        self.check_condwait(harness.kernel_core("condwait", GO), version,
                            expected_source("/lib/x86_64-linux-gnu/libc.so.6", version))


if __name__ == "__main__":
    unittest.main()

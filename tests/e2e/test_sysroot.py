"""A core from another machine: its libraries are not at the paths the core
names but under a directory the user gives, as GDB's `set sysroot` and
`set solib-search-path`.  The libraries the fixture's C frames run in are
copied into a fake sysroot (same files, another place); with --sysroot
pointing there the C frames are the same as with the libraries in place,
with an empty sysroot they lose their names (the machine's own copies are
not used behind the user's back), a flat --solib-search-path directory
works too, and a library of the sysroot whose build-id differs from the
core's is warned about once and not used.  GDB, with the same settings,
shows the same frames."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")


def cli_json(*args):
    p = subprocess.run([CLI] + [str(a) for a in args] + ["--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if not p.stdout:
        raise AssertionError("cgostack %s: rc=%d %s" % (" ".join(map(str, args)), p.returncode, p.stderr))
    return p.returncode, json.loads(p.stdout), p.stderr


def c_frames(threads):
    """Per thread, its C frames as (function, library base name)."""
    return {t["lwp"]: [(f["function"], os.path.basename(f["object"] or "")) for f in t["frames"] or []
                       if f["lang"] == "c"] for t in threads}


class SysrootTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.core = harness.kernel_core("deadlock", GO)
        cls.tmp = tempfile.mkdtemp(prefix="cgostack-sysroot-")
        rc, data, err = cli_json("threads", cls.core["binary"], cls.core["core"])
        cls.plain = data["threads"]
        # The libraries the C frames are in (libc, ld.so), not the program.
        cls.libraries = sorted({f["object"] for t in cls.plain for f in t["frames"] or []
                                if f["lang"] == "c" and f["object"] and f["object"] != cls.core["binary"]})
        cls.sysroot = os.path.join(cls.tmp, "sysroot")
        cls.flat = os.path.join(cls.tmp, "flat")
        os.makedirs(cls.flat)
        # Laid out as a Debian root is (merged /usr: /lib and /lib64 are
        # links into usr/): the core's NT_FILE names the real paths
        # (/usr/lib/...), its link map and GDB the loader's (/lib/...).
        for link in ("lib", "lib64"):
            os.makedirs(os.path.join(cls.sysroot, "usr", link))
            os.symlink(os.path.join("usr", link), os.path.join(cls.sysroot, link))
        for lib in cls.libraries:
            dest = cls.sysroot + os.path.realpath(lib)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(lib, dest)
            shutil.copyfile(lib, os.path.join(cls.flat, os.path.basename(lib)))
        cls.empty = os.path.join(cls.tmp, "empty")
        os.makedirs(cls.empty)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_fixture_has_c_frames_in_libc(self):
        self.assertTrue(any(os.path.basename(l).startswith("libc.so") for l in self.libraries), self.libraries)
        named = [f for fs in c_frames(self.plain).values() for f in fs if f[1].startswith("libc.so") and f[0]]
        self.assertTrue(named)

    def test_sysroot_gives_the_same_frames(self):
        rc, data, err = cli_json("threads", "--sysroot", self.sysroot, self.core["binary"], self.core["core"])
        self.assertEqual(c_frames(data["threads"]), c_frames(self.plain))
        objects = {f["object"] for t in data["threads"] for f in t["frames"] or [] if f["lang"] == "c"}
        self.assertTrue(any(o and o.startswith(self.sysroot + "/") for o in objects), objects)

    def test_solib_search_path_gives_the_same_frames(self):
        rc, data, err = cli_json("threads", "--solib-search-path", self.empty + ":" + self.flat,
                                 self.core["binary"], self.core["core"])
        self.assertEqual(c_frames(data["threads"]), c_frames(self.plain))

    def test_empty_sysroot_uses_nothing_of_this_machine(self):
        rc, data, err = cli_json("threads", "--sysroot", self.empty, self.core["binary"], self.core["core"])
        self.assertNotEqual(c_frames(data["threads"]), c_frames(self.plain))
        objects = {f["object"] for t in data["threads"] for f in t["frames"] or [] if f["lang"] == "c"}
        self.assertFalse([o for o in objects if o in self.libraries], objects)

    def test_wrong_library_in_the_sysroot_is_warned_and_not_used(self):
        libc = [l for l in self.libraries if os.path.basename(l).startswith("libc.so")][0]
        other = os.path.join(self.tmp, "other")
        shutil.copytree(self.sysroot, other, symlinks=True)
        # Another ELF library under libc's name: another build-id.
        libm = "/lib/x86_64-linux-gnu/libm.so.6"
        shutil.copyfile(libm, other + os.path.realpath(libc))
        try:
            rc, data, err = cli_json("threads", "--sysroot", other, self.core["binary"], self.core["core"])
            self.assertEqual(rc, 2, err)
            notes = [w for w in data["warnings"] if "is not the one" in w]
            self.assertEqual(len(notes), 1, data["warnings"])
            self.assertIn(other + os.path.realpath(libc), notes[0])
            libc_frames = [f for t in data["threads"] for f in t["frames"] or []
                           if f["lang"] == "c" and os.path.basename(f["object"] or "").startswith("libc.so")]
            # No frame is named from libm's symbols.
            self.assertTrue(all(f["function"] == "" for f in libc_frames), libc_frames[:3])
        finally:
            shutil.rmtree(other, ignore_errors=True)

    def test_gdb_with_the_same_settings(self):
        ours = gdbrun.gdb_json("cgo-threads", "-iex", "set sysroot " + self.sysroot,
                               self.core["binary"], self.core["core"])
        self.assertEqual(c_frames(ours["threads"]), c_frames(self.plain))

    def test_usage(self):
        p = subprocess.run([CLI, "threads", "--sysroot", self.sysroot, "--pid", "1"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 64)
        self.assertRegex(p.stderr, r"^cgostack: [^\n]*not --pid[^\n]*\n$")


if __name__ == "__main__":
    unittest.main()

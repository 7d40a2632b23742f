"""A library on disk that is not the one the core's process used (another
build-id) is never used silently (issue 16.6): the CLI warns once, naming
both build-ids, exits 2, and leaves that library's frames unnamed rather than
wrong.  The replacement is staged in a private mount namespace: libm bound
over the libc path the core names, while cgostack itself runs on a copy of
the real libc (ld.so --library-path).  Needs root (unshare -m); skipped
otherwise."""

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
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
LIBM = "/usr/lib/x86_64-linux-gnu/libm.so.6"
LDSO = "/lib64/ld-linux-x86-64.so.2"


class ReplacedLibraryTest(unittest.TestCase):
    def test_warns_once_and_names_nothing_wrongly(self):
        if os.geteuid() != 0 or not all(os.path.exists(p) for p in (LIBC, LIBM, LDSO)) or not shutil.which("unshare"):
            self.skipTest("needs root, unshare and Debian's amd64 libc paths")
        core = harness.kernel_core("deadlock", GO, oracle=False)
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(LIBC, os.path.join(d, "libc.so.6"))
            out = os.path.join(d, "threads.json")
            script = ('mount --bind %s %s && exec %s --library-path %s %s threads --json %s %s > %s'
                      % (LIBM, LIBC, LDSO, d, CLI, core["binary"], core["core"], out))
            p = subprocess.run(["unshare", "-m", "sh", "-c", script], stderr=subprocess.PIPE, text=True,
                               timeout=300)
            if p.returncode not in (0, 2) and ("mount" in p.stderr or p.stderr.startswith("unshare:")):
                # e.g. inside a chroot: "cannot change root filesystem propagation"
                self.skipTest("cannot mount in a private namespace here: " + p.stderr.strip())
            self.assertEqual(p.returncode, 2, p.stderr)
            with open(out) as f:
                data = json.load(f)
        notes = [w for w in data["warnings"] if w.startswith("library %s on disk is not the one" % LIBC)]
        self.assertEqual(len(notes), 1, data["warnings"])
        self.assertIn("in the core", notes[0])
        libc_frames = [f for t in data["threads"] for f in t["frames"] or [] if f.get("object") == LIBC]
        self.assertTrue(libc_frames)
        self.assertTrue(all(f["function"] == "" for f in libc_frames), libc_frames[:3])


if __name__ == "__main__":
    unittest.main()

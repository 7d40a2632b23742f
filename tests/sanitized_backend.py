"""The backend under AddressSanitizer + UBSan (scripts/sanitize.sh) on a core
of every fixture and on damaged cores, called the way the GDB commands call
it.  GDB itself cannot run with the ASan runtime preloaded on this machine
(it deadlocks in its first setlocale() call, before reading any command), so
the instrumented module is driven from the Python GDB embeds instead, in a
child process with the ASan runtime preloaded: same module, same calls, no
GDB.  Fixtures and cores are made by this (uninstrumented) process.  A
sanitizer report aborts the child and fails the test."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
import gdbrun  # noqa: E402
from gdbrun import harness  # noqa: E402

GO = gdbrun.go_version_from_argv()

# Runs in the child: every report the commands ask for, per (exe, core).
CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import _cgostack
out = []
for exe, core in json.loads(sys.argv[2]):
    try:
        s = _cgostack.Session.open_core(exe, core)
        info = json.loads(s.info_json())
        full = json.loads(s.goroutines_json(stack_table=True))
        rows = s.goroutine_rows()
        threads = json.loads(s.threads_json())
        out.append({"goroutines": info["goroutines"], "listed": len(full["goroutines"]),
                    "rows": len(rows["rows"]), "threads": len(threads["threads"])})
    except _cgostack.Error as e:
        out.append({"error": str(e)})
print(json.dumps(out))
"""


def run_sanitized(pairs):
    env = dict(os.environ, LD_PRELOAD=os.environ["CGOSTACK_ASAN_RUNTIME"])
    p = subprocess.run([sys.executable, "-c", CHILD, os.environ["CGOSTACK_BACKEND_DIR"], json.dumps(pairs)],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError("sanitized backend failed (rc=%d):\n%s" % (p.returncode, p.stderr[-6000:]))
    return json.loads(p.stdout)


class SanitizedBackendTest(unittest.TestCase):
    def test_every_fixture_core(self):
        cores = [harness.kernel_core(f, GO) for f in harness.FIXTURE_NAMES]
        results = run_sanitized([(c["binary"], c["core"]) for c in cores])
        for fixture, r in zip(harness.FIXTURE_NAMES, results):
            with self.subTest(fixture=fixture):
                self.assertNotIn("error", r)
                self.assertGreater(r["goroutines"], 0)
                self.assertEqual(r["goroutines"], r["listed"])
                self.assertEqual(r["rows"], r["listed"])
                self.assertGreater(r["threads"], 0)

    def test_damaged_cores(self):
        core = harness.kernel_core("deadlock", GO)
        tmp = tempfile.mkdtemp(prefix="cgostack-asan-")
        try:
            size = os.path.getsize(core["core"])
            pairs = []
            for name, keep in (("half", size // 2), ("third", size // 3), ("headers", 4096)):
                cut = os.path.join(tmp, name)
                with open(core["core"], "rb") as src, open(cut, "wb") as dst:
                    dst.write(src.read(keep))
                pairs.append((core["binary"], cut))
            junk = os.path.join(tmp, "junk")
            with open(junk, "wb") as f:
                f.write(os.urandom(1 << 16))
            pairs.append((core["binary"], junk))
            results = run_sanitized(pairs)
            # Partial results or one error line; never a crash.
            self.assertIn("error", results[-1])
            for r in results:
                self.assertTrue("error" in r or r["goroutines"] >= 0, r)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()

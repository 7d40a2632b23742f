"""Cores compressed as systemd-coredump stores them (zstd by default, lz4,
xz), read by the CLI directly: the same JSON as the plain core for every
command (apart from the core's name and its compression), told by magic
number whatever the file is called, nothing decompressed next to the core;
a compressed core cut short gives what could be read and one warning that
says the compressed stream ends early.  GDB cannot open such a core: the
plugin says so in one line with what to do."""

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
# The tools and the options systemd-coredump's libraries use by default.
COMPRESSORS = {"zstd": ["zstd", "-q", "-3", "-T1", "-c"], "lz4": ["lz4", "-q", "-c"], "xz": ["xz", "-q", "-T1", "-c"]}


def cli(*args):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def without_core_name(data):
    data = json.loads(json.dumps(data))
    if isinstance(data.get("target"), dict):
        data["target"].pop("core", None)
        data["target"].pop("compression", None)
    return data


class CompressedCoreTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.core = harness.kernel_core("deadlock", GO)
        cls.tmp = tempfile.mkdtemp(prefix="cgostack-compressed-")
        cls.compressed = {}
        for kind, argv in COMPRESSORS.items():
            # A neutral name: the format must be told by its magic number.
            path = os.path.join(cls.tmp, "core-" + kind + ".bin")
            with open(path, "wb") as out:
                subprocess.run(argv + [cls.core["core"]], stdout=out, check=True)
            cls.compressed[kind] = path

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_same_json_as_the_plain_core(self):
        for command in ("info", "goroutines", "threads", "lockgraph"):
            rc, out, err = cli(command, "--json", self.core["binary"], self.core["core"])
            self.assertIn(rc, (0, 2), err)
            plain = json.loads(out)
            for kind, path in self.compressed.items():
                with self.subTest(command=command, compression=kind):
                    rc2, out2, err2 = cli(command, "--json", self.core["binary"], path)
                    self.assertEqual(rc2, rc, err2)
                    got = json.loads(out2)
                    self.assertEqual(without_core_name(got), without_core_name(plain))
                    if command == "info":
                        self.assertEqual(got["target"]["core"], path)
                        self.assertEqual(got["target"]["compression"], kind)
                        self.assertNotIn("compression", plain["target"])
        # Nothing was written next to the cores.
        self.assertEqual(sorted(os.listdir(self.tmp)), sorted(os.path.basename(p) for p in self.compressed.values()))

    def test_info_text_names_the_compression(self):
        rc, out, err = cli("info", self.core["binary"], self.compressed["zstd"])
        self.assertEqual(rc, 0, err)
        self.assertIn("(zstd-compressed, read in memory)", out)

    def test_truncated_compressed_core(self):
        for kind, path in self.compressed.items():
            cut = os.path.join(self.tmp, "cut-" + kind)
            with open(path, "rb") as src, open(cut, "wb") as dst:
                dst.write(src.read(os.path.getsize(path) * 2 // 3))
            try:
                for command in ("info", "goroutines"):
                    with self.subTest(compression=kind, command=command):
                        rc, out, err = cli(command, "--json", self.core["binary"], cut)
                        self.assertNotIn("Traceback", err)
                        if rc == 1:  # nothing readable: one line that says why
                            self.assertRegex(err, r"^cgostack: [^\n]*%s stream ends early[^\n]*\n$" % kind)
                            continue
                        self.assertEqual(rc, 2, err)
                        # Said once as a warning of its own; reads that fall
                        # in the missing part may quote it as their cause.
                        said = [w for w in json.loads(out)["warnings"] if w.startswith(cut + ": ")]
                        self.assertEqual(len(said), 1, json.loads(out)["warnings"])
                        self.assertIn("the %s stream ends early (the compressed core is truncated)" % kind, said[0])
                # Cut inside the first block: not even an ELF header.
                with open(path, "rb") as src, open(cut, "wb") as dst:
                    dst.write(src.read(64))
                rc, out, err = cli("goroutines", self.core["binary"], cut)
                self.assertEqual(rc, 1)
                self.assertRegex(err, r"^cgostack: [^\n]*%s stream ends early[^\n]*\n$" % kind)
            finally:
                os.unlink(cut)

    def test_damaged_compressed_data(self):
        with open(self.compressed["zstd"], "rb") as f:
            data = bytearray(f.read())
        for i in range(len(data) // 2, len(data) // 2 + 64):
            data[i] ^= 0x5A
        bad = os.path.join(self.tmp, "damaged")
        with open(bad, "wb") as f:
            f.write(data)
        try:
            rc, out, err = cli("info", "--json", self.core["binary"], bad)
            self.assertNotIn("Traceback", err)
            text = err if rc == 1 else " ".join(json.loads(out)["warnings"])
            self.assertIn("the zstd data is damaged", text)
        finally:
            os.unlink(bad)

    def test_gdb_says_what_to_do(self):
        rc, out, err = gdbrun.gdb(["cgo-goroutines"], self.core["binary"], self.compressed["zstd"])
        said = [l for l in (out + err).splitlines() if l.startswith("cgostack:")]
        self.assertEqual(len(said), 1, out + err)
        self.assertIn("zstd-compressed", said[0])
        self.assertIn("zstd -d " + self.compressed["zstd"] + " -o core", said[0])
        self.assertNotIn("Traceback", out + err)


if __name__ == "__main__":
    unittest.main()

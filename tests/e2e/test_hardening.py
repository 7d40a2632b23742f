"""Nothing read from a core or a process can destroy data, hang the tool or
hide a loss (issue 16), end to end on a real kernel core:

- an --output that names an input (the core, the executable, through a
  symlink or a hard link) is refused, in the CLI and in GDB, and the core is
  unchanged byte for byte;
- on a full disk (a 4 KiB tmpfs, /dev/full) every writer fails with one line
  naming the file and leaves no partial file, and an old file stays whole;
- a core whose NT_FILE note and link map name a FIFO: the CLI finishes (it
  used to block in open() forever), warns and skips the file;
- strace of every CLI command: no execve, no open of a non-regular file;
- a pprof label cut at the limit is a warning (exit 2), never silent;
- messages that say what is wrong: a missing file, a directory, an
  unreadable file, not ELF, a truncated core (how much is missing), a
  truncated executable, a zombie, an exiting process, another user's
  process; GDB's text --output into a missing directory."""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

import gdbrun
from gdbrun import harness

GO = os.environ.get("CGOSTACK_TEST_GO", "1.27")
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def cli(*args, timeout=300, prefix=()):
    p = subprocess.run(list(prefix) + [CLI] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cgostack_lines(text):
    return [l for l in text.splitlines() if l.startswith("cgostack:")]


class HardeningTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.core = harness.kernel_core("deadlock", GO)
        cls.binary, cls.core_path = cls.core["binary"], cls.core["core"]
        # In the build tree: on the core's file system (hard links).
        cls.tmp = tempfile.mkdtemp(prefix="hardening-", dir=BUILD)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def one_line(self, err, needle):
        lines = cgostack_lines(err)
        self.assertEqual(len(lines), 1, err)
        self.assertIn(needle, lines[0])
        self.assertNotIn("internal error", lines[0])
        self.assertNotIn("Traceback", err)
        return lines[0]

    # ---------------------------------------------------------- 1. data loss

    def test_cli_refuses_an_output_that_is_an_input(self):
        before = sha256(self.core_path)
        link = os.path.join(self.tmp, "link.core")
        hard = os.path.join(self.tmp, "hard.core")
        os.symlink(self.core_path, link)
        os.link(self.core_path, hard)
        try:
            for out in (self.core_path, link, hard, self.binary):
                for cmd in (["goroutines", "--json"], ["goroutines"], ["info", "--json"], ["info"],
                            ["threads", "--json"], ["lockgraph", "--json"], ["lockgraph", "--dot", out]):
                    rc, stdout, err = cli(*cmd, "--output", out, self.binary, self.core_path)
                    self.assertEqual(rc, 1, (cmd, out, err))
                    self.one_line(err, "will not write")
        finally:
            os.unlink(link)
            os.unlink(hard)
        self.assertEqual(sha256(self.core_path), before)
        self.assertEqual(os.path.getsize(self.core_path), self.core["core_bytes"])

    def test_gdb_refuses_an_output_that_is_an_input(self):
        before = sha256(self.core_path)
        commands = ["cgo-goroutines --json --output " + self.core_path,
                    "cgo-goroutines --output " + self.core_path,
                    "cgo-goroutines 1 --json --output " + self.core_path,
                    "cgo-info --output " + self.core_path,
                    "cgo-threads --json --output " + self.core_path,
                    "cgo-lockgraph --json --output " + self.binary,
                    "cgo-lockgraph --dot " + self.core_path,
                    "echo GDB-ALIVE\\n"]
        rc, out, err = gdbrun.gdb(commands, self.binary, self.core_path)
        self.assertIn("GDB-ALIVE", out, err)  # no "Fatal signal: Bus error"
        lines = cgostack_lines(err)
        self.assertEqual(len(lines), len(commands) - 1, err)
        for line in lines:
            self.assertIn("will not write", line)
        self.assertEqual(sha256(self.core_path), before)

    # ------------------------------------------------------ 2. partial files

    def mount_tiny_fs(self):
        mnt = tempfile.mkdtemp(prefix="full-", dir=self.tmp)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", mnt],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            self.skipTest("cannot mount a small tmpfs here: " + p.stdout.strip())
        self.addCleanup(subprocess.run, ["umount", "-l", mnt])
        with open(os.path.join(mnt, "old.json"), "w") as f:
            f.write("old\n")  # fills the one page
        return mnt

    def test_full_disk_leaves_no_partial_file(self):
        mnt = self.mount_tiny_fs()
        old = os.path.join(mnt, "old.json")
        for cmd, name in ((["goroutines", "--json"], "old.json"), (["goroutines", "--json"], "new.json"),
                          (["goroutines"], "new.txt"), (["threads", "--json"], "t.json"),
                          (["info"], "info.txt"), (["lockgraph", "--json"], "l.json")):
            out = os.path.join(mnt, name)
            rc, stdout, err = cli(*cmd, "--output", out, self.binary, self.core_path)
            self.assertEqual(rc, 1, (cmd, err))
            self.assertEqual(self.one_line(err, "No space left on device"),
                             "cgostack: cannot write %s: No space left on device" % out)
            self.assertEqual(sorted(os.listdir(mnt)), ["old.json"], cmd)
            with open(old) as f:
                self.assertEqual(f.read(), "old\n")
        # A device is written in place (it cannot be renamed over).
        rc, stdout, err = cli("goroutines", "--json", "--output", "/dev/full", self.binary, self.core_path)
        self.assertEqual(rc, 1, err)
        self.one_line(err, "cannot write /dev/full: No space left on device")
        rc, stdout, err = cli("info", "--json", "--output", "/dev/null", self.binary, self.core_path)
        self.assertEqual(rc, 0, err)
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode))

    def test_gdb_full_disk_and_missing_directory(self):
        mnt = self.mount_tiny_fs()
        missing = os.path.join(self.tmp, "no-such-dir", "out.txt")
        good = os.path.join(self.tmp, "good.txt")
        commands = ["cgo-goroutines --output %s/g.txt" % mnt,
                    "cgo-goroutines --json --output %s/g.json" % mnt,
                    "cgo-goroutines 1 --json --output %s/g1.json" % mnt,
                    "cgo-goroutines --output " + missing,
                    "cgo-info --output " + good]
        rc, out, err = gdbrun.gdb(commands, self.binary, self.core_path)
        lines = cgostack_lines(err)
        self.assertEqual(lines, ["cgostack: cannot write %s/g.txt: No space left on device" % mnt,
                                 "cgostack: cannot write %s/g.json: No space left on device" % mnt,
                                 "cgostack: cannot write %s/g1.json: No space left on device" % mnt,
                                 "cgostack: cannot write %s: No such file or directory" % missing], err)
        self.assertEqual(sorted(os.listdir(mnt)), ["old.json"])
        # A file written whole, and nothing printed about it (docs/commands.md).
        self.assertNotIn("wrote", out)
        with open(good) as f:
            self.assertIn("Go version", f.read())

    # ------------------------------------------- 3. a core naming a FIFO

    def core_naming_fifos(self, library=rb"libc\.so\.6"):
        """A copy of the core whose NT_FILE note and link map name FIFOs
        instead of the C library (same length, so nothing else moves)."""
        with open(self.core_path, "rb") as f:
            data = f.read()
        names = set(re.findall(rb"/[A-Za-z0-9_./+-]*/" + library + rb"(?=\x00)", data))
        self.assertTrue(names, "the core names no C library")
        d = tempfile.mkdtemp(prefix="ff", dir="/tmp")
        self.addCleanup(shutil.rmtree, d)
        fifos = []
        for name in sorted(names, key=len, reverse=True):  # /usr/lib/X holds /lib/X
            fifo = (d + "/" + "f" * (len(name) - len(d) - 1)).encode()
            self.assertGreater(len(fifo), len(d) + 1, "path too short to replace")
            os.mkfifo(fifo)
            fifos.append(fifo.decode())
            data = data.replace(name, fifo)
        patched = os.path.join(self.tmp, "fifo.core")
        with open(patched, "wb") as f:
            f.write(data)
        self.addCleanup(os.unlink, patched)
        return patched, fifos

    def test_core_naming_a_fifo_does_not_hang(self):
        patched, fifos = self.core_naming_fifos()
        for cmd in (["threads", "--json"], ["goroutines", "--json"], ["lockgraph", "--json"]):
            try:
                rc, out, err = cli(*cmd, self.binary, patched, timeout=120)
            except subprocess.TimeoutExpired:
                self.fail("%s blocked on a FIFO named by the core" % cmd)
            self.assertEqual(rc, 2, err)
            warnings = json.loads(out)["warnings"]
            self.assertTrue(any(f in w and "a FIFO, not a regular file" in w for w in warnings for f in fifos),
                            warnings)

    # -------------------------------------- strace: no execve, no special open

    def strace(self, *args):
        log = os.path.join(self.tmp, "strace.log")
        p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve,open,openat,openat2", "-o", log, CLI]
                           + [str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=300)
        with open(log) as f:
            return p.returncode, f.read().splitlines()

    def assert_no_exec_and_only_regular_reads(self, calls, fifos=()):
        execs = [c for c in calls if "execve(" in c]
        self.assertEqual(len(execs), 1, execs)  # cgostack itself
        for c in calls:
            m = re.search(r'open(?:at2?)?\((?:[^,]+, )?"([^"]+)", ([A-Z_|]+)[^)]*\)\s+= (\d+)', c)
            for fifo in fifos:
                self.assertNotIn(fifo, c)  # not even tried
            if not m or "O_DIRECTORY" in m.group(2) or "O_RDONLY" not in m.group(2):
                continue
            path = m.group(1)
            if os.path.exists(path):
                self.assertTrue(stat.S_ISREG(os.stat(path).st_mode), c)

    def test_strace_every_cli_command(self):
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        out = os.path.join(self.tmp, "out.json")
        for cmd in (["info", "--json"], ["goroutines", "--json"], ["threads", "--json"],
                    ["lockgraph", "--json"]):
            rc, calls = self.strace(*cmd, "--output", out, self.binary, self.core_path)
            self.assertEqual(rc, 0, cmd)
            self.assert_no_exec_and_only_regular_reads(calls)
        patched, fifos = self.core_naming_fifos()
        rc, calls = self.strace("threads", "--json", self.binary, patched)
        self.assertEqual(rc, 2)
        self.assert_no_exec_and_only_regular_reads(calls, fifos)

    def test_strace_text_commands(self):
        if os.path.exists(os.path.join(gdbrun.SOURCE_DIR, "native", "cli", "text_step.cc")):
            self.skipTest("the CLI's text still runs python3 (native/cli/text_step.cc; issue 12 removes it)")
        for cmd in (["info"], ["goroutines"], ["goroutines", "--group"], ["goroutines", "1", "--json"],
                    ["threads"], ["lockgraph"]):
            rc, calls = self.strace(*cmd, self.binary, self.core_path)
            self.assertEqual(rc, 0, cmd)
            self.assert_no_exec_and_only_regular_reads(calls)

    # ------------------------------------------------------- 6. silent loss

    def test_cut_pprof_label_is_a_warning(self):
        # The deadlock fixture's sleeper has labels job=sleeper, kind=timer:
        # from Go 1.24 a sorted slice of {key, value string}.  Its value's
        # length becomes 1 MiB.
        with open(self.core_path, "rb") as f:
            data = f.read()
        q = rb"(.{8})"
        pattern = re.compile(q + rb"\x03\0{7}" + q + rb"\x07\0{7}" + q + rb"\x04\0{7}" + q + rb"\x05\0{7}", re.S)
        matches = list(pattern.finditer(data))
        if not matches:
            self.skipTest("no pprof label slice in this core (Go %s keeps labels in a map)" % GO)
        data = bytearray(data)
        for m in matches:  # the slice, and any copy the runtime left
            data[m.start() + 24:m.start() + 32] = (1 << 20).to_bytes(8, "little")
        patched = os.path.join(self.tmp, "label.core")
        with open(patched, "wb") as f:
            f.write(data)
        self.addCleanup(os.unlink, patched)
        rc, out, err = cli("goroutines", "--json", self.binary, patched)
        self.assertEqual(rc, 2, err)
        report = json.loads(out)
        self.assertTrue(any("pprof labels longer than 4096 bytes" in w for w in report["warnings"]),
                        report["warnings"])
        cut = [g for g in report["goroutines"] if (g.get("labels") or {}).get("job", "").startswith("sleeper")]
        self.assertEqual(len(cut), 1)
        # Its first 4096 bytes (rodata after "sleeper"; JSON may merge bytes
        # that are not UTF-8 into fewer characters).
        self.assertGreater(len(cut[0]["labels"]["job"]), 4000)
        self.assertLessEqual(len(cut[0]["labels"]["job"]), 4096)
        self.assertIn("1048576 bytes", cut[0]["labels_error"])
        # The untouched core has no such warning and exits 0.
        rc, out, err = cli("goroutines", "--json", self.binary, self.core_path)
        self.assertEqual(rc, 0, err)

    # ---------------------------------------------------------- 7. messages

    def test_messages_for_bad_files(self):
        missing = os.path.join(self.tmp, "missing.core")
        rc, out, err = cli("info", self.binary, missing)
        self.assertEqual(rc, 1)
        self.one_line(err, "cannot open %s: No such file or directory" % missing)
        rc, out, err = cli("info", self.binary, self.tmp)
        self.one_line(err, "%s is a directory" % self.tmp)
        text = os.path.join(self.tmp, "notes.txt")
        with open(text, "w") as f:
            f.write("not a core\n")
        rc, out, err = cli("info", self.binary, text)
        self.one_line(err, "is not a core file (not ELF)")
        fifo = os.path.join(self.tmp, "a.fifo")
        os.mkfifo(fifo)
        rc, out, err = cli("info", self.binary, fifo, timeout=60)
        self.one_line(err, "%s is a FIFO, not a regular file" % fifo)
        rc, out, err = cli("info", fifo, self.core_path, timeout=60)
        self.one_line(err, "%s is a FIFO, not a regular file" % fifo)

    def test_message_for_an_unreadable_file(self):
        private = os.path.join(self.tmp, "private")
        os.mkdir(private)
        os.chmod(private, 0o755)
        core = os.path.join(private, "core")
        shutil.copy(self.core_path, core)
        os.chmod(core, 0o600)
        if subprocess.run(NOBODY + ["test", "-x", CLI]).returncode != 0:
            self.skipTest("the CLI is not executable by nobody here")
        rc, out, err = cli("info", self.binary, core, prefix=NOBODY)
        self.assertEqual(rc, 1)
        self.one_line(err, "cannot open %s: Permission denied" % core)

    def test_message_for_a_truncated_core(self):
        cut = os.path.join(self.tmp, "cut.core")
        with open(self.core_path, "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(38 * 1024))
        rc, out, err = cli("goroutines", self.binary, cut)
        self.assertEqual(rc, 1, err)
        line = self.one_line(err, "core file is truncated: %d of " % (38 * 1024))
        self.assertRegex(line, r"\(\d+ missing")

    def test_message_for_a_truncated_executable(self):
        cut = os.path.join(self.tmp, "cut.exe")
        with open(self.binary, "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(os.path.getsize(self.binary) // 2))
        rc, out, err = cli("info", cut, self.core_path)
        self.assertEqual(rc, 1)
        line = self.one_line(err, "%s is truncated: " % cut)
        self.assertNotIn("not a Go program", line)
        with open(cut, "wb") as dst:
            dst.write(b"\x7fELF\x02\x01")
        rc, out, err = cli("info", cut, self.core_path)
        self.one_line(err, "is truncated (shorter than its ELF header)")

    def test_message_for_a_zombie(self):
        p = subprocess.Popen(["true"])
        try:
            for _ in range(100):
                with open("/proc/%d/status" % p.pid) as f:
                    if "State:\tZ" in f.read():
                        break
                time.sleep(0.05)
            rc, out, err = cli("info", "--pid", p.pid)
            self.assertEqual(rc, 1)
            self.one_line(err, "process %d is a zombie" % p.pid)
        finally:
            p.wait()

    def test_message_for_an_exiting_process(self):
        src = os.path.join(self.tmp, "leader_exits.c")
        exe = os.path.join(self.tmp, "leader_exits")
        with open(src, "w") as f:
            f.write("#include <pthread.h>\n#include <unistd.h>\n"
                    "static void *nap(void *a) { (void)a; sleep(300); return 0; }\n"
                    "int main(void) { pthread_t t; pthread_create(&t, 0, nap, 0); pthread_exit(0); }\n")
        subprocess.run(["cc", "-pthread", "-o", exe, src], check=True)
        p = subprocess.Popen([exe])
        try:
            for _ in range(100):
                with open("/proc/%d/status" % p.pid) as f:
                    if "State:\tZ" in f.read():
                        break
                time.sleep(0.05)
            rc, out, err = cli("info", "--pid", p.pid)
            self.assertEqual(rc, 1)
            self.one_line(err, "process %d is exiting (its main thread has exited)" % p.pid)
        finally:
            p.kill()
            p.wait()

    def test_message_for_another_users_process(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run a process as another user")
        if subprocess.run(NOBODY + ["test", "-x", CLI]).returncode != 0:
            self.skipTest("the CLI is not executable by nobody here")
        p = subprocess.Popen(["sleep", "300"])
        try:
            rc, out, err = cli("info", "--pid", p.pid, prefix=NOBODY)
            self.assertEqual(rc, 1)
            line = self.one_line(err, "Operation not permitted")
            self.assertIn("it belongs to user root (uid 0), not to you", line)
        finally:
            p.kill()
            p.wait()


if __name__ == "__main__":
    unittest.main()

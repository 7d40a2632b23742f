"""Executables without DWARF, and without a symbol table.

-ldflags=-w keeps the ELF symbol table: the runtime layouts come from the
table scripts/gen_layouts.py measured on the same Go release, globals from
the symbols.  -ldflags='-s -w', and `strip --strip-all` as distributions
ship Go programs, leave no symbol either: the globals are found through
.gopclntab and the machine code of the runtime functions that use them
(goruntime/global_finder.cc).  Either way the result must match the
runtime's own traceback, and the stripped copy of a binary must give the
same goroutines, Ms, Ps, GOMAXPROCS, lock graph as the unstripped one on the
same core; each command says which fallback it used and how the binary was
stripped (never blaming -s -w for a `strip`)."""

import os
import shutil
import subprocess
import tempfile
import unittest

import debuginfod_server
import gdbrun
from gdbrun import harness
from oracle_compare import compare

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(BUILD, "cgostack")
# What info must report identically for the stripped and the unstripped copy.
INFO_KEYS = ("go_version", "goroutines", "goroutines_by_status", "threads", "ms", "ps", "gomaxprocs",
             "ncpu", "cgo", "godebug", "gotraceback")


def warnings_about_layouts(data):
    return [w for w in data["warnings"] if w.startswith("layouts: Go %s table" % GO)]


def cli_json(*args):
    p = subprocess.run([CLI] + [str(a) for a in args] + ["--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300, stdin=subprocess.DEVNULL)
    import json
    if not p.stdout:
        raise AssertionError("cgostack %s: rc=%d\n%s" % (" ".join(map(str, args)), p.returncode, p.stderr))
    return p.returncode, json.loads(p.stdout), p.stderr


def c_frames(data, key):
    """(id, C function names) of every goroutine or thread: the names libdwfl
    or GDB found for the native frames, from debug info where there is some."""
    return sorted((item.get("goid", item.get("lwp")),
                   [f.get("function") for f in item.get("frames") or [] if f.get("lang") == "c"])
                  for item in data[key])


def cli_hiding_debug_dir(*args):
    """cli_json() in a private mount namespace where /usr/lib/debug is an
    empty directory: no local debug file for libc (libc6-dbg) is found, as
    on a machine without it.  None if namespaces are not permitted here."""
    empty = tempfile.mkdtemp(prefix="cgostack-nodebug-")
    try:
        probe = subprocess.run(["unshare", "--mount", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if probe.returncode != 0:
            return None
        p = subprocess.run(["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /usr/lib/debug && exec "$@"',
                            empty, CLI] + [str(a) for a in args] + ["--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
        import json
        if not p.stdout:
            raise AssertionError("cgostack %s: rc=%d\n%s" % (" ".join(map(str, args)), p.returncode, p.stderr))
        return json.loads(p.stdout)
    finally:
        os.rmdir(empty)


def without_layout_warnings(data):
    data = dict(data)
    data["warnings"] = [w for w in data["warnings"] if not w.startswith("layouts: ")]
    return data


class StrippedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cgostack-stripped-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def strip_all(self, binary):
        """A `strip --strip-all` copy (no .symtab, no DWARF), as Debian ships Go programs."""
        # Named by the build's directory too: the PIE and the plain build share a file name.
        out = os.path.join(self.tmp, os.path.basename(os.path.dirname(binary)) + "-" +
                           os.path.basename(binary) + ".stripped")
        if not os.path.exists(out):
            subprocess.run(["strip", "--strip-all", "-o", out, binary], check=True)
        return out

    def assert_gdb_debug_file_used(self, exe, core, oracle, full, dbg, init):
        """In GDB (started with `init`), the plugin reads the Go DWARF from
        `dbg`, the debug file GDB loaded for `exe`: cgo-info names it
        (found by gdb) and equals `full` (the unstripped binary's), the
        goroutines equal the runtime's traceback."""
        info = gdbrun.gdb_json("cgo-info", exe, core["core"], init=init)
        self.assertEqual((info["debug_file"], info["debug_file_found_by"]), (dbg, "gdb"))
        self.assertEqual(info["warnings"], [])
        for key in INFO_KEYS:
            self.assertEqual(info[key], full[key], key)
        ours = gdbrun.gdb_json("cgo-goroutines", exe, core["core"], init=init)
        self.assertEqual(compare(ours, oracle), [])
        self.assertEqual(ours["warnings"], [])
        rc, text, err = gdbrun.gdb(["cgo-info"], exe, core["core"], init=init)
        self.assertIn("separate file %s (found by gdb)" % dbg, text)

    def test_without_dwarf_matches_the_runtime(self):
        core = harness.kernel_core("deadlock", GO, flags=["-ldflags=-w"])
        oracle = harness.load_oracle(core)
        ours = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
        self.assertEqual(compare(ours, oracle), [])
        self.assertEqual(len(warnings_about_layouts(ours)), 1, ours["warnings"])
        info = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        self.assertEqual(info["goroutines"], oracle["goroutine_count"])
        self.assertEqual(len(warnings_about_layouts(info)), 1, info["warnings"])
        rc, out, err = gdbrun.gdb(["cgo-goroutines"], core["binary"], core["core"])
        self.assertIn("layouts: Go %s table" % GO, out + err)

    def test_built_with_s_w_matches_the_runtime(self):
        core = harness.kernel_core("deadlock", GO, flags=["-ldflags=-s -w"])
        oracle = harness.load_oracle(core)
        ours = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
        self.assertEqual(compare(ours, oracle), [])
        notes = warnings_about_layouts(ours)
        self.assertEqual(len(notes), 1, ours["warnings"])
        self.assertIn("stripped: no symbol table, no DWARF (built with -ldflags='-s -w')", notes[0])
        info = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        self.assertEqual(info["go_version"], core["go_version"])
        self.assertTrue(info["cgo"])
        self.assertEqual(info["goroutines"], oracle["goroutine_count"])
        self.assertGreater(info["gomaxprocs"], 0)
        self.assertEqual(len(info["ps"]), info["gomaxprocs"])
        self.assertGreater(info["ms"], 0)
        # The CLI: same goroutines (its C frames come from libdwfl).
        rc, cli, err = cli_json("goroutines", core["binary"], core["core"])
        self.assertEqual(compare(cli, oracle), [], err)

    def test_strip_all_gives_what_the_unstripped_binary_gives(self):
        core = harness.kernel_core("deadlock", GO)
        oracle = harness.load_oracle(core)
        stripped = self.strip_all(core["binary"])
        ours = gdbrun.gdb_json("cgo-goroutines", stripped, core["core"])
        self.assertEqual(compare(ours, oracle), [])
        notes = warnings_about_layouts(ours)
        self.assertEqual(len(notes), 1, ours["warnings"])
        self.assertIn("stripped: no symbol table, no DWARF (stripped after the build)", notes[0])
        self.assertNotIn("-s -w", notes[0])
        # Every fact cgo-info reads from the runtime's globals, as with symbols.
        full = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        info = gdbrun.gdb_json("cgo-info", stripped, core["core"])
        for key in INFO_KEYS:
            self.assertEqual(info[key], full[key], key)
        self.assertIsNotNone(info["gomaxprocs"])
        # The CLI agrees on goroutines, threads (M/LWP) and the lock graph's Go side.
        for command in ("goroutines", "threads"):
            rc1, a, _ = cli_json(command, core["binary"], core["core"])
            rc2, b, err = cli_json(command, stripped, core["core"])
            if command == "goroutines":
                self.assertEqual(compare(b, oracle), [], err)
            else:
                self.assertEqual([(t["lwp"], t.get("m"), t.get("goroutine")) for t in b["threads"]],
                                 [(t["lwp"], t.get("m"), t.get("goroutine")) for t in a["threads"]])
        rc1, a, _ = cli_json("lockgraph", core["binary"], core["core"])
        rc2, b, err = cli_json("lockgraph", stripped, core["core"])
        # C objects lose their symbol names (mtxA): compare by id and kind.
        nodes = lambda g: sorted((n["id"], n["kind"], n.get("lock_kind")) for n in g["nodes"])
        edges = lambda g: sorted((e["from"], e["to"], e["kind"]) for e in g["edges"])
        self.assertEqual(nodes(b), nodes(a), err)
        self.assertEqual(edges(b), edges(a), err)
        self.assertEqual(len(b["cycles"]), len(a["cycles"]), err)

    def test_separate_debug_file_by_gnu_debuglink(self):
        """objcopy --only-keep-debug + .gnu_debuglink, as distributions split
        debug info: found in the executable's .debug/ directory (where GDB
        looks), used instead of the layout table, named in cgo-info."""
        core = harness.kernel_core("deadlock", GO)
        oracle = harness.load_oracle(core)
        d = os.path.join(self.tmp, "debuglink")
        os.makedirs(os.path.join(d, ".debug"), exist_ok=True)
        exe = os.path.join(d, "deadlock")
        dbg = os.path.join(d, ".debug", "deadlock.debug")
        subprocess.run(["objcopy", "--only-keep-debug", core["binary"], dbg], check=True)
        subprocess.run(["objcopy", "--strip-all", "--add-gnu-debuglink=" + dbg, core["binary"], exe], check=True)
        info = gdbrun.gdb_json("cgo-info", exe, core["core"])
        self.assertEqual(info["debug_file"], dbg)
        self.assertEqual(info["warnings"], [])
        full = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        self.assertIsNone(full["debug_file"])
        for key in INFO_KEYS:
            self.assertEqual(info[key], full[key], key)
        ours = gdbrun.gdb_json("cgo-goroutines", exe, core["core"])
        self.assertEqual(compare(ours, oracle), [])
        self.assertEqual(ours["warnings"], [])
        rc, cli, err = cli_json("goroutines", exe, core["core"])
        self.assertEqual(compare(cli, oracle), [], err)
        # A debug file that is not this build's (CRC differs) is not used.
        with open(dbg, "ab") as f:
            f.write(b"\0")
        info = gdbrun.gdb_json("cgo-info", exe, core["core"])
        self.assertIsNone(info["debug_file"])
        self.assertEqual(len(warnings_about_layouts(info)), 1, info["warnings"])

    def test_debug_file_gdb_found_in_its_debug_file_directory(self):
        """The debug file lies under a build-id tree in a directory only
        GDB is told of (`set debug-file-directory DIR`): the plugin reads
        the Go DWARF from the file GDB loaded (its objfile's separate debug
        objfile), as from the unstripped binary; the CLI, told nothing, uses
        the layout table."""
        core = harness.kernel_core("deadlock", GO)
        oracle = harness.load_oracle(core)
        d = os.path.join(self.tmp, "gdb-debug-dir")
        exe = os.path.join(d, "deadlock")
        os.makedirs(d, exist_ok=True)
        subprocess.run(["objcopy", "--strip-all", core["binary"], exe], check=True)
        hexid = debuginfod_server.build_id(exe)
        debug_root = os.path.join(d, "debug-root")
        dbg = os.path.join(debug_root, ".build-id", hexid[:2], hexid[2:] + ".debug")
        os.makedirs(os.path.dirname(dbg), exist_ok=True)
        subprocess.run(["objcopy", "--only-keep-debug", core["binary"], dbg], check=True)
        init = ["set debug-file-directory " + debug_root]
        full = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        self.assert_gdb_debug_file_used(exe, core, oracle, full, dbg, init)
        # Without the setting GDB finds none, and neither does the plugin.
        info = gdbrun.gdb_json("cgo-info", exe, core["core"])
        self.assertIsNone(info["debug_file"])
        self.assertEqual(len(warnings_about_layouts(info)), 1, info["warnings"])

    def test_debug_files_from_debuginfod(self):
        """Stripped, its debug file on no path GDB looks at but served by a
        debuginfod server (elfutils', on a loopback port) named in
        DEBUGINFOD_URLS: the Go layouts and the C frames' names come from the
        file the client fetched, as from the unstripped binary, and
        cgo-info names it.  With this machine's /usr/lib/debug hidden, libc's
        debug file (libc6-dbg's) comes from the server too."""
        core = harness.kernel_core("deadlock", GO)
        oracle = harness.load_oracle(core)
        d = os.path.join(self.tmp, "debuginfod")
        srv = os.path.join(d, "served")
        os.makedirs(srv, exist_ok=True)
        exe = os.path.join(d, "deadlock")
        subprocess.run(["objcopy", "--only-keep-debug", core["binary"], os.path.join(srv, "deadlock.debug")],
                       check=True)
        subprocess.run(["objcopy", "--strip-all", core["binary"], exe], check=True)  # no .gnu_debuglink
        exe_id = debuginfod_server.build_id(exe)
        full = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        libc_debug = full["libc"]["debug_file"]
        self.assertTrue(libc_debug and libc_debug.startswith("/usr/lib/debug/.build-id/"), full["libc"])
        libc_id = libc_debug.split("/.build-id/")[1].replace("/", "")[:-len(".debug")]
        shutil.copy(libc_debug, os.path.join(srv, "libc.debug"))
        # Without a server: the layout table, no debug file named.
        rc, alone, err = cli_json("info", exe, core["core"])
        self.assertIsNone(alone["debug_file"])
        self.assertEqual(len(warnings_about_layouts(alone)), 1, alone["warnings"])
        rc, full_threads, _ = cli_json("threads", core["binary"], core["core"])
        rc, full_goroutines, _ = cli_json("goroutines", core["binary"], core["core"])
        with debuginfod_server.serving(srv, [exe_id, libc_id], d) as env, debuginfod_server.environment(env):
            fetched = os.path.join(env["DEBUGINFOD_CACHE_PATH"], exe_id, "debuginfo")
            # GDB fetches it too once told to (in batch mode it would not
            # ask), and the plugin uses the file GDB loaded.
            init = ["set debuginfod enabled on"]
            self.assert_gdb_debug_file_used(exe, core, oracle, full, fetched, init)
            # The CLI: the same debug file, goroutines as the runtime's own
            # traceback, and every C frame named as from the unstripped binary.
            rc, cli, err = cli_json("info", exe, core["core"])
            self.assertEqual((cli["debug_file"], cli["debug_file_found_by"]), (fetched, "debuginfod"), err)
            rc, goroutines, err = cli_json("goroutines", exe, core["core"])
            self.assertEqual(compare(goroutines, oracle), [], err)
            self.assertEqual(c_frames(goroutines, "goroutines"), c_frames(full_goroutines, "goroutines"))
            rc, threads, err = cli_json("threads", exe, core["core"])
            self.assertEqual(c_frames(threads, "threads"), c_frames(full_threads, "threads"))
            # libc's debug file, none on this machine: from the server, for
            # the lock graph's layouts and for libdwfl's C frames.
            hidden = cli_hiding_debug_dir("info", exe, core["core"])
            if hidden is None:
                self.skipTest("no mount namespace here to hide /usr/lib/debug (unshare --mount refused)")
            self.assertEqual(hidden["libc"]["debug_file"],
                             os.path.join(env["DEBUGINFOD_CACHE_PATH"], libc_id, "debuginfo"), hidden["libc"])
            hidden_threads = cli_hiding_debug_dir("threads", exe, core["core"])
            self.assertEqual(c_frames(hidden_threads, "threads"), c_frames(full_threads, "threads"))
        # And without the server, libc's debug file is said to be missing.
        hidden = cli_hiding_debug_dir("info", exe, core["core"])
        self.assertIsNone(hidden["libc"]["debug_file"], hidden["libc"])
        self.assertTrue(hidden["libc"]["layouts"].startswith("table for glibc"), hidden["libc"])

    def test_pid_asks_debuginfod_only_while_the_process_runs(self):
        """`--pid` with DEBUGINFOD_URLS set: the servers are asked (for the
        stripped executable's debug file, for libraries without one) either
        before the process is stopped or after it is resumed, never while
        it is held: a slow or unreachable server must not lengthen the
        pause.  A stand-in server records the process's state at each
        request; it has nothing to serve, so every lookup falls through to
        the layout table and the commands still work."""
        with harness.live("deadlock", GO, flags=["-ldflags=-s -w"]) as p:
            with debuginfod_server.watching(p.pid, self.tmp) as (env, seen), debuginfod_server.environment(env):
                for command in ("info", "goroutines", "threads", "lockgraph"):
                    rc, out, err = cli_json(command, "--pid", p.pid)
                    self.assertIn(rc, (0, 2), err)
                rc, goroutines, err = cli_json("goroutines", "--pid", p.pid)
            state = debuginfod_server.process_state(p.pid)
        build_id = debuginfod_server.build_id(p.binary)
        paths = [path for path, _ in seen]
        self.assertIn("/buildid/%s/debuginfo" % build_id, paths, "the stripped executable's debug file was never asked for")
        self.assertEqual([(path, st) for path, st in seen if st.startswith("t")], [],
                         "debuginfod asked while the process was held")
        self.assertNotIn("t", state[:1], state)
        self.assertIn("main.cycleG1", [f.get("function") for g in goroutines["goroutines"] for f in g["frames"]])

    def test_stripped_pie(self):
        """A position-independent executable (-buildmode=pie, loaded at a
        base only the core tells), stripped both ways: the runtime's globals
        found through .gopclntab at that base, same answer as its traceback."""
        core = harness.kernel_core("deadlock", GO, flags=["-buildmode=pie"])
        oracle = harness.load_oracle(core)
        stripped = self.strip_all(core["binary"])
        full = gdbrun.gdb_json("cgo-info", core["binary"], core["core"])
        info = gdbrun.gdb_json("cgo-info", stripped, core["core"])
        for key in INFO_KEYS:
            self.assertEqual(info[key], full[key], key)
        ours = gdbrun.gdb_json("cgo-goroutines", stripped, core["core"])
        self.assertEqual(compare(ours, oracle), [])
        self.assertEqual(len(warnings_about_layouts(ours)), 1, ours["warnings"])
        rc, cli, err = cli_json("goroutines", stripped, core["core"])
        self.assertEqual(compare(cli, oracle), [], err)
        core = harness.kernel_core("deadlock", GO, flags=["-buildmode=pie", "-ldflags=-s -w"])
        oracle = harness.load_oracle(core)
        ours = gdbrun.gdb_json("cgo-goroutines", core["binary"], core["core"])
        self.assertEqual(compare(ours, oracle), [])
        rc, cli, err = cli_json("goroutines", core["binary"], core["core"])
        self.assertEqual(compare(cli, oracle), [], err)

    def test_stripped_c_shared(self):
        """A C program hosting Go as a c-shared library, both stripped: the
        library by Go's linker (-ldflags='-s -w': gcc -s, no .symtab, no
        DWARF; .dynsym stays, as after `strip`), the host by `strip`.  In
        library mode the runtime prints no traceback on SIGQUIT, so the
        expected goroutines are the ones fixtures/cembed/main.go describes
        (as in test_hosted_go.py), and the same as the unstripped build's.
        In library mode runtime.main returns after the package inits and
        its g is reused, so allgs[0] need not be goroutine 1: runtime.allgs
        is recognised by its gs' statuses and goids instead."""
        full_core = harness.kernel_core("cembed", GO, flags=["-buildmode=c-shared"], oracle=False)
        core = harness.kernel_core("cembed", GO, flags=["-buildmode=c-shared", "-ldflags=-s -w"], oracle=False)
        lib = os.path.join(os.path.dirname(core["binary"]), "libcembed.so")
        sections = subprocess.run(["readelf", "-S", lib], stdout=subprocess.PIPE, text=True, check=True).stdout
        self.assertNotIn(".symtab", sections)
        self.assertNotIn(".debug_info", sections)
        host = self.strip_all(core["binary"])

        def user_goroutines(data):
            return sorted((g["status"], g.get("wait_reason"), [f["function"] for f in g["frames"]
                                                                 if f.get("lang", "go") == "go"])
                          for g in data["goroutines"] if not g.get("system"))

        expected = user_goroutines(gdbrun.gdb_json("cgo-goroutines", full_core["binary"], full_core["core"]))
        names = [f for _, _, frames in expected for f in frames]
        for function in ("main.chanWaiter", "main.sleeper", "main.CembedRun"):
            self.assertIn(function, names)
        ours = gdbrun.gdb_json("cgo-goroutines", host, core["core"])
        self.assertEqual(user_goroutines(ours), expected)
        entry = [g for g in ours["goroutines"] if "main.CembedRun" in [f.get("function") for f in g["frames"]]]
        self.assertEqual([(g["locked_to_thread"], g["locked_lwp"]) for g in entry], [(True, core["pid"])])
        rc, cli, err = cli_json("goroutines", host, core["core"])
        self.assertEqual(user_goroutines(cli), expected, err)
        info = gdbrun.gdb_json("cgo-info", host, core["core"])
        self.assertTrue(info["target"]["go_library"].endswith("/libcembed.so"), info["target"])
        self.assertTrue((info["go_version"] or "").startswith("go" + GO), info["go_version"])
        self.assertGreater(info["gomaxprocs"] or 0, 0, info)
        # System goroutines too: the same allgs as the unstripped build's
        # (another run of the same program: the number of Ms may differ).
        full_info = gdbrun.gdb_json("cgo-info", full_core["binary"], full_core["core"])
        for key in ("goroutines", "goroutines_by_status", "ps", "gomaxprocs"):
            self.assertEqual(info[key], full_info[key], key)

    def test_go_126_text_start(self):
        """Go 1.26+ no longer writes pcHeader.textStart: without the
        runtime.text symbol it comes from runtime.firstmoduledata."""
        core = harness.kernel_core("deadlock", GO, flags=["-ldflags=-s -w"], oracle=False)
        rc, out, err = gdbrun.gdb(["cgo-goroutines"], core["binary"], core["core"])
        self.assertNotIn("textStart", out + err)
        self.assertNotIn("Traceback", out + err)
        self.assertIn("goroutine 1 [", out)


if __name__ == "__main__":
    unittest.main()

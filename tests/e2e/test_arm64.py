"""arm64 cores (issue 18): the fixtures cross-built for linux/arm64, run under
qemu-user with GOTRACEBACK=crash, SIGQUIT, and qemu's core of the guest
(no NT_FILE, NT_SIGINFO, FP registers or NT_ARM_TLS) read by the CLI with
--sysroot /usr/aarch64-linux-gnu (where libc6-arm64-cross puts the guest's
libraries).  Held against the runtime's own traceback: every goroutine's
state, M, lock-to-thread and Go frames (with their pcs), also for
executables without DWARF (the layout tables); for every thread the
runtime traced, the pc its SIGQUIT interrupted (read from the aarch64
ucontext above runtime.sigtramp) and the Go frames below it.  Held against
gdb-multiarch: the C frames of every thread (the libraries found through
the dynamic linker's list, as GDB finds them), crossing the signal frame
by a test unwinder that gives GDB the ucontext's registers.  Stitched
stacks across cgo calls and callbacks (crosscall2's saved registers), and
the lock graph as on amd64 (owners the deadlock fixture recorded, the
inferred sync.Mutex holder, the Go/C cycle).

Needs qemu-user, gcc-aarch64-linux-gnu and gdb-multiarch (scripts/setup.sh
--arm64); skipped, saying so, without them."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import gdbrun
import kernel_style_core
from gdbrun import harness
from oracle_compare import compare, physical_functions
import test_lockgraph
import test_stitched_stacks
import test_stripped
from test_stitched_stacks import segments

GO = gdbrun.go_version_from_argv()
BUILD = os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(gdbrun.SOURCE_DIR, "build")
CLI = os.path.join(os.environ.get("CGOSTACK_CLI_DIR") or BUILD, "cgostack")


# deadlock: cgo calls, a callback into Go, locked threads; condwait: a
# goroutine in C waiting on a condition variable.
FIXTURES = ("deadlock", "condwait")
MISSING = [t for t in ("qemu-aarch64", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-strip", "gdb-multiarch")
           if not shutil.which(t)]
# The guest's libraries (libc6-arm64-cross), as GDB's `set sysroot`.
SYSROOT = "/usr/aarch64-linux-gnu"
# binutils for aarch64 (gcc-aarch64-linux-gnu depends on it).
STRIP = "aarch64-linux-gnu-strip"

# For gdb-multiarch: every thread's frames as its own `bt` unwinds them.
# GDB stops at runtime.sigtramp (Go's CFI makes it the outermost frame), so
# this covers threads no signal interrupted (threads C created, which the
# runtime does not signal); the C frames a signal interrupted are held
# against GDB's names for their pcs (_GDB_SYMBOLS).  (A Python unwinder
# handing GDB sigtramp's caller, qemu's rt_sigreturn trampoline, made
# gdb-multiarch 13 hang in its aarch64 signal-frame unwinder.)
# test_stitched_stacks' plain-`bt` script, without its first line (no
# cgostack unwinder to disable: the plugin is not loaded here).
_GDB_FRAMES = test_stitched_stacks._PLAIN_BT.replace(
    'gdb.execute("disable unwinder global cgostack-go", to_string=True)\n', "")
assert "disable unwinder" not in _GDB_FRAMES

# GDB's name for each of a list of code addresses (its minimal symbols and
# DWARF, the libraries it found through the link map under the sysroot).
_GDB_SYMBOLS = r'''
import gdb, json, re
with open(%r) as fh:
    pcs = json.load(fh)
out = {}
for pc in pcs:
    text = gdb.execute("info symbol 0x%%x" %% pc, to_string=True)
    m = re.match(r"(\S+) (\+ \d+ )?in section", text)
    out[str(pc)] = m.group(1) if m else ""
with open(%r, "w") as fh:
    json.dump(out, fh)
'''


def gdb_multiarch(core, commands):
    """gdb-multiarch -batch on the core, the guest's libraries from SYSROOT."""
    argv = ["gdb-multiarch", "-nx", "-batch", "-iex", "set auto-load no", "-iex", "set pagination off",
            "-iex", "set sysroot " + SYSROOT]
    for c in commands:
        argv += ["-ex", c]
    argv += [core["binary"], core["core"]]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    return p.stdout, p.stderr


def gdb_frames(core):
    """{lwp: [{"pc", "function"}]}: gdb-multiarch's frames of every thread."""
    with tempfile.TemporaryDirectory() as d:
        script, out = os.path.join(d, "frames.py"), os.path.join(d, "frames.json")
        with open(script, "w") as f:
            f.write(_GDB_FRAMES % out)
        stdout, stderr = gdb_multiarch(core, ["source " + script])
        if not os.path.exists(out):
            raise AssertionError("gdb-multiarch wrote no frames\n%s\n%s" % (stdout[-3000:], stderr[-3000:]))
        with open(out) as f:
            return {int(k): v for k, v in json.load(f).items()}


def gdb_symbols(core, pcs):
    """{pc: GDB's function name at pc ("" if none)}."""
    with tempfile.TemporaryDirectory() as d:
        script, inp, out = (os.path.join(d, n) for n in ("symbols.py", "pcs.json", "names.json"))
        with open(inp, "w") as f:
            json.dump(sorted(set(pcs)), f)
        with open(script, "w") as f:
            f.write(_GDB_SYMBOLS % (inp, out))
        stdout, stderr = gdb_multiarch(core, ["source " + script])
        if not os.path.exists(out):
            raise AssertionError("gdb-multiarch wrote no names\n%s\n%s" % (stdout[-3000:], stderr[-3000:]))
        with open(out) as f:
            return {int(k): v for k, v in json.load(f).items()}


def gdb_ints(core, names):
    """C ints of the fixture (thread ids it recorded), read by gdb-multiarch."""
    cmds = ["set language c"] + ["printf \"INT %s=%%d\\n\", (int)%s" % (n, n) for n in names]
    stdout, stderr = gdb_multiarch(core, cmds)
    values = {m.group(1): int(m.group(2)) for m in re.finditer(r"^INT ([\w.]+)=(-?\d+)$", stdout, re.M)}
    missing = [n for n in names if n not in values]
    if missing:
        raise AssertionError("gdb-multiarch did not print %s\n%s" % (missing, stderr[-2000:]))
    return values


def c_after_signal(frames):
    """The C frames a signal interrupted: after the signal boundary, up to
    the first Go frame or other boundary."""
    out, started = [], False
    for f in frames:
        if f["lang"] == "boundary":
            if not started and f["kind"] in ("signal", "sigpanic"):
                started = True
                continue
            break
        if started:
            if f["lang"] != "c":
                break
            out.append(f)
    return out


def without_clone_suffix(name):
    """A function's name without the suffixes of GCC's clones of it."""
    return re.sub(r"(\.(constprop|isra|part|cold)(\.\d+)?)+$", "", name)


def cli_json(*args):
    args = (args[0], "--sysroot", SYSROOT) + args[1:]  # a core of another machine
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

    def test_c_frames_agree_with_gdb_multiarch(self):
        # Threads C created that never ran Go (no signal interrupted them):
        # every frame, pc and name, as gdb-multiarch's `bt` with the same
        # libraries (libc's clock_nanosleep, nanosleep, sleep, the
        # fixture's thread function, libc's thread start).
        core = self.core("cthread")
        ours = cli_json("threads", "--json", core["binary"], core["core"])
        self.assertNotIn("not on this machine", " ".join(ours.get("warnings") or []))
        theirs = gdb_frames(core)
        c_threads = [t for t in ours["threads"] if t["kind"] == "c"]
        self.assertEqual(len(c_threads), 2, [t["kind"] for t in ours["threads"]])
        for t in c_threads:
            mine = [(f["pc"], f["function"]) for f in t["frames"]]
            gdbs = [(f["pc"], f["function"]) for f in theirs[t["lwp"]]]
            self.assertEqual(mine, gdbs, "LWP %d" % t["lwp"])
            self.assertTrue(any(f["function"].startswith("c_") for f in t["frames"]), mine)
            self.assertTrue(any("libc" in f["object"] for f in t["frames"]), t["frames"])
        # Threads a signal interrupted inside C (cgo calls blocked in libc):
        # each C frame's name is GDB's for its pc (the interrupted one) or
        # pc - 1 (a return address, as GDB looks it up).
        for fixture in FIXTURES:
            with self.subTest(fixture=fixture):
                core = self.core(fixture)
                ours = cli_json("threads", "--json", core["binary"], core["core"])
                frames = [c_after_signal(t["frames"]) for t in ours["threads"] if t["activity"] == "cgo_call"]
                frames = [f for fs in frames for f in fs]
                self.assertTrue(any("libc" in f["object"] for f in frames), frames)
                names = gdb_symbols(core, [f["pc"] for f in frames] + [f["pc"] - 1 for f in frames])
                for f in frames:
                    self.assertIn(f["function"], (names[f["pc"]], names[f["pc"] - 1]), f)

    def test_stitched_stacks_cross_cgo_calls_and_callbacks(self):
        core = self.core("deadlock")
        gs = cli_json("goroutines", "--json", core["binary"], core["core"])
        by_fn = {}
        for g in gs["goroutines"]:
            for f in g["frames"]:
                by_fn.setdefault(f.get("function"), []).append(g)
        for fn, cfn in (("main.waiterA", "wait_lock_A"), ("main.cycleG1", "lock_C_blocking")):
            (g,) = by_fn[fn]
            segs = segments(g["frames"])
            c = [f for f in g["frames"] if f["lang"] == "c"]
            # Go -> C: the fixture's C function under libc's mutex code,
            # then asmcgocall's switch back to the goroutine's runtime.cgocall.
            self.assertEqual(c[-1]["function"], cfn, [f.get("function") for f in g["frames"]])
            self.assertTrue(any("pthread_mutex_lock" in f["function"] and "libc" in f["object"] for f in c), c)
            self.assertEqual(segs[-1][0], "cgocall", [k for k, _ in segs])
            self.assertEqual(physical_functions(segs[-1][1])[0], "runtime.cgocall")
            self.assertIn(fn, physical_functions(segs[-1][1]))
        # C -> Go: C holds mtxC and called back into Go (crosscall2), which
        # blocks on muB; below the callback, C, then the cgo call C was
        # called from.
        (g,) = by_fn["main.lockB"]
        segs = segments(g["frames"])
        self.assertEqual([k for k, _ in segs], [None, "callback", "cgocall"],
                         [f.get("function") for f in g["frames"]])
        self.assertEqual([f["function"] for f in segs[1][1]], ["goLockB", "hold_C_then_call_go"])
        self.assertEqual(physical_functions(segs[0][1])[-1], "runtime.cgocallback")
        self.assertIn("main.cycleG2", physical_functions(segs[2][1]))

    def test_lock_graph_owners_are_the_recorded_threads(self):
        core = self.core("deadlock")
        data = cli_json("lockgraph", "--json", core["binary"], core["core"])
        tids = gdb_ints(core, test_lockgraph.LockGraphTest.TIDS + ("mtxA.__data.__owner",))
        # aarch64 glibc's own mutex field is the oracle for the owner too.
        self.assertEqual(tids["mtxA.__data.__owner"], tids["tidLeakA"])
        # As on amd64: owners, waiters, the leaked mutex, the one C holds
        # across the callback into Go (found through the stitched stack),
        # the inferred holder of the sync.Mutex (arm64 machine code:
        # arch/mutex_code.h) and the Go/C deadlock cycle, exactly.
        test_lockgraph.LockGraphTest.check_deadlock(self, data, tids)

    def crash_core(self, *args):
        # -spin: main.spinner runs Go on another thread when the process
        # crashes; the crash stops it where it is, typically at a function's
        # entry (runtime.morestack: its caller's pc only in g.sched.lr) or
        # before it ever ran (newproc put goexit in g.sched.lr), both
        # runnable with the return address in g.sched.lr alone; or in
        # runtime.asyncPreempt.  Its frames are compared with the others.
        core = harness.kernel_core("crashc", GO, args=args + ("-spin",), trigger="SIGUSR1", arch="arm64")
        spinner = [g for g in harness.load_oracle(core)["goroutines"]
                   if "main.spinner" in [f["function"] for f in g["frames"]]]
        self.assertEqual(len(spinner), 1, "the runtime traced no main.spinner goroutine")
        return core

    def test_fault_in_go_crosses_sigpanic(self):
        # main.storeNil (a leaf: no frame, its return address in LR) writes
        # through nil.  arm64's handler saved LR 16 bytes below SP and made
        # the fault "call" runtime.sigpanic: the faulting frame's SP is above
        # that slot and its caller comes from the saved LR (traceback.go).
        core = self.crash_core("-fault", "go")
        oracle = harness.load_oracle(core)
        with open(core["traceback"], errors="replace") as f:
            printed = f.read()
        self.assertIn("nil pointer dereference", printed)
        ours = cli_json("goroutines", "--json", core["binary"], core["core"])
        # The crashing goroutine ran on into the runtime's abort after it
        # printed: compared from the runtime's first frame on, pcs included.
        advanced = {g["goid"] for g in oracle["goroutines"] if g["state"] == "running"}
        self.assertEqual(compare(ours, oracle, advanced=advanced), [])
        (g,) = [g for g in ours["goroutines"] if "main.storeNil" in physical_functions(g["frames"])]
        fns = physical_functions(g["frames"])
        i = fns.index("main.storeNil")
        self.assertEqual(fns[i - 1:i + 2], ["runtime.sigpanic", "main.storeNil", "main.goFaulter"], fns)
        # The faulting pc itself, as the runtime printed it ("pc=0x...").
        fault = re.search(r"\[signal SIGSEGV: .* pc=(0x[0-9a-f]+)\]", printed)
        store = [f for f in g["frames"] if f.get("function") == "main.storeNil"][0]
        self.assertEqual(hex(store["pc"]), fault.group(1))

    def test_fault_in_c_crosses_the_handler(self):
        # store_through (C, a leaf at -O2) writes through NULL during a cgo
        # call.  Go 1.19 turns the fault into a call of runtime.sigpanic,
        # which throws (LR saved below SP as for Go code); from 1.21 the
        # handler itself crashes (the signal frame's context).  Either way:
        # the faulting C frame, its C caller, then the cgo call.
        core = self.crash_core()
        oracle = harness.load_oracle(core)
        ours = cli_json("goroutines", "--json", core["binary"], core["core"])
        advanced = {g["goid"] for g in oracle["goroutines"] if g["state"] == "running"}
        self.assertEqual(compare(ours, oracle, advanced=advanced), [])
        (g,) = [g for g in ours["goroutines"] if "main.crasher" in physical_functions(g["frames"])]
        kinds = [(f["kind"], f.get("signal")) for f in g["frames"] if f["lang"] == "boundary"]
        self.assertTrue(("signal", "SIGSEGV") in kinds or ("sigpanic", None) in kinds, kinds)
        # The runtime's abort (SIGABRT) and the fault (SIGSEGV or sigpanic)
        # are boundaries in a row above the C frames.
        frames = g["frames"]
        while len(frames) > 1 and frames[1]["lang"] == "boundary" and frames[1]["kind"] in ("signal", "sigpanic"):
            frames = frames[1:]
        c = c_after_signal(frames)
        self.assertEqual([f["function"] for f in c][:2], ["store_through", "crash_in_c"], g["frames"])
        names = gdb_symbols(core, [f["pc"] for f in c] + [f["pc"] - 1 for f in c])
        for f in c:
            # GDB names a pc by its ELF symbol, GCC's clone of the function
            # (store_through.constprop.0.isra); cgostack by its DWARF name.
            self.assertIn(f["function"], (without_clone_suffix(names[f["pc"]]),
                                          without_clone_suffix(names[f["pc"] - 1])), f)
        segs = segments(g["frames"])
        self.assertEqual(segs[-1][0], "cgocall", [k for k, _ in segs])
        self.assertEqual(physical_functions(segs[-1][1])[:3],
                         ["runtime.cgocall", "main._Cfunc_crash_in_c", "main.crasher"])

    def test_kernel_style_core_with_nt_file(self):
        # A kernel core of an arm64 machine lists the mapped files (NT_FILE);
        # qemu's has none.  The same core with NT_FILE written in (the
        # mappings of the objects the link map names, by their files here)
        # and the link map cut, so only NT_FILE can say where libc is, read
        # without --sysroot (the modules libdwfl unwinds with come from the note): the
        # same threads, frame for frame (pc, name, object), as the qemu core
        # read through its link map, libc's frames named.
        core = self.core("cthread")
        with tempfile.TemporaryDirectory() as d:
            kcore = os.path.join(d, "core")
            maps = kernel_style_core.make(core["core"], core["binary"], SYSROOT, kcore)
            self.assertTrue(any(m[3].endswith("/libc.so.6") for m in maps), maps)
            p = subprocess.run([CLI, "threads", "--json", core["binary"], kcore], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=300, stdin=subprocess.DEVNULL)
            self.assertIn(p.returncode, (0, 2), p.stderr)
            theirs = json.loads(p.stdout)
        ours = cli_json("threads", "--json", core["binary"], core["core"])

        def frames(data):
            return {t["lwp"]: [(f.get("pc"), f.get("function"), f.get("object")) for f in t["frames"] or ()]
                    for t in data["threads"]}
        self.assertEqual(frames(theirs), frames(ours))
        c_frames = [f for t in theirs["threads"] if t["kind"] == "c" for f in t["frames"]]
        self.assertTrue(any(f.get("object", "").endswith("/libc.so.6") and f["function"] for f in c_frames),
                        c_frames)

    def test_stripped_binary_gives_what_the_unstripped_one_gives(self):
        # `strip --strip-all`, as distributions ship Go programs: no symbol
        # table, no DWARF.  The runtime's globals are found through
        # .gopclntab and the arm64 machine code of the functions that use
        # them (an ADRP page completed by an ADD or by a load's or store's
        # offset: arch/code_refs.h), the layouts from the arm64 table: the
        # runtime's goroutines, every fact info reads from the globals, the
        # same Ms, threads and lock graph as the unstripped binary on the
        # same core.
        core = self.core("deadlock")
        oracle = harness.load_oracle(core)
        with tempfile.TemporaryDirectory() as d:
            stripped = os.path.join(d, "deadlock")
            subprocess.run([STRIP, "--strip-all", "-o", stripped, core["binary"]], check=True)
            ours = cli_json("goroutines", "--json", stripped, core["core"])
            self.assertEqual(compare(ours, oracle), [])
            self.assertIn("stripped: no symbol table, no DWARF (stripped after the build)",
                          " ".join(ours["warnings"]))
            views = {c: [cli_json(c, "--json", exe, core["core"]) for exe in (core["binary"], stripped)]
                     for c in ("info", "threads", "lockgraph")}
        full, info = views["info"]
        for key in test_stripped.INFO_KEYS:
            self.assertEqual(info[key], full[key], key)
        self.assertGreater(info["gomaxprocs"] or 0, 0, info)
        full, threads = views["threads"]
        self.assertEqual([(t["lwp"], t.get("m"), t.get("goroutine")) for t in threads["threads"]],
                         [(t["lwp"], t.get("m"), t.get("goroutine")) for t in full["threads"]])
        # C objects lose their symbol names (mtxA): compared by id and kind.
        full, graph = views["lockgraph"]
        nodes = lambda g: sorted((n["id"], n["kind"], n.get("lock_kind")) for n in g["nodes"])
        edges = lambda g: sorted((e["from"], e["to"], e["kind"]) for e in g["edges"])
        self.assertEqual(nodes(graph), nodes(full))
        self.assertEqual(edges(graph), edges(full))
        self.assertEqual(len(graph["cycles"]), len(full["cycles"]))
        self.assertEqual(len(graph["cycles"]), 1, graph["cycles"])

    def test_without_dwarf_the_layout_tables_hold(self):
        # An arm64 executable without DWARF: the runtime layouts come from
        # the arm64 table of its release (scripts/gen_layouts.py --arch
        # arm64), and the goroutines are the runtime's own.
        core = harness.kernel_core("deadlock", GO, flags=["-ldflags=-w"], arch="arm64")
        oracle = harness.load_oracle(core)
        ours = cli_json("goroutines", "--json", core["binary"], core["core"])
        self.assertGreater(len(ours["goroutines"]), 5)
        self.assertEqual(compare(ours, oracle), [])
        self.assertIn("layouts: Go %s table" % GO, " ".join(ours["warnings"]))
        # The table field by field against the DWARF of an arm64 build of
        # every release: unit test GoLayoutsTest (go_layouts_test.cc).

if __name__ == "__main__":
    unittest.main()

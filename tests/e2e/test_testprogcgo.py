"""Go's own cgo test program, src/runtime/testdata/testprogcgo of the release
under test (fixtures/testprogcgo.py), as a user would bring it: each
scenario stopped under GDB in its interesting state (a breakpoint) or left
to crash by itself, then checked

  live, at the stop   the stopped goroutine in cgo-goroutine, cgo-threads
                      and GDB's bt (plugin on): the same frames; the top C
                      frames are GDB's own unwinder's
  on the kernel core  SIGQUIT to the stopped thread: the runtime prints its
                      GOTRACEBACK=crash traceback of that instant (the
                      oracle) and the kernel writes the core; cgo-goroutines
                      equals the traceback (goroutines, states, M, every Go
                      frame and pc); the C frames of every thread equal
                      GDB's own bt on the core (plugin's unwinder off); the
                      plugin's default C frames (libdwfl, `set
                      cgostack-c-frames auto`) equal those from GDB's frame
                      API (`gdb`) frame by frame, field by field, and the
                      reports are the same; the lock graph claims no
                      all_blocked (something runs)

A scenario that cannot be caught or is out of scope is listed with the
reason (OUT_OF_SCOPE); a scenario this release does not have is reported as
such.  CGOSTACK_TESTPROGCGO=all runs every scenario of SCENARIOS, a
comma-separated list of scenario names (CGOSTACK_TESTPROGCGO=CgoPprof) runs
those; the default is the small CI subset (marked ci)."""

import json
import os
import sys
import tempfile
import unittest

import gdbrun

GO = gdbrun.go_version_from_argv()  # before test_live_stops takes --go off argv

from gdbrun import harness  # noqa: E402
from oracle_compare import compare, expected_state, oracle_goroutines, physical_functions  # noqa: E402
from test_live_stops import PLUMBING, frame_key  # noqa: E402
from test_stitched_stacks import _PLAIN_BT, c_part as top_c  # noqa: E402
from test_cli import C_FRAME_FIELDS, c_frame_rows  # noqa: E402

sys.path.insert(0, os.path.join(gdbrun.SOURCE_DIR, "fixtures"))
import testprogcgo  # noqa: E402
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stop_views.py")
_CHOSEN = os.environ.get("CGOSTACK_TESTPROGCGO", "")
ALL = _CHOSEN == "all"
NAMED = set(filter(None, _CHOSEN.split(","))) - {"all"}

# scenario -> (where it stops: a function, or None when it crashes by
# itself; breakpoint hits to skip; in the CI subset; what is interesting).
# Scenarios in QUIT_MAIN_THREAD stop inside a signal handler: SIGQUIT goes
# to the main thread (fixtures/testprogcgo.py catch).
SCENARIOS = {
    "TracebackContext": ("main.G2", 0, True,
                         "Go -> C -> Go -> C -> Go with a cgo traceback and context function set"),
    "StackSwitchCallback": ("main.stackSwitchCallback", 1, True,
                            "a C thread calls Go from a stack of its own (makecontext/swapcontext)"),
    # cgo's x_cgo_callers calls runtime.sigtramp (stacks/cgo_callers.h): the
    # signal frame is below x_cgo_callers, and on the core the dying thread
    # is in two such handlers at once (SIGQUIT during the cgo call, then the
    # one dieFromSignal raises).
    "CgoPprof": ("pprofCgoTraceback", 3, True,
                 "SIGPROF in C with SetCgoTraceback: stopped in the traceback function cgoSigtramp calls"),
    "EnsureBindM": ("main.GoCheckBindM", 20, False, "C threads bound to their extra Ms call Go repeatedly"),
    # Stopped at the entry of runtime.cgocallbackg: cgocallback has switched
    # to the goroutine's stack, exitsyscall not yet called, so the goroutine
    # is still [syscall] (the runtime's traceback shows only runtime.goexit);
    # every view must show the thread's frames, the same ones.
    "NeedmDeadlock": ("*'runtime.cgocallbackg'", 0, True,
                      "a C thread's first call into Go (needm done) while signals fly at it, "
                      "stopped at cgocallbackg's entry (still _Gsyscall)"),
    "SigStack": ("runtime.sigpanic", 0, False,
                 "SIGSEGV in Go called back on a C thread with its own sigaltstack"),
    "CgoCallbackGC": ("main.go_callback", 5, False, "callbacks from C threads running the GC"),
    "CgoPprofThread": ("pprofCgoThreadTraceback", 3, False,
                       "SIGPROF on a thread C created (no M) with a cgo traceback function"),
    "CoroCgoCallback": ("main.iterSimple", 0, False, "an iter.Pull coroutine started inside a callback from C"),
    "PanicCallback": ("runtime.gopanic", 0, False, "a panic in Go called back from C"),
    "CgoExternalThreadPanic": (None, 0, False, "a panic on a thread C created: the program crashes"),
    "Abort": (None, 0, True, "C calls abort(): the Go handler prints and the program dumps core"),
    "CrashTraceback": (None, 0, False, "SIGSEGV in C with a cgo traceback and symbolizer function set"),
    "CrashTracebackGo": (None, 0, False,
                         "SIGSEGV in Go called back from C, with a cgo traceback function set"),
    "TracebackSigpanic": (None, 0, False, "SIGSEGV in C (a nil store at -O0) in the main goroutine's cgo call"),
    "SegvInCgo": (None, 0, False, "SIGSEGV sent to the process (kill) while a goroutine loops on cgo calls"),
    "TgkillSegvInCgo": (None, 0, False, "SIGSEGV sent to the main thread (tgkill) while a goroutine loops on cgo calls"),
    "CgoExternalThreadSignal": (None, 0, False, "SIGSEGV on a thread C created (no M): the runtime dies of it"),
    "CgoPanicDeadlock": (None, 0, False, "a panic whose Error method calls C while the runtime prints it"),
    "CgoToGoCallGoexit": (None, 0, False, "runtime.Goexit in Go called back from C: a fatal error"),
    "CoroCgoCallbackAfterPull": (None, 0, False,
                                 "an iter.Pull coroutine resumed inside a callback from C: a fatal error "
                                 "(OS thread locking must match)"),
    "Segv": (None, 0, False, "SIGSEGV sent to the process while a goroutine loops in Go (Go 1.19)"),
    "NotInGoMetricCgoCall": ("SpinForever", 9, False,
                             "ten goroutines spinning in C at once, stopped as the tenth enters (Go 1.26+)"),
    "CgoCallbackX15": ("main.go_callback_amd64", 0, False, "Go called back from C on the main thread (X15 check)"),
    # Stopped as the profile is written (a second after they started): the
    # three goroutines sleep inside callbacks, each locked to its M, which
    # waits in the scheduler with the C frames of the callback below.
    "GoroutineProfile": ("'runtime/pprof.(*Profile).WriteTo'", 0, False,
                         "goroutines parked inside callbacks from C (Go -> C -> Go -> time.Sleep), "
                         "a cgo context function set"),
    "NumGoroutine": ("main.CallbackNumGoroutine", 0, False, "a C thread's callback into Go (one extra M)"),
    "EnsureDropM": ("main.GoCheckM", 1, False,
                    "a second C thread's callback, on the extra M the first one gave back"),
    "TracebackContextPreemption": ("main.TracebackContextPreemptionGoFunction", 50, False,
                                   "ten goroutines looping on Go -> C -> Go callbacks with a context function"),
    "CgoCallbackPprof": ("c_callback", 0, False,
                         "a cgo call inside a C thread's callback (C -> Go -> C on an extra M) "
                         "while the CPU profiler runs"),
    "TracebackContextProfile": ("main.TracebackContextProfileGoFunction", 50, False,
                                "goroutines looping on callbacks with a context function, the CPU profiler on"),
    # Without a cgo traceback function the Go handler on a thread without
    # an M takes SIGPROF through sigtrampgo -> sigprofNonGoPC (with one,
    # cgoSigtramp -> sigprofNonGo: CgoPprofThread's path).
    "CgoPprofThreadNoTraceback": ("runtime.sigprofNonGoPC", 3, False,
                                  "SIGPROF on a thread C created (no M), no cgo traceback function: "
                                  "the Go handler records the C pc"),
    "CgoExternalThreadSIGPROF": ("runtime.sigprofNonGoPC", 0, False,
                                 "a thread C created (no M) sends itself SIGPROF before any cgo call"),
    "CgoPprofCallback": ("runtime.exitsyscall", 100, False,
                         "64 goroutines looping on Go -> C -> Go calls (GOMAXPROCS 16), the CPU profiler on: "
                         "stopped in exitsyscall after a cgo call (still _Gsyscall)"),
    # cgo's prologue reaches a void C function without arguments by a jump:
    # no prologue frame (foo2, with an argument, is called).
    "CgoTraceback": ("foo1", 0, False, "a cgo call of a C function cgo's prologue jumps to"),
    "CgoCheckBytes": ("foo2", 2, False, "cgo calls passing a Go pointer (cgocheck), through cgo's prologue"),
    "CgoNoEscape": ("runCWithoutNoEscape", 0, False, "a cgo call passing a Go pointer without #cgo noescape"),
    "CgoEscapeWithMultiplePointers": ("add_from_multiple_pointers", 0, False, "a cgo call with three Go pointers"),
    "CgoNoCallback": (None, 0, False, "a C function marked #cgo nocallback calls Go: a fatal error"),
    "CgoTraceParser": ("main.callbackTraceParser", 0, False,
                       "a C thread's callback into Go while runtime/trace records (the caller in pthread_join)"),
    "LockOSThreadMain": ("runtime.mexit", 0, False,
                         "a goroutine exits locked to the main thread (GOMAXPROCS=1): m0 goes into mexit"),
    "LockOSThreadAlt": ("setExited", 0, False,
                        "a goroutine exits locked to its thread: the thread, its M gone, runs a pthread key "
                        "destructor on its way out"),
    "Crash": ("runtime.sigpanic", 1, False, "a nil dereference in Go on a new thread the goroutine locked"),
    # Both stops are hit once.  Every stop GDB makes on its own while the
    # thread is in Go (a hit under the ignore count, a SIGPROF or SIGURG it
    # passes) re-opens the plugin's backend session, which indexes the
    # executable's DWARF again (target.note_thread_registers): with the CPU
    # profiler on or ten threads spinning, s14b's 101st cgocallbackg1 and
    # 15th main.Ready took minutes (or past the 300 s timeout) to reach.
    # GoNop is empty and inlined into cgo's _cgoexp_<hash>_GoNop: nothing
    # to break on, so the callback is held in cgocallbackg1.
    "CgoCCodeSIGPROF": ("runtime.cgocallbackg1", 0, False,
                        "a goroutine looping on Go -> C -> Go calls while the CPU profiler sends SIGPROF "
                        "to every thread, stopped in its first callback"),
    # Release (C, called once, after the first round): the ten C threads
    # called Go once (Ready) and are back in C, spinning; the main
    # goroutine is in its cgo call.
    "NotInGoMetricCgoCallback": ("Release", 0, False,
                                 "ten C threads spinning in C after a callback into Go, the main goroutine "
                                 "in a cgo call (Go 1.26+)"),
    "NotInGoMetricCgoCallAndCallback": ("SpinForever", 9, False,
                                        "ten C threads blocked in callbacks into Go, ten goroutines spinning in C"),
    "CoroCgoIterCallback": ("main.iterCallback.func1", 1, False,
                            "an iter.Pull coroutine whose iterator calls C, which calls Go back"),
    "CoroCgoCallbackIterNested": ("main.iterSimple", 0, False,
                                  "nested iter.Pull coroutines started inside a callback from C"),
    "CoroCgoCallbackIterCallback": ("main.iterCallback.func1", 1, False,
                                    "a coroutine started inside a callback, its iterator calling C and Go back"),
    "CoroCgoStopCallback": ("main.iterSimple", 0, False, "a coroutine inside a callback from C, stopped early"),
    "CoroCgoStopCallbackIterNested": ("main.iterSimple", 0, False,
                                      "nested coroutines inside a callback from C, stopped early"),
    "CoroCgoIterCallbackYield": (None, 0, False, "a coroutine yields inside a callback from C: a fatal error"),
    "CoroCgoCallbackIterCallbackYield": (None, 0, False,
                                         "a coroutine inside a callback yields inside a callback: a fatal error"),
}

# Program arguments after the scenario's name.
ARGS = {"CgoExternalThreadSignal": ("crash",)}
# Environment the scenario needs (as Go's own tests run it).
ENV = {"CgoExternalThreadSIGPROF": {"GO_START_SIGPROF_THREAD": "1"}, "LockOSThreadMain": {"GOMAXPROCS": "1"}}

QUIT_MAIN_THREAD = {"CgoPprofThread", "CgoPprofThreadNoTraceback", "CgoExternalThreadSIGPROF",
                    # A thread running its pthread key destructors on its
                    # way out never took the SIGQUIT (the process exited
                    # normally).
                    "LockOSThreadAlt"}
# Scenarios whose core must hold a thread with C frames to compare with
# GDB's own bt: CgoPprof's SIGQUIT goes to the thread stopped in the traceback
# function, which takes it (signals are blocked in the handler) as the SIGPROF
# handler returns, still in its cgo call: through cgoSigtramp and
# x_cgo_callers again, so the core has the C code (cpuHog) below
# x_cgo_callers's signal frame, under the dying handler.
CORE_C_THREADS = {"CgoPprof", "CgoExternalThreadSignal"}
# Scenarios where the runtime prints no traceback: a synchronous signal in C
# code on a thread without an M, with no handler before Go's, is forwarded
# to the default action (sigfwdgo -> dieFromSignal) without a word.  Their
# cores are checked for the C frames and the handler crossing only, and the
# traceback must stay empty (if a release starts printing one, it becomes
# the oracle).
NO_TRACEBACK = {"CgoExternalThreadSignal"}

# Scenarios not in the lane, and why (data: printed by the test, and in
# docs/testing.md).
OUT_OF_SCOPE = {
    "CgoSignalDeadlock": "a timing test (signals vs cgo calls for seconds); no state to hold",
    "CgoExecSignalMask": "forks and execs children; the state of interest is in the children",
    "CgoRaceprof": "needs -race", "CgoRaceSignal": "needs -race",
    "CgoDLLImportsMain": "Windows only", "BigStack": "Windows only", "StackMemory": "Windows only",
    "Trace": "runtime/trace's output is the subject, not a stack",
    "EINTR": "system call restarts; no stack switch", "Block": "helper of EINTR",
    "SecretCgo": "built only with GOEXPERIMENT=runtimesecret (Go 1.27); the lane builds testprogcgo as the "
                 "release ships it (so are the Coro* scenarios on Go 1.23-1.24: GOEXPERIMENT=rangefunc)",
    "DestructorCallback": "the Go callback is registered for an ELF destructor, which runs only if C's exit() "
                          "runs; the runtime leaves with exit_group, so it is never called (checked under GDB)",
}

# (release, scenario) -> what is known to fail there and why.  The checks
# still run: a known gap is reported as a skip naming it when they fail,
# and as a failure ("fixed: remove it") when they pass.
# None today: CgoPprofCallback's (stopped in exitsyscall while still
# _Gsyscall, at a callback's start or after the cgo call returned) was
# closed on 2026-12-03 (docs/testing.md).
KNOWN_GAPS = {}

# (release, scenario) -> why the scenario has nothing to catch there: it
# exists in the release's testprogcgo, but Go's own test of it is skipped.
NOT_IN_RELEASE = {(go, "CgoNoCallback"): "Go %s's TestCgoNoCallback is skipped (#56378): the #cgo nocallback "
                  "directive is commented out in its testprogcgo, so the program does not crash" % go
                  for go in ("1.22", "1.23")}

# Scenarios the lane does not run, and why not yet (data: printed by the
# test, listed in docs/testing.md): the lane's oracle is the runtime's
# traceback at a SIGQUIT and the core it leaves.
NOT_YET = {
    "CgoCatchPanic": "the panic's crash raises SIGABRT, which a C handler (set over Go's, or before it and "
                     "forwarded) takes and exit(0)s: no core of its own; at a stop in that handler the runtime "
                     "is already crashing, so a SIGQUIT there gives no traceback of that state to hold it against",
    "CgoSigfwd": "Go's handler forwards a SIGSEGV in C to a C handler, which exit(0)s: no core, and a SIGQUIT "
                 "at a stop in that handler is blocked there",
}


def _plain_bt_script(path):
    """GDB's plain bt of every thread (test_stitched_stacks' script), and
    first, with the plugin's unwinder, the frames of the thread the core
    names (the crashing one) as "crashing"."""
    return (r'''
import gdb, json
crashing, f = [], gdb.newest_frame()
while f is not None and len(crashing) < 200:
    crashing.append({"pc": f.pc(), "function": f.name() or ""})
    try:
        f = f.older()
    except gdb.error:
        f = None
''' + _PLAIN_BT % path + r'''
out["crashing"] = crashing
with open(%r, "w") as fh:
    json.dump(out, fh)
''' % path)


def ran_on_after_print(gs, oracle, keep):
    """Goroutines the runtime's traceback cannot pin down, left out of the
    comparison (the oracle's race, not ours).  SIGQUIT stops one thread:
    the rest of the process runs on while the runtime prints and until the
    kernel writes the core (freezetheworld preempts the Ps best effort and
    does not wait; C threads are not the runtime's to stop).  So
      - a goroutine printed [running] on another thread (Go 1.19: no
        frames, "stack unavailable") may have reached a preemption point
        and be runnable in the core (CgoCallbackGC and
        TracebackContextPreemption, Go 1.19; NotInGoMetricCgoCall's
        goroutine 1, looping on cgo calls, once on Go 1.26);
      - a C thread may take an extra M after the print (needm: a callback
        into Go, or the Go signal handler on a thread without an M, as for
        CgoPprofThread's SIGPROF), whose goroutine the runtime did not print
        (dead while unused; Go 1.27 _Gdeadextra), or give one back that it
        printed (EnsureBindM, Go 1.21; CgoPprofThread, Go 1.26 and 1.27): a
        goroutine on only one side whose stack there is a C thread's
        callback (runtime.cgocallback over the extra M's runtime.goexit),
        or an extra M's goroutine in needm's state ([syscall], only goexit);
      - Go 1.19 prints the g0 stack of a thread SIGQUIT caught in the
        scheduler's execute() (m.curg set, the switch not yet made) also
        as that goroutine's [running] stack (CgoExternalThreadSIGPROF:
        goroutine 1 looping on Gosched); later releases print it as
        goroutine 0 only;
      - a goroutine printed [syscall] in a cgo call (its thread in C, which
        freezetheworld does not stop) may have returned from C and found
        no P in exitsyscall: runnable, without an M, in the core
        (NotInGoMetricCgoCallAndCallback's goroutine 1, Go 1.27, once;
        NotInGoMetricCgoCall's, Go 1.26, once, h14c);
      - a system goroutine printed runnable may have run and parked (Go
        1.25's GOMAXPROCS updater after a crash; the cleanup goroutine,
        runtime.runCleanups, in CoroCgoCallbackIterCallback on Go 1.27).
    Never the goroutines in `keep` (the stopped or crashing one)."""
    mine = {g["goid"]: g for g in gs["goroutines"]}
    theirs = oracle_goroutines(oracle)

    def pcs(frames):
        return [(f["function"], f.get("pc")) for f in frames]
    g0_stacks = [pcs(g["frames"]) for t in oracle.get("threads", []) for g in t.get("goroutines", [])
                 if g["goid"] == 0]

    def c_thread_callback(frames, state):
        fs = physical_functions(frames)
        on_extra_m = any(fs[k:k + 2] == ["runtime.cgocallback", "runtime.goexit"] for k in range(len(fs)))
        return on_extra_m or (state == "syscall" and fs == ["runtime.goexit"])

    out = {}
    for goid in (set(mine) | set(theirs)) - set(keep):
        g, o = mine.get(goid), theirs.get(goid)
        if g and o:
            if o["state"] == "running" and expected_state(g) == "runnable":
                out[goid] = "printed [running], preempted to runnable before the core"
            elif o["state"] == "running" and o["frames"] and pcs(o["frames"]) in g0_stacks:
                out[goid] = "printed [running] with its thread's g0 frames (the signal came while the " \
                            "scheduler switched to it)"
            elif (o["state"] == "syscall" and expected_state(g) == "runnable" and g.get("m") is None
                  and "runtime.cgocall" in physical_functions(o["frames"])):
                out[goid] = "printed [syscall] in a cgo call, back from C without a P before the core"
            elif g.get("system") and o["state"] == "runnable" and expected_state(g) != "runnable":
                out[goid] = "a system goroutine printed runnable, ran and parked before the core"
        elif g and c_thread_callback(g["frames"], expected_state(g)):
            out[goid] = "only in the core: a C thread took an extra M after the print"
        elif o and c_thread_callback(o["frames"], o["state"]):
            out[goid] = "only in the traceback: a C thread gave back its extra M after the print"
    return out


def core_views(binary, core):
    """cgo-goroutines, cgo-threads, cgo-lockgraph (JSON) and GDB's plain bt
    of every thread, from one GDB run on the core; then cgo-goroutines and
    cgo-threads again with C frames from GDB's frame API (`set
    cgostack-c-frames gdb`; the first ones are the default's, libdwfl's)."""
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "bt.py")
        with open(script, "w") as f:
            f.write(_plain_bt_script(os.path.join(d, "bt.json")))
        cmds = ["cgo-goroutines --runtime-frames --json --output %s/g.json" % d,
                "cgo-threads --json --output %s/t.json" % d,
                "cgo-lockgraph --json --output %s/l.json" % d,
                "source " + script,
                "set cgostack-c-frames gdb",
                "cgo-goroutines --runtime-frames --json --output %s/g_gdb.json" % d,
                "cgo-threads --json --output %s/t_gdb.json" % d]
        rc, out, err = gdbrun.gdb(cmds, binary, core)
        res = []
        for name in ("g", "t", "l", "bt", "g_gdb", "t_gdb"):
            p = os.path.join(d, name + ".json")
            if not os.path.exists(p):
                raise AssertionError("no %s.json (rc=%d)\n%s\n%s" % (name, rc, out[-2000:], err[-2000:]))
            with open(p) as f:
                res.append(json.load(f))
        return res


class TestprogcgoTest(unittest.TestCase):
    maxDiff = None
    results = {}
    raced = {}  # scenario -> {goid: why left out} (ran_on_after_print)

    @classmethod
    def tearDownClass(cls):
        print("\ntestprogcgo of Go %s:" % GO)
        for name, what in sorted(cls.results.items()):
            print("  %-28s %s" % (name, what))
        for name, why in sorted(OUT_OF_SCOPE.items()):
            print("  %-28s out of scope: %s" % (name, why))
        for name, what in sorted(NOT_YET.items()):
            if name in testprogcgo.scenarios(GO):
                print("  %-28s not yet in the lane: %s" % (name, what))

    def check_live(self, name, views):
        """The three views of the stopped goroutine agree; the top C frames
        are GDB's own."""
        where = name + " (live stop)"
        lwp = views["lwp"]
        thread = [t for t in views["threads"]["threads"] if t["lwp"] == lwp][0]
        if views["goroutine"]:
            g = views["goroutine"]["goroutines"][0]
            self.assertEqual([frame_key(f) for f in thread["frames"]], [frame_key(f) for f in g["frames"]],
                             "%s: thread view vs goroutine view" % where)
        ours = [(f["function"], f["pc"]) for f in thread["frames"]
                if f.get("lang") != "boundary" and not f.get("inlined")]
        bt = [(f["function"], f["pc"]) for f in views["bt"] if not f["inlined"] and f["function"] not in PLUMBING]
        # Go 1.19 saves runtime.systemstack_switch's entry as the pc; GDB
        # names a caller frame at pc-1, outside the function (as in
        # test_live_stops): the pc must still be the same.
        bt = [("runtime.systemstack_switch", pc) if not name and ("runtime.systemstack_switch", pc) in ours
              else (name, pc) for name, pc in bt]
        if thread["frames"] and thread["frames"][0].get("kind") == "signal" and ours and ours[0] in bt:
            # Stopped inside the Go signal handler: the views fold its
            # frames into one boundary (their count in it); bt shows them.
            k = bt.index(ours[0])
            self.assertEqual(thread["frames"][0].get("hidden_frames"), k, "%s: hidden handler frames %s" % (where, bt[:k]))
            bt = bt[k:]
        if "ran into data" in (thread.get("frames_error") or "") and len(bt) > len(ours):
            # The C stack ends in a frame whose return address is data (a
            # makecontext stack's uc_link): the views stop there and say
            # so, GDB's own unwinder (not ours: C frames) shows it as `??`.
            self.assertEqual([name for name, _ in bt[len(ours):]], [""], where)
            bt = bt[:len(ours)]
        self.assertEqual(bt, ours, "%s: bt vs thread view (bt error %r)" % (where, views["bt_error"]))
        c = [f["function"] for f in top_c(thread["frames"])]
        if c and thread["frames"][0].get("lang") == "c":
            self.assertEqual([f["function"] for f in views["bt_native"][:len(c)]], c, where)

    def check_c_frame_sources(self, name, views):
        """The plugin's default C frames on a core (libdwfl's) are those of
        GDB's frame API, frame by frame and field by field (the first
        difference named), and the whole reports equal (testprogcgo's Abort
        once showed glibc's tail call to __pthread_kill_implementation
        differently).  Not subject to KNOWN_GAPS: those are about the
        stitching both sources share."""
        where = name + " (core)"
        gs, threads, _, _, gs_gdb, threads_gdb = views
        for items, default, frame_api in (("goroutines", gs, gs_gdb), ("threads", threads, threads_gdb)):
            mine, gdbs = c_frame_rows(default, items), c_frame_rows(frame_api, items)
            for key in sorted(gdbs):
                self.assertEqual(mine.get(key), gdbs[key], "%s: %s %s, C frames (%s): libdwfl's (auto, the "
                                 "default) vs GDB's frame API's" % (where, items, key, ", ".join(C_FRAME_FIELDS)))
            self.assertEqual(default, frame_api, "%s: cgo-%s with libdwfl's C frames vs GDB's" % (where, items))

    def check_core(self, name, caught, crashed, views, stopped=None):
        where = name + " (core)"
        oracle = harness.load_oracle(caught["oracle"])
        gs, threads, graph, bt, _, _ = views
        # A program that crashed by itself printed its traceback on the way:
        # the crashing goroutine went on into the runtime's crash path
        # (fatalpanic, dieFromSignal) before the kernel wrote the core.
        advanced = {g["goid"] for g in oracle["goroutines"] if g["state"] == "running"} if crashed else ()
        raced = {} if name in NO_TRACEBACK else ran_on_after_print(gs, oracle, set(advanced) | {stopped})
        if raced:
            self.raced[name] = raced
            gs = dict(gs, goroutines=[g for g in gs["goroutines"] if g["goid"] not in raced])
            oracle = dict(oracle, goroutines=[g for g in oracle["goroutines"] if g["goid"] not in raced])
        if name in NO_TRACEBACK:
            with open(caught["traceback"]) as f:
                self.assertEqual(f.read().strip(), "", "%s: the runtime printed a traceback after all" % where)
            self.assertTrue(gs["goroutines"], where)
        else:
            problems = compare(gs, oracle, advanced=advanced)
            self.assertEqual(problems, [], "%s:\n%s" % (where, "\n".join(problems)))
        checked = 0
        for t in threads["threads"]:
            c = top_c(t["frames"] or [])
            if not c:
                continue
            plain = bt.get(str(t["lwp"]), [])
            # GDB's own bt from the top: the same C frames by pc and name
            # (on a kernel core every thread sits in the runtime's signal
            # handler; its C part starts below the signal frame).
            pcs = [f["pc"] for f in plain]
            if c[0]["pc"] not in pcs:
                continue
            k = pcs.index(c[0]["pc"])
            gdbs = [(f["pc"], f["function"]) for f in plain[k:k + len(c)]]
            self.assertEqual([(f["pc"], f["function"]) for f in c], gdbs, "%s: LWP %d C frames" % (where, t["lwp"]))
            checked += 1
        if crashed:
            # GDB's bt of the crashing thread (plugin on) crosses every
            # runtime.sigtramp (Go 1.19 did not) and goes on past it.
            # Go 1.19 saves runtime.systemstack_switch's entry as the pc (a
            # callback's cgo call below it): GDB names a caller frame at
            # pc-1, outside the function (as in check_live).
            switch_pcs = {f["pc"] for t in threads["threads"] for f in t["frames"] or []
                          if f.get("function") == "runtime.systemstack_switch"}
            names = [f["function"] or ("runtime.systemstack_switch" if f["pc"] in switch_pcs else "")
                     for f in bt["crashing"] if f["pc"]]
            self.assertIn("runtime.sigtramp", names, where)
            below = names[len(names) - names[::-1].index("runtime.sigtramp"):]
            self.assertTrue(below and all(below), "%s: bt below the handler %s" % (where, names))
        diagnoses = [d.get("code") for d in graph.get("diagnoses", [])]
        self.assertNotIn("all_blocked", diagnoses, where)
        return checked

    def run_scenario(self, name):
        stop, ignore, ci, what = SCENARIOS[name]
        if NAMED and name not in NAMED:
            self.results[name] = "not run (CGOSTACK_TESTPROGCGO names others): " + what
            self.skipTest("not named in CGOSTACK_TESTPROGCGO")
        if not (ci or ALL or NAMED):
            self.results[name] = "not run (CGOSTACK_TESTPROGCGO=all or =%s runs it): %s" % (name, what)
            self.skipTest("not in the CI subset")
        if name not in testprogcgo.scenarios(GO):
            self.results[name] = "not in this release"
            self.skipTest("Go %s's testprogcgo has no %s" % (GO, name))
        why_not = NOT_IN_RELEASE.get((harness._normalize_version(GO), name))
        if why_not:
            self.results[name] = "not in this release: " + why_not
            self.skipTest(why_not)
        caught = testprogcgo.catch(GO, name, stop, ignore, driver=DRIVER, plugin=gdbrun.PLUGIN,
                                   quit_main_thread=name in QUIT_MAIN_THREAD, args=ARGS.get(name, ()),
                                   env=ENV.get(name))
        self.assertTrue(caught["caught"], "%s: %s" % (name, caught["why"]))
        gap = KNOWN_GAPS.get((harness._normalize_version(GO), name))
        views = core_views(caught["binary"], caught["core"])
        self.check_c_frame_sources(name, views)
        try:
            stopped = None
            if stop:
                with open(caught["views"]) as f:
                    live = json.load(f)
                self.check_live(name, live)
                stopped = live.get("goid")
            c = self.check_core(name, caught, crashed=stop is None, views=views, stopped=stopped)
            if name in CORE_C_THREADS:
                self.assertGreater(c, 0, "%s: no thread's C frames were compared with GDB's" % name)
        except AssertionError as e:
            if not gap:
                raise
            self.results[name] = "known gap (%s): %s" % (str(e).splitlines()[0][:200], gap)
            self.skipTest("known gap: " + gap)
        self.assertIsNone(gap, "%s on Go %s matched: the known gap is fixed, remove it from KNOWN_GAPS" % (name, GO))
        self.results[name] = "matched (%s; C frames of %d threads equal GDB's%s%s): %s" % (
            "live stop and core" if stop else "crash core", c,
            "; caught on run %d, before: %s" % (len(caught["attempts"]) + 1, " / ".join(caught["attempts"]))
            if caught["attempts"] else "",
            "; left out, ran on after the print: " + "; ".join(
                "goroutine %d %s" % kv for kv in sorted(self.raced[name].items())) if name in self.raced else "",
            what)

    def test_signal_taken_as_sigmask_returns(self):
        """A signal that came while the thread blocked every signal is taken
        as __pthread_sigmask's system call returns: the interrupted C
        frame's pc is the instruction after the syscall, exact (not a
        return address), at an address where GCC 12 wrote several
        line-table rows (glibc 2.36: lines 40, 40, 43 and 45).  libdwfl's
        C frames named line 45 there, GDB's 43 (issue 14: seen once on
        Go 1.26 in TracebackContextProfile, a thread in
        _cgo_sys_thread_start when the SIGQUIT came).  Made deterministic:
        stopped in _cgo_try_pthread_create (cgo's thread start, every
        signal blocked; the runtime's first one, for sysmon), SIGQUIT held
        pending until the mask is restored.  The CLI's, the plugin's
        default and GDB's frame API's C frames must equal GDB's own bt,
        line included."""
        name = "TracebackContext"
        if NAMED and name not in NAMED:
            self.skipTest("not named in CGOSTACK_TESTPROGCGO")
        caught = testprogcgo.catch(GO, name, "_cgo_try_pthread_create", 0, plugin=gdbrun.PLUGIN,
                                   tag="sigmask")
        self.assertTrue(caught["caught"], "%s: %s" % (name, caught["why"]))
        stop = name + " at _cgo_try_pthread_create"
        where = stop + " (core)"
        views = core_views(caught["binary"], caught["core"])
        self.check_c_frame_sources(stop, views)
        self.check_core(stop, caught, crashed=False, views=views)
        _, threads, _, bt, _, threads_gdb = views
        rc, out, err = gdbrun.run_cli("threads", "--json", caught["binary"], caught["core"])
        self.assertIn(rc, (0, 2), err)
        cli = json.loads(out)
        self.assertEqual(c_frame_rows(cli, "threads"), c_frame_rows(threads_gdb, "threads"),
                         "%s: the CLI's C frames vs GDB's frame API's" % where)
        sigmask = [t for t in threads["threads"] if (top_c(t["frames"] or []) or [{}])[0].get("function", "")
                   .endswith("pthread_sigmask")]
        self.assertEqual(len(sigmask), 1, "%s: no thread interrupted in pthread_sigmask" % where)
        t = sigmask[0]
        c = top_c(t["frames"])
        plain = bt.get(str(t["lwp"]), [])
        pcs = [f["pc"] for f in plain]
        self.assertIn(c[0]["pc"], pcs, where)
        k = pcs.index(c[0]["pc"])
        self.assertEqual([(f["pc"], f["function"], f["line"]) for f in c],
                         [(f["pc"], f["function"], f["line"]) for f in plain[k:k + len(c)]],
                         "%s: LWP %d C frames (pc, function, line) vs GDB's own bt" % (where, t["lwp"]))
        self.assertIn("_cgo_sys_thread_start", [f["function"] for f in c], where)

    def test_named_scenarios_exist(self):
        # A misspelt CGOSTACK_TESTPROGCGO must not pass by running nothing.
        self.assertEqual(NAMED - set(SCENARIOS), set(), "CGOSTACK_TESTPROGCGO names unknown scenarios")

    def test_every_scenario_is_classified(self):
        # A scenario a new release adds is run, ruled out, or listed as not
        # yet run: never silently left out.
        known = set(SCENARIOS) | set(OUT_OF_SCOPE) | set(NOT_YET)
        self.assertEqual(testprogcgo.scenarios(GO) - known, set(), "Go %s's testprogcgo has new scenarios" % GO)


def _scenario_test(name):
    def test(self):
        self.run_scenario(name)
    test.__doc__ = SCENARIOS[name][3]
    return test


# One test per scenario (test_<Name>): a failure names its scenario.
for _name in SCENARIOS:
    setattr(TestprogcgoTest, "test_" + _name, _scenario_test(_name))


if __name__ == "__main__":
    unittest.main()

"""Compares cgo-goroutines JSON with the Go runtime's own traceback of the same
process (the oracle parsed by fixtures/harness.py).  Returns readable
mismatch lines; an empty list means agreement on everything compared."""


def expected_state(g):
    """The bracket text the runtime prints: the wait reason while waiting
    (runtime/traceback.go goroutineheader), else the status name."""
    if g["status"] == "waiting" and g["wait_reason"]:
        return g["wait_reason"]
    return g["status"]


def go_frames(frames):
    """The Go frames of a stitched stack (C frames and boundaries dropped):
    what the runtime's own traceback shows."""
    return [f for f in frames if f.get("lang", "go") == "go"]


def physical_functions(frames):
    """Non-inlined Go function names, innermost first."""
    return [f["function"] for f in go_frames(frames) if not f.get("inlined")]


def printed_name(name):
    """A function name as the runtime's traceback prints it
    (runtime/traceback.go printFuncName): runtime.gopanic as "panic", and
    the type arguments of a generic function as "[...]"."""
    if name == "runtime.gopanic":
        return "panic"
    out, depth = [], 0
    for ch in name:
        if ch == "[":
            if depth == 0:
                out.append("[...]")
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def oracle_goroutines(oracle):
    """User-visible goroutines of the oracle (goroutine 0 entries are the
    g0/gsignal stacks of threads, not goroutines)."""
    return {g["goid"]: g for g in oracle["goroutines"] if g["goid"] > 0}


def on_thread_in_syscall(o, got, want):
    """A [syscall] goroutine whose thread runs on its stack (in the system
    call, entersyscall or exitsyscall, runtime.cgocall's own part of a cgo
    call, a callback from C before exitsyscall): the runtime traces it from
    g.syscallsp/syscallpc (the caller of entersyscall, at that call), the
    views from its thread's registers (docs/commands.md, "Which view shows
    what").  The runtime's frames must then be exactly the bottom of ours;
    the pc of the first of them is not compared (the runtime prints
    g.syscallpc, the thread is elsewhere in that function: at the
    asmcgocall call below a callback, at the exitsyscall call, at the
    system call's own call), unless the thread is in C (C frames on top of
    ours: then runtime.cgocall is at g.syscallpc in both).  Returns how
    many of our frames lie above the runtime's, or None."""
    skip = len(got) - len(want)
    if o["state"] == "syscall" and want and skip >= 0 and got[skip:] == want:
        return skip
    return None


def in_c(frames):
    """Whether a stitched stack starts with its thread's C frames."""
    return bool(frames) and frames[0].get("lang", "go") == "c"


def in_vdso_call(frames, got, want):
    """A goroutine whose thread is in a vDSO call: the runtime traces it
    from m.vdsoPC, the caller of the function that called the vDSO
    (time.now, runtime.nanotime1, walltime); the views show the vDSO's
    frames and that function above it (docs/commands.md, "Which view shows
    what").  Ours are then the runtime's with that one Go function on top,
    under C frames of the vDSO."""
    top = []
    for f in frames:
        if f.get("lang") == "boundary":
            continue
        if f.get("lang") != "c":
            break
        top.append(f)
    return (bool(top) and all("vdso" in (f.get("object") or "") for f in top)
            and len(got) == len(want) + 1 and got[1:] == want)


def compare(ours, oracle, check_m=True, check_frames=True, advanced=()):
    """advanced: goids of goroutines that ran on after the runtime printed
    (the crashing goroutine of a program that crashed by itself: it went on
    from its traceback into the runtime's crash path before the core was
    written); their frames are compared from the runtime's first frame on."""
    problems = []
    mine = {g["goid"]: g for g in ours["goroutines"]}
    theirs = oracle_goroutines(oracle)
    if set(mine) != set(theirs):
        problems.append("goroutine sets differ: only ours %s, only the runtime's %s"
                        % (sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine))))
    for goid in sorted(set(mine) & set(theirs)):
        g, o = mine[goid], theirs[goid]
        where = "goroutine %d" % goid
        # The runtime prints its traceback before the kernel writes the core,
        # and freezetheworld is best effort: a runtime worker it had parked
        # (bgscavenge, a GC worker) can be readied in between.  Only that
        # transition, only for system goroutines, is the oracle's race.
        readied_after_print = g.get("system") and expected_state(g) == "runnable" and o["state"] not in (
            "running", "runnable", "syscall")
        if expected_state(g) != o["state"] and not readied_after_print:
            problems.append("%s: state %r, runtime says %r" % (where, expected_state(g), o["state"]))
        if g["locked_to_thread"] != o["locked_to_thread"]:
            problems.append("%s: locked_to_thread %s, runtime says %s"
                            % (where, g["locked_to_thread"], o["locked_to_thread"]))
        # The runtime prints m=N in the header from Go 1.21 on (m=nil: none).
        if check_m and "m" in o and o.get("header", "").find(" m=") >= 0:
            if g["m"] != o["m"]:
                problems.append("%s: m %s, runtime says %s" % (where, g["m"], o["m"]))
        if check_frames and o["frames"]:
            got = [printed_name(n) for n in physical_functions(g["frames"])]
            want = [printed_name(n) for n in physical_functions(o["frames"])]
            ours_pcs = [f["pc"] for f in go_frames(g["frames"]) if not f.get("inlined")]
            if goid in advanced and want and want[0] in got:
                skip = got.index(want[0])
                got, ours_pcs = got[skip:], ours_pcs[skip:]
            elif on_thread_in_syscall(o, got, want) is not None:
                skip = on_thread_in_syscall(o, got, want)
                got, ours_pcs = got[skip:], ours_pcs[skip:]
                if skip or not in_c(g["frames"]):
                    ours_pcs = [None] + ours_pcs[1:]
            elif in_vdso_call(g["frames"], got, want):
                got, ours_pcs = got[1:], ours_pcs[1:]
            if got[:len(want)] != want:
                problems.append("%s: frames %s (%s), runtime says %s"
                                % (where, got, g.get("frames_error"), want))
            else:
                # Each physical frame's pc is what the runtime printed as pc=.
                for f, pc in zip([f for f in o["frames"] if not f.get("inlined")], ours_pcs):
                    if f.get("pc") and pc is not None and int(f["pc"], 16) != pc:
                        problems.append("%s: %s pc %#x, runtime says %s"
                                        % (where, f["function"], pc, f["pc"]))
    return problems

"""Which process GDB is looking at: executable, core file or live pid.  One
backend Session per target is kept and reused, since opening one indexes the
executable's DWARF."""

import os

import gdb

from . import backend, registers


class NoTarget(Exception):
    pass


def _core_path():
    # GDB 13's Python API has no way to ask for the core file's name (later
    # releases add Progspace.core_filename); "info files" states it on a line
    # of its own, so read just that line.
    text = gdb.execute("info files", to_string=True)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("Local core dump file:") and i + 1 < len(lines):
            entry = lines[i + 1].strip()
            if entry.startswith("`") and "'" in entry:
                return entry[1:entry.rindex("'")]
    return None


def _compressed_core_advice():
    """GDB refuses a compressed core (systemd-coredump's .zst, .lz4, .xz)
    with "file format not recognized" and keeps no trace of it; if one of
    the files GDB was started with is one, the backend says what to do."""
    try:
        with open("/proc/self/cmdline", "rb") as f:
            argv = [a.decode(errors="surrogateescape") for a in f.read().split(b"\0") if a]
    except OSError:
        return ""
    for arg in argv[1:]:
        path = arg.split("=", 1)[1] if arg.startswith("--core=") else arg
        if not path.startswith("-") and os.path.isfile(path):
            try:
                advice = backend.load().compressed_core_advice(path)
            except Exception:  # noqa: BLE001 - only a hint; the plain message follows
                return ""
            if advice:
                return advice
    return ""


def _library_search():
    """GDB's `set sysroot` and `set solib-search-path`: where GDB reads a
    core's libraries, so the backend reads the same files (libc's release
    and debug info, __abort_msg)."""
    def parameter(name):
        try:
            return gdb.parameter(name) or ""
        except gdb.error:
            return ""
    return (parameter("sysroot"), parameter("solib-search-path"))


def _debug_files():
    """GDB's `set debug-file-directory` and, per objfile, the separate
    debug file GDB loaded for it (`objfile.owner`): the backend reads the
    Go module's DWARF from that file rather than looking again on its own."""
    try:
        dirs = tuple(d for d in (gdb.parameter("debug-file-directory") or "").split(os.pathsep) if d)
    except gdb.error:
        dirs = ()
    loaded = []
    for o in gdb.objfiles():
        owner = getattr(o, "owner", None)
        if owner is not None and o.filename and owner.filename:
            loaded.append((owner.filename, o.filename))
    return dirs, tuple(sorted(loaded))


def describe():
    """Returns (kind, executable, core_or_pid) for the selected inferior."""
    inferior = gdb.selected_inferior()
    conn = inferior.connection
    exe = gdb.current_progspace().filename
    if conn is None or inferior.pid == 0:
        advice = _compressed_core_advice()
        if advice:
            raise NoTarget(advice)
        raise NoTarget("no process or core: open one with `gdb EXE CORE`, `core-file CORE` "
                       "or `attach PID`")
    if not exe:
        raise NoTarget("GDB has no executable for this target; load it with `file EXE`")
    kind = conn.type
    if kind == "core":
        core = _core_path()
        if not core:
            raise NoTarget("cannot find the name of the core file GDB has open")
        return ("core", exe, os.path.abspath(core))
    if kind == "native":
        return ("live", exe, inferior.pid)
    raise NoTarget("target type %r is not supported yet (use a core file or a local process)"
                   % kind)


_cache = {}
_registers_given = False   # a live session has the threads' registers
_unwinder_failed = False   # the target is not one the backend can open
_seen_registers = {}       # lwp -> (pc, sp, fp, lr, run clock) the live session was given
_generation = 0            # counts the instants sessions describe: forget(), process_ran()


def session(registers=True):
    """The backend Session for the selected inferior, opened on first use.
    A live process's thread registers are handed over unless `registers`
    is false (the frame unwinder may not switch threads)."""
    global _registers_given
    mod = backend.load()
    kind, exe, where = describe()
    libraries = _library_search() if kind == "core" else ("", "")
    debug_files = _debug_files()
    key = (kind, exe, where, _stamp(exe), _stamp(where) if kind == "core" else None, libraries, debug_files)
    s = _cache.get(key)
    if s is None:
        _cache.clear()
        _registers_given = False
        mod.use_gdb_debug_files(list(debug_files[0]), dict(debug_files[1]))
        if kind == "core":
            s = mod.Session.open_core(exe, where, sysroot=libraries[0], solib_search_path=libraries[1])
        else:
            s = mod.Session.open_live(exe, where)
        _cache[key] = s
    if kind == "live" and registers and not _registers_given:
        _hand_over_registers(s)
        _registers_given = True
    return s


def unwinder_session():
    """The session for GDB's frame unwinder, or None when there is none to
    be had (not a Go program, no target): the unwinder then stays out of
    the way.  Never raises."""
    global _unwinder_failed
    if _cache:
        return next(iter(_cache.values()))
    if _unwinder_failed:
        return None
    try:
        return session(registers=False)
    except Exception:  # noqa: BLE001 - any failure means "not for us"
        _unwinder_failed = True
        return None


def note_thread_registers(lwp, pc, sp, fp, lr=0):
    """A live thread's registers as GDB's unwinder sees them at its newest
    frame (cores carry their own).  Returns True when they differ from
    what the session last saw for that thread: the process ran since, and
    the cached session was dropped (the caller must ask for a new one).

    GDB emits no `cont` event when it resumes the inferior by itself (past
    a breakpoint whose ignore count is not spent, after a signal it passes
    without stopping), yet it unwinds frame 0 at those internal stops; a
    session made there would describe that instant (its M's g0.sched chain,
    its goroutines' callback frames) at the next real stop."""
    moved = False
    for key, s in _cache.items():
        if key[0] == "live":
            seen = _seen_registers.get(lwp)
            if seen is not None and seen != (pc, sp, fp, lr, _run_clock(key[2], lwp)):
                moved = True
    if moved:
        process_ran()
    for key, s in _cache.items():
        if key[0] == "live":
            s.set_thread_registers(lwp, pc, sp, fp, lr)
            _seen_registers[lwp] = (pc, sp, fp, lr, _run_clock(key[2], lwp))
    return moved


def _run_clock(pid, lwp):
    """How long the thread has run on a CPU (ns, the first field of
    /proc/PID/task/LWP/schedstat), or None where that is not known.  A
    thread can stop twice with the same registers (the same breakpoint hit
    again on a stack at the same depth: StackSwitchCallback's makecontext
    stack); its run clock still tells the stops apart."""
    try:
        with open("/proc/%d/task/%d/schedstat" % (pid, lwp)) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def each_thread(lwps=None):
    """Switches to every thread of the selected inferior in turn (yielding
    it), or only to those whose LWP is in `lwps`, then restores the user's
    selected thread and frame."""
    thread = gdb.selected_thread()
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        frame = None
    try:
        for t in gdb.selected_inferior().threads():
            if lwps is not None and t.ptid[1] not in lwps:
                continue
            t.switch()
            yield t
    finally:
        if thread is not None and thread.is_valid():
            thread.switch()
        if frame is not None and frame.is_valid():
            frame.select()


def _hand_over_registers(session):
    """A live thread's registers belong to GDB (it is the tracer); give the
    backend each thread's pc, sp, frame pointer and link register, so
    running goroutines can be unwound."""
    names = registers.of(session)
    for t in each_thread():
        f = gdb.newest_frame()
        regs = tuple(registers.read(f, r) for r in (names.pc, names.sp, names.fp)) + (registers.read_lr(f, names),)
        session.set_thread_registers(t.ptid[1], *regs)
        _seen_registers[t.ptid[1]] = regs + (_run_clock(gdb.selected_inferior().pid, t.ptid[1]),)


def _stamp(path):
    try:
        st = os.stat(path)
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return None


def generation():
    """Changes whenever what the sessions describe does (a new target, or
    the live process ran): state taken from a session (native frames
    handed over) is good while this stays the same."""
    return _generation


def process_ran():
    """The live process ran (GDB resumed it, or stopped on its own and went
    on): the session is kept, since opening another indexes the
    executable's DWARF again, which a program stopped often (a breakpoint
    under an ignore count, a signal GDB passes, the CPU profiler) paid at
    each stop; its threads and their state are read afresh, the registers
    handed over again.  A core or no session: nothing to do but forget."""
    global _registers_given, _generation
    live = [s for key, s in _cache.items() if key[0] == "live"]
    if not live:
        forget()
        return
    _generation += 1
    _seen_registers.clear()
    _registers_given = False
    for s in live:
        s.process_ran()


def forget():
    """Drops cached sessions (the target changed, or is gone)."""
    global _registers_given, _unwinder_failed, _generation
    _generation += 1
    _cache.clear()
    _seen_registers.clear()
    _registers_given = False
    _unwinder_failed = False
    registers.forget()

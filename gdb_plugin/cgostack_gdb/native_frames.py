"""Every thread's frames as GDB unwinds them (with the Go unwinder of
unwinder.py crossing the stack switches), handed to the backend, which
stitches them with the Go runtime's view (native/src/stacks/stitch.cc).  Read
through GDB's Python frame API, never by parsing `bt` output; the user's
selected thread and frame are restored.

On a core, by default (`set cgostack-c-frames auto`), the frames come from
the backend's libdwfl unwinder instead, the CLI's, given GDB's sysroot,
solib-search-path and debug-file-directory: walking thousands of threads
through GDB's frame API (a thread switch, a Python unwinder call per frame)
costs more than GDB's own `thread apply all bt`, libdwfl a tenth of it.
The two agree frame by frame (function, file, line, object, pc, inlined,
tail call: tests/e2e/test_cli.py, test_testprogcgo.py, test_gdb_commands.py;
a tail-call site is one frame, as GDB's TAILCALL_FRAME); where they do not
is where a stack runs into garbage and a walk ends in an error, so those
threads are taken from GDB's frames.  A live process (whose registers GDB
holds), GDB fetching debug info through debuginfod, or `set
cgostack-c-frames gdb` keep GDB's frames for every thread."""

import collections

import gdb

from . import backend, registers, target, unwinder

# Frames kept per thread, and frames walked at most (a stack whose garbage
# GDB keeps reading as frames must end); the CLI's libdwfl walk has the
# same limits (dwfl_unwinder.cc kMaxFrames, kMaxWalked).
MAX_FRAMES = 512
MAX_WALKED = 1000000
# A run of C frames deeper than HEAD + TAIL keeps its first HEAD and last
# TAIL frames (native/src/stacks/stitch.h kNativeHeadFrames/TailFrames).
HEAD, TAIL = 50, 50


def _object(pc, vdso):
    name = gdb.solib_name(pc)
    if name:
        return name
    # GDB lists the vDSO as no shared library ("system-supplied DSO at
    # 0x..." is only its objfile's name): it is named after its own soname
    # (Session.vdso), in the CLI as here.
    if vdso and vdso[0] <= pc < vdso[1]:
        return vdso[2]
    return gdb.current_progspace().filename or ""


def _c_frame(frame, pc, sp, inlined, exact, depth, vdso):
    """`depth`: how many inline frames of the same physical frame are newer
    than this one (0 for the innermost); `vdso`: Session.vdso()."""
    function = frame.name() or ""
    file, line = "", 0
    try:
        # GDB symbolizes pc-1 for every frame below a Python-unwound one; a
        # frame a signal interrupted must be looked up at the pc itself: its
        # depth-th enclosing function block (inlined calls nest as blocks),
        # and for an outer frame its call site, which GDB gets right.
        sal = gdb.find_pc_line(pc) if exact and depth == 0 else frame.find_sal()
        if exact:
            block = gdb.block_for_pc(pc)
            skip = depth
            while block is not None and (block.function is None or skip > 0):
                if block.function is not None:
                    skip -= 1
                block = block.superblock
            if block is not None:
                # As GDB names a frame: a C++ name without its parameters.
                function = backend.load().frame_name(block.function.print_name)
        if sal.symtab is not None:
            file, line = sal.symtab.filename, sal.line
    except (gdb.error, RuntimeError, UnicodeDecodeError):
        # GDB's Python API cannot hand over a name that is not UTF-8 (a
        # hostile #line file name): the frame stays, without it.
        pass
    return (pc, sp, function, file, line, _object(pc, vdso), inlined, 0, frame.type() == gdb.TAILCALL_FRAME, False)


def _older(frame):
    """The frame's caller, or GDB's message when it cannot be found."""
    try:
        return frame.older()
    except gdb.error as e:
        return str(e)


def _chain(session, lwp, vdso):
    """The thread's frames, innermost first.  A run of more than HEAD + TAIL
    consecutive C frames (a deep recursion) keeps its first HEAD and last
    TAIL with one marker counting the frames between (as the CLI's libdwfl
    walk, dwfl_unwinder.cc AppendCRun): GDB must still unwind every frame to
    find the last ones, but the middle ones are only counted (their pc
    looked at), never symbolized or kept."""
    go_unwinder = unwinder.current()
    sp_name = registers.of(session).sp
    frames = []
    error = ""
    frame = gdb.newest_frame()
    last = frame
    depth = 0  # inline frames seen so far in the current physical frame
    run = 0  # C frames so far in the current run of C frames
    tail = collections.deque()  # past HEAD in a run: the last TAIL C frames, unsymbolized
    elided = 0
    kept = 0  # frames that count against MAX_FRAMES (elided ones do not)
    walked = 0
    prev_go = False  # the last frame walked was Go

    def flush():
        # The run ended: its marker and its last TAIL frames.
        nonlocal elided, kept
        if elided:
            frames.append((0, 0, "", "", 0, "", False, elided, False, False))
            kept += 1
        for f, pc, inlined, d in tail:
            sp = registers.read(f, sp_name)
            frames.append(_c_frame(f, pc, sp, inlined, go_unwinder.interrupted(lwp, pc, sp), d, vdso))
            kept += 1
        tail.clear()
        elided = 0

    while frame is not None and kept < MAX_FRAMES and walked < MAX_WALKED:
        pc = frame.pc()
        if pc == 0 and walked:
            break  # how the Go unwinder marks the outermost frame (unwinder.py)
        last = frame
        if frame.type() == gdb.SIGTRAMP_FRAME or (
                prev_go and go_unwinder.own_trampoline(lwp, pc, registers.read(frame, sp_name))):
            # The signal trampoline GDB shows as "<signal handler called>"
            # (unwinder.py leaves it to GDB): no code of the program's.
            # Below a Go runtime.sigtramp the backend marks the crossing
            # itself (a signal boundary); below C (a C handler, cgo's
            # x_cgo_callers) it is handed over as the trampoline, whose SP
            # is the kernel's ucontext (stitch.h NativeFrame).  Go 1.19's
            # runtime.sigreturn, which GDB does not take for a trampoline,
            # is unwound by unwinder.py and skipped the same way.
            if not prev_go:
                flush()
                run = 0
                frames.append((pc, registers.read(frame, sp_name), "", "", 0, "", False, 0, False, True))
                kept += 1
            frame = _older(frame)
            if isinstance(frame, str):
                error = frame
                break
            continue
        walked += 1
        inlined = frame.type() == gdb.INLINE_FRAME
        # Go frames are symbolized by the backend from the pc table; only
        # C frames need GDB's symbols and line tables.
        if session.is_go_pc(pc, walked > 1):
            flush()
            run = 0
            frames.append((pc, registers.read(frame, sp_name), "", "", 0, "", inlined, 0, False, False))
            kept += 1
            prev_go = True
        else:
            prev_go = False
            run += 1
            if run <= HEAD:
                sp = registers.read(frame, sp_name)
                frames.append(_c_frame(frame, pc, sp, inlined, go_unwinder.interrupted(lwp, pc, sp), depth, vdso))
                kept += 1
            else:
                tail.append((frame, pc, inlined, depth))
                if len(tail) > TAIL:
                    tail.popleft()
                    elided += 1
        depth = depth + 1 if inlined else 0
        try:
            frame = frame.older()
        except gdb.error as e:
            error = str(e)
            break
    flush()
    if kept >= MAX_FRAMES:
        error = "stopped after %d frames" % MAX_FRAMES
    elif walked >= MAX_WALKED:
        error = "stopped after %d frames of C" % MAX_WALKED
    elif not error and frame is None and last is not None:
        reason = last.unwind_stop_reason()
        if reason not in (gdb.FRAME_UNWIND_NO_REASON, gdb.FRAME_UNWIND_OUTERMOST):
            error = gdb.frame_stop_reason_string(reason)
    return frames, error


# "auto": libdwfl's frames on a core (GDB's for threads it cannot finish);
# "gdb": GDB's frame API for every thread (commands.py's parameter).
mode = "auto"  # set cgostack-c-frames (commands.py)


def _gdb_parameter(name, default=None):
    try:
        return gdb.parameter(name)
    except (gdb.error, RuntimeError):
        return default


def _native_unwinding():
    """Whether the backend's libdwfl unwinder stands for GDB's here."""
    if mode != "auto":
        return False
    try:
        kind = target.describe()[0]
    except target.NoTarget:
        return False
    # With debuginfod on GDB may read debug files no local directory holds.
    return kind == "core" and str(_gdb_parameter("debuginfod enabled", "off")) != "on"


def _debug_dirs():
    dirs = _gdb_parameter("debug-file-directory") or "/usr/lib/debug"
    return [d for d in dirs.split(":") if d]


# The core session whose threads already have their frames: a core does
# not change, so `cgo-threads` after `cgo-goroutines` reuses the walk
# (issue 15).  Dropped by forget() (target changed, mode set).
_handed_over = None


def forget():
    global _handed_over
    _handed_over = None


def hand_over(session):
    """Collects and hands over the native frame chain of every thread."""
    global _handed_over
    if _handed_over == (session, target.generation()):
        return
    _handed_over = None
    session.reset_threads()
    lwps = None  # every thread from GDB
    native = _native_unwinding()
    if native:
        lwps = set(session.unwind_native_frames(_debug_dirs()))
        if not lwps:
            _handed_over = (session, target.generation())
            return
    # GDB ends a backtrace at main.main unless told otherwise; a goroutine's
    # stack goes on to runtime.main and runtime.goexit, and the thread view
    # must show what the goroutine view does.
    past_main = gdb.parameter("backtrace past-main")
    if not past_main:
        gdb.execute("set backtrace past-main on", to_string=True)
    try:
        vdso = session.vdso()
        for t in target.each_thread(lwps):
            try:
                frames, error = _chain(session, t.ptid[1], vdso)
            except gdb.error as e:
                frames, error = [], "GDB cannot unwind this thread: %s" % e
            session.set_native_chain(t.ptid[1], frames, error)
    finally:
        if not past_main:
            gdb.execute("set backtrace past-main off", to_string=True)
    if native:
        _handed_over = (session, target.generation())

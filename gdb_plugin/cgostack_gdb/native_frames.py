"""Every thread's frames as GDB unwinds them (with the Go unwinder of
unwinder.py crossing the stack switches), handed to the backend, which
stitches them with the Go runtime's view (native/src/stacks/stitch.cc).  Read
through GDB's Python frame API, never by parsing `bt` output; the user's
selected thread and frame are restored."""

import gdb

from . import target, unwinder

MAX_FRAMES = 512


def _object(pc):
    name = gdb.solib_name(pc)
    if name:
        return name
    return gdb.current_progspace().filename or ""


def _c_frame(frame, pc, sp, inlined, exact, depth):
    """`depth`: how many inline frames of the same physical frame are newer
    than this one (0 for the innermost)."""
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
                function = block.function.print_name
        if sal.symtab is not None:
            file, line = sal.symtab.filename, sal.line
    except (gdb.error, RuntimeError, UnicodeDecodeError):
        # GDB's Python API cannot hand over a name that is not UTF-8 (a
        # hostile #line file name): the frame stays, without it.
        pass
    return (pc, sp, function, file, line, _object(pc), inlined)


def _older(frame):
    """The frame's caller, or GDB's message when it cannot be found."""
    try:
        return frame.older()
    except gdb.error as e:
        return str(e)


def _chain(session, lwp):
    go_unwinder = unwinder.current()
    frames = []
    error = ""
    frame = gdb.newest_frame()
    last = frame
    depth = 0  # inline frames seen so far in the current physical frame
    while frame is not None and len(frames) < MAX_FRAMES:
        pc = frame.pc()
        if pc == 0 and frames:
            break  # how the Go unwinder marks the outermost frame (unwinder.py)
        last = frame
        if frame.type() == gdb.SIGTRAMP_FRAME:
            # The signal trampoline GDB shows as "<signal handler called>"
            # (unwinder.py leaves it to GDB): no code of the program's, and
            # the backend marks the crossing itself (a signal boundary).
            frame = _older(frame)
            if isinstance(frame, str):
                error = frame
                break
            continue
        sp = int(frame.read_register("rsp")) & 0xFFFFFFFFFFFFFFFF
        inlined = frame.type() == gdb.INLINE_FRAME
        # Go frames are symbolized by the backend from the pc table; only
        # C frames need GDB's symbols and line tables.
        if session.is_go_pc(pc, bool(frames)):
            frames.append((pc, sp, "", "", 0, "", inlined))
        else:
            frames.append(_c_frame(frame, pc, sp, inlined, go_unwinder.interrupted(lwp, pc, sp), depth))
        depth = depth + 1 if inlined else 0
        try:
            frame = frame.older()
        except gdb.error as e:
            error = str(e)
            break
    if len(frames) >= MAX_FRAMES:
        error = "stopped after %d frames" % MAX_FRAMES
    elif not error and frame is None and last is not None:
        reason = last.unwind_stop_reason()
        if reason not in (gdb.FRAME_UNWIND_NO_REASON, gdb.FRAME_UNWIND_OUTERMOST):
            error = gdb.frame_stop_reason_string(reason)
    return frames, error


def hand_over(session):
    """Collects and hands over the native frame chain of every thread."""
    session.reset_threads()
    # GDB ends a backtrace at main.main unless told otherwise; a goroutine's
    # stack goes on to runtime.main and runtime.goexit, and the thread view
    # must show what the goroutine view does.
    past_main = gdb.parameter("backtrace past-main")
    if not past_main:
        gdb.execute("set backtrace past-main on", to_string=True)
    try:
        for t in target.each_thread():
            try:
                frames, error = _chain(session, t.ptid[1])
            except gdb.error as e:
                frames, error = [], "GDB cannot unwind this thread: %s" % e
            session.set_native_chain(t.ptid[1], frames, error)
    finally:
        if not past_main:
            gdb.execute("set backtrace past-main off", to_string=True)

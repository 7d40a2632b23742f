"""cgo-watch: several looks at the live process GDB holds, compared by the
backend with the code of the CLI's `cgostack watch` (native/src/snapshot/
watch.h); options and help from the backend's option table.

GDB is the process's tracer, so the looks are GDB's own stops, and the
process is run and stopped through GDB itself (its view of threads,
breakpoints and signals stays its own): the first look is the current
stop; then `continue` runs every thread for the interval and a posted
`interrupt` (GDB's Ctrl-C: SIGINT, which GDB does not pass on) stops it
again.  GDB's announcement of that stop is not news to the user and is
not printed; a stop of any other kind (a breakpoint, a signal, the exit)
ends the watch, what GDB said about it is printed and GDB's selection is
left where that stop put it; otherwise the user's thread and frame are
selected again at the end."""

import contextlib
import os
import threading
import time

import gdb

from . import backend, base, native_frames, target


class CgoWatch(base.ViewCommand):
    __doc__ = base.help_text("cgo-watch", "Tell stuck from progressing in a live process.")
    name = "cgo-watch"

    def __init__(self):
        super().__init__(gdb.COMMAND_RUNNING)

    def _go(self, arg):
        mod = backend.load()
        mod.remember_inputs([o.filename for o in gdb.objfiles() if o.filename])
        watch = mod.Watch(arg)  # a usage error is one line, before the process moves
        kind = target.describe()[0]
        if kind != "live":
            raise gdb.GdbError("cgostack: cgo-watch needs a live process (`gdb -p PID`, or `run`): "
                               "a core is one instant, with nothing to compare")
        held_ns = 0
        with _Selection() as selection:
            for i in range(watch.count):
                if i:
                    held_ns += time.monotonic_ns() - stopped_ns
                    ended = _run_for(watch.interval_s)
                    if ended:
                        selection.keep = False  # GDB selected where it stopped, as for any stop
                        if watch.looks() < 2:
                            raise gdb.GdbError("cgostack: cgo-watch: %s before the second look; nothing to "
                                               "compare" % ended)
                        watch.warn("%s after %d looks; the watch ended there" % (ended, watch.looks()))
                        break
                stopped_ns = time.monotonic_ns()
                session = target.session()
                watch.add(session, lambda: native_frames.hand_over(session), stopped_ns, held_ns)
        screen = watch.report()
        if screen:
            gdb.write(screen)


def _run_for(seconds):
    """Lets the process run for `seconds`, then stops it through GDB.
    Returns None when that stop was the interrupt's, else what stopped it
    first (GDB's own account of it is printed)."""
    stops = []
    pending = threading.Event()
    pending.set()

    def interrupt():
        # Posted from the timer; run by GDB's event loop while `continue`
        # waits.  Too late once the process stopped for another reason.
        if pending.is_set():
            gdb.execute("interrupt", to_string=True)

    timer = threading.Timer(seconds, lambda: gdb.post_event(interrupt))
    timer.daemon = True
    gdb.events.stop.connect(stops.append)
    gdb.events.exited.connect(stops.append)
    try:
        with _captured_stdout() as said:
            timer.start()
            try:
                gdb.execute("continue", to_string=True)
            except gdb.error as e:
                stops.append(e)
            finally:
                pending.clear()
                timer.cancel()
            text = said()
    finally:
        gdb.events.stop.disconnect(stops.append)
        gdb.events.exited.disconnect(stops.append)
    if len(stops) == 1 and isinstance(stops[0], gdb.SignalEvent) and stops[0].stop_signal == "SIGINT":
        return None
    if text:
        gdb.write(text)
    return _describe(stops)


def _describe(stops):
    for s in stops:
        if isinstance(s, gdb.ExitedEvent):
            return "the process exited"
        if isinstance(s, gdb.BreakpointEvent):
            return "the process stopped at breakpoint %d" % s.breakpoints[0].number
        if isinstance(s, gdb.SignalEvent):
            return "the process stopped with %s" % s.stop_signal
        if isinstance(s, gdb.error):
            return "`continue` failed (%s)" % s
    return "the process stopped"


@contextlib.contextmanager
def _captured_stdout():
    """GDB's standard output, at the descriptor (a stop is announced by
    GDB's interpreter, past gdb.execute's to_string), into an anonymous
    file; yields a function returning what was written so far."""
    gdb.flush()
    sink = os.memfd_create("cgo-watch")
    saved = os.dup(1)
    os.dup2(sink, 1)
    try:
        yield lambda: os.pread(sink, 1 << 20, 0).decode(errors="replace")
    finally:
        gdb.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


class _Selection:
    """The user's selected thread and frame (by level: frames do not
    survive the process running), selected again on exit unless `keep` is
    cleared."""

    keep = True

    def __enter__(self):
        self.thread = gdb.selected_thread()
        try:
            self.level = gdb.selected_frame().level()
        except gdb.error:
            self.level = 0
        return self

    def __exit__(self, *exc):
        if not self.keep or self.thread is None or not self.thread.is_valid():
            return False
        self.thread.switch()
        frame = gdb.newest_frame()
        for _ in range(self.level):
            older = frame.older()
            if older is None:
                break
            frame = older
        frame.select()
        return False


def register():
    """Called once, by commands.register()."""
    CgoWatch()

"""Registers the cgostack GDB commands, the cgostack-debug switch, the
events that drop cached state, and the Go frame unwinder for every objfile
that holds Go code.  The commands themselves are in the *_cmd modules (on
base.py); their help texts come from the backend's option tables."""

import gdb

from . import base, go_objfile, native_frames, target, unwinder


class _DebugParameter(gdb.Parameter):
    """Show Python tracebacks from cgostack commands (for bug reports)."""

    set_doc = "Set whether cgostack shows Python tracebacks on errors."
    show_doc = "Show whether cgostack shows Python tracebacks on errors."

    def __init__(self):
        super().__init__("cgostack-debug", gdb.COMMAND_MAINTENANCE, gdb.PARAM_BOOLEAN)
        self.value = False

    def get_set_string(self):
        base.debug = bool(self.value)
        return ""


class _CFramesParameter(gdb.Parameter):
    """Where cgostack takes C frames from on a core: `auto` (the default)
uses the backend's libdwfl unwinder, the CLI's, which finds GDB's frames
at a fraction of the cost (GDB's frame API for threads whose walk ends in
an error); `gdb` uses GDB's frame API for every thread.  A live process
always uses GDB's frames."""

    set_doc = "Set where cgostack takes C frames from on a core (auto or gdb)."
    show_doc = "Show where cgostack takes C frames from on a core."

    def __init__(self):
        super().__init__("cgostack-c-frames", gdb.COMMAND_DATA, gdb.PARAM_ENUM, ["auto", "gdb"])
        self.value = "auto"

    def get_set_string(self):
        native_frames.mode = self.value
        native_frames.forget()  # frames already handed over came from the other source
        return ""

    def get_show_string(self, value):
        return "cgostack takes C frames on a core from: %s" % value


class CgostackPrefix(gdb.Command):
    """cgostack: Go goroutines, OS threads and C frames for Go programs that use cgo.

Commands:
  cgo-info        Go version, goroutines, threads, Ms, Ps, cgo, GODEBUG
  cgo-goroutines  list goroutines (filters, --group for identical stacks)
  cgo-goroutine   one goroutine in full
  cgo-threads     every OS thread: M, P, goroutine, activity, signals, C+Go stack
  cgo-lockgraph   who waits for what across C and Go; deadlock cycles and their causes
  cgo-watch       a live process looked at several times: what is stuck, what progresses

Every command takes --json and --output FILE.  `set cgostack-debug on` shows
Python tracebacks on internal errors; `set cgostack-c-frames gdb` takes C
frames on a core from GDB's frame API instead of the backend's unwinder."""

    def __init__(self):
        super().__init__("cgostack", gdb.COMMAND_SUPPORT, prefix=True)

    def invoke(self, arg, from_tty):
        gdb.write(self.__doc__ + "\n")


_registered = False


def register():
    global _registered
    if _registered:
        return
    _registered = True
    _DebugParameter()
    _CFramesParameter()
    CgostackPrefix()
    from . import goroutines_cmd, info_cmd, lockgraph_cmd, threads_cmd, watch_cmd
    for module in (info_cmd, goroutines_cmd, threads_cmd, lockgraph_cmd, watch_cmd):
        module.register()
    # A live process keeps running between stops: what a session read of it
    # is stale once it resumes (the executable's index is kept), and all of
    # it once the target changes.
    gdb.events.cont.connect(_process_ran)
    for event in (gdb.events.exited, gdb.events.new_objfile):
        event.connect(_forget)
    # GDB's own `bt` crosses Go's stack switches from now on, for the Go
    # objfiles there are and any loaded later.
    gdb.events.new_objfile.connect(lambda event: _install_unwinder(event.new_objfile))
    for objfile in gdb.objfiles():
        _install_unwinder(objfile)


def _install_unwinder(objfile):
    if objfile is not None and objfile.filename and go_objfile.is_go(objfile.filename):
        unwinder.install(objfile)


def _forget(_event):
    target.forget()
    native_frames.forget()
    unwinder.forget()


def _process_ran(_event):
    target.process_ran()
    native_frames.forget()
    unwinder.forget()

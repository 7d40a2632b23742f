"""GDB commands.  Each command's docstring is its `help` text.  Expected
failures end as one `cgostack: ...` line (gdb.GdbError); `set cgostack-debug
on` shows the Python traceback instead, for bug reports."""

import glob
import json
import os
import traceback

import gdb

from . import backend, goroutine_filter, options, target, unwinder, views

_debug = False


class _DebugParameter(gdb.Parameter):
    """Show Python tracebacks from cgostack commands (for bug reports)."""

    set_doc = "Set whether cgostack shows Python tracebacks on errors."
    show_doc = "Show whether cgostack shows Python tracebacks on errors."

    def __init__(self):
        super().__init__("cgostack-debug", gdb.COMMAND_MAINTENANCE, gdb.PARAM_BOOLEAN)
        self.value = False

    def get_set_string(self):
        global _debug
        _debug = bool(self.value)
        return ""


def _run(fn):
    """Error boundary: every cgostack command goes through here."""
    try:
        with views.collector_paused():
            fn()
    except gdb.GdbError:
        raise
    except (options.UsageError, goroutine_filter.NotFound) as e:
        raise gdb.GdbError("cgostack: %s" % e)
    except (backend.BackendMissing, target.NoTarget) as e:
        raise gdb.GdbError("cgostack: %s" % e)
    except Exception as e:  # noqa: BLE001 - the boundary must catch everything
        mod_error = getattr(_backend_module(), "Error", None)
        if mod_error is not None and isinstance(e, mod_error):
            raise gdb.GdbError("cgostack: %s" % e)
        if _debug:
            traceback.print_exc()
        raise gdb.GdbError("cgostack: internal error: %s: %s (run `set cgostack-debug on` and "
                           "repeat for a traceback)" % (type(e).__name__, e))


def _backend_module():
    try:
        return backend.load()
    except backend.BackendMissing:
        return None


class _Command(gdb.Command):
    """A cgostack command: `parser` holds its options, `_go(arg)` does the
    work inside the error boundary."""

    parser = None

    def complete(self, text, word):
        return complete_options(self.parser, text, word)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        _run(lambda: self._go(arg))

    def _go(self, arg):
        raise NotImplementedError


def complete_options(parser, text, word):
    """Option names, or file names after --output.  GDB breaks words at
    `-`, so for `--fr` the word is `fr`: match the whole token and answer
    with the part from `word` on.  File names are listed here because
    returning gdb.COMPLETE_FILENAME after `--output ` completes nothing in
    GDB 13; returning it in the first call (word None) only makes GDB split
    words as it does for file names."""
    words = text.split()
    token = "" if not words or text.endswith(" ") else words[-1]
    before = words[-1] if token == "" and words else (words[-2] if len(words) > 1 else None)
    if before == "--output":
        if word is None:
            return gdb.COMPLETE_FILENAME
        return [p + "/" if os.path.isdir(p) else p
                for p in sorted(glob.glob(glob.escape(os.path.expanduser(word)) + "*"))]
    if word is None or not token.startswith("-"):
        return []
    cut = len(token) - len(word)
    return [o[cut:] for o in parser.option_names() if o.startswith(token)]


class CgoInfo(_Command):
    """Summarise a Go process: Go version, goroutines, threads, Ms, Ps, cgo, GODEBUG.

Usage: cgo-info [--json] [--output FILE]

Works on a core (`gdb EXE CORE`) and on a live process (`gdb -p PID`).
  --json          print one JSON object (schema: docs/json-schema.md)
  --output FILE   write the result to FILE instead of the screen

Example:
  (gdb) cgo-info
  (gdb) cgo-info --json --output /tmp/info.json"""

    parser = views.info_parser()

    def __init__(self):
        super().__init__("cgo-info", gdb.COMMAND_STATUS)

    def _go(self, arg):
        args = self.parser.parse(arg)
        s = target.session()
        if target.describe()[0] == "core":
            # The crash record names the faulting frame: C frames from GDB.
            from . import native_frames
            native_frames.hand_over(s)
        data = json.loads(s.info_json())
        views.show_info(args, data, gdb.write)


class CgostackPrefix(gdb.Command):
    """cgostack: Go goroutines, OS threads and C frames for Go programs that use cgo.

Commands:
  cgo-info        Go version, goroutines, threads, Ms, Ps, cgo, GODEBUG
  cgo-goroutines  list goroutines (filters, --group for identical stacks)
  cgo-goroutine   one goroutine in full
  cgo-threads     every OS thread: M, P, goroutine, activity, signals, C+Go stack
  cgo-lockgraph   who waits for what across C and Go; deadlock cycles and their causes

Every command takes --json and --output FILE.  `set cgostack-debug on` shows
Python tracebacks on internal errors."""

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
    CgostackPrefix()
    CgoInfo()
    # A live process keeps running between stops; drop cached state whenever
    # it resumes or the target changes.
    for event in (gdb.events.cont, gdb.events.exited, gdb.events.new_objfile):
        event.connect(_forget)
    # GDB's own `bt` crosses Go's stack switches from now on.
    unwinder.install()
    from . import goroutines_cmd, lockgraph_cmd, threads_cmd  # they build on this module's classes
    goroutines_cmd.register()
    threads_cmd.register()
    lockgraph_cmd.register()


def _forget(_event):
    target.forget()
    unwinder.forget()

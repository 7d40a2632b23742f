"""cgo-goroutines and cgo-goroutine: goroutines from the backend's
goroutines_json(), with GDB's thread numbers added, filtered and formatted
by goroutine_filter and goroutines_text."""

import json

import gdb

from . import commands, goroutines_text, native_frames, options, target, views


def _gdb_threads():
    """GDB's thread number for each LWP of the selected inferior."""
    return {t.ptid[1]: t.num for t in gdb.selected_inferior().threads()}


def _session(with_frames):
    """The backend session; with frames, every thread's native frames are
    handed over first, so goroutines in cgo calls and callbacks get their C
    frames stitched in."""
    s = target.session()
    if with_frames:
        native_frames.hand_over(s)
    return s


def _fetch_rows(with_frames):
    """The backend's goroutine report in its compact form: goroutines as
    rows of values named by "columns", each distinct stack once in
    "stacks" (goroutines refer to it by index).  Decoding 100,000 rows costs
    a quarter of decoding 100,000 objects."""
    return json.loads(_session(with_frames).goroutines_json(
        with_frames=with_frames, stack_table=True, rows=True, gdb_threads=_gdb_threads()))


def _report(with_frames=True):
    """The backend's goroutine report as dicts (views.decode_report), each
    goroutine with `gdb_thread` and `locked_gdb_thread` (GDB's numbers for
    its LWPs, null when GDB has no such thread) and its `frames`.  Without
    frames the backend skips unwinding."""
    return views.decode_report(_fetch_rows(with_frames))


def _write_all_json(args, frame_limit):
    """cgo-goroutines --json with no filter and no grouping: every goroutine
    exactly as the backend has it, serialised by the backend straight to the
    screen or to --output (100,000 stacks are hundreds of megabytes; a
    round trip through Python objects would take many seconds)."""
    out = _session(frame_limit != 0).goroutines_json(
        with_frames=frame_limit != 0, max_frames=-1 if frame_limit is None else frame_limit,
        gdb_threads=_gdb_threads(), output=args.output or "")
    if not args.output:  # a file is written silently, as the docs say
        gdb.write(out + "\n")


class CgoGoroutines(commands._Command):
    """List goroutines: state, wait reason, M/LWP/GDB thread, stack, creator.

Usage: cgo-goroutines [GOID...] [--state STATE] [--function SUBSTR] [--system]
                      [--group] [--frames N|all] [--runtime-frames]
                      [--json] [--output FILE]

One header per goroutine, then its Go stack, innermost first:
  goroutine 17 [sync.Mutex.Lock, 5 minutes, locked to thread] on M3 (LWP 26296, thread 5):
      main.lockIt         /src/main.go:30
      created by main.main in goroutine 1 at /src/main.go:25
The bracket holds the wait reason (the runtime's own string) or else the
status; "thread 5" is GDB's thread number, so `thread 5` and `bt` show that
OS thread's C frames.  A goroutine or stack that cannot be read is still
listed, with an "error:" or "stack error:" line.  The last line counts what
was shown, filtered out and hidden.

  GOID...            only these goroutines (`1 17 42` or `1,17,42`); a
                     single GOID shows that goroutine in full, as
                     cgo-goroutine does
  --state STATE      goroutines whose status is STATE (idle, runnable,
                     running, syscall, waiting, ...; case-insensitive) or
                     whose wait reason contains STATE (case-insensitive:
                     `mutex` matches sync.Mutex.Lock and sync.RWMutex.RLock);
                     repeat it or separate with commas for any of several
  --function SUBSTR  goroutines with SUBSTR (case-sensitive) in the function
                     of any frame, runtime frames included, or in the start
                     function; repeat it to require all of several
  --system           show runtime-internal goroutines (GC workers,
                     finalizers, ...) in text, hidden by default as in the
                     runtime's own traceback; goroutines named by GOID are
                     always shown, and JSON always has them (marked "system")
  --group            one entry per distinct stack (state, function+file+line
                     of every frame, creation site) with its count and goids,
                     largest group first
  --frames N|all     at most N frames per stack (default 20 in text, all in
                     JSON); text shows a run of identical frames (deep
                     recursion) as one line "(N times)" and counts it once;
                     0 gives one line per goroutine or group, and without
                     --function or --group skips reading stacks
  --runtime-frames   show runtime.* frames in text (hidden by default, as
                     GOTRACEBACK=all does; JSON always has every frame, each
                     marked "runtime")
  --json             print one JSON object: {"go_version", "goroutines": [...],
                     "warnings", "total", "filtered_out", "not_found"}; with
                     --group "groups": [{"count", "goids", "status",
                     "wait_reason", "frames", ...}] instead of "goroutines"
  --output FILE      write the result to FILE instead of the screen

Filters combine: a goroutine is shown if it passes all of them.  Works on a
core (`gdb EXE CORE`) and on a live process (`gdb -p PID`).

Examples:
  (gdb) cgo-goroutines --group                   100,000 goroutines on a screen
  (gdb) cgo-goroutines --state syscall           goroutines in cgo calls/syscalls
  (gdb) cgo-goroutines --state mutex --state chan --frames 5
  (gdb) cgo-goroutines --function main.worker --runtime-frames
  (gdb) cgo-goroutines 1 17 42 --frames 0
  (gdb) cgo-goroutines --json --output /tmp/goroutines.json"""

    parser = views.goroutines_parser()

    def __init__(self):
        super().__init__("cgo-goroutines", gdb.COMMAND_STACK)

    def _go(self, arg):
        args = views.parse_goroutines(self.parser, arg)
        plan = views.plan_goroutines(args)
        if plan.kind == "all_json":
            return _write_all_json(args, plan.json_limit)
        if plan.kind == "rows":
            # Python rows straight from the backend: no JSON to decode.
            data = target.session().goroutine_rows(fields=list(goroutines_text.HEADER_FIELDS),
                                                   gdb_threads=_gdb_threads())
        else:
            data = _report(with_frames=plan.with_frames)
        views.show_goroutines(args, plan, data, gdb.write)


class CgoGoroutine(commands._Command):
    """Show one goroutine in full: every field and every frame with its pc.

Usage: cgo-goroutine GOID [--frames N|all] [--json] [--output FILE]

Shows status, wait reason, how long it has waited (where the runtime
recorded it), g address, the M it runs on with its LWP and GDB thread
number, the M/LWP it is locked to, creator and creating goroutine, start
function, pprof labels, and its Go stack innermost first with pcs; runtime
and inlined frames are included and marked.  A GOID that does not exist is
one error line.

  --frames N|all   at most N frames (default all)
  --json           print one JSON object, the shape of cgo-goroutines --json
                   with one goroutine in "goroutines"
  --output FILE    write the result to FILE instead of the screen

Examples:
  (gdb) cgo-goroutine 17
  (gdb) cgo-goroutine 17 --json --output /tmp/g17.json"""

    parser = views.goroutine_parser()

    def __init__(self):
        super().__init__("cgo-goroutine", gdb.COMMAND_STACK)

    def _go(self, arg):
        args = views.parse_goroutines(self.parser, arg)
        if len(args.goids) != 1:
            raise options.UsageError("cgo-goroutine: give exactly one GOID "
                                     "(see `help cgo-goroutine`)")
        views.show_one(args, _report(), args.goids[0], gdb.write)


def register():
    """Called once, by commands.register()."""
    CgoGoroutines()
    CgoGoroutine()

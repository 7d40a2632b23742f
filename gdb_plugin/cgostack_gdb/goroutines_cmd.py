"""cgo-goroutines and cgo-goroutine: goroutines from the backend's
goroutines_json(), with GDB's thread numbers added, filtered and formatted
by goroutine_filter and goroutines_text."""

import argparse
import json
import shlex

import gdb

from . import commands, goroutine_filter, goroutines_text, native_frames, options, target


def _frame_limit(text):
    """--frames: a count, or "all"; None (the parser's default) means not given."""
    if text == "all":
        return "all"
    try:
        n = int(text, 10)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError("want a count >= 0 or `all`, not %r" % text)
    return n


def _limit(given, default):
    """The frame limit to use: `default` when --frames was not given, None
    for all."""
    if given is None:
        return default
    return None if given == "all" else given


def _parse(parser, arg):
    """Like options.Parser.parse, but options may come between goids."""
    try:
        words = shlex.split(arg)
    except ValueError as e:
        raise options.UsageError("%s: %s" % (parser.prog, e))
    args = parser.parse_intermixed_args(words)
    try:
        args.goids = goroutine_filter.parse_goids(args.goids)
    except ValueError as e:
        raise options.UsageError("%s: %s (see `help %s`)" % (parser.prog, e, parser.prog))
    return args


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
    """The backend's goroutine report as dicts, each goroutine with
    `gdb_thread` and `locked_gdb_thread` (GDB's numbers for its LWPs, null
    when GDB has no such thread) and its `frames`.  Goroutines sharing a
    stack share one frame list, so renderers must not modify frame lists.
    Without frames the backend skips unwinding."""
    data = _fetch_rows(with_frames)
    columns = data.pop("columns", None) or []
    stacks = data.pop("stacks", None) or []
    goroutines = []
    for row in data.pop("rows", None) or ():
        g = dict(zip(columns, row))
        stack = g.pop("stack", None)
        g["frames"] = stacks[stack] if stack is not None else []
        # Rows carry every field; the object form leaves these out when unset,
        # and rows say null for no labels.
        for optional in ("labels_error", "frames_omitted"):
            if g.get(optional) is None:
                g.pop(optional, None)
        if g.get("labels") is None:
            g["labels"] = {}
        goroutines.append(g)
    data["goroutines"] = goroutines
    return data


def _write_all_json(args, frame_limit):
    """cgo-goroutines --json with no filter and no grouping: every goroutine
    exactly as the backend has it, serialised by the backend straight to the
    screen or to --output (100,000 stacks are hundreds of megabytes; a
    round trip through Python objects would take many seconds)."""
    out = _session(frame_limit != 0).goroutines_json(
        with_frames=frame_limit != 0, max_frames=-1 if frame_limit is None else frame_limit,
        gdb_threads=_gdb_threads(), output=args.output or "")
    if args.output:
        gdb.write("cgostack: wrote %s\n" % args.output)
    else:
        gdb.write(out + "\n")


def _show_one(args, data, goid):
    goroutines = data.get("goroutines") or []
    try:
        g = goroutine_filter.find(goroutines, goid)
    except goroutine_filter.NotFound as e:
        raise gdb.GdbError("cgostack: %s" % e)
    limit = _limit(args.frames, None)
    if args.json:
        out = goroutine_filter.one_json(data, g, limit)
    else:
        out = g
    options.emit(args, out, lambda g: goroutines_text.render_full(data, g, limit), gdb.write)


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

    parser = options.Parser("cgo-goroutines", "List goroutines.")
    parser.add_argument("goids", nargs="*", metavar="GOID")
    parser.add_argument("--state", action="append", default=[], metavar="STATE")
    parser.add_argument("--function", action="append", default=[], metavar="SUBSTR")
    parser.add_argument("--system", action="store_true")
    parser.add_argument("--group", action="store_true")
    parser.add_argument("--frames", type=_frame_limit, metavar="N")
    parser.add_argument("--runtime-frames", action="store_true")

    def __init__(self):
        super().__init__("cgo-goroutines", gdb.COMMAND_STACK)

    def _go(self, arg):
        args = _parse(self.parser, arg)
        if len(args.goids) == 1 and not args.group:
            return _show_one(args, _report(), args.goids[0])
        text_limit = _limit(args.frames, goroutines_text.LIST_FRAMES)
        json_limit = _limit(args.frames, None)
        unfiltered = not (args.goids or args.state or args.function or args.group)
        if args.json and unfiltered:
            return _write_all_json(args, json_limit)
        if unfiltered and text_limit == 0:
            # Python rows straight from the backend: no JSON to decode.
            data = target.session().goroutine_rows(fields=list(goroutines_text.HEADER_FIELDS),
                                                   gdb_threads=_gdb_threads())
            return options.emit(args, data, lambda d: goroutines_text.render_header_rows(
                d, d.get("columns") or [], d.get("rows") or [], args.system), gdb.write)
        data = _report(with_frames=not (json_limit == 0 and not args.function
                                        and not args.group))
        # Like runtime frames, system goroutines are hidden in text only:
        # JSON has every goroutine, each marked "system".
        sel = goroutine_filter.select(data.get("goroutines") or [], goids=args.goids,
                                      states=goroutine_filter.parse_states(args.state),
                                      functions=args.function, system=args.system or args.json)
        if args.group:
            groups = goroutine_filter.group(sel.goroutines)
            if args.json:
                out = goroutine_filter.groups_json(data, sel, groups, json_limit)
            else:
                out = groups
            options.emit(args, out, lambda gs: goroutines_text.render_groups(
                data, sel, gs, text_limit, args.runtime_frames), gdb.write)
        else:
            if args.json:
                out = goroutine_filter.list_json(data, sel, json_limit)
            else:
                out = sel
            options.emit(args, out, lambda s: goroutines_text.render_list(
                data, s, text_limit, args.runtime_frames), gdb.write)


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

    parser = options.Parser("cgo-goroutine", "Show one goroutine in full.")
    parser.add_argument("goids", nargs=1, metavar="GOID")
    parser.add_argument("--frames", type=_frame_limit, metavar="N")

    def __init__(self):
        super().__init__("cgo-goroutine", gdb.COMMAND_STACK)

    def _go(self, arg):
        args = _parse(self.parser, arg)
        if len(args.goids) != 1:
            raise options.UsageError("cgo-goroutine: give exactly one GOID "
                                     "(see `help cgo-goroutine`)")
        _show_one(args, _report(), args.goids[0])


def register():
    """Called once, by commands.register()."""
    CgoGoroutines()
    CgoGoroutine()

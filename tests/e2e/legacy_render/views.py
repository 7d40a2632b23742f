"""What each cgostack command shows, given the backend's report: the
options (parsers), which report to ask the backend for, and the choice of
filter, grouping and formatter.  Pure Python (no gdb import): the GDB
commands and the standalone CLI's text step (render.py) both go through
here, so an option means the same in both."""

import argparse
import contextlib
import gc
import shlex

from . import goroutine_filter, goroutines_text, info_text, lockgraph_text, options, threads_text


@contextlib.contextmanager
def collector_paused():
    """Runs a command with Python's cyclic garbage collector off.  It runs
    after every 700 new containers, and decoding 100,000 goroutines into
    dicts made it walk the growing heap hundreds of times over objects that
    are not garbage: `cgostack goroutines --group` at 100,000 goroutines
    took 2.7-3.1 s with it and 2.2-2.5 s without (same output).  Reports
    make no reference cycles worth collecting meanwhile; the collector runs
    again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ------------------------------------------------------------------ parsers

def info_parser(prog="cgo-info", help_hint=None):
    return options.Parser(prog, "Summarise a Go process.", help_hint=help_hint)


def frame_limit(text):
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


def limit(given, default):
    """The frame limit to use: `default` when --frames was not given, None
    for all."""
    if given is None:
        return default
    return None if given == "all" else given


def goroutines_parser(prog="cgo-goroutines", help_hint=None):
    parser = options.Parser(prog, "List goroutines.", help_hint=help_hint)
    parser.add_argument("goids", nargs="*", metavar="GOID")
    parser.add_argument("--state", action="append", default=[], metavar="STATE")
    parser.add_argument("--function", action="append", default=[], metavar="SUBSTR")
    parser.add_argument("--system", action="store_true")
    parser.add_argument("--group", action="store_true")
    parser.add_argument("--frames", type=frame_limit, metavar="N")
    parser.add_argument("--runtime-frames", action="store_true")
    return parser


def goroutine_parser(prog="cgo-goroutine"):
    parser = options.Parser(prog, "Show one goroutine in full.")
    parser.add_argument("goids", nargs=1, metavar="GOID")
    parser.add_argument("--frames", type=frame_limit, metavar="N")
    return parser


def threads_parser(prog="cgo-threads", help_hint=None):
    parser = options.Parser(prog, "List every OS thread.", help_hint=help_hint)
    parser.add_argument("lwps", nargs="*", type=int, metavar="LWP")
    parser.add_argument("--no-frames", action="store_true", help="headers only")
    parser.add_argument("--signal-frames", action="store_true",
                        help="show the Go signal handler's frames")
    return parser


def lockgraph_parser(prog="cgo-lockgraph", help_hint=None):
    parser = options.Parser(prog, "The cross-language wait-for graph.", help_hint=help_hint)
    parser.add_argument("--dot", metavar="FILE", help="write Graphviz source (and SVG when dot is installed)")
    return parser


def show_lockgraph(args, data, write):
    if args.dot:
        lockgraph_text.write_dot(args.dot, lockgraph_text.dot(data), write)
    options.emit(args, data, lockgraph_text.render, write)


def parse_goroutines(parser, arg):
    """Like options.Parser.parse, but options may come between goids.
    `arg` is the command line (GDB) or a list of words (CLI)."""
    if isinstance(arg, str):
        try:
            arg = shlex.split(arg)
        except ValueError as e:
            raise options.UsageError("%s: %s" % (parser.prog, e))
    args = parser.parse_intermixed_args(arg)
    try:
        args.goids = goroutine_filter.parse_goids(args.goids)
    except ValueError as e:
        raise options.UsageError("%s: %s (see `%s`)" % (parser.prog, e, parser.help_hint))
    return args


# --------------------------------------------------------------- cgo-info

def show_info(args, data, write):
    options.emit(args, data, info_text.render, write)


# --------------------------------------------------------- cgo-goroutines

class Plan:
    """Which report a goroutines command needs from the backend:
    kind "one" (a single goroutine in full), "all_json" (the backend writes
    every goroutine itself), "rows" (one line per goroutine: no stacks, no
    per-goroutine dicts) or "report"; and whether stacks must be read."""

    def __init__(self, kind, with_frames, json_limit, text_limit):
        self.kind, self.with_frames = kind, with_frames
        self.json_limit, self.text_limit = json_limit, text_limit


def plan_goroutines(args):
    text_limit = limit(args.frames, goroutines_text.LIST_FRAMES)
    json_limit = limit(args.frames, None)
    if len(args.goids) == 1 and not getattr(args, "group", False):
        return Plan("one", True, json_limit, text_limit)
    unfiltered = not (args.goids or args.state or args.function or args.group)
    if args.json and unfiltered:
        return Plan("all_json", json_limit != 0, json_limit, text_limit)
    if unfiltered and text_limit == 0:
        return Plan("rows", False, json_limit, text_limit)
    return Plan("report", not (json_limit == 0 and not args.function and not args.group),
                json_limit, text_limit)


def decode_report(data):
    """The backend's compact goroutine report (goroutines as rows of values
    named by "columns", each distinct stack once in "stacks") as dicts, each
    goroutine with its `frames`.  Goroutines sharing a stack share one frame
    list, so renderers must not modify frame lists.  Decoding 100,000 rows
    costs a quarter of decoding 100,000 objects."""
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


def show_one(args, data, goid, write):
    """One goroutine in full (cgo-goroutine, or cgo-goroutines with one
    GOID); raises goroutine_filter.NotFound for an unknown goid."""
    g = goroutine_filter.find(data.get("goroutines") or [], goid)
    frames = limit(args.frames, None)
    out = goroutine_filter.one_json(data, g, frames) if args.json else g
    options.emit(args, out, lambda g: goroutines_text.render_full(data, g, frames), write)


def show_goroutines(args, plan, data, write):
    """Everything after the backend's report: `data` is the decoded report
    (plan "report" or "one") or the rows form (plan "rows")."""
    if plan.kind == "one":
        return show_one(args, data, args.goids[0], write)
    if plan.kind == "rows":
        return options.emit(args, data, lambda d: goroutines_text.render_header_rows(
            d, d.get("columns") or [], d.get("rows") or [], args.system), write)
    # Like runtime frames, system goroutines are hidden in text only:
    # JSON has every goroutine, each marked "system".
    sel = goroutine_filter.select(data.get("goroutines") or [], goids=args.goids,
                                  states=goroutine_filter.parse_states(args.state),
                                  functions=args.function, system=args.system or args.json)
    if args.group:
        groups = goroutine_filter.group(sel.goroutines)
        out = goroutine_filter.groups_json(data, sel, groups, plan.json_limit) if args.json else groups
        options.emit(args, out, lambda gs: goroutines_text.render_groups(
            data, sel, gs, plan.text_limit, args.runtime_frames), write)
    else:
        out = goroutine_filter.list_json(data, sel, plan.json_limit) if args.json else sel
        options.emit(args, out, lambda s: goroutines_text.render_list(
            data, s, plan.text_limit, args.runtime_frames), write)


# ------------------------------------------------------------ cgo-threads

def show_threads(args, data, write):
    if args.lwps:
        known = {t["lwp"] for t in data["threads"]}
        missing = [lwp for lwp in args.lwps if lwp not in known]
        if missing:
            raise options.UsageError("no thread with LWP %s in this process (cgo-threads lists them)"
                                     % ", ".join(map(str, missing)))
        data["threads"] = [t for t in data["threads"] if t["lwp"] in args.lwps]
    options.emit(args, data, threads_text.render, write)

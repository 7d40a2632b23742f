"""Text rendering of cgo-goroutines and cgo-goroutine (pure Python, no gdb
import).

The list view reads like the runtime's traceback, one line per frame:

  goroutine 17 [sync.Mutex.Lock, 5 minutes, locked to thread] locked to M3 (LWP 26296, thread 5):
      sync.(*Mutex).Lock  /usr/lib/go/src/sync/mutex.go:90 (inlined)
      main.worker         /src/main.go:30
      created by main.main in goroutine 1 at /src/main.go:25

The header keeps the runtime's `goroutine N [` prefix so it can be searched
for the same way; "thread 5" is GDB's thread number (`thread 5` switches to
it).  Every renderer builds one list of lines and joins it once: 100,000
goroutines must render in well under a second.
"""

import json
from operator import itemgetter

from .goroutine_filter import Selection, label

INDENT = "    "
LIST_FRAMES = 20      # default frame limit of the list and grouped views
FUNC_WIDTH_MAX = 48   # function column width cap, so one long name does not push every line
GOIDS_SHOWN = 8       # goid runs listed in a group header before "... and N more"
LARGE_LIST = 1000     # above this many goroutines the summary suggests --group

_MINUTE_NS = 60 * 1000 * 1000 * 1000


def duration(ns):
    """Nanoseconds as 850ms, 42.3s, 5m12s, 2h03m."""
    if ns < 1000000:
        return "%dus" % (ns // 1000)
    if ns < 1000000000:
        return "%dms" % (ns // 1000000)
    s = ns / 1e9
    if s < 60:
        return "%.1fs" % s
    s = int(s)
    if s < 3600:
        return "%dm%02ds" % (s // 60, s % 60)
    return "%dh%02dm" % (s // 3600, s % 3600 // 60)


def wait_ns(g, now_ns):
    """How long the goroutine has been waiting: the report's own `wait_ns`
    if it has one, else now_ns - wait_since_ns when both are known."""
    d = g.get("wait_ns")
    if d is not None:
        return d
    since = g.get("wait_since_ns")
    if since and now_ns and now_ns >= since:
        return now_ns - since
    return None


def _goid(g):
    goid = g.get("goid")
    return "?" if goid is None else str(goid)


def thread(m, lwp, gdb_thread, gdb_word="thread"):
    """`M3 (LWP 26296, thread 5)`, leaving out what is unknown."""
    extra = []
    if lwp is not None:
        extra.append("LWP %d" % lwp)
    if gdb_thread is not None:
        extra.append("%s %d" % (gdb_word, gdb_thread))
    head = "M%d" % m if m is not None else "M?"
    return "%s (%s)" % (head, ", ".join(extra)) if extra else head


def _labels(labels):
    return ", ".join("%s=%s" % kv for kv in sorted(labels.items()))


def header(g, now_ns=None):
    """The one-line header of a goroutine in the list view."""
    bits = [label(g)]
    w = wait_ns(g, now_ns)
    if w is not None and w >= _MINUTE_NS:
        minutes = w // _MINUTE_NS
        bits.append("%d minute%s" % (minutes, "" if minutes == 1 else "s"))
    locked = g.get("locked_to_thread")
    if locked:
        bits.append("locked to thread")
    out = "goroutine %s [%s]" % (_goid(g), ", ".join(bits))
    m, lwp = g.get("m"), g.get("lwp")
    if m is not None or lwp is not None:
        out += " on " + thread(m, lwp, g.get("gdb_thread"))
    if locked:
        lm, llwp = g.get("locked_m"), g.get("locked_lwp")
        if (lm is not None or llwp is not None) and (lm, llwp) != (m, lwp):
            out += " locked to " + thread(lm, llwp, g.get("locked_gdb_thread"))
    labels = g.get("labels")
    if labels:
        out += " {%s}" % _labels(labels)
    if g.get("system"):
        out += " system"
    return out + ":"


def _where(f):
    file = f.get("file")
    if file:
        line = f.get("line")
        return "%s:%s" % (file, "?" if line is None else line)
    pc = f.get("pc")
    return "pc 0x%x" % pc if pc is not None else "?"


def _tags(f):
    tags = ""
    if f.get("inlined"):
        tags += " (inlined)"
    if f.get("lang") == "c":
        obj = f.get("object") or ""
        tags += " [C %s]" % obj.rsplit("/", 1)[-1] if obj else " [C]"
    return tags


# What each stack switch means, for the line that marks it.
_BOUNDARIES = {
    "cgocall": "C code called from Go (runtime.cgocall -> asmcgocall, system stack above)",
    "callback": "Go called back from C (crosscall2 -> runtime.cgocallback, C below)",
    "mcall": "scheduler on the system stack (runtime.mcall) above; the goroutine locked to this thread below",
    "systemstack": "runtime.systemstack: system stack above, the goroutine's stack below",
    "sigpanic": "a fault turned into a call of runtime.sigpanic above; the faulting code below",
}


def boundary_line(f):
    """The text of a boundary marker frame."""
    kind = f.get("kind")
    if kind == "signal":
        text = "in the Go signal handler for %s" % (f.get("signal") or "a signal")
        if f.get("hidden_frames"):
            text += " (%d handler frames hidden; --signal-frames shows them)" % f["hidden_frames"]
        text += "; the interrupted code below"
    elif kind == "elided":
        text = "...%d frames elided... (--frames all shows them)" % f.get("elided", 0)
    else:
        text = _BOUNDARIES.get(kind, kind or "stack switch")
    return "%s---- %s ----" % (INDENT, text)


_FRAME_FIELDS = itemgetter("function", "file", "line", "inlined", "lang")


def _add_frames(add, frames, limit, lines=None):
    """Appends the frame lines of one stack, function column aligned, a run
    of identical frames (deep recursion) as one line `(N times)`; `limit`
    counts lines.  Returns how many frames were left out by `limit`.
    `lines` caches the common lines by (fields, width): stacks that differ
    still share most of their frames."""
    try:
        keys = list(map(_FRAME_FIELDS, frames))
    except KeyError:
        keys = [(f.get("function"), f.get("file"), f.get("line"), f.get("inlined"),
                 f.get("lang")) for f in frames]
    runs = []   # [index of the first frame, count]
    last = None
    for i, k in enumerate(keys):
        # Issue 12 fixes: only frames at the same pc fold (distinct `??`
        # frames never do), and every boundary is shown.
        k = (i,) if k[4] == "boundary" else k + (frames[i].get("pc"),)
        if k == last:
            runs[-1][1] += 1
        else:
            runs.append([i, 1])
            last = k
    shown = runs if limit is None else runs[:limit]
    if shown:
        width = min(max(len(keys[i][0] or "??") if keys[i][4] != "boundary" else 0 for i, _ in shown),
                    FUNC_WIDTH_MAX)
        if lines is None:
            lines = {}
        for i, n in shown:
            k = keys[i]
            function, file, line, inlined, lang = k
            if lang == "boundary":
                add(boundary_line(frames[i]))
                continue
            if file and not inlined and n == 1 and lang == "go":   # the common frame
                text = lines.get((k, width))
                if text is None:
                    text = lines[(k, width)] = "%s%-*s  %s:%s" % (INDENT, width, function,
                                                                  file, line)
                add(text)
                continue
            f = frames[i]
            add("%s%-*s  %s%s%s" % (INDENT, width, function or "??", _where(f), _tags(f),
                                    " (%d times)" % n if n > 1 else ""))
    return sum(n for _, n in runs[len(shown):])


def _created_by(g):
    fn = g.get("created_by")
    if not fn:
        return None
    out = "created by " + fn
    parent = g.get("parent_goid")
    if parent is not None:
        out += " in goroutine %d" % parent
    file = g.get("created_by_file")
    if file:
        line = g.get("created_by_line")
        out += " at %s:%s" % (file, "?" if line is None else line)
    return out


_PC = itemgetter("pc")


def frame_block(frames, limit, runtime_frames, line_cache=None):
    """The frame lines of one stack plus the notes about frames left out;
    returns (lines, whether runtime frames were hidden)."""
    lines = []
    add = lines.append
    if runtime_frames:
        vis = frames
    else:
        vis = [f for f in frames if not f.get("runtime")]
    hidden = len(frames) - len(vis)
    cut = _add_frames(add, vis, limit, line_cache)
    if cut:
        add("%s...%d more frame%s (--frames)" % (INDENT, cut, "" if cut == 1 else "s"))
    if hidden and not vis:
        add("%s(%d runtime frame%s hidden; --runtime-frames shows them)"
            % (INDENT, hidden, "" if hidden == 1 else "s"))
    return lines, hidden > 0


class _StackRenderer:
    """Renders stacks for one output, each distinct stack once.  Goroutines
    blocked at the same place share a stack, so 100,000 goroutines cost a
    few hundred renderings plus one dict lookup each.  The cache key is the
    sequence of pcs: the backend derives a frame's function, file, line and
    flags from its pc, so equal pcs mean equal lines.  Stacks with a frame
    lacking a pc are rendered uncached."""

    def __init__(self, limit, runtime_frames):
        self.limit = limit
        self.runtime_frames = runtime_frames
        self.cache = {}
        self.lines = {}
        self.runtime_hidden = False

    def block(self, frames):
        """The lines of one stack's frames and notes, rendered once per
        distinct stack."""
        try:
            key = tuple(map(_PC, frames))
        except KeyError:
            key = None
        block = self.cache.get(key)  # None-holding keys are never stored
        if block is None:
            block = frame_block(frames, self.limit, self.runtime_frames, self.lines)
            if key is not None and None not in key:
                self.cache[key] = block
        if block[1]:
            self.runtime_hidden = True
        return block[0]

    def render(self, out, g):
        """Appends to `out` the error, frames, notes, stack error and
        creation site of one goroutine or group."""
        err = g.get("error")
        if err:
            out.append(INDENT + "error: " + err)
        if self.limit == 0:  # headers only (an unreadable goroutine keeps its error)
            return
        if g.get("crash"):
            out.append(INDENT + "crashed here: " + g["crash"])
        out.extend(self.block(g.get("frames") or ()))
        ferr = g.get("frames_error")
        if ferr:
            out.append(INDENT + "stack error: " + ferr)
        created = _created_by(g)
        if created:
            out.append(INDENT + created)


def summary(sel, groups=None, runtime_hidden=False):
    """The last line: what was shown and why the rest was not."""
    n = len(sel.goroutines)
    if n == sel.total:
        head = "%d goroutine%s shown" % (n, "" if n == 1 else "s")
    else:
        head = "%d of %d goroutines shown" % (n, sel.total)
    if groups is not None:
        head += " in %d group%s" % (len(groups), "" if len(groups) == 1 else "s")
    notes = []
    if sel.filtered_out:
        notes.append("%d filtered out" % sel.filtered_out)
    if sel.hidden_system:
        notes.append("%d system goroutine%s hidden; --system shows %s"
                     % (sel.hidden_system, "" if sel.hidden_system == 1 else "s",
                        "it" if sel.hidden_system == 1 else "them"))
    if runtime_hidden:
        notes.append("runtime frames hidden; --runtime-frames shows them")
    if groups is None and n > LARGE_LIST:
        notes.append("--group folds identical stacks")
    return head + (" (%s)" % "; ".join(notes) if notes else "")


def _tail(add, data, sel, groups, runtime_hidden):
    if sel.not_found:
        add("no goroutine %s" % ", ".join(str(n) for n in sel.not_found))
    add(summary(sel, groups, runtime_hidden))
    for w in data.get("warnings") or ():
        add("warning: %s" % w)


# The fields render_list's fast path reads in one call.
_LIST_FIELDS = itemgetter("goid", "status", "wait_reason", "m", "lwp", "locked_to_thread", "labels",
                          "system", "wait_since_ns", "error", "frames", "frames_error",
                          "created_by", "parent_goid", "created_by_file", "created_by_line")


# Every field header() and render_header_rows() read.
HEADER_FIELDS = ("goid", "status", "wait_reason", "wait_since_ns", "m", "lwp", "gdb_thread",
                 "locked_to_thread", "locked_m", "locked_lwp", "locked_gdb_thread", "labels",
                 "system", "error")


def render_header_rows(data, columns, rows, system=False):
    """`cgo-goroutines --frames 0` with no filter, straight from the
    backend's rows (values in `columns` order) without making a dict per
    goroutine: 100,000 goroutines in a fraction of a second.  The text is
    what render_list(data, select(...), 0) gives for the same goroutines."""
    col = {c: i for i, c in enumerate(columns)}
    goid_i, status_i, reason_i, m_i, lwp_i, locked_i, labels_i, system_i, since_i, err_i = (
        col[k] for k in ("goid", "status", "wait_reason", "m", "lwp", "locked_to_thread",
                         "labels", "system", "wait_since_ns", "error"))
    shown = rows if system else [r for r in rows if not r[system_i]]
    shown = sorted(shown, key=itemgetter(goid_i))
    now = data.get("now_ns")
    out = []
    add = out.append
    for r in shown:
        if (r[m_i] is None and r[lwp_i] is None and not r[locked_i] and not r[labels_i]
                and not r[system_i] and (not r[since_i] or not now)):
            status, reason = r[status_i], r[reason_i]
            add("goroutine %d [%s]:" % (r[goid_i], reason if reason and status == "waiting"
                                          else status or "?"))
        else:
            add(header(dict(zip(columns, r)), now))
        if r[err_i]:
            add(INDENT + "error: " + r[err_i])
    sel = Selection(shown, len(rows), len(rows) - len(shown), 0, [])
    _tail(add, data, sel, None, False)
    return "\n".join(out) + "\n"


def render_list(data, sel, frame_limit=LIST_FRAMES, runtime_frames=False):
    """The cgo-goroutines list view of a goroutine_filter.Selection.

    The loop has a fast path for the common goroutine (not on an M, not
    locked, no labels, complete report) that gives the same text as header()
    and _StackRenderer.render(); anything else takes those."""
    out = []
    add = out.append
    extend = out.extend
    now = data.get("now_ns")
    stacks = _StackRenderer(frame_limit, runtime_frames)
    block = stacks.block
    if frame_limit == 0:  # one line per goroutine (an unreadable one keeps its error)
        for g in sel.goroutines:
            add(header(g, now))
            if g.get("error"):
                add(INDENT + "error: " + g["error"])
        _tail(add, data, sel, None, False)
        return "\n".join(out) + "\n"
    for g in sel.goroutines:
        try:
            (goid, status, reason, m, lwp, locked, labels, system, since, err, frames, ferr,
             cb, parent, cbfile, cbline) = _LIST_FIELDS(g)
        except KeyError:
            add(header(g, now))
            stacks.render(out, g)
            continue
        if (m is None and lwp is None and not locked and not labels and not system
                and goid is not None and (not since or not now) and "wait_ns" not in g):
            add("goroutine %d [%s]:" % (goid, reason if reason and status == "waiting"
                                          else status or "?"))
        else:
            add(header(g, now))
        if err:
            add(INDENT + "error: " + err)
        if g.get("crash"):
            add(INDENT + "crashed here: " + g["crash"])
        if frames:
            extend(block(frames))
        if ferr:
            add(INDENT + "stack error: " + ferr)
        if cb:
            if parent is not None and cbfile and cbline is not None:
                add("%screated by %s in goroutine %d at %s:%d"
                    % (INDENT, cb, parent, cbfile, cbline))
            else:
                add(INDENT + _created_by(g))
    _tail(add, data, sel, None, stacks.runtime_hidden)
    return "\n".join(out) + "\n"


def goid_runs(goids, limit=GOIDS_SHOWN):
    """[1, 2, 3, 7, 9, 10] -> "1-3, 7, 9-10", the first `limit` runs only."""
    runs = []
    start = prev = None
    for n in goids:
        if n is None:
            continue
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            runs.append((start, prev))
        start = prev = n
    if start is not None:
        runs.append((start, prev))
    text = ", ".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in runs[:limit])
    if len(runs) > limit:
        rest = sum(b - a + 1 for a, b in runs[limit:])
        text += " ... and %d more" % rest
    return text


def render_groups(data, sel, groups, frame_limit=LIST_FRAMES, runtime_frames=False):
    """The cgo-goroutines --group view: one header and one stack per group,
    counts right-aligned, largest group first."""
    out = []
    add = out.append
    width = len(str(groups[0]["count"])) if groups else 1
    stacks = _StackRenderer(frame_limit, runtime_frames)
    for e in groups:
        n = e["count"]
        bits = [label(e)]
        locked = e.get("locked_to_thread")
        if locked:
            bits.append("locked to thread" if n == 1 else "%d locked to thread" % locked)
        add("%*d %s [%s]%s: %s" % (width, n, "goroutine " if n == 1 else "goroutines",
                                   ", ".join(bits), " system" if e.get("system") else "",
                                   goid_runs(e["goids"])))
        stacks.render(out, e)
    _tail(add, data, sel, groups, stacks.runtime_hidden)
    return "\n".join(out) + "\n"


# Fields render_full shows by name; any other field the backend adds is
# listed after them as JSON, so new fields are visible before this file
# learns about them.
_KNOWN = {"goid", "address", "status", "wait_reason", "wait_since_ns", "wait_ns", "m", "lwp",
          "gdb_thread", "locked_to_thread", "locked_m", "locked_lwp", "locked_gdb_thread",
          "created_by", "created_by_file", "created_by_line", "parent_goid", "start", "labels",
          "system", "frames", "frames_error", "error", "frames_omitted"}


def _none(v, fmt="%s"):
    return "none" if v is None or v == "" else fmt % v


def render_full(data, g, frame_limit=None):
    """cgo-goroutine N: every field and every frame (runtime frames too,
    marked), with pcs."""
    now = data.get("now_ns")
    rows = [("status", _none(g.get("status"))),
            ("wait reason", _none(g.get("wait_reason")))]
    since = g.get("wait_since_ns")
    w = wait_ns(g, now)
    if w is not None:
        waited = duration(w) + (" (since runtime nanotime %d)" % since if since else "")
    elif since:
        waited = "since runtime nanotime %d (the report has no current time)" % since
    else:
        waited = "not recorded"
    rows.append(("waiting for", waited))
    rows.append(("g address", _none(g.get("address"), "0x%x")))
    if g.get("m") is not None or g.get("lwp") is not None:
        rows.append(("M", thread(g.get("m"), g.get("lwp"), g.get("gdb_thread"), "GDB thread")))
    else:
        rows.append(("M", "none"))
    if g.get("locked_to_thread"):
        lm, llwp = g.get("locked_m"), g.get("locked_lwp")
        rows.append(("locked to thread", "yes, " + thread(lm, llwp, g.get("locked_gdb_thread"),
                                                          "GDB thread")
                     if lm is not None or llwp is not None else "yes"))
    else:
        rows.append(("locked to thread", "no"))
    rows.append(("created by", _created_by(g)[len("created by "):] if g.get("created_by")
                 else "none"))
    rows.append(("start function", _none(g.get("start"))))
    labels = g.get("labels")
    rows.append(("pprof labels", _labels(labels) if labels else "none"))
    rows.append(("system goroutine", "yes" if g.get("system") else "no"))
    rows.append(("error", _none(g.get("error"))))
    for k in sorted(k for k in g if k not in _KNOWN):
        rows.append((k, json.dumps(g[k])))

    frames = g.get("frames") or []
    shown = frames if frame_limit is None else frames[:frame_limit]
    cut = len(frames) - len(shown) + (g.get("frames_omitted") or 0)
    rows.append(("stack", "%d frame%s, innermost first%s"
                 % (len(frames), "" if len(frames) == 1 else "s",
                    "; %d more not shown (--frames)" % cut if cut else "")))

    width = max(len(k) for k, _ in rows)
    out = [header(g, now)]
    add = out.append
    for k, v in rows:
        add("  %-*s  %s" % (width, k, v))
    if shown:
        nw = len(str(len(shown) - 1))
        pw = max(len("%x" % f["pc"]) if f.get("pc") is not None else 1 for f in shown)
        names = [f.get("function") or "??" for f in shown]
        fw = min(max(map(len, names)), FUNC_WIDTH_MAX)
        i = -1
        for name, f in zip(names, shown):
            if f.get("lang") == "boundary":
                add(boundary_line(f))
                continue
            i += 1
            pc = f.get("pc")
            pcs = "0x%0*x" % (pw, pc) if pc is not None else "?".ljust(pw + 2)
            tags = []
            if f.get("inlined"):
                tags.append("inlined")
            if f.get("runtime"):
                tags.append("runtime")
            if f.get("lang") == "c":
                obj = f.get("object") or ""
                tags.append("C " + obj.rsplit("/", 1)[-1] if obj else "C")
            add("    #%-*d  %s  %-*s  %s%s" % (nw, i, pcs, fw, name, _where(f),
                                               "  [%s]" % ", ".join(tags) if tags else ""))
    ferr = g.get("frames_error")
    if ferr:
        add("  %-*s  %s" % (width, "stack error", ferr))
    for warning in data.get("warnings") or ():
        add("warning: %s" % warning)
    return "\n".join(out) + "\n"

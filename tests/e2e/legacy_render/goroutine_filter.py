"""Choosing and folding goroutines for cgo-goroutines (pure Python, no gdb
import).  Works on the goroutine dicts of the backend's goroutines_json();
knows nothing of the Go runtime beyond the field names of that report.

Filter semantics (also in the commands' help text):
  goids       only these goroutines; naming a goid shows it even if it is a
              system goroutine
  --state S   S equals the status (case-insensitive: "runnable", "syscall")
              or is a case-insensitive substring of the wait reason of a
              waiting goroutine, as shown in brackets ("mutex" matches
              "sync.Mutex.Lock" and "sync.RWMutex.RLock");
              repeated or comma-separated values: any of them
  --function  a substring (case-sensitive, as Go names are) of the function
              of any frame or of the start function; repeated: all of them
  system      runtime-internal goroutines are hidden unless asked for, as
              the runtime's own traceback hides them; the hidden ones that
              pass the other filters are counted
Different filters combine with AND.
"""

from operator import itemgetter

# Frame fields that make two stacks "the same" for --group.
_FRAME_KEY = itemgetter("function", "file", "line")


class NotFound(Exception):
    """A goid the user named is not in the report; the message is one line."""


def label(g):
    """What the runtime's traceback shows in brackets (goroutineheader in
    runtime/traceback.go): the wait reason while the status is "waiting" and
    there is one, else the status."""
    status = g.get("status")
    if status == "waiting":
        return g.get("wait_reason") or status
    return status or "?"


def parse_goids(words):
    """`1 17,42` -> [1, 17, 42]; raises ValueError naming the bad word."""
    out = []
    for w in words:
        for part in w.split(","):
            if not part:
                continue
            try:
                n = int(part, 10)
            except ValueError:
                raise ValueError("not a goroutine id: %r" % part)
            if n < 0:
                raise ValueError("not a goroutine id: %r" % part)
            out.append(n)
    return out


def parse_states(values):
    """Repeated and comma-separated --state values, lowercased."""
    out = []
    for v in values or ():
        out.extend(s.strip().lower() for s in v.split(",") if s.strip())
    return out


def matches_state(g, states):
    status = (g.get("status") or "").lower()
    reason = (g.get("wait_reason") or "").lower() if status == "waiting" else ""
    for s in states:
        if s == status or (reason and s in reason):
            return True
    return False


def matches_functions(g, subs):
    names = [f.get("function") or "" for f in g.get("frames") or ()]
    start = g.get("start")
    if start:
        names.append(start)
    for s in subs:
        if not any(s in n for n in names):
            return False
    return True


def _goid_key(g):
    goid = g.get("goid")
    return goid if goid is not None else -1


class Selection:
    """The goroutines a command shows, sorted by goid, with the counts its
    summary line needs."""

    __slots__ = ("goroutines", "total", "hidden_system", "filtered_out", "not_found")

    def __init__(self, goroutines, total, hidden_system, filtered_out, not_found):
        self.goroutines = goroutines
        self.total = total
        self.hidden_system = hidden_system
        self.filtered_out = filtered_out
        self.not_found = not_found


def select(goroutines, goids=(), states=(), functions=(), system=False):
    """Applies the filters (see the module docstring).  hidden_system counts
    system goroutines that passed every other filter, so adding --system
    shows exactly shown + hidden_system."""
    want = set(goids) if goids else None
    states = [s.lower() for s in states or ()]
    shown = []
    hidden = 0
    found = set()
    for g in goroutines:
        if want is not None:
            goid = g.get("goid")
            if goid not in want:
                continue
            found.add(goid)
        if states and not matches_state(g, states):
            continue
        if functions and not matches_functions(g, functions):
            continue
        if want is None and not system and g.get("system"):
            hidden += 1
            continue
        shown.append(g)
    shown.sort(key=_goid_key)
    total = len(goroutines)
    not_found = sorted(want - found) if want is not None else []
    return Selection(shown, total, hidden, total - len(shown) - hidden, not_found)


def find(goroutines, goid):
    """The goroutine with this goid, or NotFound with the one-line message
    cgo-goroutine prints."""
    for g in goroutines:
        if g.get("goid") == goid:
            return g
    raise NotFound("no goroutine %d (there are %d goroutines; see cgo-goroutines)"
                   % (goid, len(goroutines)))


def visible_frames(g, runtime_frames):
    """The frames text shows: all of them, or all but those the backend marks
    as runtime frames (the runtime's GOTRACEBACK=all view)."""
    frames = g.get("frames") or []
    if runtime_frames:
        return frames
    return [f for f in frames if not f.get("runtime")]


def _stack_key(frames):
    try:
        return tuple(map(_FRAME_KEY, frames))
    except KeyError:  # a frame without one of the fields: slower, same key
        return tuple((f.get("function"), f.get("file"), f.get("line")) for f in frames)


_PC = itemgetter("pc")
_GOID = itemgetter("goid")
_GROUP_FIELDS = itemgetter("status", "wait_reason", "created_by", "created_by_file",
                           "created_by_line", "frames_error", "error")


def _fields(g):
    try:
        return _GROUP_FIELDS(g)
    except KeyError:
        return (g.get("status"), g.get("wait_reason"), g.get("created_by"),
                g.get("created_by_file"), g.get("created_by_line"), g.get("frames_error"),
                g.get("error"))


def group(goroutines):
    """Folds goroutines with the same state and the same stack (function,
    file and line of every frame, the creation site, and any read error)
    into one entry each, largest first (ties: lowest goid first).  Each
    entry is the --group JSON object:
      count, goids, status, wait_reason, locked_to_thread (how many),
      system, created_by, created_by_file, created_by_line, frames (the
      shared stack, taken from the first member), frames_error, error.
    Members keep the input's order (goid order when it comes from select())."""
    # First bucket by the pcs, which is cheap and at least as fine as
    # function+file+line (the backend derives those from the pc), then
    # merge the buckets whose function+file+line sequences are equal.
    by_pcs = {}
    for g in goroutines:
        frames = g.get("frames") or ()
        try:
            stack = tuple(map(_PC, frames))
            if None in stack:
                stack = _stack_key(frames)
        except KeyError:
            stack = _stack_key(frames)
        key = (stack, _fields(g))
        members = by_pcs.get(key)
        if members is None:
            by_pcs[key] = [g]
        else:
            members.append(g)
    buckets = {}
    for (_, fields), members in by_pcs.items():
        key = (_stack_key(members[0].get("frames") or ()), fields)
        merged = buckets.get(key)
        if merged is None:
            buckets[key] = members
        else:
            merged.extend(members)
    groups = []
    for members in buckets.values():
        first = members[0]
        try:
            goids = list(map(_GOID, members))
        except KeyError:
            goids = [m.get("goid") for m in members]
        groups.append({
            "count": len(members),
            "goids": goids,
            "status": first.get("status"),
            "wait_reason": first.get("wait_reason"),
            "locked_to_thread": sum(1 for m in members if m.get("locked_to_thread")),
            "system": bool(first.get("system")),
            "created_by": first.get("created_by"),
            "created_by_file": first.get("created_by_file"),
            "created_by_line": first.get("created_by_line"),
            "frames": first.get("frames") or [],
            "frames_error": first.get("frames_error"),
            "error": first.get("error"),
        })
    groups.sort(key=lambda e: (-e["count"], -1 if e["goids"][0] is None else e["goids"][0]))
    return groups


def limit_frames(entry, limit):
    """A shallow copy of a goroutine or group dict with at most `limit`
    frames and `frames_omitted` set when some were cut; the entry itself
    when nothing needs cutting (limit None = all)."""
    frames = entry.get("frames") or []
    if limit is None or len(frames) <= limit:
        return entry
    out = dict(entry)
    out["frames"] = frames[:limit]
    out["frames_omitted"] = len(frames) - limit
    return out


def _report(data, key, items, sel=None):
    """go_version, the list under `key`, warnings, any other top-level field
    the backend added, then the selection's counts (the commands select
    with system=True for JSON, so there is no hidden count to report)."""
    out = {"go_version": data.get("go_version"), key: items,
           "warnings": list(data.get("warnings") or [])}
    for k, v in data.items():
        if k not in out and k != "goroutines":
            out[k] = v
    if sel is not None:
        out["total"] = sel.total
        out["filtered_out"] = sel.filtered_out + sel.hidden_system
        out["not_found"] = sel.not_found
    return out


def list_json(data, sel, frame_limit=None):
    """The cgo-goroutines --json object for a selection."""
    return _report(data, "goroutines", [limit_frames(g, frame_limit) for g in sel.goroutines], sel)


def groups_json(data, sel, groups, frame_limit=None):
    """The cgo-goroutines --group --json object."""
    return _report(data, "groups", [limit_frames(e, frame_limit) for e in groups], sel)


def one_json(data, g, frame_limit=None):
    """The cgo-goroutine N --json object: the list shape with one goroutine."""
    return _report(data, "goroutines", [limit_frames(g, frame_limit)])

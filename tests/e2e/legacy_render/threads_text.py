"""Text form of `cgo-threads`: one header per OS thread, then its stitched
stack (C and Go frames, boundaries where the stack switches)."""

from . import goroutines_text

_ACTIVITY = {
    "running_go": "running Go",
    "cgo_call": "in a cgo call",
    "go_callback": "in a Go callback from C",
    "idle": "idle in the scheduler",
    "in_c": "in C",
    "syscall": "in a system call",
    "signal_handler": "in a signal handler",
}

_KIND = {
    "go": "Go thread",
    "c_extra_m": "C thread (extra M)",
    "c": "C thread unknown to Go",
}


def header(t):
    # Without GDB (the CLI) there is no thread number: "LWP 2352: ...".
    if t.get("gdb_thread") is not None:
        name = "Thread %s (LWP %d)" % (t["gdb_thread"], t["lwp"])
    else:
        name = "LWP %d" % t["lwp"]
    out = "%s: %s" % (name, _KIND.get(t.get("kind"), t.get("kind")))
    if t.get("m") is not None:
        out += " M%d" % t["m"]
    out += ", " + _ACTIVITY.get(t.get("activity"), t.get("activity") or "?")
    if t.get("goroutine") is not None:
        out += ", goroutine %d" % t["goroutine"]
    if t.get("locked_goroutine") is not None and t["locked_goroutine"] != t.get("goroutine"):
        out += ", locked to goroutine %d" % t["locked_goroutine"]
    elif t.get("locked_goroutine") is not None:
        out += " (locked)"
    if t.get("in_callback") and t.get("activity") != "go_callback":
        out += ", inside a Go callback from C"
    p = t.get("p")
    if p:
        out += ", P%s %s" % (p.get("id", "?"), p.get("status", "?"))
        if p.get("held_as") == "oldp":
            out += " (given up for the call: m.oldp)"
    if t.get("signal"):
        out += ", in the Go handler for %s" % t["signal"]
    return out + ":"


def _signals(t):
    blocked = t.get("signals_blocked")
    if blocked is None:
        return "blocked signals: unknown (a core written by gcore does not record them)"
    needed = t.get("runtime_signals_blocked") or []
    text = "blocked signals: " + (" ".join(blocked) if blocked else "none")
    if needed:
        text += "  !! blocks %s, which the Go runtime needs" % ", ".join(needed)
    return text


def render(data, frame_limit=None):
    lines = []
    add = lines.append
    for t in data.get("threads") or ():
        add(header(t))
        add(goroutines_text.INDENT + _signals(t))
        if t.get("crash"):
            add(goroutines_text.INDENT + "crashed here: " + t["crash"])
        frames = t.get("frames")
        if frames:
            block, _ = goroutines_text.frame_block(frames, frame_limit, True)
            lines.extend(block)
        err = t.get("frames_error")
        if err:
            add(goroutines_text.INDENT + "stack error: " + err)
        add("")
    for w in data.get("warnings") or ():
        add("warning: " + w)
    return "\n".join(lines) + "\n"

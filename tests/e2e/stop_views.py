"""Runs inside GDB (`source stop_views.py`) once the program is stopped:
collects the three views of the stopped thread's goroutine and writes them
as JSON to $STOP_VIEWS_OUT:

  {"lwp": N, "goid": G | null, "truth": "...",
   "goroutine": {...cgo-goroutine G --json...},
   "threads": {...cgo-threads --json...},
   "bt": [{"function", "pc", "sp", "inlined"}, ...]      GDB's frames, plugin on
   "bt_native": [...]                                     GDB's own unwinder alone
   "bt_error": "..."}

The goroutine is the one named by the TRUTH line the fixture wrote to
$STOPS_TRUTH (fixtures/stops), else the goroutine the thread runs."""

import json
import os
import tempfile

import gdb


def _own_trampoline(pc, sp):
    try:
        from cgostack_gdb import unwinder
    except ImportError:
        return False
    return unwinder.current().own_trampoline(gdb.selected_thread().ptid[1], pc, sp)


def _frames(limit=200):
    out = []
    error = ""
    try:
        frame = gdb.newest_frame()
    except gdb.error as e:
        return out, str(e)
    while frame is not None and len(out) < limit:
        pc = frame.pc()
        if pc == 0 and out:
            break
        sp = int(frame.read_register("rsp")) & 0xFFFFFFFFFFFFFFFF
        if frame.type() == gdb.SIGTRAMP_FRAME or _own_trampoline(pc, sp):
            # GDB's "<signal handler called>" line (or Go 1.19's
            # runtime.sigreturn, unwound by the plugin in its place): the
            # views show the crossing as a signal boundary instead
            # (compared apart).
            frame = frame.older()
            continue
        out.append({"function": frame.name() or "", "pc": pc,
                    "sp": int(frame.read_register("rsp")) & 0xFFFFFFFFFFFFFFFF,
                    "inlined": frame.type() == gdb.INLINE_FRAME})
        try:
            frame = frame.older()
        except gdb.error as e:
            error = str(e)
            break
    if not error and out:
        last = frame
        if last is None:
            pass
    return out, error


def _json(command):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "out.json")
        gdb.execute("%s --json --output %s" % (command, path), to_string=True)
        with open(path) as f:
            return json.load(f)


def main():
    truth = ""
    goid = None
    path = os.environ.get("STOPS_TRUTH")
    if path and os.path.exists(path):
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("TRUTH ")]
        if lines:
            truth = lines[-1]
            goid = int(truth.split()[2].split("=")[1])
    lwp = gdb.selected_thread().ptid[1]
    result = {"lwp": lwp, "goid": goid, "truth": truth}
    bt, bt_error = _frames()
    result["bt"], result["bt_error"] = bt, bt_error
    gdb.execute("disable unwinder", to_string=True)
    try:
        result["bt_native"], _ = _frames()
    finally:
        gdb.execute("enable unwinder", to_string=True)
    result["threads"] = _json("cgo-threads")
    if goid is None:
        for t in result["threads"]["threads"]:
            if t["lwp"] == lwp and t.get("goroutine") is not None:
                goid = t["goroutine"]
    result["goid"] = goid
    result["goroutine"] = _json("cgo-goroutine %d" % goid) if goid is not None else None
    with open(os.environ["STOP_VIEWS_OUT"], "w") as f:
        json.dump(result, f)


main()

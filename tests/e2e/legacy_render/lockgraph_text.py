"""Text and Graphviz forms of `cgo-lockgraph`: the diagnoses and chains
first (what a person needs), then every lock with its waiters and holder."""

import shutil
import subprocess

from . import goroutines_text

INDENT = goroutines_text.INDENT
TEXT_WAITERS = 10  # waiters listed per lock in text


def render(data):
    nodes = {n["id"]: n for n in data.get("nodes") or ()}
    edges = data.get("edges") or ()
    lines = []
    add = lines.append
    diagnoses = data.get("diagnoses") or ()
    if not diagnoses:
        add("no deadlock, leaked lock or blocked signal found")
    for d in diagnoses:
        add("%s: %s" % (d["code"], d["message"]))
        add(INDENT + "fix: " + d["fix"])
    locks = [n for n in nodes.values() if n["kind"] == "lock"]
    if locks:
        add("")
        add("locks (%d):" % len(locks))
    waiting = {}
    held = {}
    for e in edges:
        if e["kind"] == "waits_for":
            waiting.setdefault(e["to"], []).append(e)
        elif e["kind"] == "held_by":
            held.setdefault(e["from"], []).append(e)
    groups = {}
    for g in data.get("waiter_groups") or ():
        groups.setdefault(g["lock"], []).append(g)
    for n in sorted(locks, key=lambda n: (n["lock_kind"], n["label"])):
        add(INDENT + n["label"] + "".join(", %s: %s" % kv for kv in (n.get("details") or {}).items()))
        for e in held.get(n["id"], ()):
            add(INDENT * 2 + "held by %s%s — %s" % (nodes[e["to"]]["label"], "" if e["exact"] else " (inferred)",
                                                  e["evidence"]))
        if not held.get(n["id"]) and n["lock_kind"] not in ("chan",):
            add(INDENT * 2 + "holder unknown")
        waits = waiting.get(n["id"], ())
        more = max(len(waits) - TEXT_WAITERS, 0) + (n.get("waiters_not_listed") or 0)
        if more and groups.get(n["id"]):
            # Thousands of waiters: one line per code location (waiter_groups).
            for g in groups[n["id"]]:
                who = (["goroutines " + g["goroutines"]] if g["goroutines"] else []) + \
                    (["%d threads without a goroutine" % len(g["other_waiters"])] if g["other_waiters"] else [])
                add(INDENT * 2 + "waited for by %d at %s — %s: %s"
                    % (g["count"], g["where"] or "code not the program's", g["evidence"], ", ".join(who)))
            continue
        for e in waits[:TEXT_WAITERS]:
            add(INDENT * 2 + "waited for by %s — %s" % (nodes[e["from"]]["label"], e["evidence"]))
        if more:
            add(INDENT * 2 + "... and %d more waiters" % more)
    for w in data.get("warnings") or ():
        add("warning: " + w)
    return "\n".join(lines) + "\n"


def _dot_id(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def dot(data, max_nodes=2000):
    """Graphviz source; with more than `max_nodes` nodes only those on
    cycles, in diagnoses, or next to a lock with an owner are drawn."""
    nodes = {n["id"]: n for n in data.get("nodes") or ()}
    edges = data.get("edges") or ()
    keep = set(nodes)
    if len(nodes) > max_nodes:
        keep = set()
        for c in data.get("cycles") or ():
            keep.update(c)
        for d in data.get("diagnoses") or ():
            keep.update(d["nodes"])
        for e in edges:
            if e["kind"] == "held_by":
                keep.update((e["from"], e["to"]))
    cycle_nodes = set()
    for c in data.get("cycles") or ():
        cycle_nodes.update(c)
    shape = {"goroutine": "ellipse", "thread": "box", "lock": "octagon"}
    out = ["digraph lockgraph {", "  rankdir=LR;", "  node [fontname=\"monospace\", fontsize=10];"]
    for i in sorted(keep):
        n = nodes[i]
        attrs = 'label=%s, shape=%s' % (_dot_id(n["label"]), shape.get(n["kind"], "ellipse"))
        if i in cycle_nodes:
            attrs += ", color=red, penwidth=2"
        out.append("  %s [%s];" % (_dot_id(i), attrs))
    for e in edges:
        if e["from"] in keep and e["to"] in keep:
            style = "solid" if e["exact"] else "dashed"
            out.append("  %s -> %s [label=%s, style=%s];" % (_dot_id(e["from"]), _dot_id(e["to"]),
                                                          _dot_id(e["kind"]), style))
    out.append("}")
    return "\n".join(out) + "\n"


def write_dot(path, source, write):
    """Writes the Graphviz source, and PATH.svg when `dot` is installed."""
    from . import options
    options.write_output(path, source)  # whole, never over an input
    write("cgostack: wrote %s\n" % path)
    if not shutil.which("dot"):
        write("cgostack: Graphviz `dot` is not installed; no SVG written (apt install graphviz)\n")
        return
    svg = path + ".svg"
    p = subprocess.run(["dot", "-Tsvg", "-o", svg, path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if p.returncode == 0:
        write("cgostack: wrote %s\n" % svg)
    else:
        write("cgostack: dot failed: %s\n" % (p.stderr.strip().splitlines() or ["?"])[-1])

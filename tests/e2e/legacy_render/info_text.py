"""Text rendering of the cgo-info JSON (pure Python, no gdb import)."""


def _kv(rows):
    width = max(len(k) for k, _ in rows)
    return "".join("%-*s  %s\n" % (width, k, v) for k, v in rows)


def _printable(s):
    """A string from the target, control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


def _crash_rows(c):
    if not c:
        return []
    rows = [("Crash", _printable(c["summary"]))]
    where = "LWP %d, goroutine %s" % (c["lwp"], c["goroutine"] if c.get("goroutine") is not None else "none")
    addr = " at 0x%x" % c["fault_address"] if c.get("fault_address") is not None else ""
    sender = ", sent by pid %d" % c["sender_pid"] if c.get("requested") else ""
    rows.append(("Signal", "%s (%s)%s%s, %s, in %s code" % (c["signal"], c["code"], addr, sender, where,
                                                            "C" if c["in_c"] else "Go")))
    f = c.get("frame")
    if f:
        rows.append(("Crash frame", _printable("%s%s" % (f["function"] or "??", " at %s:%d" % (f["file"], f["line"])
                                                        if f.get("file") else ""))))
    for key, label in (("panic", "Panic"), ("fatal_error", "Fatal error"), ("abort_message", "Abort message")):
        if c.get(key) is not None:
            extra = (" (%s)" % c["panic_type"] if key == "panic" and c.get("panic_type")
                     and c["panic_type"] != c["panic"] else "")
            rows.append((label, _printable(c[key] + extra)))
    return rows


def render(info):
    rows = []
    cgo = {True: "cgo enabled", False: "cgo disabled"}.get(info.get("cgo"), "cgo unknown")
    # A damaged core can leave any section null (its warning says why).
    rows.append(("Go version", "%s (%s)" % (info.get("go_version") or "?", cgo)))
    t = info.get("target", {})
    if t.get("kind") == "core":
        rows.append(("Target", "core %s of %s (pid %s)" % (t.get("core"), t.get("executable"),
                                                          t.get("pid"))))
    else:
        rows.append(("Target", "live process %s (%s)" % (t.get("pid"), t.get("executable"))))
    if t.get("go_library"):
        rows.append(("Go runtime", "in shared library %s" % t["go_library"]))
    by_status = info.get("goroutines_by_status", {})
    detail = ", ".join("%d %s" % (n, s) for s, n in sorted(by_status.items(), key=lambda kv: -kv[1]))
    count = info.get("goroutines")
    rows.append(("Goroutines", "%s%s" % ("unknown" if count is None else count,
                                         " (%s)" % detail if detail else "")))
    rows.append(("OS threads", str(info.get("threads", 0))))
    rows.append(("Ms", "unknown" if info.get("ms") is None else str(info["ms"])))
    ncpu = info.get("ncpu")
    gomaxprocs = info.get("gomaxprocs")
    rows.append(("GOMAXPROCS", "%s%s" % ("unknown" if gomaxprocs is None else gomaxprocs,
                                          " (%s CPUs)" % ncpu if ncpu is not None else "")))
    ps = []
    for p in info.get("ps") or []:
        if "error" in p:
            ps.append("P? unreadable")
            continue
        m = " on M%d" % p["m"] if p.get("m") is not None else ""
        ps.append("P%d %s%s" % (p["id"], p["status"], m))
    rows.append(("Ps", "unknown" if info.get("ps") is None else ", ".join(ps) if ps else "none"))
    bi = info.get("build_info")
    if bi:
        s = bi.get("settings", {})
        keep = [k for k in ("CGO_ENABLED", "-ldflags", "-buildmode", "GOAMD64", "-race") if k in s]
        rows.append(("Build", "%s (module %s)%s" % (bi.get("path"), bi.get("main_module"),
                                                    "; " + " ".join("%s=%s" % (k, s[k]) for k in keep)
                                                    if keep else "")))
    if info.get("debug_file"):
        how = info.get("debug_file_found_by")
        rows.append(("Debug info", "separate file %s%s" % (info["debug_file"], " (found by %s)" % how if how else "")))
    libc = info.get("libc")
    if libc:
        rows.append(("libc", "%s%s; debug file %s" % (
            libc["path"], " (glibc %s)" % libc["version"] if libc.get("version") else "",
            libc["debug_file"] if libc.get("debug_file") else "none found (layouts: %s)" % libc["layouts"])))
    g = info.get("godebug", {})
    knobs = " ".join("%s=%s" % (k, g[k]) for k in sorted(g) if k != "env")
    rows.append(("GODEBUG", "%s; %s" % (g.get("env") if g.get("env") is not None else "(unset)", knobs)))
    tb = info.get("gotraceback")
    rows.append(("GOTRACEBACK", tb if tb is not None else "(unset)"))
    rows += _crash_rows(info.get("crash"))
    text = _kv(rows)
    for w in info.get("warnings", []):
        text += "warning: %s\n" % w
    return text

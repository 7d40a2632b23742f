#!/usr/bin/env python3
"""Benchmark: how long a live process is held, and how big the file is,
for `cgostack snapshot` against `gcore` (issue 20), on the `many` fixture
(100,000 goroutines, Go 1.27) and the `cthreads` fixture (2,000 threads in
C).  A benchmark, not a test: it measures and reports.

The pause is measured from inside the target: bench/heartbeat.c is
preloaded (LD_PRELOAD, the fixtures are not changed) and its thread wakes
every 200 us and records the largest gap between two wake-ups.  Each run:
the window is reset, the tool runs, the largest gap is read.  A baseline
window of the same length without any tool shows what the loaded machine
alone costs (scheduling delays).

Usage: bench/snapshot.py [--go 1.27] [--goroutines 100000] [--threads 2000]
                         [--repeat 3] [--doc docs/performance.md | --no-doc]
                         [--json FILE] [--dlv PATH] [--no-gcore-compare]

Delve (`dlv attach PID` with `goroutines`, then `exit -c`, which detaches
and leaves the process running) is measured the same way when installed
(scripts/setup.sh --delve).  The first run's snapshot and gcore are then
compared: the goroutines and threads reports (--json) of each, which must
be identical for these fixtures, static once ready (threads compared by
LWP, without the blocked-signal masks a gcore does not record).

Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as common  # noqa: E402
from benchlib import REPO  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "fixtures"))
import harness  # noqa: E402

BEGIN = "<!-- BEGIN bench/snapshot.py: generated, rewritten on every run -->"
END = "<!-- END bench/snapshot.py -->"
HEADING = "## Live snapshots (bench/snapshot.py)"


class Heartbeat:
    def __init__(self, path):
        self.path = path
        with open(path, "wb") as f:
            f.write(bytes(32))

    def _words(self):
        with open(self.path, "rb") as f:
            return list(struct.unpack("<4Q", f.read(32)))

    def reset(self):
        words = self._words()
        with open(self.path, "r+b") as f:
            f.write(struct.pack("<Q", words[0] + 1))
        # The thread starts the new window at its next beat.
        deadline = time.time() + 2
        while time.time() < deadline and self._words()[3] != 0:
            time.sleep(0.001)
        time.sleep(0.002)

    def max_gap_ms(self):
        time.sleep(0.005)  # one more beat after the tool let go
        return self._words()[1] / 1e6


def cpu_children():
    r = os.times()
    return r.children_user + r.children_system


def timed(argv, env=None):
    cpu0, t0 = cpu_children(), time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       stdin=subprocess.DEVNULL, env=env, timeout=3600)
    return p, time.perf_counter() - t0, cpu_children() - cpu0


def file_sizes(path):
    st = os.stat(path)
    return st.st_size, st.st_blocks * 512


DEFAULT_DLV = os.path.join(os.environ.get("CGOSTACK_TOOLCHAINS", "/opt/cgostack/toolchains"),
                           "delve", "usr", "bin", "dlv")
DELVE_HEADER = re.compile(r"^[ *] Goroutine \d+ ")


def report_json(cli, exe, core, name):
    p = subprocess.run([cli, name, "--json", exe, core], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, stdin=subprocess.DEVNULL, timeout=3600)
    if p.returncode not in (0, 2):
        return {"error": p.stderr.strip()}
    out = json.loads(p.stdout)
    if name == "threads":
        # The snapshot has each thread's blocked signals (PTRACE_GETSIGMASK),
        # a gcore none; threads come in note order (compared by LWP).
        for t in out["threads"]:
            t.pop("signals_blocked", None)
            t.pop("runtime_signals_blocked", None)
        out["threads"].sort(key=lambda t: t["lwp"])
    return out


def first_difference(a, b, path=""):
    """Where two JSON values first differ ("" if they are equal)."""
    if type(a) is not type(b):
        return path or "/"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s/%s" % (path, k)
            d = first_difference(a[k], b[k], "%s/%s" % (path, k))
            if d:
                return d
        return ""
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s (length %d vs %d)" % (path or "/", len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return ""
    return "" if a == b else "%s (%r vs %r)" % (path or "/", a, b)


def compare_reports(cli, exe, snap, gcore):
    """goroutines and threads of the snapshot against those of the gcore
    of the same (static) process: "identical" or where they first differ."""
    out = {}
    for name in ("goroutines", "threads"):
        d = first_difference(report_json(cli, exe, snap, name), report_json(cli, exe, gcore, name))
        out[name] = "identical" if not d else "differ at " + d
    return out


def delve_attach(dlv, pid, tmp):
    """`dlv attach PID` + `goroutines`, then `exit -c` (detach, the process
    runs on): {"wall_s", "cpu_s", "goroutines"} (headers Delve listed)."""
    init = os.path.join(tmp, "dlv.init")
    with open(init, "w") as f:
        f.write("goroutines\nexit -c\n")
    out_path = os.path.join(tmp, "dlv-out.txt")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "dlv-config"), TERM="dumb")
    cpu0, t0 = cpu_children(), time.perf_counter()
    with open(out_path, "w") as out:
        rc = subprocess.run([dlv, "attach", str(pid), "--init", init, "--allow-non-terminal-interactive=true"],
                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                            timeout=3600).returncode
    wall, cpu = time.perf_counter() - t0, cpu_children() - cpu0
    with open(out_path, errors="replace") as f:
        headers = sum(1 for line in f if DELVE_HEADER.match(line))
    os.unlink(out_path)
    return {"status": rc, "wall_s": wall, "cpu_s": cpu, "goroutines": headers}


def measure(live, beat, tmp, cli, repeat, dlv=None, compare=False):
    rows = {"baseline": [], "snapshot": [], "gcore": [], "delve": [], "compare": []}
    for i in range(repeat):
        beat.reset()
        time.sleep(1.0)
        rows["baseline"].append({"pause_ms": beat.max_gap_ms()})

        out = os.path.join(tmp, "snap-%d.core" % i)
        beat.reset()
        p, wall, cpu = timed([cli, "snapshot", "--pid", str(live.pid), "-o", out, "--json"])
        gap = beat.max_gap_ms()
        if p.returncode not in (0, 2):
            raise SystemExit("snapshot failed: " + p.stderr)
        stats = json.loads(p.stdout)
        size, disk = file_sizes(out)
        rows["snapshot"].append({"pause_ms": gap, "tool_pause_ms": stats["pause_s"] * 1e3,
                                 "pause_cpu_ms": stats["pause_cpu_s"] * 1e3,
                                 "stop_ms": stats["stop_s"] * 1e3, "copy_ms": stats["copy_s"] * 1e3,
                                 "analysis_ms": stats["analysis_s"] * 1e3, "wall_s": wall, "cpu_s": cpu,
                                 "file_mb": size / 1e6, "disk_mb": disk / 1e6, "segments": stats["segments"],
                                 "copy_calls": stats["copy_calls"], "warnings": len(stats["warnings"])})
        snap = out

        out = os.path.join(tmp, "gcore-%d.core" % i)
        beat.reset()
        p, wall, cpu = timed(["gdb", "-nx", "-batch", "-iex", "set auto-load no", "-p", str(live.pid),
                              "-ex", "gcore " + out])
        gap = beat.max_gap_ms()
        size, disk = file_sizes(out)
        rows["gcore"].append({"pause_ms": gap, "wall_s": wall, "cpu_s": cpu, "file_mb": size / 1e6,
                              "disk_mb": disk / 1e6})
        if compare and i == 0:
            rows["compare"].append(compare_reports(cli, live.binary, snap, out))
            common.log("reports, snapshot vs gcore: %s" % rows["compare"][-1])
        os.unlink(out)
        os.unlink(snap)

        if dlv:
            beat.reset()
            r = delve_attach(dlv, live.pid, tmp)
            r["pause_ms"] = beat.max_gap_ms()
            rows["delve"].append(r)
    return rows


def med(rows, key):
    xs = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(xs) if xs else None


def cpu_text(ms):
    return "?" if ms is None else "%.1f" % ms  # absent from --from-json files of older runs


def machine_text(m):
    if isinstance(m, dict):
        return "%s CPUs (%s), %.0f GB, kernel %s" % (m.get("nproc"), m.get("cpu"), m.get("mem_gb", 0), m.get("kernel"))
    return str(m)


def git_text(g):
    if isinstance(g, (list, tuple)) and g:
        return g[0] + (" + uncommitted changes" if len(g) > 1 and g[1] else "")
    return str(g)


def report(meta, results):
    lines = [
             "Measured %s on %s (git %s), Go %s, load average %s at the start and %s at the end; "
             "medians of %d runs. Pause = the largest gap seen by a thread inside the target "
             "that wakes every 200 us (bench/heartbeat.c, preloaded); baseline = the same window "
             "with no tool (what the loaded machine alone costs). CPU = user+sys of the tool."
             % (meta["date"], machine_text(meta["machine"]), git_text(meta["git"]), meta["go"], meta["load_start"], meta["load_end"],
                meta["repeat"]), "",
             "| process | baseline gap | snapshot pause (inside / tool's own; tool's CPU while held) | gcore pause | snapshot file (apparent / on disk) | gcore file (apparent / on disk) | snapshot wall / CPU | gcore wall / CPU |",
             "|---|---|---|---|---|---|---|---|"]
    delve_cells = []
    for name, rows in results.items():
        s, g, b = rows["snapshot"], rows["gcore"], rows["baseline"]
        dv, cmp_ = rows.get("delve") or [], rows.get("compare") or []
        delve_cells.append("| %s | %s | %s |" % (
            name, "%.0f ms (wall %.2f s, CPU %.2f s, %d goroutines listed)" % (
                med(dv, "pause_ms"), med(dv, "wall_s"), med(dv, "cpu_s"), med(dv, "goroutines")) if dv else "not run",
            "; ".join("%s %s" % kv for kv in sorted(cmp_[0].items())) if cmp_ else "not compared"))
        lines.append("| %s | %.1f ms | %.1f ms / %.1f ms (stop %.1f, copy %.1f, analysis %.1f); CPU %s ms | %.0f ms | %.1f / %.1f MB (%d segments) | %.0f / %.0f MB | %.2f s / %.2f s | %.2f s / %.2f s |" % (
            name, med(b, "pause_ms"), med(s, "pause_ms"), med(s, "tool_pause_ms"), med(s, "stop_ms"),
            med(s, "copy_ms"), med(s, "analysis_ms"), cpu_text(med(s, "pause_cpu_ms")), med(g, "pause_ms"), med(s, "file_mb"), med(s, "disk_mb"),
            med(s, "segments"), med(g, "file_mb"), med(g, "disk_mb"), med(s, "wall_s"), med(s, "cpu_s"),
            med(g, "wall_s"), med(g, "cpu_s")))
    lines += ["", "| process | Delve `attach` + `goroutines` pause | snapshot's reports vs the gcore's (goroutines, threads --json) |",
              "|---|---|---|"] + delve_cells + [""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--go", default="1.27")
    ap.add_argument("--goroutines", type=int, default=100000)
    ap.add_argument("--threads", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"))
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--dlv", default=DEFAULT_DLV, help="Delve, for `dlv attach` + `goroutines` ('' to skip)")
    ap.add_argument("--no-gcore-compare", action="store_true",
                    help="skip comparing the snapshot's goroutines and threads reports with the gcore's")
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--from-json", help="rewrite the doc from a --json file of an earlier run")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        common.write_section(args.doc, BEGIN, END, report(saved["meta"], saved["results"]), HEADING)
        return
    cli = os.path.join(args.build, "cgostack")
    meta = {"date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), "machine": common.machine(),
            "git": common.git_state(), "go": args.go, "repeat": args.repeat,
            "load_start": "%.1f" % os.getloadavg()[0]}
    results = {}
    dlv = args.dlv if args.dlv and os.access(args.dlv, os.X_OK) else None
    if args.dlv and not dlv:
        common.log("no Delve at %s (scripts/setup.sh --delve): skipped" % args.dlv)
    with tempfile.TemporaryDirectory(prefix="cgostack-bench-snapshot.") as tmp:
        lib = os.path.join(tmp, "heartbeat.so")
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", lib,
                        os.path.join(REPO, "bench", "heartbeat.c"), "-lpthread"], check=True)
        scenarios = []
        if args.goroutines:
            scenarios.append(("many, %d goroutines" % args.goroutines, "many", ("-n", str(args.goroutines))))
        if args.threads:
            scenarios.append(("cthreads, %d threads in C" % args.threads, "cthreads", ("-n", str(args.threads))))
        for label, fixture, fargs in scenarios:
            beat = Heartbeat(os.path.join(tmp, "beat"))
            env = {"LD_PRELOAD": lib, "CGOSTACK_HEARTBEAT": beat.path}
            common.log("%s: starting" % label)
            with harness.live(fixture, args.go, args=fargs, env=env, timeout=600) as live:
                results[label] = measure(live, beat, tmp, cli, args.repeat, dlv=dlv,
                                         compare=not args.no_gcore_compare)
            common.log("%s: %s" % (label, json.dumps({k: v[-1] for k, v in results[label].items() if v})))
    meta["load_end"] = "%.1f" % os.getloadavg()[0]
    text = report(meta, results)
    print(BEGIN + "\n\n" + text + "\n" + END)
    common.finish(text, args, {"meta": meta, "results": results}, BEGIN, END, HEADING, show=False)


if __name__ == "__main__":
    main()

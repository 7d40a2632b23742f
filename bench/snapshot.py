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
                         [--json FILE]

Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
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


def measure(live, beat, tmp, cli, repeat):
    rows = {"baseline": [], "snapshot": [], "gcore": []}
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
        os.unlink(out)

        out = os.path.join(tmp, "gcore-%d.core" % i)
        beat.reset()
        p, wall, cpu = timed(["gdb", "-nx", "-batch", "-iex", "set auto-load no", "-p", str(live.pid),
                              "-ex", "gcore " + out])
        gap = beat.max_gap_ms()
        size, disk = file_sizes(out)
        rows["gcore"].append({"pause_ms": gap, "wall_s": wall, "cpu_s": cpu, "file_mb": size / 1e6,
                              "disk_mb": disk / 1e6})
        os.unlink(out)
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
    for name, rows in results.items():
        s, g, b = rows["snapshot"], rows["gcore"], rows["baseline"]
        lines.append("| %s | %.1f ms | %.1f ms / %.1f ms (stop %.1f, copy %.1f, analysis %.1f); CPU %s ms | %.0f ms | %.1f / %.1f MB (%d segments) | %.0f / %.0f MB | %.2f s / %.2f s | %.2f s / %.2f s |" % (
            name, med(b, "pause_ms"), med(s, "pause_ms"), med(s, "tool_pause_ms"), med(s, "stop_ms"),
            med(s, "copy_ms"), med(s, "analysis_ms"), cpu_text(med(s, "pause_cpu_ms")), med(g, "pause_ms"), med(s, "file_mb"), med(s, "disk_mb"),
            med(s, "segments"), med(g, "file_mb"), med(g, "disk_mb"), med(s, "wall_s"), med(s, "cpu_s"),
            med(g, "wall_s"), med(g, "cpu_s")))
    lines += [""]
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
                results[label] = measure(live, beat, tmp, cli, args.repeat)
            common.log("%s: %s" % (label, json.dumps({k: v[-1] for k, v in results[label].items()})))
    meta["load_end"] = "%.1f" % os.getloadavg()[0]
    text = report(meta, results)
    print(BEGIN + "\n\n" + text + "\n" + END)
    common.finish(text, args, {"meta": meta, "results": results}, BEGIN, END, HEADING, show=False)


if __name__ == "__main__":
    main()

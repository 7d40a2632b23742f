#!/usr/bin/env python3
"""Benchmark: thousands of threads parked in C (issue 15).  Kernel cores of
the `cthreads` fixture (-n N cgo callers blocked on one pthread mutex at C
call depths 1..8, N/10 in pthread_cond_wait, N goroutines waiting in Go),
every tool timed as a whole process, side by side in one run.  A benchmark,
not a test: it measures and reports.

Usage: bench/threads.py [--sizes 500,2000,8000] [--go 1.27] [--repeat 3]
                        [--cold-repeat 1] [--no-cold] [--tools LIST]
                        [--dlv PATH] [--doc docs/performance.md | --no-doc]
                        [--json FILE]

Tools (each one process, start-up included, output to a file):
  gdb_bt        gdb -nx -batch -ex 'thread apply all bt' EXE CORE (GDB's own
                unwinding and symbols, no plugin)
  cli_json      build/cgostack goroutines --json --output FILE EXE CORE
  cli_threads   build/cgostack threads --json --output FILE EXE CORE
  cli_lockgraph build/cgostack lockgraph --output FILE EXE CORE (text)
  plugin_json   gdb -nx -batch -ex 'source gdb_plugin/cgostack.py'
                -ex 'cgo-goroutines --json --output FILE' EXE CORE
  delve         dlv core EXE CORE --init SCRIPT with `goroutines -t 50`
                (scripts/setup.sh --delve installs it)

Warm: one untimed run of each tool first, then --repeat interleaved rounds;
the median is reported.  Cold: before each cold run the page cache is
dropped (`echo 3 > /proc/sys/vm/drop_caches`, root only), so the core, the
executable, the libraries and their debug info are read from disk, as on
the first run after a core was written; the resident part of the core
after a cold CLI run (fincore) shows how much of it was touched.

Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as common  # noqa: E402  (machine, load, git_state, snapshot_plugin, the tail)
from benchlib import REPO, BenchError, log  # noqa: E402
BEGIN = "<!-- BEGIN bench/threads.py: generated, rewritten on every run -->"
END = "<!-- END bench/threads.py -->"
TOOLS = ("gdb_bt", "cli_json", "cli_threads", "cli_lockgraph", "plugin_json", "delve")
LABELS = {"gdb_bt": "GDB `thread apply all bt`", "cli_json": "CLI `goroutines --json`",
          "cli_threads": "CLI `threads --json`", "cli_lockgraph": "CLI `lockgraph`",
          "plugin_json": "GDB + plugin `cgo-goroutines --json`", "delve": "Delve `goroutines -t 50`"}
# Issue 15's targets at N=2000: GDB bt / tool >= ratio (Delve / CLI JSON for delve).
TARGETS = {"cli_json": 8.0, "cli_threads": 4.0, "cli_lockgraph": 4.0, "plugin_json": 1.0}
DELVE_TARGET = 2.0
DEFAULT_DLV = os.path.join(os.environ.get("CGOSTACK_TOOLCHAINS", "/opt/cgostack/toolchains"),
                           "delve", "usr", "bin", "dlv")


def take_core(go, n, cores_dir):
    argv = [sys.executable, os.path.join(REPO, "fixtures", "harness.py"), "core", "--no-oracle",
            "--go", go, "--fixture", "cthreads", "--", "-n", str(n)]
    log("core: cthreads -n %d with Go %s ..." % (n, go))
    env = dict(os.environ, CGOSTACK_BUILD_DIR=cores_dir)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    if p.returncode != 0:
        raise BenchError("harness failed for -n %d: %s" % (n, p.stderr.strip()[-2000:]))
    return json.loads(p.stdout)


def drop_caches():
    subprocess.run(["sync"], check=False)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def resident_mb(path):
    """MB of `path` in the page cache (fincore), or None."""
    if not shutil.which("fincore"):
        return None
    p = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", path],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        return int(p.stdout.split()[0]) / 1e6
    except (IndexError, ValueError):
        return None


def argv_for(tool, core, tmp, cli, plugin, dlv):
    exe, path = core["binary"], core["core"]
    out = os.path.join(tmp, tool + ".out")
    gdb = ["gdb", "-nx", "-batch", "-iex", "set auto-load no"]
    if tool == "gdb_bt":
        return gdb + ["-ex", "thread apply all bt", exe, path], out
    if tool == "cli_json":
        return [cli, "goroutines", "--json", "--output", out, exe, path], None
    if tool == "cli_threads":
        return [cli, "threads", "--json", "--output", out, exe, path], None
    if tool == "cli_lockgraph":
        return [cli, "lockgraph", "--output", out, exe, path], None
    if tool == "plugin_json":
        return gdb + ["-ex", "source " + plugin, "-ex", "cgo-goroutines --json --output " + out,
                      exe, path], os.path.join(tmp, tool + ".log")
    if tool == "delve":
        init = os.path.join(tmp, "dlv.init")
        with open(init, "w") as f:
            f.write("goroutines -t 50\nexit\n")
        return [dlv, "core", exe, path, "--init", init, "--allow-non-terminal-interactive=true"], out
    raise BenchError(tool)


def run_tool(tool, core, tmp, cli, plugin, dlv):
    argv, stdout_path = argv_for(tool, core, tmp, cli, plugin, dlv)
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "dlv-config"), TERM="dumb")
    with open(stdout_path or os.devnull, "w") as out:
        rc, wall, cpu, peak_kb = common.run_timed(argv, out, subprocess.STDOUT, env)
    problems = []
    ok_status = (0, 2) if tool.startswith("cli") else (0,)
    if rc not in ok_status:
        problems.append("%s exited with status %d" % (tool, rc))
    out_file = os.path.join(tmp, tool + ".out")
    size = os.path.getsize(out_file) if os.path.exists(out_file) else 0
    if size == 0:
        problems.append("%s wrote nothing" % tool)
    return {"wall": wall, "cpu": cpu, "status": rc, "peak_mb": peak_kb / 1024, "out_bytes": size,
            "problems": problems}


def sanity(tool, tmp, n):
    """A few checks that a run really did the work (frames of every thread)."""
    path = os.path.join(tmp, tool + ".out")
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        text = f.read()
    if tool == "gdb_bt":
        return "%d threads, %d lock waits" % (text.count("\nThread "), text.count("__lll_lock_wait"))
    if tool in ("cli_json", "plugin_json"):
        return "%d goroutines, %d frames in __lll_lock_wait" % (text.count('"goid"'), text.count('lll_lock_wait"'))
    if tool == "cli_threads":
        return "%d threads" % text.count('"lwp"')
    if tool == "delve":
        return "%d goroutines" % text.count("  Goroutine ")
    return "%d lines" % text.count("\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="500,2000,8000")
    ap.add_argument("--go", default="1.27")
    ap.add_argument("--repeat", type=int, default=3, help="warm rounds (median; default 3)")
    ap.add_argument("--cold-repeat", type=int, default=1, help="cold runs per tool (median; default 1)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold runs (dropping the page cache)")
    ap.add_argument("--cold-sizes", help="only these sizes get cold runs (default: all)")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--dlv", default=DEFAULT_DLV)
    ap.add_argument("--build-dir", default=os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(REPO, "build"),
                    help="where the cores are cached (and the fixture built)")
    ap.add_argument("--cli", help="the standalone tool (default BUILD_DIR/cgostack)")
    ap.add_argument("--module-dir", help="a build dir whose python/ has the backend module (default BUILD_DIR)")
    ap.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"))
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--json", help="also write every measurement to this file")
    ap.add_argument("--merge", metavar="JSON",
                    help="also report the sizes of an earlier run's --json file (same tools), e.g. to time "
                         "one size with more rounds and the others once")
    ap.add_argument("--label", default="", help="a note for the generated section (e.g. baseline)")
    args = ap.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    tools = [t for t in args.tools.split(",") if t]
    for t in tools:
        if t not in TOOLS:
            ap.error("unknown tool %r" % t)
    if "delve" in tools and not os.access(args.dlv, os.X_OK):
        log("no Delve at %s (scripts/setup.sh --delve): skipped" % args.dlv)
        tools.remove("delve")
    cold = not args.no_cold and os.geteuid() == 0
    meta = dict(common.machine())
    meta.update({"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 "load_start": common.load(), "repeat": args.repeat, "label": args.label,
                 "argv": " ".join(sys.argv[1:]) or "(defaults)"})
    meta["git_head"], meta["git_dirty"] = common.git_state()
    tmp = tempfile.mkdtemp(prefix="cgostack-bench-threads.")
    results = {}
    try:
        os.environ["CGOSTACK_BUILD_DIR"] = args.module_dir or args.build_dir
        plugin, build_dir, meta["modules"] = common.snapshot_plugin(tmp)
        os.environ["CGOSTACK_BUILD_DIR"] = build_dir
        cli = os.path.join(tmp, "cgostack")
        shutil.copy2(args.cli or os.path.join(args.build_dir, "cgostack"), cli)
        for n in sizes:
            core = take_core(args.go, n, args.build_dir)
            r = {"core_mb": core["core_bytes"] / 1e6, "core_disk_mb": core["core_disk_bytes"] / 1e6,
                 "load": common.load(), "warm": {t: [] for t in tools}, "cold": {t: [] for t in tools},
                 "problems": [], "sanity": {}}
            results[n] = r
            if cold and (not args.cold_sizes or str(n) in args.cold_sizes.split(",")):
                for _ in range(args.cold_repeat):
                    for t in tools:
                        drop_caches()
                        res = run_tool(t, core, tmp, cli, plugin, args.dlv)
                        if t == "cli_json":
                            r["core_resident_after_cold_cli_mb"] = resident_mb(core["core"])
                        r["cold"][t].append(res["wall"])
                        r.setdefault("cold_cpu", {}).setdefault(t, []).append(res["cpu"])
                        r["problems"] += res["problems"]
                        log("n=%d cold %-14s %.3f s (CPU %.3f s)" % (n, t, res["wall"], res["cpu"]))
            for t in tools:  # warm-up
                run_tool(t, core, tmp, cli, plugin, args.dlv)
            for _ in range(args.repeat):
                for t in tools:
                    res = run_tool(t, core, tmp, cli, plugin, args.dlv)
                    r["warm"][t].append(res["wall"])
                    r.setdefault("warm_cpu", {}).setdefault(t, []).append(res["cpu"])
                    r.setdefault("peak_mb", {})[t] = max(r.get("peak_mb", {}).get(t, 0), res["peak_mb"])
                    r["problems"] += res["problems"]
                    r["sanity"][t] = sanity(t, tmp, n)
                    log("n=%d warm %-14s %.3f s (CPU %.3f s)  %s" % (n, t, res["wall"], res["cpu"], r["sanity"][t] or ""))
            r["load_end"] = common.load()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta["load_end"] = common.load()
    if args.merge:
        with open(args.merge) as f:
            earlier = json.load(f)
        for k, v in earlier["results"].items():
            if int(k) not in results:
                results[int(k)] = v
                v["from"] = "%s, %d warm rounds" % (earlier["meta"]["date"], earlier["meta"]["repeat"])
        sizes = sorted(results)
    text = report(meta, sizes, tools, results)
    common.finish(text, args, {"meta": meta, "results": results}, BEGIN, END,
                  heading="## Thousands of threads in C (bench/threads.py, issue 15)")
    return 0


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(x):
    return "–" if x is None else ("%.3f" % x if x < 10 else "%.1f" % x)


def table(header, rows):
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] +
                     ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]) + "\n"


def report(meta, sizes, tools, results):
    lines = ["Generated by `bench/threads.py %s` on %s%s." % (meta["argv"], meta["date"],
                                                            " (%s)" % meta["label"] if meta["label"] else ""),
             "",
             "- Machine: %d CPUs (%s), %.1f GB RAM, Linux %s. Load average at the start %s, at the end %s "
             "(shared machine: absolute times are noisy, the ratios measured interleaved are steadier)."
             % (meta["nproc"], meta["cpu"], meta["mem_gb"], meta["kernel"], meta["load_start"], meta["load_end"]),
             "- cgostack at %s%s; every time is a whole process (start-up included), median of %d warm "
             "rounds interleaved across tools after one untimed warm-up run."
             % (meta["git_head"], " (uncommitted changes in %s)" % ", ".join(meta["git_dirty"])
                if meta["git_dirty"] else "", meta["repeat"]),
             ""]
    rows = []
    for n in sizes:
        r = results[n]
        rows.append([n, "%.0f" % r["core_mb"], "%.0f" % r["core_disk_mb"], r["load"],
                     r.get("from") or "this run, %d warm rounds" % meta["repeat"]])
    lines.append(table(["`-n`", "core MB (apparent)", "on disk MB", "load before", "measured"], rows))
    lines.append("### Warm, seconds (median)\n")
    rows = []
    for n in sizes:
        r = results[n]
        rows.append([n] + [fmt(med(r["warm"][t])) for t in tools])
    lines.append(table(["`-n`"] + [LABELS[t] for t in tools], rows))
    lines.append("### Warm, CPU seconds (user + system, median; steadier than wall time on a shared machine)\n")
    rows = []
    for n in sizes:
        c = results[n].get("warm_cpu") or {}
        rows.append([n] + [fmt(med(c.get(t, []))) for t in tools])
    lines.append(table(["`-n`"] + [LABELS[t] for t in tools], rows))
    if "gdb_bt" in tools:
        lines.append("Ratios by CPU time: GDB `thread apply all bt` / tool (Delve / CLI JSON last):\n")
        rows = []
        for n in sizes:
            c = results[n].get("warm_cpu") or {}
            bt = med(c.get("gdb_bt", []))
            row = [n] + ["%.1f×" % (bt / med(c[t])) if bt and c.get(t) else "–" for t in tools if t != "gdb_bt"]
            if c.get("delve") and c.get("cli_json"):
                row.append("%.1f×" % (med(c["delve"]) / med(c["cli_json"])))
            rows.append(row)
        lines.append(table(["`-n`"] + [LABELS[t] for t in tools if t != "gdb_bt"] +
                           (["Delve / CLI JSON"] if "delve" in tools and "cli_json" in tools else []), rows))
    cold_sizes = [n for n in sizes if results[n]["cold"].get(tools[0])]
    if cold_sizes:
        lines.append("### Cold (page cache dropped before each run), seconds\n")
        rows = []
        for n in cold_sizes:
            r = results[n]
            rows.append([n] + [fmt(med(r["cold"][t])) for t in tools] +
                        [fmt(r.get("core_resident_after_cold_cli_mb"))])
        lines.append(table(["`-n`"] + [LABELS[t] for t in tools] +
                           ["MB of the core resident after a cold CLI JSON run"], rows))
        rows = []
        for n in cold_sizes:
            r = results[n]
            rows.append([n] + ["%.1f×" % (med(r["cold"][t]) / med(r["warm"][t]))
                               if med(r["cold"][t]) and med(r["warm"][t]) else "–" for t in tools])
        lines.append("Cold / warm:\n")
        lines.append(table(["`-n`"] + [LABELS[t] for t in tools], rows))
    if "gdb_bt" in tools:
        lines.append("### Ratios: GDB `thread apply all bt` / tool (warm; Delve / CLI JSON last)\n")
        rows = []
        for n in sizes:
            r = results[n]
            bt = med(r["warm"]["gdb_bt"])
            row = [n]
            for t in tools:
                if t == "gdb_bt":
                    continue
                v = med(r["warm"][t])
                row.append("%.1f×" % (bt / v) if v else "–")
            if "delve" in tools and "cli_json" in tools:
                row.append("%.1f×" % (med(r["warm"]["delve"]) / med(r["warm"]["cli_json"])))
            rows.append(row)
        header = ["`-n`"] + [LABELS[t] for t in tools if t != "gdb_bt"]
        if "delve" in tools and "cli_json" in tools:
            header.append("Delve / CLI JSON")
        lines.append(table(header, rows))
        if 2000 in results:
            r = results[2000]
            bt = med(r["warm"]["gdb_bt"])
            rows = []
            for t, want in TARGETS.items():
                if t in tools:
                    got = bt / med(r["warm"][t])
                    rows.append([LABELS[t], ">= %g× faster than GDB's bt" % want, "%.1f×" % got,
                                 "met" if got >= want else "**not met**"])
            if "delve" in tools and "cli_json" in tools:
                got = med(r["warm"]["delve"]) / med(r["warm"]["cli_json"])
                rows.append(["CLI `goroutines --json` vs Delve", ">= %g×" % DELVE_TARGET, "%.1f×" % got,
                             "met" if got >= DELVE_TARGET else "**not met**"])
            lines.append("Targets at `-n 2000` (issue 15):\n")
            lines.append(table(["", "target", "measured", ""], rows))
    if len(sizes) > 1:
        lines.append("### Growth: marginal CPU ms per thread in C between consecutive sizes (warm)\n")
        rows = []
        for a, b in zip(sizes, sizes[1:]):
            row = ["%d → %d" % (a, b)]
            for t in tools:
                ta = med((results[a].get("warm_cpu") or {}).get(t, []))
                tb = med((results[b].get("warm_cpu") or {}).get(t, []))
                # threads in C: n mutex callers + n/10 cond callers
                row.append("%.3f" % ((tb - ta) * 1000 / ((b - a) * 1.1)) if ta and tb else "–")
            rows.append(row)
        lines.append(table(["sizes"] + [LABELS[t] for t in tools], rows))
    sanity_rows = [[n, t, results[n]["sanity"].get(t) or ""] for n in sizes for t in tools]
    lines.append("What each run produced (last warm run):\n")
    lines.append(table(["`-n`", "tool", "output"], sanity_rows))
    problems = [p for n in sizes for p in results[n]["problems"]]
    if problems:
        lines.append("Problems: " + "; ".join(sorted(set(problems))) + "\n")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        log("bench: %s" % e)
        sys.exit(1)

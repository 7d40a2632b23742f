#!/usr/bin/env python3
"""Benchmark: listing goroutines and their stacks from kernel cores of the
`many` fixture, with cgostack in GDB, Go's runtime-gdb.py and Delve, side by
side on the same cores.  A benchmark, not a test: it measures and reports,
and fails only when a tool's output shows that a run was broken.

Usage: bench/goroutines.py [--sizes 1000,10000,100000] [--go 1.27]
                           [--repeat 3] [--tools cgostack,cli,runtime-gdb,delve]
                           [--dlv PATH] [--delve-depth 50] [--cores-from BUILD_DIR]
                           [--doc docs/performance.md | --no-doc] [--json FILE]

What is timed (each tool is run --repeat times per core, interleaved, and
the median is reported; peak memory is the largest of the runs):

- cgostack: one GDB per run (`gdb -nx -batch EXE CORE`, the plugin sourced),
  with a small Python driver sourced into GDB that wraps each command in
  time.perf_counter(), so GDB's own start-up and core loading are not
  counted (they are reported apart).  Commands, in order:
    open   `cgo-info --output /dev/null`: the first command opens the
           backend session (ELF/DWARF index, runtime layout)
    list   `cgo-goroutines --frames 0 --output /dev/null`
    json   `cgo-goroutines --json --output FILE` (every goroutine, all stacks)
    group  `cgo-goroutines --group --output /dev/null`
    text   `cgo-goroutines --output /dev/null` (stacks, 20 frames each)
    lockgraph  `cgo-lockgraph --output /dev/null`, once the plugin has the
           command (reported "n/a" until then)
  then, untimed, `cgo-goroutines --frames 0 --system` to check the count.
  Peak memory: getrusage(RUSAGE_SELF).ru_maxrss inside GDB after the timed
  commands, and the whole GDB process's (wait4, and /usr/bin/time -f %M when
  present).  The plugin and the backend module are copied once into a
  temporary directory, so a rebuild of build/ during the run cannot mix two
  builds.
- cli: the standalone tool build/cgostack, one process per command, timed
  whole (start-up, opening the core, unwinding C frames with libdwfl,
  writing), peak memory from /usr/bin/time (or wait4):
    list   `cgostack goroutines --frames 0 --output /dev/null EXE CORE`
    json   `cgostack goroutines --json --output FILE EXE CORE` (all stacks)
    group  `cgostack goroutines --group --output /dev/null EXE CORE`
- runtime-gdb.py: GOROOT/src/runtime/runtime-gdb.py of the same Go release,
  sourced into GDB; `info goroutines` timed inside GDB the same way, then
  `goroutine 1 bt` tried (its failure on a core is recorded).
- Delve: `dlv core EXE CORE --init SCRIPT` with the output in a file, three
  separate runs: an init script that only exits (start-up: loading the
  executable and the core), `goroutines`, and `goroutines -t DEPTH`.  The
  reported list and stacks times are the medians minus the start-up median.
  Peak memory from wait4 of the dlv process.  Each output must end with
  `[N goroutines]` and hold N goroutine headers.

Cores come from fixtures/harness.py (`core --no-oracle --go V --fixture many
-- -n N`), which caches them under build/cores; the first 100,000-goroutine
core takes minutes.  --cores-from DIR lets the harness use (and fill) the
core cache of another build directory, e.g. the main checkout's.  Delve is installed by `scripts/setup.sh --delve`.

The results go to the terminal, to docs/performance.md between the
generated-section markers (text outside them is kept), and with --json to a
file.  Python 3 standard library only.
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (REPO, BenchError, git_state, load, log, machine,  # noqa: E402,F401  (threads.py, snapshot.py)
                      snapshot_plugin, write_json, write_section)
BEGIN = "<!-- BEGIN bench/goroutines.py: generated, rewritten on every run -->"
END = "<!-- END bench/goroutines.py -->"

TARGETS = {"list": 0.5, "json": 2.0, "gdb_peak_mb": 1024,
           # issue 6, on the 100,000-goroutine core
           "cli_json": 1.0, "cli_peak_mb": 500, "gdb_list": 1.0, "delve_list_ratio": 10,
           "delve_stacks_ratio": 20}
TOOLS = ("cgostack", "cli", "runtime-gdb", "delve")
# Keys of the per-core results that hold lists of runs.
RUN_KINDS = ("cgostack", "cli", "runtime_gdb", "delve_startup", "delve_list", "delve_stacks")
CLI_STEPS = [
    ("list", ["goroutines", "--frames", "0", "--output", "/dev/null"]),
    ("json", ["goroutines", "--json", "--output", "{json}"]),
    ("group", ["goroutines", "--group", "--output", "/dev/null"]),
    ("text", ["goroutines", "--output", "/dev/null"]),
    ("lockgraph", ["lockgraph", "--output", "/dev/null"]),
]
LOCKGRAPH_STEP = ("lockgraph", "cgo-lockgraph --output /dev/null")
CGOSTACK_STEPS = [
    ("open", "cgo-info --output /dev/null"),
    ("list", "cgo-goroutines --frames 0 --output /dev/null"),
    ("json", "cgo-goroutines --json --output {json}"),
    ("group", "cgo-goroutines --group --output /dev/null"),
    ("text", "cgo-goroutines --output /dev/null"),
]

# Sourced into GDB.  Reads its configuration from the file named by
# $CGOSTACK_BENCH_CONFIG and writes its results to cfg["result"].
GDB_DRIVER = r'''
import json, os, re, resource, time
import gdb

_cfg = json.load(open(os.environ["CGOSTACK_BENCH_CONFIG"]))
_res = {"driver_start_unix": time.time(), "steps": [], "checks": {}, "error": None}


def _mem():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:", "RssAnon:", "RssFile:")):
                key, val = line.split(":", 1)
                out[key] = int(val.split()[0])
    return out


def _summarise(out, count_re):
    lines = out.splitlines()
    d = {"lines": len(lines), "head": lines[:3], "tail": lines[-3:]}
    if count_re:
        rx = re.compile(count_re)
        d["count"] = sum(1 for l in lines if rx.match(l))
    return d


try:
    _res["hwm_kb_before"] = _mem().get("VmHWM")
    for step in _cfg["steps"]:
        t0 = time.perf_counter()
        try:
            out = gdb.execute(step["command"], to_string=True)
            err = None
        except gdb.error as e:
            out, err = "", str(e)
        dt = time.perf_counter() - t0
        m = _mem()
        rec = {"name": step["name"], "command": step["command"], "seconds": dt,
               "rss_kb": m.get("VmRSS"), "hwm_kb": m.get("VmHWM"), "anon_kb": m.get("RssAnon"),
               "file_kb": m.get("RssFile"), "error": err}
        rec.update(_summarise(out, step.get("count")))
        _res["steps"].append(rec)
        if err and step.get("required", True):
            _res["error"] = "%s: %s" % (step["command"], err)
            break
    _res["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if not _res["error"]:
        for step in _cfg.get("checks", []):
            try:
                out = gdb.execute(step["command"], to_string=True)
                _res["checks"][step["name"]] = _summarise(out, step.get("count"))
            except gdb.error as e:
                _res["checks"][step["name"]] = {"error": str(e)}
except Exception as e:  # reported, not raised: GDB -batch would carry on anyway
    _res["error"] = "%s: %s" % (type(e).__name__, e)
with open(_cfg["result"], "w") as f:
    json.dump(_res, f)
'''


# Sourced into GDB for the profile run: each cgostack command once under
# cProfile, split into the backend call, JSON decoding and the plugin's own
# Python.
PROFILE_DRIVER = r'''
import cProfile, json, os, pstats, time
import gdb

_cfg = json.load(open(os.environ["CGOSTACK_BENCH_CONFIG"]))
_res = {"steps": [], "error": None}
try:
    for step in _cfg["steps"]:
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        gdb.execute(step["command"], to_string=True)
        prof.disable()
        total = time.perf_counter() - t0
        backend = decode = 0.0
        plugin = []
        for (path, line, func), (cc, nc, tt, ct, callers) in pstats.Stats(prof).stats.items():
            if path == "~" and "_cgostack." in func:
                backend += tt
            elif path.endswith(os.path.join("json", "decoder.py")):
                decode += tt
            elif "gdb_plugin" in path:
                plugin.append((tt, "%s:%d(%s)" % (os.path.basename(path), line, func), ct))
        plugin.sort(reverse=True)
        _res["steps"].append({"name": step["name"], "command": step["command"], "total": total,
                              "backend": backend, "json_decode": decode,
                              "top_plugin": [{"function": f, "self": t, "cumulative": c}
                                             for t, f, c in plugin[:4]]})
except Exception as e:
    _res["error"] = "%s: %s" % (type(e).__name__, e)
with open(_cfg["result"], "w") as f:
    json.dump(_res, f)
'''


# ------------------------------------------------------------------ processes

def run_measured(argv, stdout, stderr, env=None, timeout=3600):
    """Runs argv; returns (exit status, wall seconds, peak RSS in kB of the
    process tree from wait4, peak RSS in kB from /usr/bin/time or None).

    Prefer the /usr/bin/time figure: subprocess starts children with vfork,
    and Linux carries the high-water mark of the memory a process had
    before exec into its ru_maxrss, so the wait4 figure is never below this
    script's own peak (kept small: nothing big is read into memory here)."""
    time_file = None
    if os.access("/usr/bin/time", os.X_OK):
        fd, time_file = tempfile.mkstemp(prefix="cgostack-bench-time.")
        os.close(fd)
        argv = ["/usr/bin/time", "-f", "%M", "-o", time_file] + list(argv)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env)
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    time_kb = None
    if time_file:
        try:
            with open(time_file) as f:
                lines = [l for l in f.read().split() if l.isdigit()]
            time_kb = int(lines[-1]) if lines else None
        finally:
            os.unlink(time_file)
    return proc.returncode, wall, usage.ru_maxrss, time_kb


def take_core(go, n, cores_from=None):
    argv = [sys.executable, os.path.join(REPO, "fixtures", "harness.py"), "core", "--no-oracle",
            "--go", go, "--fixture", "many", "--", "-n", str(n)]
    log("core: many -n %d with Go %s (cached, or minutes for a new 100k core) ..." % (n, go))
    t0 = time.monotonic()
    env = dict(os.environ, CGOSTACK_BUILD_DIR=cores_from) if cores_from else None
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    if p.returncode != 0:
        raise BenchError("harness failed for -n %d: %s" % (n, p.stderr.strip()[-2000:]))
    core = json.loads(p.stdout)
    log("core: %s (%s, %.0f s)" % (core["core"], "cached" if core.get("cached") else "new",
                                    time.monotonic() - t0))
    return core


# ---------------------------------------------------------------------- tools

def gdb_run(tmp, binary, core, sources, steps, checks, env_extra=None, driver_text=GDB_DRIVER):
    """One GDB process: sources `sources`, then the driver with `steps`."""
    cfg_path = os.path.join(tmp, "gdb-config.json")
    result_path = os.path.join(tmp, "gdb-result.json")
    driver = os.path.join(tmp, "driver-%s.py" % hashlib.sha256(driver_text.encode()).hexdigest()[:8])
    if not os.path.exists(driver):
        with open(driver, "w") as f:
            f.write(driver_text)
    with open(cfg_path, "w") as f:
        json.dump({"steps": steps, "checks": checks, "result": result_path}, f)
    if os.path.exists(result_path):
        os.unlink(result_path)
    argv = ["gdb", "-nx", "-batch", "-iex", "set auto-load no"]
    for s in sources:
        argv += ["-ex", "source " + s]
    argv += ["-ex", "source " + driver, binary, core]
    env = dict(os.environ, CGOSTACK_BENCH_CONFIG=cfg_path, **(env_extra or {}))
    log_path = os.path.join(tmp, "gdb-log.txt")
    launch = time.time()
    with open(log_path, "w") as log_f:
        rc, wall, wait_kb, time_kb = run_measured(argv, log_f, subprocess.STDOUT, env=env)
    if not os.path.exists(result_path):
        with open(log_path) as f:
            tail = f.read()[-1500:]
        raise BenchError("GDB (status %s) wrote no results; its output ends:\n%s" % (rc, tail))
    with open(result_path) as f:
        res = json.load(f)
    res.update({"status": rc, "wall": wall, "wait4_maxrss_kb": wait_kb, "time_maxrss_kb": time_kb,
                "startup": res.get("driver_start_unix", launch) - launch})
    return res


def count_in_file(path, patterns, chunk=1 << 22):
    """Occurrences of each byte string in the file, read in chunks (the
    100,000-goroutine JSON is over 300 MB; see run_measured for why this
    process must stay small).  Returns (counts, size, first 4 kB)."""
    counts = dict.fromkeys(patterns, 0)
    keep = max(len(p) for p in patterns) - 1
    carry = b""
    size = 0
    head = b""
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            if not head:
                head = block[:4096]
            size += len(block)
            buf = carry + block
            for p in patterns:
                # Start where an occurrence could end inside the new block:
                # one lying wholly in the carried bytes was counted already.
                counts[p] += buf.count(p, max(0, len(carry) - (len(p) - 1)))
            carry = buf[-keep:] if keep else b""
    return counts, size, head


def check_json_file(path):
    """Cheap checks of cgo-goroutines --json output without parsing hundreds
    of megabytes: the "total" at its head, the number of goroutine objects,
    goroutines with an error or a stack error."""
    pats = [b'"goid":', b'"function":', b'"error":"', b'"error": "', b'"frames_error":"',
            b'"frames_error": "']
    c, size, head = count_in_file(path, pats)
    m = re.search(rb'"total":(\d+)', head)
    return {"bytes": size, "total": int(m.group(1)) if m else None,
            "goroutines": c[b'"goid":'], "frames": c[b'"function":'],
            "errors": c[b'"error":"'] + c[b'"error": "'],
            "frames_errors": c[b'"frames_error":"'] + c[b'"frames_error": "']}


def run_cgostack(tmp, core, plugin, build_dir, n):
    json_path = os.path.join(tmp, "goroutines.json")
    steps = [{"name": name, "command": cmd.format(json=json_path)} for name, cmd in CGOSTACK_STEPS]
    checks = [{"name": "list", "command": "cgo-goroutines --frames 0 --system",
               "count": r"^goroutine \d+ "}]
    res = gdb_run(tmp, core["binary"], core["core"], [plugin], steps, checks,
                  {"CGOSTACK_BUILD_DIR": build_dir})
    problems = []
    if res["error"]:
        problems.append(res["error"])
    else:
        res["json_check"] = check_json_file(json_path)
        jc = res["json_check"]
        listed = res["checks"].get("list", {}).get("count")
        if jc["goroutines"] < n or jc["total"] != jc["goroutines"]:
            problems.append("JSON has %s goroutines (total %s), expected >= %d"
                            % (jc["goroutines"], jc["total"], n))
        if listed is None or listed < n:
            problems.append("list shows %s goroutines, expected >= %d" % (listed, n))
        if jc["frames"] < 3 * n:
            problems.append("JSON has only %d frames for %d goroutines" % (jc["frames"], n))
    if os.path.exists(json_path):
        os.unlink(json_path)
    res["problems"] = problems
    return res


def lockgraph_available():
    """Whether the plugin has cgo-lockgraph (being written in another branch)."""
    pkg = os.path.join(REPO, "gdb_plugin", "cgostack_gdb")
    for name in os.listdir(pkg):
        if name.endswith(".py"):
            with open(os.path.join(pkg, name)) as f:
                if '"cgo-lockgraph"' in f.read():
                    return True
    return False


def run_cli(tmp, cli, core, n):
    """The standalone tool, one process per command: wall time and peak
    memory of the whole process."""
    json_path = os.path.join(tmp, "cli-goroutines.json")
    res = {"steps": [], "problems": []}
    for name, words in CLI_STEPS:
        argv = [cli] + [w.format(json=json_path) for w in words] + [core["binary"], core["core"]]
        err_path = os.path.join(tmp, "cli-stderr.txt")
        with open(err_path, "w") as err:
            rc, wall, wait_kb, time_kb = run_measured(argv, subprocess.DEVNULL, err)
        with open(err_path) as f:
            stderr = f.read().strip()
        res["steps"].append({"name": name, "status": rc, "seconds": wall,
                             "maxrss_kb": time_kb or wait_kb, "stderr": stderr[-500:]})
        # 2 is "partial results": still a full run of the tool.
        if rc not in (0, 2):
            res["problems"].append("cgostack %s exited with %d: %s" % (" ".join(words), rc, stderr[-300:]))
    if os.path.exists(json_path):
        res["json_check"] = jc = check_json_file(json_path)
        if jc["goroutines"] < n or jc["total"] != jc["goroutines"]:
            res["problems"].append("CLI JSON has %s goroutines (total %s), expected >= %d"
                                   % (jc["goroutines"], jc["total"], n))
        if jc["frames"] < 3 * n:
            res["problems"].append("CLI JSON has only %d frames for %d goroutines" % (jc["frames"], n))
        os.unlink(json_path)
    elif not res["problems"]:
        res["problems"].append("the CLI wrote no JSON")
    return res


def run_profile(tmp, core, plugin, build_dir):
    """cgostack's commands once more under cProfile (slower than the timed
    runs; only the split matters)."""
    json_path = os.path.join(tmp, "goroutines.json")
    steps = [{"name": name, "command": cmd.format(json=json_path)} for name, cmd in CGOSTACK_STEPS]
    res = gdb_run(tmp, core["binary"], core["core"], [plugin], steps, [],
                  {"CGOSTACK_BUILD_DIR": build_dir}, driver_text=PROFILE_DRIVER)
    if os.path.exists(json_path):
        os.unlink(json_path)
    return res


def run_runtime_gdb(tmp, core, goroot, n):
    script = os.path.join(goroot, "src", "runtime", "runtime-gdb.py")
    steps = [{"name": "info goroutines", "command": "info goroutines",
              "count": r"^\*?\s*\d+ \S"},
             {"name": "goroutine 1 bt", "command": "goroutine 1 bt", "required": False}]
    res = gdb_run(tmp, core["binary"], core["core"], [script], steps, [])
    problems = []
    if res["error"]:
        problems.append(res["error"])
    else:
        count = res["steps"][0].get("count")
        if count is None or count < n:
            problems.append("info goroutines listed %s goroutines, expected >= %d" % (count, n))
    res["problems"] = problems
    return res


DELVE_HEADER = re.compile(r"^[ *] Goroutine \d+ ")
DELVE_FRAME = re.compile(r"^\t\s*\d+\s+0x[0-9a-f]+ in ")
DELVE_TOTAL = re.compile(r"^\[(\d+) goroutines\]\s*$")


def run_delve(tmp, dlv, core, init_text, n, kind):
    init = os.path.join(tmp, "dlv-%s.init" % kind)
    with open(init, "w") as f:
        f.write(init_text + "exit\n")
    out_path = os.path.join(tmp, "dlv-out.txt")
    # dlv writes config.yml and its history under $XDG_CONFIG_HOME/dlv.
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "dlv-config"), TERM="dumb")
    argv = [dlv, "core", core["binary"], core["core"], "--init", init,
            "--allow-non-terminal-interactive=true"]
    with open(out_path, "w") as out:
        rc, wall, wait_kb, time_kb = run_measured(argv, out, subprocess.STDOUT, env=env)
    headers = frames = truncated = errors = 0
    error_samples = []
    total = None
    tail = []
    with open(out_path, errors="replace") as f:
        for line in f:
            if DELVE_HEADER.match(line):
                headers += 1
            elif DELVE_FRAME.match(line):
                frames += 1
            elif line.strip() == "(truncated)":
                truncated += 1
            elif line.lstrip().startswith("error:"):
                errors += 1
                if len(error_samples) < 3 and line.strip() not in error_samples:
                    error_samples.append(line.strip())
            else:
                m = DELVE_TOTAL.match(line)
                if m:
                    total = int(m.group(1))
            tail = (tail + [line.rstrip("\n")])[-3:]
    os.unlink(out_path)
    res = {"kind": kind, "status": rc, "wall": wall, "wait4_maxrss_kb": wait_kb,
           "time_maxrss_kb": time_kb, "goroutines": total, "headers": headers, "frames": frames,
           "truncated_stacks": truncated, "frame_errors": errors, "error_samples": error_samples,
           "tail": tail}
    problems = []
    if rc != 0:
        problems.append("dlv exited with status %d: %s" % (rc, " | ".join(tail)))
    if kind != "startup":
        if total is None or total < n or headers != total:
            problems.append("dlv %s: %s goroutine headers, total line %s, expected >= %d"
                            % (kind, headers, total, n))
        if kind == "stacks" and frames < 3 * n:
            problems.append("dlv stacks: only %d frames for %d goroutines" % (frames, n))
    res["problems"] = problems
    return res


# ------------------------------------------------------------------ reporting

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def biggest(xs):
    xs = [x for x in xs if x is not None]
    return max(xs) if xs else None


def summarise(size_results):
    """Medians (times) and maxima (memory) of one core's runs."""
    s = {}
    cg = [r for r in size_results.get("cgostack", []) if not r["problems"]]
    if cg:
        for name, _ in CGOSTACK_STEPS:
            s["cg_" + name] = median([next(st["seconds"] for st in r["steps"] if st["name"] == name)
                                      for r in cg])
        s["cg_startup"] = median([r["startup"] for r in cg])
        s["cg_hwm_before"] = median([r.get("hwm_kb_before") for r in cg])
        if s["cg_hwm_before"] is not None:
            s["cg_hwm_before"] /= 1024
        s["cg_wall"] = median([r["wall"] for r in cg])
        s["cg_maxrss_mb"] = biggest([r["maxrss_kb"] for r in cg]) / 1024
        s["cg_process_mb"] = biggest([r["time_maxrss_kb"] or r["wait4_maxrss_kb"] for r in cg]) / 1024
        # How much each step raised GDB's high-water mark (median over runs).
        for name, _ in CGOSTACK_STEPS:
            def rise(r, name=name):
                steps = r["steps"]
                i = next(k for k, st in enumerate(steps) if st["name"] == name)
                prev = steps[i - 1]["hwm_kb"] if i else r.get("hwm_kb_before")
                return (steps[i]["hwm_kb"] - prev) / 1024 if prev is not None else None
            s["cg_hwm_rise_" + name] = median([rise(r) for r in cg])
            for key in ("hwm", "anon", "file"):
                s["cg_%s_%s" % (key, name)] = median([
                    next(st.get(key + "_kb") for st in r["steps"] if st["name"] == name) for r in cg])
                if s["cg_%s_%s" % (key, name)] is not None:
                    s["cg_%s_%s" % (key, name)] /= 1024
        s["cg_goroutines"] = cg[0]["json_check"]["total"]
        s["cg_json_mb"] = cg[0]["json_check"]["bytes"] / 1e6
        s["cg_stack_errors"] = cg[0]["json_check"]["frames_errors"]
        s["cg_errors"] = cg[0]["json_check"]["errors"]
    cl = [r for r in size_results.get("cli", []) if not r["problems"]]
    if cl:
        for name, _ in CLI_STEPS:
            s["cli_" + name] = median([next(st["seconds"] for st in r["steps"] if st["name"] == name) for r in cl])
            s["cli_%s_mb" % name] = biggest([next(st["maxrss_kb"] for st in r["steps"] if st["name"] == name)
                                             for r in cl]) / 1024
        s["cli_partial"] = sorted({st["name"] for r in cl for st in r["steps"] if st["status"] == 2})
    rg = [r for r in size_results.get("runtime_gdb", []) if not r["problems"]]
    if rg:
        s["rg_list"] = median([r["steps"][0]["seconds"] for r in rg])
        s["rg_mb"] = biggest([r["time_maxrss_kb"] or r["wait4_maxrss_kb"] for r in rg]) / 1024
        s["rg_goroutines"] = rg[0]["steps"][0].get("count")
        bt = rg[0]["steps"][1]
        s["rg_bt_error"] = bt["error"]
        s["rg_bt"] = None if bt["error"] else median([r["steps"][1]["seconds"] for r in rg])
    dl = {k: [r for r in size_results.get("delve_" + k, []) if not r["problems"]]
          for k in ("startup", "list", "stacks")}
    if all(dl.values()):
        s["dv_startup"] = median([r["wall"] for r in dl["startup"]])
        for k in ("list", "stacks"):
            s["dv_%s_raw" % k] = median([r["wall"] for r in dl[k]])
            s["dv_" + k] = s["dv_%s_raw" % k] - s["dv_startup"]
            s["dv_%s_mb" % k] = biggest([r["time_maxrss_kb"] or r["wait4_maxrss_kb"] for r in dl[k]]) / 1024
        s["dv_goroutines"] = dl["list"][0]["goroutines"]
        s["dv_truncated"] = dl["stacks"][0]["truncated_stacks"]
        s["dv_frame_errors"] = dl["stacks"][0]["frame_errors"]
        s["dv_error_samples"] = dl["stacks"][0]["error_samples"]
        s["dv_startup_mb"] = biggest([r["time_maxrss_kb"] or r["wait4_maxrss_kb"] for r in dl["startup"]]) / 1024
    return s


def fmt_s(x):
    if x is None:
        return "–"
    return "%.3f" % x if x < 10 else "%.1f" % x


def fmt_mb(x):
    return "–" if x is None else ("%.0f" % x if x >= 10 else "%.1f" % x)


def fmt_ratio(a, b):
    if a is None or not b:
        return "–"
    return "%.1f×" % (a / b)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def report(meta, sizes, results):
    sums = {n: summarise(results[str(n)]) for n in sizes}
    L = []
    L.append("Generated by `bench/goroutines.py %s` on %s." % (meta["argv"], meta["date"]))
    L.append("")
    L.append("- Machine: %d CPUs (%s), %.1f GB RAM, Linux %s. **Load average at the start: %s** "
             "(1/5/15 min; other engineers were building and testing on the same machine, so "
             "absolute times are noisy; the ratios, measured interleaved on the same cores, are "
             "steadier); at the end: %s."
             % (meta["nproc"], meta["cpu"], meta["mem_gb"], meta["kernel"], meta["load_start"],
                meta["load_end"]))
    L.append("- Go %s (`many` fixture, kernel cores from `fixtures/harness.py`), GDB %s, "
             "Delve %s, runtime-gdb.py of %s." % (meta["go_version"], meta["gdb"], meta["delve"] or "not run",
                                                  meta["go_version"]))
    L.append("- cgostack at %s%s; backend %s."
             % (meta["git_head"], " with uncommitted changes in " + ", ".join(meta["git_dirty"])
                if meta["git_dirty"] else "", ", ".join("%s (built %s, sha256 %s)" %
                                                        (m["module"], m["mtime"], m["sha256"])
                                                        for m in meta["backend"])))
    L.append("- Times are medians of %d runs per tool and core, runs interleaved across tools; "
             "peak memory is the largest of the runs." % meta["repeat"])
    L.append("")
    L.append("### Cores")
    L.append("")
    rows = []
    for n in sizes:
        c = results[str(n)]["core"]
        s = sums[n]
        rows.append(["%d" % n, s.get("cg_goroutines", "–"), s.get("rg_goroutines", "–"),
                     s.get("dv_goroutines", "–"), "%.0f" % (c["core_bytes"] / 1e6),
                     "%.0f" % (c["core_disk_bytes"] / 1e6), results[str(n)].get("load_before", "–")])
    L += table(["`-n`", "goroutines (cgostack total)", "runtime-gdb.py lines", "Delve total",
                "core MB", "on disk MB", "load average before its runs"], rows)
    L.append("")
    L.append("### Time, seconds")
    L.append("")
    L.append("cgostack columns are timed inside GDB (GDB start-up and core loading excluded, shown "
             "last); Delve's list and stacks have its start-up (loading the executable and the "
             "core, shown apart) subtracted.")
    L.append("")
    rows = []
    for n in sizes:
        s = sums[n]
        rows.append(["%d" % n] + [fmt_s(s.get(k)) for k in (
            "cg_open", "cg_list", "cg_json", "cg_group", "cg_text", "rg_list",
            "dv_startup", "dv_list", "dv_stacks", "cg_startup")])
    L += table(["`-n`", "cgostack first command (`cgo-info`, opens the session)", "cgostack list "
                "(`--frames 0`)", "cgostack all stacks `--json --output`", "cgostack `--group`",
                "cgostack text, 20 frames", "runtime-gdb.py `info goroutines`", "Delve start-up",
                "Delve `goroutines`", "Delve `goroutines -t %d`" % meta["delve_depth"],
                "GDB start-up, core load, sourcing the plugin"], rows)
    L.append("")
    L.append("### Peak memory, MB")
    L.append("")
    rows = []
    for n in sizes:
        s = sums[n]
        rows.append(["%d" % n] + [fmt_mb(s.get(k)) for k in (
            "cg_maxrss_mb", "cg_process_mb", "rg_mb", "dv_startup_mb", "dv_list_mb", "dv_stacks_mb",
            "cg_json_mb")])
    L += table(["`-n`", "GDB + cgostack (getrusage in GDB after the timed commands)",
                "GDB + cgostack (whole process)", "GDB + runtime-gdb.py", "Delve start-up",
                "Delve list", "Delve stacks", "cgostack JSON file size"], rows)
    L.append("")
    L.append("### Ratios (other tool's time / cgostack's)")
    L.append("")
    rows = []
    for n in sizes:
        s = sums[n]
        rows.append(["%d" % n, fmt_ratio(s.get("dv_list"), s.get("cg_list")),
                     fmt_ratio(s.get("dv_stacks"), s.get("cg_json")),
                     fmt_ratio(s.get("rg_list"), s.get("cg_list")),
                     fmt_ratio(s.get("dv_stacks_mb"), s.get("cg_maxrss_mb"))])
    L += table(["`-n`", "Delve list / cgostack list", "Delve stacks / cgostack all-stacks JSON",
                "runtime-gdb.py / cgostack list", "Delve stacks memory / GDB + cgostack memory"], rows)
    L.append("")
    big = max(sizes)
    sb = sums[big]
    L.append("### Targets (cgostack in GDB, %d-goroutine core)" % big)
    L.append("")
    if big < 100000:
        L.append("(The targets are for 100,000 goroutines; this run's largest core is smaller.)")
        L.append("")

    def verdict(x, limit):
        return "–" if x is None else ("met" if x < limit else "**missed**")
    rows = [["list (`cgo-goroutines --frames 0`)", "< %.1f s" % TARGETS["list"], fmt_s(sb.get("cg_list")) + " s",
             verdict(sb.get("cg_list"), TARGETS["list"])],
            ["all stacks as JSON (`--json --output`)", "< %.0f s" % TARGETS["json"],
             fmt_s(sb.get("cg_json")) + " s", verdict(sb.get("cg_json"), TARGETS["json"])],
            ["GDB peak memory", "< 1 GB", fmt_mb(sb.get("cg_process_mb")) + " MB",
             verdict(sb.get("cg_process_mb"), TARGETS["gdb_peak_mb"])]]
    L += table(["", "target", "measured", ""], rows)
    L.append("")
    L += cli_report(meta, sizes, sums)
    L.append("### Growth with the number of goroutines (cgostack)")
    L.append("")
    L.append("µs per goroutine at each size (time / `-n`), and the marginal cost between "
             "consecutive sizes ((t2 - t1) / (n2 - n1)); linear growth keeps the marginal cost "
             "flat.")
    L.append("")
    rows = growth_rows(sizes, sums, ("cg_list", "cg_json", "cg_group", "cg_text"), "cg_maxrss_mb")
    L += table(["`-n`", "list µs/g (marginal)", "JSON µs/g (marginal)", "group µs/g (marginal)",
                "text µs/g (marginal)", "GDB peak memory, marginal kB per goroutine"], rows)
    L.append("")
    if sb.get("cg_list") is not None:
        L.append("### Where cgostack's time goes at %d goroutines" % big)
        L.append("")
        rows = []
        for name, cmd in CGOSTACK_STEPS:
            rows.append(["`%s`" % cmd.format(json="FILE"), fmt_s(sb.get("cg_" + name)),
                         fmt_mb(sb.get("cg_hwm_" + name)), fmt_mb(sb.get("cg_hwm_rise_" + name)),
                         "%s / %s" % (fmt_mb(sb.get("cg_anon_" + name)), fmt_mb(sb.get("cg_file_" + name)))])
        L += table(["command", "seconds", "GDB high-water mark after it, MB",
                    "rise of the high-water mark, MB",
                    "resident after it: anonymous / file-backed (GDB, its libraries, the mapped core), MB"], rows)
        if sb.get("cg_hwm_before") is not None:
            L.append("")
            L.append("GDB's high-water mark before the first command (GDB, the core and the plugin "
                     "loaded): %s MB." % fmt_mb(sb["cg_hwm_before"]))
        slow = max((n for n, _ in CGOSTACK_STEPS if n != "open"), key=lambda n: sb["cg_" + n])
        L.append("")
        L.append("Slowest step: `%s` (%s s)." % (dict(CGOSTACK_STEPS)[slow].format(json="FILE"),
                                                 fmt_s(sb["cg_" + slow])))
        L.append("")
    prof = results[str(big)].get("profile")
    if prof and not prof.get("error"):
        L.append("Split of each command under cProfile (one extra run at %d goroutines; the "
                 "profiler slows Python down, so totals exceed the timings above; the backend "
                 "call is C++ and barely affected):" % big)
        L.append("")
        rows = []
        for st in prof["steps"]:
            rest = st["total"] - st["backend"] - st["json_decode"]
            top = ", ".join("`%s` %.2f" % (t["function"], t["self"]) for t in st["top_plugin"][:3]
                            if t["self"] >= 0.01)
            rows.append(["`%s`" % st["command"].split(" --output")[0], fmt_s(st["total"]),
                         fmt_s(st["backend"]), fmt_s(st["json_decode"]), fmt_s(rest), top or "–"])
        L += table(["command", "total under cProfile, s", "backend (`_cgostack`), s",
                    "`json.loads` of the backend's reply, s", "plugin Python and GDB, s",
                    "top plugin functions (self time, s)"], rows)
        L.append("")
    elif prof:
        L.append("Profile run failed: %s" % prof["error"])
        L.append("")
    notes = []
    for n in sizes:
        s = sums[n]
        r = results[str(n)]
        for tool in RUN_KINDS:
            for run in r.get(tool, []):
                for p in run["problems"]:
                    notes.append("%d goroutines, %s: %s" % (n, tool, p))
        if s.get("rg_bt_error"):
            notes.append("%d goroutines, runtime-gdb.py `goroutine 1 bt`: fails on a core: \"%s\""
                         % (n, s["rg_bt_error"]))
        if s.get("dv_truncated") or s.get("dv_frame_errors"):
            notes.append("%d goroutines, Delve `goroutines -t %d`: %d stacks end in `(truncated)`, "
                         "%d `error:` lines (%s)"
                         % (n, meta["delve_depth"], s.get("dv_truncated", 0), s.get("dv_frame_errors", 0),
                            "; ".join("`%s`" % e for e in s.get("dv_error_samples") or [])))
        if s.get("cg_stack_errors") or s.get("cg_errors"):
            notes.append("%d goroutines, cgostack JSON: %d goroutines with a stack error, %d with an "
                         "error" % (n, s.get("cg_stack_errors", 0), s.get("cg_errors", 0)))
    for tool in meta.get("skipped", []):
        notes.append("not run: " + tool)
    L.append("### Failures and anomalies")
    L.append("")
    L += ["- " + x for x in notes] if notes else ["None."]
    return "\n".join(L) + "\n", sums


DOC_HEAD = """# Performance

How fast cgostack lists goroutines and reads their stacks from big cores,
next to Delve and Go's runtime-gdb.py, measured by `bench/goroutines.py`
(run it again with `/usr/bin/python3 bench/goroutines.py`; install Delve
first with `scripts/setup.sh --delve`).  Everything between the markers below
is rewritten by the script; notes outside them are kept.

"""


def growth_rows(sizes, sums, time_keys, mem_key):
    """Per size: "µs per goroutine / marginal µs per goroutine" for each of
    time_keys, then the marginal peak memory (kB per goroutine) of mem_key."""
    rows = []
    prev = None
    for n in sizes:
        s = sums[n]
        row = ["%d" % n]
        for k in time_keys:
            t = s.get(k)
            per = "–" if t is None else "%.1f" % (t / n * 1e6)
            marg = "–"
            if prev is not None and t is not None and sums[prev].get(k) is not None:
                marg = "%.1f" % ((t - sums[prev][k]) / (n - prev) * 1e6)
            row.append("%s / %s" % (per, marg))
        mem = "–"
        if prev is not None and s.get(mem_key) is not None and sums[prev].get(mem_key):
            mem = "%.2f" % ((s[mem_key] - sums[prev][mem_key]) * 1024 / (n - prev))
        row.append(mem)
        rows.append(row)
        prev = n
    return rows


def cli_report(meta, sizes, sums):
    """The standalone tool next to the GDB commands and Delve (issue 6)."""
    L = []
    if not any(sums[n].get("cli_json") is not None for n in sizes):
        return L
    L.append("### Command-line tool `cgostack` (no GDB), side by side")
    L.append("")
    L.append("Whole-process wall time and peak memory of `build/cgostack` (start-up, opening the "
             "core, native frames through libdwfl, writing) per command; GDB columns as above "
             "(inside GDB); Delve's with its start-up included here, as the CLI's is. "
             "`cgo-lockgraph`: %s." % ("timed inside GDB" if meta.get("lockgraph") else
                                       "n/a, the command does not exist yet"))
    L.append("")
    rows = []
    for n in sizes:
        s = sums[n]
        rows.append(["%d" % n, fmt_s(s.get("cli_list")), fmt_s(s.get("cli_json")), fmt_s(s.get("cli_group")),
                     fmt_mb(s.get("cli_list_mb")), fmt_mb(s.get("cli_json_mb")), fmt_mb(s.get("cli_group_mb")),
                     fmt_s(s.get("cg_list")), fmt_s(s.get("cg_json")),
                     fmt_s(s.get("cg_lockgraph")) if meta.get("lockgraph") else "n/a",
                     fmt_s(s.get("dv_list_raw")), fmt_s(s.get("dv_stacks_raw")), fmt_s(s.get("rg_list")),
                     fmt_mb(s.get("dv_list_mb")), fmt_mb(s.get("dv_stacks_mb")), fmt_mb(s.get("rg_mb"))])
    L += table(["`-n`", "CLI list (`--frames 0`), s", "CLI all stacks `--json --output`, s",
                "CLI `--group`, s", "CLI list peak MB", "CLI JSON peak MB", "CLI group peak MB",
                "GDB `cgo-goroutines --frames 0`, s", "GDB `cgo-goroutines --json`, s",
                "GDB `cgo-lockgraph`, s", "Delve `goroutines` (with start-up), s",
                "Delve `goroutines -t` (with start-up), s", "runtime-gdb.py `info goroutines`, s",
                "Delve list peak MB", "Delve stacks peak MB", "GDB + runtime-gdb.py peak MB"], rows)
    L.append("")
    big = max(sizes)
    sb = sums[big]

    def verdict(ok):
        return "–" if ok is None else ("met" if ok else "**missed**")

    def ratio(a, b):
        return None if a is None or not b else a / b
    r_list = ratio(sb.get("dv_list_raw"), sb.get("cli_list"))
    r_stacks = ratio(sb.get("dv_stacks_raw"), sb.get("cli_json"))
    L.append("Targets on the %d-goroutine core:" % big)
    L.append("")
    rows = [["CLI JSON with all stacks", "< %.0f s" % TARGETS["cli_json"], fmt_s(sb.get("cli_json")) + " s",
             verdict(None if sb.get("cli_json") is None else sb["cli_json"] < TARGETS["cli_json"])],
            ["CLI peak memory (JSON)", "< %d MB" % TARGETS["cli_peak_mb"], fmt_mb(sb.get("cli_json_mb")) + " MB",
             verdict(None if sb.get("cli_json_mb") is None else sb["cli_json_mb"] < TARGETS["cli_peak_mb"])],
            ["GDB listing (`cgo-goroutines --frames 0`)", "< %.0f s" % TARGETS["gdb_list"],
             fmt_s(sb.get("cg_list")) + " s",
             verdict(None if sb.get("cg_list") is None else sb["cg_list"] < TARGETS["gdb_list"])],
            ["Delve `goroutines` / CLI list", ">= %d×" % TARGETS["delve_list_ratio"],
             "–" if r_list is None else "%.1f×" % r_list,
             verdict(None if r_list is None else r_list >= TARGETS["delve_list_ratio"])],
            ["Delve `goroutines -t` / CLI JSON", ">= %d×" % TARGETS["delve_stacks_ratio"],
             "–" if r_stacks is None else "%.1f×" % r_stacks,
             verdict(None if r_stacks is None else r_stacks >= TARGETS["delve_stacks_ratio"])]]
    L += table(["", "target", "measured", ""], rows)
    L.append("")
    L.append("Growth of the CLI: µs per goroutine (marginal µs per goroutine between consecutive "
             "sizes), and marginal peak memory in kB per goroutine:")
    L.append("")
    rows = growth_rows(sizes, sums, ("cli_list", "cli_json", "cli_group"), "cli_json_mb")
    L += table(["`-n`", "list µs/g (marginal)", "JSON µs/g (marginal)", "group µs/g (marginal)",
                "JSON peak memory, marginal kB/g"], rows)
    L.append("")
    partial = sorted({x for n in sizes for x in sums[n].get("cli_partial", [])})
    if partial:
        L.append("The CLI reported partial results (exit status 2) for: %s." % ", ".join(partial))
        L.append("")
    return L


def print_table(sizes, sums):
    cols = [("cg open", "cg_open"), ("cg list", "cg_list"), ("cg json", "cg_json"),
            ("cg group", "cg_group"), ("cg text", "cg_text"), ("rgdb list", "rg_list"),
            ("dlv start", "dv_startup"), ("dlv list", "dv_list"), ("dlv stacks", "dv_stacks"),
            ("cli list", "cli_list"), ("cli json", "cli_json")]
    mem = [("cg MB", "cg_process_mb"), ("cli MB", "cli_json_mb"), ("rgdb MB", "rg_mb"), ("dlv list MB", "dv_list_mb"),
           ("dlv stk MB", "dv_stacks_mb")]
    head = "%8s " % "n" + " ".join("%10s" % c for c, _ in cols + mem)
    print(head)
    for n in sizes:
        s = sums[n]
        print("%8d " % n + " ".join("%10s" % fmt_s(s.get(k)) for _, k in cols)
              + " " + " ".join("%10s" % fmt_mb(s.get(k)) for _, k in mem))


# ----------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000",
                    help="goroutine counts (-n of the many fixture), comma separated")
    ap.add_argument("--go", default="1.27", help="Go release of the fixture (default 1.27)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool and core (median; default 3)")
    ap.add_argument("--tools", default=",".join(TOOLS), help="subset of " + ",".join(TOOLS))
    ap.add_argument("--dlv", help="dlv binary (default: the one scripts/setup.sh --delve installs)")
    ap.add_argument("--delve-depth", type=int, default=50,
                    help="`goroutines -t DEPTH` (default 50: every stack of the fixture)")
    ap.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"),
                    help="Markdown file to update (default docs/performance.md)")
    ap.add_argument("--no-doc", action="store_true", help="do not write the Markdown file")
    ap.add_argument("--json", help="also write every measurement to this JSON file")
    ap.add_argument("--cli", default=os.path.join(os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(REPO, "build"),
                                                  "cgostack"),
                    help="the standalone tool (default build/cgostack)")
    ap.add_argument("--cores-from", metavar="BUILD_DIR",
                    help="take the cores from (and cache them in) this build directory's cores/")
    ap.add_argument("--no-profile", action="store_true",
                    help="skip the extra cProfile run of cgostack at the largest size")
    args = ap.parse_args(argv)
    try:
        sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    except ValueError:
        ap.error("--sizes wants numbers, e.g. 1000,10000")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in tools:
        if t not in TOOLS:
            ap.error("unknown tool %r (choose from %s)" % (t, ", ".join(TOOLS)))
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")

    meta = dict(machine())
    meta.update({"argv": " ".join(sys.argv[1:]) or "(defaults)", "repeat": args.repeat,
                 "load_start": load(), "delve_depth": args.delve_depth, "skipped": [],
                 "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")})
    meta["git_head"], meta["git_dirty"] = git_state()
    gdb_v = subprocess.run(["gdb", "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()
    meta["gdb"] = gdb_v[0].split()[-1] if gdb_v else "?"
    log("load average at start: %s" % meta["load_start"])

    tmp = tempfile.mkdtemp(prefix="cgostack-bench.")
    try:
        return measure(args, sizes, tools, meta, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(args, sizes, tools, meta, tmp):
    """Takes the cores, runs the tools, prints and writes the report; every
    scratch file (JSON output, dlv's config and output) lives in tmp.
    Returns the exit status: 1 if any run's output showed it was broken."""
    goroot = subprocess.run([os.path.join(REPO, "scripts", "goroot.sh"), args.go],
                            stdout=subprocess.PIPE, text=True).stdout.strip()
    if "runtime-gdb" in tools and not (goroot and os.path.exists(
            os.path.join(goroot, "src", "runtime", "runtime-gdb.py"))):
        meta["skipped"].append("runtime-gdb.py (no GOROOT/src/runtime/runtime-gdb.py for Go %s)" % args.go)
        tools.remove("runtime-gdb")
    dlv = args.dlv or os.path.join(os.environ.get("CGOSTACK_TOOLCHAINS", "/opt/cgostack/toolchains"),
                                   "delve", "usr", "bin", "dlv")
    meta["delve"] = None
    if "delve" in tools:
        if not os.access(dlv, os.X_OK):
            meta["skipped"].append("Delve (%s not found; install it with scripts/setup.sh --delve)" % dlv)
            tools.remove("delve")
        else:
            out = subprocess.run([dlv, "version"], stdout=subprocess.PIPE, text=True,
                                 env=dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "dlv-config"))).stdout
            m = re.search(r"Version: (\S+)", out)
            meta["delve"] = m.group(1) if m else "?"

    results = {}
    if "cgostack" in tools:
        plugin, build_dir, meta["backend"] = snapshot_plugin(tmp)
    else:
        plugin, build_dir, meta["backend"] = None, None, []
    if "cli" in tools and not os.access(args.cli, os.X_OK):
        meta["skipped"].append("the CLI (%s not found; build it with scripts/build.sh)" % args.cli)
        tools.remove("cli")
    meta["lockgraph"] = lockgraph_available()
    if "cgostack" in tools and meta["lockgraph"] and LOCKGRAPH_STEP not in CGOSTACK_STEPS:
        CGOSTACK_STEPS.append(LOCKGRAPH_STEP)
    cores = {n: take_core(args.go, n, args.cores_from) for n in sizes}
    meta["go_version"] = cores[sizes[0]].get("go_version", args.go)
    init = {"startup": "", "list": "goroutines\n", "stacks": "goroutines -t %d\n" % args.delve_depth}
    for n in sizes:
        r = results[str(n)] = {"core": cores[n]}
        r["load_before"] = load()
        log("load average before -n %d: %s" % (n, r["load_before"]))
        for i in range(args.repeat):
            if "cgostack" in tools:
                x = run_cgostack(tmp, cores[n], plugin, build_dir, n)
                r.setdefault("cgostack", []).append(x)
                log("  -n %d run %d cgostack: %s%s" % (n, i + 1, "  ".join(
                    "%s %.3f" % (st["name"], st["seconds"]) for st in x["steps"]),
                    "  PROBLEM: " + "; ".join(x["problems"]) if x["problems"] else ""))
            if "cli" in tools:
                x = run_cli(tmp, args.cli, cores[n], n)
                r.setdefault("cli", []).append(x)
                log("  -n %d run %d cli: %s%s" % (n, i + 1, "  ".join(
                    "%s %.3f s %.0f MB" % (st["name"], st["seconds"], st["maxrss_kb"] / 1024) for st in x["steps"]),
                    "  PROBLEM: " + "; ".join(x["problems"]) if x["problems"] else ""))
            if "runtime-gdb" in tools:
                x = run_runtime_gdb(tmp, cores[n], goroot, n)
                r.setdefault("runtime_gdb", []).append(x)
                log("  -n %d run %d runtime-gdb.py: info goroutines %.3f%s" % (
                    n, i + 1, x["steps"][0]["seconds"] if x["steps"] else float("nan"),
                    "  PROBLEM: " + "; ".join(x["problems"]) if x["problems"] else ""))
            if "delve" in tools:
                for kind in ("startup", "list", "stacks"):
                    x = run_delve(tmp, dlv, cores[n], init[kind], n, kind)
                    r.setdefault("delve_" + kind, []).append(x)
                    log("  -n %d run %d dlv %s: %.3f s, %.0f MB%s" % (
                        n, i + 1, kind, x["wall"], (x["time_maxrss_kb"] or x["wait4_maxrss_kb"]) / 1024,
                        "  PROBLEM: " + "; ".join(x["problems"]) if x["problems"] else ""))
    if "cgostack" in tools and not args.no_profile:
        log("profile: cgostack under cProfile at -n %d" % sizes[-1])
        results[str(sizes[-1])]["profile"] = run_profile(tmp, cores[sizes[-1]], plugin, build_dir)
    meta["load_end"] = load()

    generated, sums = report(meta, sizes, results)
    print()
    print_table(sizes, sums)
    print()
    if args.json:
        write_json(args.json, {"meta": meta, "results": results, "summary": {str(k): v for k, v in sums.items()}})
    if not args.no_doc:
        write_section(args.doc, BEGIN, END, generated, new_file_head=DOC_HEAD)
        log("wrote %s" % args.doc)
    broken = [p for r in results.values() for k in RUN_KINDS for run in r.get(k, [])
              for p in run["problems"]]
    return 1 if broken else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        sys.exit(1)

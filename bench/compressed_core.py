#!/usr/bin/env python3
"""Benchmark: reading a compressed core (issue 13) against the plain one.
For each core given, compresses it with each tool (cached next to this
run's temporary directory only), then times `cgostack info` and
`cgostack goroutines --json --output FILE` on the plain and on each
compressed file: wall time, CPU time (user+sys of the process), peak RSS,
and the load average, since the machine is shared.  A benchmark, not a
test: it measures and prints.

Usage: bench/compressed_core.py CORE_DIR [CORE_DIR...] [--tools zstd,lz4,xz]
                                [--repeat 1] [--build build]
  CORE_DIR: a harness core directory (build/cores/goX/FIXTURE-HASH/ with
  core and meta.json; the executable is found through the harness).

Python 3 standard library only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import REPO, run_timed  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "fixtures"))
import harness  # noqa: E402

COMPRESS = {"zstd": ["zstd", "-q", "-3", "-T1", "-c"], "lz4": ["lz4", "-q", "-c"], "xz": ["xz", "-q", "-T1", "-c"]}


def measured(argv):
    with tempfile.TemporaryFile(mode="w+") as err:
        rc, wall, cpu, peak_kb = run_timed(argv, subprocess.DEVNULL, err)
        err.seek(0)
        if rc not in (0, 2):
            raise SystemExit("bench: %s failed (%d): %s" % (" ".join(argv), rc, err.read().strip()))
    return {"wall": wall, "cpu": cpu, "maxrss_mb": peak_kb / 1024}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cores", nargs="+")
    ap.add_argument("--tools", default="zstd,lz4,xz")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    a = ap.parse_args()
    cli = os.path.join(a.build, "cgostack")
    tmp = tempfile.mkdtemp(prefix="cgostack-bench-compressed-")
    try:
        for d in a.cores:
            meta = json.load(open(os.path.join(d, "meta.json")))
            go = meta["go_version"].replace("go", "").rsplit(".", 1)[0]
            binary = harness.build(meta["fixture"], go)
            core = os.path.join(d, "core")
            st = os.stat(core)
            print("core %s: %d MB apparent, %d MB on disk, %s" % (d, st.st_size >> 20, st.st_blocks * 512 >> 20,
                                                                  meta["fixture"] + " " + " ".join(meta["args"])))
            files = [("plain", core)]
            for tool in a.tools.split(","):
                out = os.path.join(tmp, os.path.basename(d.rstrip("/")) + "." + tool)
                t0 = time.perf_counter()
                with open(out, "wb") as f:
                    subprocess.run(COMPRESS[tool] + [core], stdout=f, check=True)
                print("  %s: %d MB compressed in %.1f s" % (tool, os.path.getsize(out) >> 20, time.perf_counter() - t0))
                files.append((tool, out))
            for command in (["info"], ["goroutines", "--json", "--output", os.path.join(tmp, "g.json")]):
                for kind, path in files:
                    for _ in range(a.repeat):
                        load = os.getloadavg()[0]
                        r = measured([cli] + command + [binary, path])
                        print("  %-10s %-6s wall %6.2f s  cpu %6.2f s  peak RSS %6.0f MB  load %.1f"
                              % (command[0], kind, r["wall"], r["cpu"], r["maxrss_mb"], load))
            for _, path in files[1:]:
                os.unlink(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

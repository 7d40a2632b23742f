"""What every bench/ script shares: where the repository is, the machine and
its load, the git state measured, the plugin snapshot the GDB runs use, and
the tail of every run: the --json file of all measurements and the
generated section of docs/performance.md (rewritten between the script's
BEGIN and END markers, atomically, the rest of the file kept).

Python 3 standard library only.
"""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class BenchError(Exception):
    """A run that cannot go on (a missing build, a fixture that failed):
    the script prints one line and exits 1."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = 0.0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gb": mem_gb, "kernel": os.uname().release}


def load():
    return " / ".join("%.2f" % x for x in os.getloadavg())


def git_state():
    """(short HEAD, files with uncommitted changes in what is measured)."""
    def git(*args):
        p = subprocess.run(["git", "-C", REPO] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        return p.stdout.rstrip("\n") if p.returncode == 0 else ""
    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", "native", "gdb_plugin", "CMakeLists.txt", "cmake")
    return head, [l[3:] for l in dirty.splitlines()]


def snapshot_plugin(tmp):
    """Copies gdb_plugin/ and the backend module into tmp (a rebuild during
    a long run must not change what is measured); returns the plugin path,
    the build dir to point CGOSTACK_BUILD_DIR at, and the module's (name,
    mtime, sha256 prefix)."""
    src_py = os.path.join(os.environ.get("CGOSTACK_BUILD_DIR") or os.path.join(REPO, "build"), "python")
    mods = sorted(f for f in os.listdir(src_py) if f.startswith("_cgostack") and f.endswith(".so")) \
        if os.path.isdir(src_py) else []
    if not mods:
        raise BenchError("backend module not found in %s; build it with scripts/build.sh" % src_py)
    snap = os.path.join(tmp, "snapshot")
    shutil.copytree(os.path.join(REPO, "gdb_plugin"), os.path.join(snap, "gdb_plugin"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    os.makedirs(os.path.join(snap, "build", "python"))
    info = []
    for m in mods:
        shutil.copy2(os.path.join(src_py, m), os.path.join(snap, "build", "python", m))
        with open(os.path.join(src_py, m), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
        mtime = datetime.datetime.fromtimestamp(os.stat(os.path.join(src_py, m)).st_mtime,
                                                datetime.timezone.utc)
        info.append({"module": m, "mtime": mtime.strftime("%Y-%m-%d %H:%M:%SZ"), "sha256": digest})
    return os.path.join(snap, "gdb_plugin", "cgostack.py"), os.path.join(snap, "build"), info


def run_timed(argv, stdout, stderr, env=None):
    """Runs argv to the end: (exit status, wall seconds, CPU seconds (user +
    system of the process and its children), peak RSS kB).  On a machine
    shared with other jobs the CPU time is the steadier figure: wall time
    includes waiting for a CPU."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    return os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def _replace(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def write_json(path, data):
    """The --json file: every measurement, for --merge or a later report."""
    _replace(path, json.dumps(data, indent=1))


def write_section(path, begin, end, body, heading="", new_file_head=""):
    """Puts `body` between the markers `begin` and `end` in the Markdown
    file `path`, keeping everything else.  Without the markers the section
    is appended (under `heading`, if given); without the file it is
    created, starting with `new_file_head`."""
    block = begin + "\n\n" + body + "\n" + end + "\n"
    if not os.path.exists(path):
        _replace(path, new_file_head + block)
        return
    with open(path) as f:
        old = f.read()
    i, j = old.find(begin), old.find(end)
    if i >= 0 and j > i:
        rest = old[j + len(end):].lstrip("\n")
        new = old[:i] + block + ("\n" + rest if rest else "")
    else:
        new = old.rstrip("\n") + "\n\n" + (heading + "\n\n" if heading else "") + block
    _replace(path, new)


def finish(text, args, data, begin, end, heading="", new_file_head="", show=True):
    """The tail of every run: prints the report (unless `show` is False),
    writes args.json (if given) and the doc section (unless args.no_doc)."""
    if show:
        print(text)
    if getattr(args, "json", None):
        write_json(args.json, data)
    if not getattr(args, "no_doc", False):
        write_section(args.doc, begin, end, text, heading, new_file_head)

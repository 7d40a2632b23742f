"""Shared helpers for the end-to-end tests: run GDB in batch mode with the
cgostack plugin loaded, and reach the fixture harness."""

import argparse
import os
import subprocess
import sys
import tempfile

SOURCE_DIR = os.environ.get("CGOSTACK_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = os.path.join(SOURCE_DIR, "gdb_plugin", "cgostack.py")
sys.path.insert(0, os.path.join(SOURCE_DIR, "fixtures"))

import harness  # noqa: E402,F401  (re-exported for the tests)


_go_from_argv = None


def go_version_from_argv():
    """Takes `--go VERSION` off sys.argv (the rest goes to unittest).  The
    first call takes it, later ones return the same: a test module that
    imports another test module (which calls this at import) still gets
    the release it was started with, not the default."""
    global _go_from_argv
    if _go_from_argv is None:
        p = argparse.ArgumentParser(add_help=False)
        p.add_argument("--go", default=os.environ.get("CGOSTACK_TEST_GO", "1.27"))
        args, rest = p.parse_known_args()
        sys.argv[1:] = rest
        _go_from_argv = args.go
    return _go_from_argv


def gdb(commands, *target, timeout=600, program="gdb", init=()):
    """Runs `gdb -nx -batch` with the plugin and `commands` on `target`
    (EXE CORE, or ("-p", PID)); returns (rc, stdout, stderr).  `program`:
    another GDB (gdb-multiarch for arm64 cores); `init`: commands run before
    the target is loaded (`set sysroot DIR`)."""
    argv = [program, "-nx", "-batch", "-iex", "set auto-load no", "-iex", "set pagination off"]
    for c in init:
        argv += ["-iex", c]
    argv += ["-ex", "source " + PLUGIN]
    for c in commands:
        argv += ["-ex", c]
    argv += [str(t) for t in target]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def run_cli(*args, timeout=300):
    """Runs the standalone CLI (build/cgostack, next to the backend module's
    directory); returns (rc, stdout, stderr)."""
    build = os.path.dirname(os.environ.get("CGOSTACK_BACKEND_DIR") or os.path.join(SOURCE_DIR, "build", "python"))
    p = subprocess.run([os.path.join(build, "cgostack")] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def gdb_json(command, *target, init=()):
    """Runs one cgostack command with --json --output and returns the parsed
    object; fails with GDB's output if the file was not written."""
    import json
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.json")
        rc, stdout, stderr = gdb([command + " --json --output " + out], *target, init=init)
        if not os.path.exists(out):
            raise AssertionError("%s wrote nothing (rc=%d)\nstdout:\n%s\nstderr:\n%s"
                                 % (command, rc, stdout, stderr))
        with open(out) as f:
            return json.load(f)


def runtime_traceback(live, timeout=30):
    """Asks a live fixture started with GOTRACEBACK=crash for the runtime's
    own traceback (SIGQUIT), waits for it to die, and returns the parsed
    oracle: the same process, examined after GDB detached."""
    import signal
    import time
    os.kill(live.pid, signal.SIGQUIT)
    deadline = time.time() + timeout
    while time.time() < deadline and live.proc.poll() is None:
        time.sleep(0.05)
    with open(live.stderr_path) as f:
        return harness.parse_traceback(f.read())

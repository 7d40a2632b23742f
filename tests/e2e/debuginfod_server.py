"""A real debuginfod server (elfutils', as Debian packages it) on a
loopback port, serving the ELF and debug files of one directory, and the
client environment that points at it with a private cache."""

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(directory, build_ids, work_dir, timeout=120):
    """Starts `debuginfod -F directory` on a free port (elfutils 0.188 has no
    option to listen on loopback only; the client asks 127.0.0.1), waits until
    it serves the debug file of every build-id (hex) in `build_ids` (its
    first scan is asynchronous), and yields the client environment:
    DEBUGINFOD_URLS naming it and DEBUGINFOD_CACHE_PATH a fresh directory
    under `work_dir`.  The server is stopped on exit."""
    if not shutil.which("debuginfod"):
        raise AssertionError("debuginfod is not installed (scripts/setup.sh installs it)")
    port = _free_port()
    log = open(os.path.join(work_dir, "debuginfod.log"), "wb")
    server = subprocess.Popen(
        ["debuginfod", "-F", directory, "-p", str(port), "-d", os.path.join(work_dir, "debuginfod.sqlite")],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=work_dir)
    try:
        url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + timeout
        for build_id in build_ids:
            while True:
                if server.poll() is not None:
                    raise AssertionError("debuginfod exited (status %s); log: %s" % (server.returncode, _tail(log.name)))
                try:
                    with urllib.request.urlopen("%s/buildid/%s/debuginfo" % (url, build_id), timeout=10) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("debuginfod did not serve %s within %d s; log: %s"
                                         % (build_id, timeout, _tail(log.name)))
                time.sleep(0.5)
        cache = os.path.join(work_dir, "debuginfod-cache")
        shutil.rmtree(cache, ignore_errors=True)
        os.makedirs(cache)
        yield {"DEBUGINFOD_URLS": url, "DEBUGINFOD_CACHE_PATH": cache}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _tail(path, n=8):
    with open(path, errors="replace") as f:
        return " | ".join(f.read().splitlines()[-n:])


@contextlib.contextmanager
def environment(env):
    """os.environ with `env` added, for the GDB and CLI runs inside."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_id(path):
    """The GNU build-id of an ELF file (hex), from readelf -n."""
    out = subprocess.run(["readelf", "-n", path], stdout=subprocess.PIPE, text=True, check=True).stdout
    for line in out.splitlines():
        if "Build ID:" in line:
            return line.split("Build ID:")[1].strip()
    raise AssertionError("%s has no GNU build-id" % path)


def process_state(pid):
    """The State line of /proc/PID/status ("S (sleeping)", "t (tracing stop)")."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return "gone"
    return "unknown"


@contextlib.contextmanager
def watching(pid, work_dir):
    """A stand-in debuginfod server on a loopback port that has nothing to
    serve (404 for every request) and records, for each request, its path
    and the state process `pid` was in while the client waited for the
    answer.  Yields (client environment, list of (path, state))."""
    import http.server
    import threading
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append((self.path, process_state(pid)))
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    cache = os.path.join(work_dir, "debuginfod-watch-cache")
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(cache)
    try:
        yield {"DEBUGINFOD_URLS": "http://127.0.0.1:%d" % server.server_address[1],
               "DEBUGINFOD_CACHE_PATH": cache}, seen
    finally:
        server.shutdown()
        server.server_close()

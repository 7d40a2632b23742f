"""Finds and imports the compiled backend module (_cgostack) with errors that
say how to fix the problem, not an ImportError traceback."""

import glob
import importlib
import os
import sys
import sysconfig

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class BackendMissing(Exception):
    """The backend cannot be loaded; the message is one line for the user."""


def _candidate_dirs():
    # CGOSTACK_BACKEND_DIR names the module's directory itself (a sanitizer
    # build's python/ while fixtures stay in the main build directory).
    backend = os.environ.get("CGOSTACK_BACKEND_DIR")
    if backend:
        yield backend
    env = os.environ.get("CGOSTACK_BUILD_DIR")
    if env:
        yield os.path.join(env, "python")
    yield os.path.join(_REPO, "build", "python")


def load():
    """Imports _cgostack from the build tree, or raises BackendMissing."""
    build_hint = "build it with: cmake -S {0} -B {0}/build && cmake --build {0}/build".format(_REPO)
    tried = []
    for d in _candidate_dirs():
        tried.append(d)
        if not os.path.isdir(d):
            continue
        if d not in sys.path:
            sys.path.insert(0, d)
        try:
            return importlib.import_module("_cgostack")
        except ImportError as e:
            built = glob.glob(os.path.join(d, "_cgostack*.so"))
            want = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
            if built and not any(b.endswith(want) for b in built):
                raise BackendMissing(
                    "the backend in %s was built for another Python (%s); GDB runs Python %d.%d "
                    "(needs _cgostack%s); rebuild: rm -rf %s/build && %s"
                    % (d, os.path.basename(built[0]), sys.version_info[0], sys.version_info[1],
                       want, _REPO, build_hint.split("with: ", 1)[1]))
            raise BackendMissing("cannot load the backend from %s: %s; %s" % (d, e, build_hint))
    raise BackendMissing("backend module _cgostack not found (looked in %s); %s"
                         % (", ".join(tried), build_hint))

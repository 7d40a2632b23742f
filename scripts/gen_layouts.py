#!/usr/bin/env python3
"""Regenerates the Go runtime layout tables, one file per release
(native/src/goruntime/go_layouts_1_NN.cc), read from the DWARF of a cgo
program each installed toolchain builds (fixtures/deadlock: cgo, pprof
labels), for executables that carry no DWARF (-ldflags=-w).  Only releases
listed in go-releases.txt (the one list of supported releases) whose
toolchain is installed are regenerated; the others' files are left as they
are, so a machine with only Go 1.27 rewrites go_layouts_1_27.cc alone.
go_layouts_index.cc lists every table file present.  Run after installing a
new Go release (scripts/setup.sh --go 1.NN, and a line in go-releases.txt)
and commit the result; cgostack_unit_tests checks that each table still
matches its toolchain's DWARF.

Per GOARCH: amd64's tables are go_layouts_1_NN.cc; --arch arm64 cross-builds
the program (fixtures/harness.py, gcc-aarch64-linux-gnu from setup.sh
--arm64) and writes go_layouts_1_NN_arm64.cc.  Only a few runtime structs
differ between the two (Go 1.27's p.xRegs, runtime.semTable's cache-line
padding), so an arm64 table holds only what differs from amd64's table of
the same release: {"base": "amd64", "release": "1.NN", "patch": P}, P a
JSON merge patch (RFC 7396: objects merge member by member, null deletes a
member, anything else replaces it), applied by go_layouts.cc when it loads
the tables.
Regenerating an amd64 table rewrites that release's arm64 patch against
the new base, so the arm64 table it stands for is unchanged.

Usage: scripts/gen_layouts.py [--build-dir build] [--go "1.26 1.27"] [--arch arm64]"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "fixtures"))
import harness  # noqa: E402

DIR = os.path.join(REPO, "native", "src", "goruntime")
INDEX = os.path.join(DIR, "go_layouts_index.cc")


def _suffix(arch):
    return "" if arch == "amd64" else "_" + arch


def symbol(release, arch="amd64"):
    return "kGoLayouts_" + release.replace(".", "_") + _suffix(arch)


def table_path(release, arch="amd64"):
    return os.path.join(DIR, "go_layouts_%s%s.cc" % (release.replace(".", "_"), _suffix(arch)))


def replace_file(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


# The GOARCH whose table of the same release the others' tables are patches of.
BASE_ARCH = "amd64"


def merge_patch(target, patch):
    """RFC 7396: `target` with `patch` applied (a new object)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def diff_patch(base, table):
    """The merge patch that turns `base` into `table` (merge_patch(base, it)
    == table); tables hold no nulls, which a patch could not express."""
    patch = {}
    for k in base:
        if k not in table:
            patch[k] = None
    for k, v in table.items():
        if v is None:
            raise ValueError("a layout table holds null at %r" % k)
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            sub = diff_patch(base[k], v)
            if sub:
                patch[k] = sub
        elif base.get(k) != v or k not in base:
            patch[k] = v
    return patch


def read_table(release, arch=BASE_ARCH):
    """The committed table as go_layouts.cc loads it (a patch applied to
    its base), or None if there is no file."""
    try:
        with open(table_path(release, arch)) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    raw = json.loads(re.search(r'R"json\((.*)\)json"', text, re.S).group(1))
    if "base" not in raw:
        return raw
    base = read_table(release, raw["base"])
    if base is None:
        raise ValueError("%s is a patch of %s's table, which is missing" % (table_path(release, arch), raw["base"]))
    return merge_patch(base, raw["patch"])


def write_table(layout):
    """Writes `layout`: the base GOARCH's whole, any other's as a patch of
    the base table of its release when there is one.  Rewriting a base
    table rewrites the patches of that release against it."""
    release, arch = layout["release"], layout.get("goarch", BASE_ARCH)
    if arch == BASE_ARCH:
        others = [a for a in sorted(harness.ARCHES) if a != BASE_ARCH]
        tables = {a: read_table(release, a) for a in others}
        write_table_file(layout, json.dumps(layout, indent=0, sort_keys=True))
        for a, t in tables.items():
            if t is not None:
                write_table(t)
        return
    base = read_table(release, BASE_ARCH)
    if base is None:
        write_table_file(layout, json.dumps(layout, indent=0, sort_keys=True))
        return
    patch = diff_patch(base, layout)
    assert merge_patch(base, patch) == layout
    write_table_file(layout, json.dumps({"base": BASE_ARCH, "release": release, "patch": patch}, indent=0, sort_keys=True),
                     "// What differs from go_layouts_%s.cc (a JSON merge patch of it).\n" % release.replace(".", "_"))


def write_table_file(layout, body, note=""):
    release, arch = layout["release"], layout.get("goarch", BASE_ARCH)
    replace_file(table_path(release, arch),
                 "// Generated by scripts/gen_layouts.py from the DWARF of a program built by\n"
                 "// %s; do not edit.  Listed in go_layouts_index.cc, read by go_layouts.cc.\n"
                 "%s"
                 "namespace cgostack {\n"
                 "extern const char %s[] = R\"json(%s)json\";\n"
                 "}  // namespace cgostack\n" % (layout["go_version"], note, symbol(release, arch), body))


def present_tables():
    """(release, arch) of every table file: amd64's first, oldest first."""
    found = []
    for path in glob.glob(os.path.join(DIR, "go_layouts_*_*.cc")):
        m = re.fullmatch(r"go_layouts_(\d+)_(\d+)(?:_(\w+))?\.cc", os.path.basename(path))
        if m:
            found.append(("%s.%s" % m.groups()[:2], m.group(3) or "amd64"))
    return sorted(found, key=lambda t: (t[1] != "amd64", t[1], tuple(int(x) for x in t[0].split("."))))


def write_index():
    tables = present_tables()
    supported = set(harness.supported_releases())
    for r, _ in tables:
        if r not in supported:
            print("gen_layouts: note: %s has a table but is not in go-releases.txt" % r)
    decls = "".join("extern const char %s[];\n" % symbol(r, a) for r, a in tables)
    refs = "".join("    %s,\n" % symbol(r, a) for r, a in tables)
    replace_file(INDEX,
                 "// Generated by scripts/gen_layouts.py: every layout table present, one file\n"
                 "// per Go release and GOARCH (go_layouts_1_NN[_arm64].cc); do not edit.  Read by go_layouts.cc.\n"
                 "namespace cgostack {\n%s\n"
                 "extern const char* const kGoLayoutTables[] = {\n%s    nullptr,\n};\n"
                 "}  // namespace cgostack\n" % (decls, refs))
    return ["%s%s" % (r, "" if a == "amd64" else "/" + a) for r, a in tables]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--go", help="only these releases (default: every supported one installed)")
    ap.add_argument("--arch", default="amd64", choices=sorted(harness.ARCHES), help="GOARCH of the tables")
    args = ap.parse_args()
    supported = harness.supported_releases()
    installed = set(harness.installed_versions())
    wanted = args.go.split() if args.go else supported
    for v in wanted:
        if v not in supported:
            sys.exit("gen_layouts: Go %s is not in go-releases.txt" % v)
    todo = [v for v in wanted if v in installed]
    for v in wanted:
        if v not in installed:
            print("gen_layouts: Go %s is not installed; its table is left as it is" % v)
    if todo:
        subprocess.run(["cmake", "--build", args.build_dir, "--target", "cgostack_layouts"], check=True,
                       stdout=subprocess.DEVNULL)
    dump = os.path.join(args.build_dir, "native", "cgostack_layouts")
    for version in todo:
        binary = harness.build("deadlock", version, arch=args.arch)
        layout = json.loads(subprocess.run([dump, binary], check=True, stdout=subprocess.PIPE,
                                           text=True).stdout)
        if layout["release"] != version:
            sys.exit("gen_layouts: %s built with Go %s reports release %s" % (binary, version, layout["release"]))
        write_table(layout)
        print("gen_layouts: Go %s (%s, %s): %d structs, %d globals -> %s" % (
            version, layout["go_version"], args.arch, len(layout["type_sizes"]), len(layout["globals"]),
            os.path.relpath(table_path(version, args.arch), REPO)))
    releases = write_index()
    print("gen_layouts: %s lists %s" % (os.path.relpath(INDEX, REPO), " ".join(releases)))


if __name__ == "__main__":
    main()

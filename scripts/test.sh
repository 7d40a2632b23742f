#!/usr/bin/env bash
# Sets up a machine (Debian packages, Go toolchains), builds, and runs every
# test with ctest.  This is the README's test command and what CI runs.
#
# Usage: scripts/test.sh [--all-go] [--no-hostile] [--arm64 | --no-arm64] [ctest arguments...]
#   --all-go      run the end-to-end tests against every supported Go release
#                 (go-releases.txt) instead of those marked `ci` (the oldest
#                 and the newest), and every scenario of the testprogcgo lane
#                 (CGOSTACK_TESTPROGCGO=all; by default its CI subset)
#   --no-hostile  skip the sanitizer build (scripts/sanitize.sh) and the
#                 bounded fuzzing run (scripts/fuzz.sh) that follow ctest
#   The arm64 lane (ctest label arm64) runs by default, after the rest:
#                 the fixtures cross-built for linux/arm64, cores taken under
#                 qemu-user, read by the CLI (e2e.arm64.go<ver>) and by the
#                 GDB plugin under gdb-multiarch (e2e.arm64_gdb.go<ver>, on
#                 the same cores), held against the runtime's traceback,
#                 gdb-multiarch's plain bt and the fixtures' records;
#                 and the live-process code compiled for aarch64
#                 (arm64_live_build, about 15 s of CPU);
#                 setup.sh --arm64 installs qemu-user, the cross compilers
#                 and gdb-multiarch (about 60 MB; the C++ compiler adds
#                 about 50 MB installed); about 25 s of CPU per Go release
#                 from a cold build directory (docs/testing.md)
#   --arm64       accepted for compatibility: the whole lane is the default
#   --no-arm64    no arm64 lane (and no arm64 packages)
#   --debian13    also run the unit and end-to-end tests inside a Debian 13
#                 (trixie) root made with debootstrap (scripts/debian13.sh;
#                 its own setup, build and test run: as long as CI's on the
#                 same machine, plus the packages the first time; not run by
#                 CI: docs/testing.md has the times)
#   --glibc-roots also make Debian roots with bullseye's glibc 2.31 and
#                 trixie's 2.41 (scripts/glibc_root.sh; debootstrap, cached
#                 in /var/cache/cgostack: 1-15 minutes each the first time,
#                 by network and load)
#                 and run e2e.other_glibc's cores taken inside them (not run
#                 by CI: without the roots that test skips)
set -euo pipefail
cd "$(dirname "$0")/.."
# The one list of supported Go releases; `ci` marks the default matrix.
releases() { awk -v want="$1" '!/^[[:space:]]*(#|$)/ && (want == "" || $3 == want) {printf "%s%s", sep, $1; sep=" "}' go-releases.txt; }
matrix=$(releases ci)
hostile=1
debian13=0
# all: the whole arm64 label (default; it fits CI's time), 0: none.
arm64=all
glibc_roots=0
while [ $# -gt 0 ]; do
    case $1 in
        --all-go) matrix=$(releases ""); export CGOSTACK_TESTPROGCGO=all ;;
        --no-hostile) hostile=0 ;;
        --debian13) debian13=1 ;;
        --arm64) arm64=all ;;
        --no-arm64) arm64=0 ;;
        --glibc-roots) glibc_roots=1 ;;
        *) break ;;
    esac
    shift
done
setup_args=(--go "$matrix")
if [ "$arm64" != 0 ]; then setup_args+=(--arm64); fi
scripts/setup.sh "${setup_args[@]}"
scripts/build.sh -DCGOSTACK_GO_MATRIX="$matrix"
# Cores are written by the kernel into the fixture's working directory.
ulimit -c unlimited
(cd build && ctest --output-on-failure -j2 -LE arm64 "$@")
case $arm64 in
    all) (cd build && ctest --output-on-failure -j2 -L arm64 "$@") ;;
esac
if [ "$hostile" = 1 ]; then
    # Same fixtures and cores as above, so these cost a build each and their
    # own run time (a few minutes on two cores; docs/testing.md).
    CGOSTACK_GO_MATRIX="$matrix" scripts/sanitize.sh
    scripts/fuzz.sh "${CGOSTACK_FUZZ_SECONDS:-20}"
fi
if [ "$glibc_roots" = 1 ]; then
    scripts/glibc_root.sh bullseye >/dev/null
    scripts/glibc_root.sh trixie >/dev/null
    (cd build && CGOSTACK_GLIBC_ROOTS="bullseye trixie" ctest --output-on-failure -R '^e2e\.other_glibc\.')
fi
if [ "$debian13" = 1 ]; then
    scripts/debian13.sh --go "$matrix"
fi

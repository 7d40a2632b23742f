#!/usr/bin/env bash
# Sets up a machine (Debian packages, Go toolchains), builds, and runs every
# test with ctest.  This is the README's test command and what CI runs.
#
# Usage: scripts/test.sh [--all-go] [--no-hostile] [ctest arguments...]
#   --all-go      run the end-to-end tests against every supported Go release
#                 (go-releases.txt) instead of those marked `ci` (the oldest
#                 and the newest), and every scenario of the testprogcgo lane
#                 (CGOSTACK_TESTPROGCGO=all; by default its CI subset)
#   --no-hostile  skip the sanitizer build (scripts/sanitize.sh) and the
#                 bounded fuzzing run (scripts/fuzz.sh) that follow ctest
#   --debian13    also run the unit and end-to-end tests inside a Debian 13
#                 (trixie) root made with debootstrap (scripts/debian13.sh;
#                 about 15 minutes the first time, not run by CI)
set -euo pipefail
cd "$(dirname "$0")/.."
# The one list of supported Go releases; `ci` marks the default matrix.
releases() { awk -v want="$1" '!/^[[:space:]]*(#|$)/ && (want == "" || $3 == want) {printf "%s%s", sep, $1; sep=" "}' go-releases.txt; }
matrix=$(releases ci)
hostile=1
debian13=0
while [ $# -gt 0 ]; do
    case $1 in
        --all-go) matrix=$(releases ""); export CGOSTACK_TESTPROGCGO=all ;;
        --no-hostile) hostile=0 ;;
        --debian13) debian13=1 ;;
        *) break ;;
    esac
    shift
done
scripts/setup.sh --go "$matrix"
scripts/build.sh -DCGOSTACK_GO_MATRIX="$matrix"
# Cores are written by the kernel into the fixture's working directory.
ulimit -c unlimited
(cd build && ctest --output-on-failure -j2 "$@")
if [ "$hostile" = 1 ]; then
    # Same fixtures and cores as above, so these cost a build each and their
    # own run time (a few minutes on two cores; docs/testing.md).
    CGOSTACK_GO_MATRIX="$matrix" scripts/sanitize.sh
    scripts/fuzz.sh "${CGOSTACK_FUZZ_SECONDS:-20}"
fi
if [ "$debian13" = 1 ]; then
    scripts/debian13.sh --go "$matrix"
fi

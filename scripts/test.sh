#!/usr/bin/env bash
# Sets up a machine (Debian packages, Go toolchains), builds, and runs every
# test with ctest.  This is the README's test command and what CI runs.
#
# Usage: scripts/test.sh [--all-go] [ctest arguments...]
#   --all-go   run the end-to-end tests against every Go release Debian
#              packages (1.19 1.21 1.22 1.23 1.24 1.26 1.27) instead of the
#              oldest and newest only
set -euo pipefail
cd "$(dirname "$0")/.."
matrix="1.19 1.27"
if [ "${1:-}" = "--all-go" ]; then
    matrix="1.19 1.21 1.22 1.23 1.24 1.26 1.27"
    shift
fi
scripts/setup.sh --go "$matrix"
scripts/build.sh -DCGOSTACK_GO_MATRIX="$matrix"
# Cores are written by the kernel into the fixture's working directory.
ulimit -c unlimited
cd build
ctest --output-on-failure -j2 "$@"

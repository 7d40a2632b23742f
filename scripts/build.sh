#!/usr/bin/env bash
# Configures and builds cgostack into build/ (the backend module GDB loads,
# the unit tests).  Quiet unless something fails.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE="${CGOSTACK_BUILD_TYPE:-RelWithDebInfo}" "$@" &&
       cmake --build build -j"$(nproc)"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "build: failed (full log above)" >&2
    exit 1
fi

#!/usr/bin/env bash
# Builds cgostack with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs the unit tests and the end-to-end tests against it
# (driven from the Python GDB embeds, see tests/sanitized_backend.py).  Fixtures and cores are shared with build/, so run
# after scripts/test.sh or let the harness make them.
#
# Usage: scripts/sanitize.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
# Default: the releases go-releases.txt marks `ci` (the one list).
matrix=${CGOSTACK_GO_MATRIX:-$(awk '!/^[[:space:]]*(#|$)/ && $3 == "ci" {printf "%s%s", sep, $1; sep=" "}' go-releases.txt)}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# -O1 keeps ASan's reports readable and the build quick on two cores.
if ! { cmake -S . -B build-asan -DCGOSTACK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
           -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DCGOSTACK_GO_MATRIX="$matrix" \
           -DCGOSTACK_FIXTURE_DIR="$repo/build" &&
       cmake --build build-asan -j2; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "sanitize: build failed (full log above)" >&2
    exit 1
fi
ulimit -c unlimited
cd build-asan
# The GDB end-to-end tests cannot run with the ASan runtime (see
# tests/sanitized_backend.py, which stands in for them); the pure-Python
# tests run no native code, nor does arm64_live_build (a cross compile).
exclude='^(e2e\.|bad_input|plugin_text|goroutines_text|harness_selftest|hardening|debian_program|arm64_live_build)'
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j2 -E "$exclude" "$@"

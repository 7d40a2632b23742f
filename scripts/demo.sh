#!/usr/bin/env bash
# The bundled demo: builds the seed article's deadlock (a C function returns
# to Go still holding a pthread mutex, another goroutine blocks on it, plus a
# Go/C lock-order cycle), runs it until it hangs, takes a core with the Go
# runtime's own traceback, and opens it in GDB with cgostack.
#
# Usage: scripts/demo.sh [GO_VERSION]   (default 1.27)
set -euo pipefail
cd "$(dirname "$0")/.."
go_version=${1:-1.27}
scripts/setup.sh --go "$go_version"
scripts/build.sh
ulimit -c unlimited
paths=$(python3 fixtures/harness.py core --go "$go_version" --fixture deadlock)
bin=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["binary"])' <<<"$paths")
core=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["core"])' <<<"$paths")
echo "== $bin"
echo "== $core"
commands=(cgo-info "cgo-goroutines --state syscall" "cgo-goroutines --group --frames 8" "cgo-threads" cgo-lockgraph)
args=()
for c in "${commands[@]}"; do
    args+=(-ex "echo \n(gdb) $c\n" -ex "$c")
done
exec gdb -nx -q -batch -iex "set auto-load no" -ex "source gdb_plugin/cgostack.py" "${args[@]}" "$bin" "$core"

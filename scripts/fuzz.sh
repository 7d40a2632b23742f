#!/usr/bin/env bash
# Builds the libFuzzer targets (native/fuzz/) with clang, ASan and UBSan into
# build-fuzz/, makes their seed corpus from the project's own fixtures (a Go
# fixture and its kernel core, taken now by fixtures/harness.py; nothing is
# committed), and runs each target for a bounded time.  Fails on the first
# crash, sanitizer report, leak, timeout or out-of-memory; the input that
# caused it is left in build-fuzz/artifacts/.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   defaults: 25 seconds; targets core_file elf_dwarf goroutines
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
seconds=${1:-25}
shift || true
targets=${*:-"core_file elf_dwarf goroutines"}
go=1.27
out=build-fuzz
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fail() { echo "fuzz: $*" >&2; exit 1; }

command -v clang++ >/dev/null || fail "clang++ is not installed (scripts/setup.sh installs it)"
if ! { CC=clang CXX=clang++ cmake -S . -B $out -DCGOSTACK_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build $out -j2 --target cgostack_fuzz_seeds $(printf 'fuzz_%s ' $targets); } >"$log" 2>&1; then
    cat "$log" >&2
    fail "build failed (full log above)"
fi

# Seeds, made fresh each run from what the project builds anyway.
ulimit -c unlimited
seeds=$out/seeds
rm -rf "$seeds"
mkdir -p "$seeds/elf_dwarf"
exe=$(python3 fixtures/harness.py build --go $go --fixture deadlock)
core=$(python3 fixtures/harness.py core --go $go --fixture deadlock |
       python3 -c 'import json, sys; print(json.load(sys.stdin)["core"])')
"$out/native/fuzz/cgostack_fuzz_seeds" "$exe" "$core" "$seeds" || fail "seed generation failed"
for variant in "-gdwarf-4" "-gdwarf-5" "-gdwarf-4 -gz=zlib" "-gdwarf-5 -gz=zlib"; do
    name=$(tr -c 'a-z0-9' _ <<<"$variant")
    gcc -O0 -g $variant -o "$seeds/elf_dwarf/$name" native/fuzz/seed_elf.c
    # DWARF names with a dot, as Go writes them ("runtime.g").
    sed -i 's/runtime_/runtime./g' "$seeds/elf_dwarf/$name"
done

mkdir -p $out/artifacts
export CGOSTACK_FUZZ_EXE=$exe
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in $targets; do
    corpus=$out/corpus/$t
    mkdir -p "$corpus"
    seed_dir=$seeds/$t
    [ -d "$seed_dir" ] || seed_dir=
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a corrupt
    # count must not make us allocate gigabytes.
    if "$out/native/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
           -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
           "$corpus" $seed_dir >"$out/fuzz_$t.log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz_$t.log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/fuzz_$t.log")
        echo "fuzz: $t: ${execs:-?} inputs in ${seconds}s (${rate:-?}/s), no finding"
    else
        tail -n 60 "$out/fuzz_$t.log" >&2
        echo "fuzz: $t: FINDING (log $out/fuzz_$t.log, input in $out/artifacts/)" >&2
        status=1
    fi
done
exit $status

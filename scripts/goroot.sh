#!/usr/bin/env bash
# Prints where scripts/setup.sh put a Go toolchain, so that tests, CI and
# people never hard-code the layout.
#
# Usage: scripts/goroot.sh VERSION   GOROOT of Go release VERSION (e.g. 1.27)
#        scripts/goroot.sh --list    "VERSION GOROOT" per installed release
#
# A release counts as installed only when setup.sh verified it and wrote its
# stamp file; a toolchain that is half unpacked or failed verification is
# reported as missing. Honours CGOSTACK_TOOLCHAINS like setup.sh does.
set -euo pipefail

TOOLCHAINS=${CGOSTACK_TOOLCHAINS:-/opt/cgostack/toolchains}
# Must match STAMP_FORMAT in setup.sh: an older stamp means the toolchain was
# installed by a procedure that setup.sh no longer trusts.
readonly STAMP_FORMAT=1

goroot_of() { echo "$TOOLCHAINS/go$1/usr/lib/go-$1"; }

installed() {
    local stamp="$TOOLCHAINS/go$1/cgostack.stamp"
    [ -f "$stamp" ] && [ -x "$(goroot_of "$1")/bin/go" ] &&
        grep -qx "stamp_format=$STAMP_FORMAT" "$stamp"
}

usage() {
    echo "usage: scripts/goroot.sh VERSION | --list" >&2
    exit 2
}

[ $# -eq 1 ] || usage
case $1 in
    --list)
        shopt -s nullglob
        for dir in "$TOOLCHAINS"/go1.*/; do
            dir=${dir%/}
            v=${dir##*/go}
            if installed "$v"; then echo "$v $(goroot_of "$v")"; fi
        done | sort -V
        ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
        v=${1#go} # accept "go1.27" as well as "1.27"
        [[ $v =~ ^1\.[0-9]+$ ]] || usage
        if ! installed "$v"; then
            echo "goroot: Go $v is not installed; run scripts/setup.sh --go $v" >&2
            exit 1
        fi
        goroot_of "$v"
        ;;
esac

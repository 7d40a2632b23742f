#!/usr/bin/env bash
# A minimal Debian root with another release's glibc and a C compiler, for
# cores whose pthread objects come from that glibc: fixtures are built and
# run inside it (their C parts compiled and linked by its gcc against its
# libc), and the cores analysed on the host with the root as sysroot.
# Made once with debootstrap and kept in $CGOSTACK_ROOTS/SUITE (default
# /var/cache/cgostack/SUITE); prints the root's path.  Run as root.
#
# Usage: scripts/glibc_root.sh SUITE   (bullseye: glibc 2.31, trixie: 2.41;
#                                      trixie is also scripts/debian13.sh's root)
#
# Environment:
#   CGOSTACK_ROOTS   where the roots live (default /var/cache/cgostack)
#   CGOSTACK_MIRROR  Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail
suite=${1:?usage: glibc_root.sh SUITE}
root=${CGOSTACK_ROOTS:-/var/cache/cgostack}/$suite
mirror=${CGOSTACK_MIRROR:-http://deb.debian.org/debian}
die() {
    echo "glibc_root: $*" >&2
    exit 1
}
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap)"
if [ -f "$root/.cgostack-ready" ]; then
    echo "$root"
    exit 0
fi
command -v debootstrap >/dev/null || {
    echo "glibc_root: installing debootstrap" >&2
    DEBIAN_FRONTEND=noninteractive apt-get -qq -y install --no-install-recommends debootstrap >/dev/null
}
echo "glibc_root: making a $suite root in $root (a few minutes)" >&2
rm -rf -- "$root.tmp"
mkdir -p "$(dirname "$root")"
log=$(mktemp)
# minbase has libc6; gcc and libc6-dev to link the fixtures' C parts there.
if ! debootstrap --variant=minbase --include=gcc,libc6-dev "$suite" "$root.tmp" "$mirror" >"$log" 2>&1; then
    tail -n 15 "$log" >&2
    rm -f "$log"
    die "debootstrap of $suite from $mirror failed"
fi
rm -f "$log"
rm -rf -- "$root"
mv -- "$root.tmp" "$root"
touch "$root/.cgostack-ready"
echo "$root"

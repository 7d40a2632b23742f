#!/usr/bin/env bash
# The Debian 13 (trixie) lane: GDB 16, Python 3.13, glibc 2.41, elfutils
# 0.192, GCC 14.  Makes a trixie root with debootstrap (scripts/glibc_root.sh,
# kept between runs in $CGOSTACK_ROOTS/trixie, default
# /var/cache/cgostack/trixie), copies this work tree into it, runs the
# project's own scripts/setup.sh and scripts/build.sh there, and runs the
# unit and end-to-end tests (not the arm64 lane) inside it for the Go
# releases given.  The host's Go toolchains directory is bind-mounted, so
# nothing is downloaded twice.  Run as root; `scripts/test.sh --debian13`
# calls it.
#
# Usage: scripts/debian13.sh [--go "1.19 1.24 1.27"] [ctest arguments...]
#
# Environment:
#   CGOSTACK_ROOTS       where the Debian roots live (default /var/cache/cgostack)
#   CGOSTACK_MIRROR      Debian mirror (default http://deb.debian.org/debian)
#   CGOSTACK_TOOLCHAINS  the host's toolchains directory (default
#                        /opt/cgostack/toolchains)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
go="1.19 1.24 1.27"
case "${1:-}" in
-h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac
if [ "${1:-}" = --go ]; then
    go=$2
    shift 2
fi
roots=${CGOSTACK_ROOTS:-/var/cache/cgostack}
mirror=${CGOSTACK_MIRROR:-http://deb.debian.org/debian}
toolchains=${CGOSTACK_TOOLCHAINS:-/opt/cgostack/toolchains}
die() {
    echo "debian13: $*" >&2
    exit 1
}
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"

# ----------------------------------------------------------- the root
# The same trixie root the --glibc-roots lane takes cores in (made once by
# scripts/glibc_root.sh, with gcc and libc6-dev); setup.sh adds the rest.
root=$(CGOSTACK_ROOTS="$roots" scripts/glibc_root.sh trixie) || die "no trixie root"
# This machine's mirror may be a fixed snapshot whose Release files are past
# their Valid-Until date; when the host's apt is configured to accept that,
# the root's must be too (its apt does not read the host's config).
if apt-config dump 2>/dev/null | grep -q '^Acquire::Check-Valid-Until "false"'; then
    printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' \
        >"$root/etc/apt/apt.conf.d/99cgostack-snapshot"
fi
echo "deb $mirror trixie main" >"$root/etc/apt/sources.list"

# ---------------------------------------------------------- mounts
mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() {
    mkdir -p "$root$2"
    mount --bind "$1" "$root$2"
    mounted+=("$root$2")
}
# The root bound onto itself first, so that / inside the chroot is a mount
# point: `unshare --mount` makes / private (mount(2) MS_PRIVATE on "/"),
# which fails with EINVAL ("cannot change root filesystem propagation") on
# a plain directory, and the tests that hide or replace files in a private
# mount namespace (e2e.replaced_library, e2e.stripped's debuginfod case)
# would only skip there.  The other mounts go on top of this one.
mount --bind "$root" "$root" && mounted+=("$root")
mkdir -p "$root/proc" "$root/sys"
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
bind /sys /sys
bind /dev /dev
bind /dev/pts /dev/pts
mkdir -p "$toolchains"
bind "$toolchains" /opt/cgostack/toolchains
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# ------------------------------------------------- the work tree, as it is
# Tracked and untracked-but-not-ignored files; build/ inside the root is
# kept between runs (fixtures, cores) but the sources are replaced.  make
# goes by mtimes, and the work tree's are when it was checked out, not when
# a file's content changed: a file whose content equals the previous copy's
# keeps that copy's mtime (nothing to rebuild), every other file gets the
# time of this copy (rebuilt, even when the objects are newer than the work
# tree's checkout).
dest="$root/src/cgostack"
old="$root/src/cgostack.previous"
rm -rf -- "$old"
mkdir -p "$dest" "$old"
find "$dest" -mindepth 1 -maxdepth 1 ! -name build -exec mv -t "$old" {} +
files=$(mktemp)
git -C "$src" ls-files -z --cached --others --exclude-standard >"$files"
tar -C "$src" --null -T "$files" -cf - | tar -C "$dest" -xf -
while IFS= read -r -d '' f; do
    if [ -f "$old/$f" ] && cmp -s "$old/$f" "$dest/$f"; then
        touch -h -r "$old/$f" "$dest/$f"
    else
        touch -h "$dest/$f"
    fi
done <"$files"
rm -rf -- "$old" "$files"

# ---------------------------------------------------------- inside
echo "debian13: setup, build and tests inside trixie (Go $go)"
chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 CGOSTACK_GO="$go" /bin/bash -c '
    set -euo pipefail
    cd /src/cgostack
    # setup.sh needs only bash and apt; the rest it installs itself.
    scripts/setup.sh --go "$CGOSTACK_GO"
    echo "debian13: $(gdb --version | head -n 1); $(python3 --version); $(getconf GNU_LIBC_VERSION)"
    scripts/build.sh -DCGOSTACK_GO_MATRIX="$CGOSTACK_GO"
    ulimit -c unlimited
    cd build
    # The arm64 lane needs qemu-user (setup.sh --arm64): left out, as scripts/test.sh does.
    ctest --output-on-failure -j2 -LE arm64 "$@"
' debian13 "$@"

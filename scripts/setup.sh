#!/usr/bin/env bash
# Installs everything cgostack needs to build and test: Debian build/debug
# packages, and private copies of every Go release Debian packages (the tests
# debug programs built by each of them, because the Go runtime's data
# structures change from release to release).
#
# Usage: scripts/setup.sh [--no-go] [--go "1.19 1.27"] [--reinstall-go] [--delve] [--arm64]
#
#   --no-go          skip the Go toolchains (Debian packages only)
#   --go LIST        install only these Go releases (space separated)
#   --reinstall-go   download and verify the chosen Go releases again even if
#                    they are already installed
#   --delve          also install Delve (Debian's delve package from sid) into
#                    $CGOSTACK_TOOLCHAINS/delve/usr/bin/dlv, for the benchmark
#                    in bench/ that compares against it; not installed by
#                    default and never put on PATH (delete
#                    delve/cgostack.stamp to force a reinstall)
#   --arm64          also install what the arm64 lane needs (scripts/test.sh,
#                    unless --no-arm64): qemu-user, the aarch64 cross
#                    compilers (C for the fixtures, C++ for the live code's
#                    build check) and C library, gdb-multiarch (about 60 MB;
#                    the C++ compiler adds about 50 MB installed)
#
# Environment:
#   CGOSTACK_GO_VERSIONS  Go releases to install when --go is not given
#                         (default: all of them, listed in go-releases.txt)
#   CGOSTACK_TOOLCHAINS   where toolchains are unpacked
#                         (default: /opt/cgostack/toolchains)
#
# The script is run by the README commands and by CI before every build, so
# when everything is already present it must finish in well under a second
# and print nothing; it only inspects dpkg's database and stamp files then.
# Use scripts/goroot.sh to find an installed toolchain's GOROOT.
set -Eeuo pipefail

# Supported Go releases and their Debian suites: go-releases.txt, the one list.
readonly RELEASES_FILE="$(dirname "$0")/../go-releases.txt"
ALL_GO_VERSIONS=$(awk '!/^[[:space:]]*(#|$)/ {printf "%s%s", sep, $1; sep=" "}' "$RELEASES_FILE")
readonly ALL_GO_VERSIONS
readonly DEBIAN_PACKAGES=(
    g++ cmake make pkg-config gdb python3 python3-dev pybind11-dev
    libdw-dev libelf-dev elfutils nlohmann-json3-dev libgtest-dev
    # Capstone: decoding the Go runtime's machine code in stripped binaries
    libcapstone-dev
    # zlib: CRC-32 of .gnu_debuglink debug files
    zlib1g-dev
    # elfutils' debuginfod client (DEBUGINFOD_URLS), and its server for the test
    # that serves a stripped fixture's debug file on a loopback port
    libdebuginfod-dev debuginfod
    # zstd, lz4, xz: compressed cores read directly (systemd-coredump's formats)
    libzstd-dev liblz4-dev liblzma-dev
    # and their tools: the tests compress fixture cores as systemd-coredump does
    zstd lz4 xz-utils
    # a Go program as Debian ships it (stripped, cgo, Go 1.19): tests/e2e/test_debian_program.py
    webhook
    # libiberty: C++ names demangled as GDB demangles them
    libiberty-dev
    binutils file procps
    # strace: the hardening test proves the CLI execs nothing and opens only regular files
    strace
    # glibc's debug symbols: the lock graph reads pthread layouts from the
    # target libc's DWARF when they are installed (tests check both ways)
    libc6-dbg
    # clang with its sanitizer and libFuzzer runtimes: scripts/fuzz.sh
    clang libclang-rt-dev
)
readonly MIRROR=http://deb.debian.org/debian
readonly KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# Bump when the install or verification procedure changes, so that stamps
# written by an older procedure stop counting as "installed".
readonly STAMP_FORMAT=1

# Every failure ends the script with status 3 after exactly one line that
# starts with "setup:". die() prints its own line; the ERR trap covers
# everything else and stays silent for a failure that was already reported
# (status 3 coming back from a subshell or from die).
die() {
    echo "setup: $*" >&2
    exit 3
}
on_err() {
    if [ "$1" -ne 3 ]; then
        echo "setup: unexpected failure (status $1) at line $2: $3" >&2
    fi
    exit 3
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

TMP=""
cleanup() { if [ -n "$TMP" ]; then rm -rf -- "$TMP"; fi; }
trap cleanup EXIT
# Temporary files (logs, verification builds) live in one directory that is
# removed on exit; created only when needed so the no-op path stays cheap.
tmpdir() {
    if [ -z "$TMP" ]; then TMP=$(mktemp -d "${TMPDIR:-/tmp}/cgostack-setup.XXXXXX"); fi
}

# run_logged WHAT CMD...: run CMD with its output captured, because apt and
# dpkg are chatty even with -qq. On failure the one "setup:" line is followed
# by the end of the captured output, which is what one needs to act on it.
run_logged() {
    local what=$1
    shift
    tmpdir
    local log="$TMP/log"
    if ! "$@" >"$log" 2>&1; then
        echo "setup: $what failed: $*" >&2
        tail -n 15 "$log" | sed 's/^/  | /' >&2
        exit 3
    fi
}

# ---------------------------------------------------------------- arguments

go_versions=${CGOSTACK_GO_VERSIONS:-$ALL_GO_VERSIONS}
reinstall_go=0
want_delve=0
want_arm64=0
while [ $# -gt 0 ]; do
    case $1 in
        --no-go) go_versions="" ;;
        --go) [ $# -ge 2 ] || die "--go needs a list of versions, e.g. --go \"1.19 1.27\""
              go_versions=$2; shift ;;
        --go=*) go_versions=${1#--go=} ;;
        --reinstall-go) reinstall_go=1 ;;
        --delve) want_delve=1 ;;
        --arm64) want_arm64=1 ;;
        -h|--help) sed -n '2,/^set -E/{/^set -E/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
for v in $go_versions; do
    [[ $v =~ ^1\.[0-9]+$ ]] || die "bad Go version '$v' (expected a release like 1.22)"
done

TOOLCHAINS=${CGOSTACK_TOOLCHAINS:-/opt/cgostack/toolchains}
APT_DIR=$TOOLCHAINS/.apt

# Only the privileged steps go through sudo, so a developer who is not root
# is asked for a password only when something is actually missing.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
need_sudo() {
    if [ ${#SUDO[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
        die "not root and sudo is not installed; run this as root"
    fi
}

# ------------------------------------------------------------- the host

# Debian 12 (bookworm) and 13 (trixie) are what this is tested on
# (scripts/debian13.sh runs the tests in a trixie root).  Other apt-based
# systems may work; anything without apt and dpkg cannot.
check_host() {
    command -v apt-get >/dev/null && command -v dpkg-query >/dev/null ||
        die "this machine has no apt-get/dpkg: only Debian 12 (bookworm) and 13 (trixie) are supported"
    local id="" codename=""
    if [ -r /etc/os-release ]; then
        id=$(. /etc/os-release && echo "${ID:-}")
        codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    fi
    case "$id/$codename" in
        debian/bookworm | debian/trixie) ;;
        *) echo "setup: warning: tested on Debian 12 (bookworm) and 13 (trixie) only; this is ${id:-unknown} ${codename:-}" >&2 ;;
    esac
}

# ---------------------------------------------------------- Debian packages

# The arm64 lane: fixtures cross-built for linux/arm64 and run under
# qemu-user (which writes the guest's cores), read with gdb-multiarch; the
# live-process code compiled by the aarch64 C++ compiler
# (tests/arm64_live_build.py).
readonly ARM64_PACKAGES=(qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross gdb-multiarch)

# dpkg-query alone is fast (tens of ms), unlike anything that touches apt's
# lists, so it decides whether apt needs to run at all.
install_debian_packages() {
    local -A status=()
    local pkg st
    local wanted=("${DEBIAN_PACKAGES[@]}")
    if [ "$want_arm64" = 1 ]; then wanted+=("${ARM64_PACKAGES[@]}"); fi
    while read -r pkg st; do
        status[$pkg]=$st
    done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null || true)
    local missing=()
    for pkg in "${wanted[@]}"; do
        if [ "${status[$pkg]:-}" != installed ]; then missing+=("$pkg"); fi
    done
    if [ ${#missing[@]} -eq 0 ]; then return 0; fi

    need_sudo
    echo "setup: installing Debian packages: ${missing[*]}"
    # The update is needed on a fresh machine (empty lists) and after the
    # archive moved on (stale lists give 404s); it is skipped otherwise.
    run_logged "apt-get update" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -qq -o DPkg::Lock::Timeout=300 update
    run_logged "installing ${missing[*]}" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -qq -y -o DPkg::Lock::Timeout=300 install --no-install-recommends "${missing[@]}"
}

# ------------------------------------------------------------ Go toolchains

# The suite each Go release is taken from (go-releases.txt). Several suites
# can carry the same release over time; pinning keeps the chosen build
# deterministic. A release not listed (or "-", or no longer in its suite) is
# taken from whichever suite has the highest version of it.
suite_for() {
    awk -v r="$1" '$1 == r && $2 != "-" {print $2}' "$RELEASES_FILE"
}

goroot_of() { echo "$TOOLCHAINS/go$1/usr/lib/go-$1"; }
stamp_of() { echo "$TOOLCHAINS/go$1/cgostack.stamp"; }

# A toolchain counts as installed only once it passed verification, which is
# what writing the stamp records; a half-extracted or failed one has none.
go_installed() {
    local stamp
    stamp=$(stamp_of "$1")
    [ -f "$stamp" ] && [ -x "$(goroot_of "$1")/bin/go" ] &&
        grep -qx "stamp_format=$STAMP_FORMAT" "$stamp"
}

# A private apt configuration: the machine's own sources, lists and
# preferences are left untouched (and unread), so adding trixie and sid here
# can never leak into what the system's apt-get installs or upgrades.
papt() {
    local tool=$1
    shift
    "${TC_SUDO[@]}" "$tool" \
        -o Dir::Etc::SourceList="$APT_DIR/sources.list" \
        -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::Etc::Preferences=/dev/null \
        -o Dir::Etc::PreferencesParts=/dev/null \
        -o Dir::State::Lists="$APT_DIR/lists" \
        -o Dir::Cache::Archives="$APT_DIR/archives" \
        "$@"
}

# download_into DIR PKG=VERSION...: apt-get download only writes into the
# current directory, hence the subshell.
download_into() (
    cd "$1"
    shift
    papt apt-get -qq download "$@"
)

private_apt_update() {
    "${TC_SUDO[@]}" mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
    local list="" suite
    for suite in bookworm bookworm-backports trixie sid; do
        list+="deb [signed-by=$KEYRING] $MIRROR $suite main"$'\n'
    done
    printf '%s' "$list" | "${TC_SUDO[@]}" tee "$APT_DIR/sources.list" >/dev/null
    tmpdir
    # --error-on=any: by default apt-get update only warns when a suite fails
    # to download, and the failure would then surface later as a confusing
    # "package not found".
    if ! papt apt-get -qq --error-on=any update >"$TMP/log" 2>&1; then
        if grep -q NO_PUBKEY "$TMP/log"; then
            echo "setup: private apt update failed: $KEYRING does not hold the key that signs one of bookworm/bookworm-backports/trixie/sid (upgrade debian-archive-keyring)" >&2
        else
            echo "setup: private apt update (bookworm, bookworm-backports, trixie, sid) failed" >&2
        fi
        tail -n 15 "$TMP/log" | sed 's/^/  | /' >&2
        exit 3
    fi
}

# pick_version PKG SUITE: print "VERSION SUITE" of PKG, preferring SUITE.
# madison lists the highest version first, which is the fallback choice.
pick_version() {
    local pkg=$1 want=$2 madison
    madison=$(papt apt-cache madison "$pkg" 2>/dev/null || true)
    [ -n "$madison" ] || return 0
    # Lines look like: " pkg | 1.22.12-3~bpo12+1 | http://... bookworm-backports/main amd64 Packages"
    awk -F'|' -v want="$want" '
        { ver = $2; gsub(/ /, "", ver); n = split($3, f, " "); split(f[2], s, "/") }
        NR == 1 { first = ver " " s[1] }
        s[1] == want && !found { found = ver " " s[1] }
        END { print (found != "" ? found : first) }' <<<"$madison"
}

# check_symlinks ROOT: Debian's GOROOT is mostly symlinks into
# usr/share/go-1.NN; they must resolve inside the unpacked tree, not to a
# system-wide Go that may or may not be installed (or be another release).
check_symlinks() {
    local root=$1 tree=$2 link target
    while IFS= read -r -d '' link; do
        target=$(readlink -f -- "$link") || die "cannot resolve symlink $link"
        [ -e "$target" ] || die "dangling symlink $link -> $(readlink -- "$link")"
        case $target in
            "$tree"/*) ;;
            *) die "symlink $link points outside $tree (to $target)" ;;
        esac
    done < <(find "$root" -type l -print0)
}

# verify_go VERSION: print the toolchain's `go version`, after checking that
# it runs and can build and run a cgo program (what the tests need). The
# environment is cleared so that a developer's GOFLAGS, GOPATH, CC or go env
# file cannot make it pass or fail; GOTOOLCHAIN=local and GOPROXY=off because
# nothing may be downloaded from the Go proxy here.
verify_go() {
    local ver=$1 goroot out re
    goroot=$(goroot_of "$ver")
    tmpdir
    local work="$TMP/verify-go$ver"
    mkdir -p "$work/src"
    local goenv=(env -i "PATH=$goroot/bin:/usr/local/bin:/usr/bin:/bin" "HOME=$work"
        "GOROOT=$goroot" GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=1 GOENV=off
        GOPROXY=off GOSUMDB=off "GOCACHE=$work/cache" "GOPATH=$work/gopath" "TMPDIR=$work")

    out=$("${goenv[@]}" "$goroot/bin/go" version 2>&1) ||
        die "Go $ver: '$goroot/bin/go version' failed: $out"
    # go1.19 was released as "go1.19", go1.21 onward as "go1.21.0".
    re="^go version go${ver//./\\.}(\\.[0-9]+)? "
    [[ $out =~ $re ]] || die "Go $ver: unexpected 'go version' output: $out"

    cat >"$work/src/main.go" <<'EOF'
package main

/*
static int cgostack_answer(void) { return 42; }
*/
import "C"

import "fmt"

func main() { fmt.Println("cgo", int(C.cgostack_answer())) }
EOF
    printf 'module cgostackcheck\n\ngo 1.19\n' >"$work/src/go.mod"
    local build
    build=$(cd "$work/src" && "${goenv[@]}" go build -o "$work/prog" . 2>&1) ||
        die "Go $ver: building a cgo program failed: $(tr '\n' ' ' <<<"$build")"
    local ran
    ran=$("$work/prog" 2>&1) || die "Go $ver: the cgo test program failed to run: $ran"
    [ "$ran" = "cgo 42" ] || die "Go $ver: the cgo test program printed '$ran'"
    rm -rf -- "$work"
    echo "${out#go version }"
}

install_go() {
    local ver=$1 suite pick gover gosuite srcver
    suite=$(suite_for "$ver")
    pick=$(pick_version "golang-$ver-go" "$suite")
    [ -n "$pick" ] || die "no suite in bookworm/bookworm-backports/trixie/sid carries golang-$ver-go"
    read -r gover gosuite <<<"$pick"
    # The go package needs the src package of the same build: it holds the
    # standard library sources (GOROOT/src is a symlink into it).
    srcver=$(pick_version "golang-$ver-src" "$gosuite" | awk '{print $1}')
    [ "$srcver" = "$gover" ] ||
        die "golang-$ver-src $gover is not in $gosuite (found '${srcver:-nothing}')"

    echo "setup: installing Go $ver (golang-$ver-go $gover from $gosuite)"
    local stage="$TOOLCHAINS/.stage-go$ver"
    "${TC_SUDO[@]}" rm -rf -- "$stage"
    "${TC_SUDO[@]}" mkdir -p "$stage/debs" "$stage/tree"
    run_logged "downloading golang-$ver-go and golang-$ver-src $gover" \
        download_into "$stage/debs" "golang-$ver-go=$gover" "golang-$ver-src=$gover"
    local deb
    for deb in "$stage"/debs/*.deb; do
        run_logged "unpacking $deb" "${TC_SUDO[@]}" dpkg-deb -x "$deb" "$stage/tree"
    done
    check_symlinks "$stage/tree/usr/lib/go-$ver" "$stage/tree"

    # Swap the finished tree in as a whole so an interrupted run never leaves
    # a partial toolchain under the final name. Relative symlinks keep working
    # after the move.
    local dest="$TOOLCHAINS/go$ver"
    "${TC_SUDO[@]}" rm -rf -- "$dest"
    "${TC_SUDO[@]}" mv -- "$stage/tree" "$dest"

    local version
    version=$(verify_go "$ver")
    {
        echo "# Written by scripts/setup.sh after verifying this toolchain; delete it to force a reinstall."
        echo "stamp_format=$STAMP_FORMAT"
        echo "go_release=$ver"
        echo "go_version=$version"
        echo "goroot=$(goroot_of "$ver")"
        echo "suite=$gosuite"
        for deb in "$stage"/debs/*.deb; do
            # shellcheck disable=SC2016 # dpkg's format fields, not shell
            dpkg-deb -W --showformat='${Package}=${Version}\n' "$deb"
        done
        echo "installed=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } | "${TC_SUDO[@]}" tee "$(stamp_of "$ver")" >/dev/null
    # The .debs are not needed once unpacked; a reinstall fetches them again.
    "${TC_SUDO[@]}" rm -rf -- "$stage"
}

# lock_toolchains: make $TOOLCHAINS writable (TC_SUDO) and hold its lock
# until the script exits. Called before anything is written there; a second
# call is a no-op.
TOOLCHAINS_LOCKED=0
lock_toolchains() {
    if [ "$TOOLCHAINS_LOCKED" = 1 ]; then return 0; fi
    # Write the toolchains as the current user where possible (e.g. a
    # CGOSTACK_TOOLCHAINS in $HOME); otherwise through sudo.
    TC_SUDO=()
    if ! { mkdir -p "$TOOLCHAINS" 2>/dev/null && [ -w "$TOOLCHAINS" ]; }; then
        need_sudo
        TC_SUDO=("${SUDO[@]}")
        "${TC_SUDO[@]}" mkdir -p "$TOOLCHAINS"
    fi
    # Concurrent setup runs (parallel CI jobs, two shells) would otherwise
    # fight over the same staging directories.
    "${TC_SUDO[@]}" touch "$TOOLCHAINS/.lock"
    exec 9<"$TOOLCHAINS/.lock"
    flock 9
    TOOLCHAINS_LOCKED=1
}

# The private lists are refreshed at most once per run, and only when
# something is actually downloaded.
APT_UPDATED=0
private_apt_update_once() {
    if [ "$APT_UPDATED" = 1 ]; then return 0; fi
    private_apt_update
    APT_UPDATED=1
}

install_go_toolchains() {
    local missing=() v
    for v in $go_versions; do
        if [ "$reinstall_go" = 1 ] || ! go_installed "$v"; then missing+=("$v"); fi
    done
    if [ ${#missing[@]} -eq 0 ]; then return 0; fi

    lock_toolchains

    # Another run may have installed some while we waited for the lock.
    local todo=()
    for v in "${missing[@]}"; do
        if [ "$reinstall_go" = 1 ] || ! go_installed "$v"; then todo+=("$v"); fi
    done
    if [ ${#todo[@]} -eq 0 ]; then return 0; fi

    private_apt_update_once
    for v in "${todo[@]}"; do
        install_go "$v"
    done
}

# ------------------------------------------------------------------- Delve

# Delve is only a point of comparison for bench/goroutines.py; sid carries
# the release that supports the newest Go we test (Delve supports a rolling
# window of three Go releases).
readonly DELVE_SUITE=sid
DELVE_DIR=$TOOLCHAINS/delve
delve_stamp() { echo "$DELVE_DIR/cgostack.stamp"; }

delve_installed() {
    [ -f "$(delve_stamp)" ] && [ -x "$DELVE_DIR/usr/bin/dlv" ] &&
        grep -qx "stamp_format=$STAMP_FORMAT" "$(delve_stamp)"
}

install_delve() {
    if [ "$want_delve" != 1 ] || delve_installed; then return 0; fi
    lock_toolchains
    if delve_installed; then return 0; fi
    private_apt_update_once

    local pick ver suite
    pick=$(pick_version delve "$DELVE_SUITE")
    [ -n "$pick" ] || die "no suite in bookworm/bookworm-backports/trixie/sid carries delve"
    read -r ver suite <<<"$pick"
    echo "setup: installing Delve (delve $ver from $suite)"
    local stage="$TOOLCHAINS/.stage-delve"
    "${TC_SUDO[@]}" rm -rf -- "$stage"
    "${TC_SUDO[@]}" mkdir -p "$stage/debs" "$stage/tree"
    run_logged "downloading delve $ver" download_into "$stage/debs" "delve=$ver"
    local deb
    for deb in "$stage"/debs/*.deb; do
        run_logged "unpacking $deb" "${TC_SUDO[@]}" dpkg-deb -x "$deb" "$stage/tree"
    done
    "${TC_SUDO[@]}" rm -rf -- "$DELVE_DIR"
    "${TC_SUDO[@]}" mv -- "$stage/tree" "$DELVE_DIR"

    # The package depends on libc6 only; check that the binary runs. Any
    # dlv run writes a default config.yml under $XDG_CONFIG_HOME/dlv (or
    # ~/.config/dlv), so point both at the temporary directory.
    local out
    tmpdir
    out=$(env -i PATH=/usr/bin:/bin "HOME=$TMP" "XDG_CONFIG_HOME=$TMP" "$DELVE_DIR/usr/bin/dlv" version 2>&1) ||
        die "Delve: '$DELVE_DIR/usr/bin/dlv version' failed: $out"
    local dlv_version
    dlv_version=$(sed -n 's/^Version: //p' <<<"$out" | head -n 1)
    [ -n "$dlv_version" ] || die "Delve: unexpected 'dlv version' output: $(tr '\n' ' ' <<<"$out")"
    {
        echo "# Written by scripts/setup.sh after checking that dlv runs; delete it to force a reinstall."
        echo "stamp_format=$STAMP_FORMAT"
        echo "dlv=$DELVE_DIR/usr/bin/dlv"
        echo "dlv_version=$dlv_version"
        echo "suite=$suite"
        # shellcheck disable=SC2016 # dpkg's format fields, not shell
        dpkg-deb -W --showformat='${Package}=${Version}\n' "$stage"/debs/*.deb
        echo "installed=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } | "${TC_SUDO[@]}" tee "$(delve_stamp)" >/dev/null
    "${TC_SUDO[@]}" rm -rf -- "$stage"
}

# ------------------------------------------------------- other glibc releases

# The glibc of later Debian releases, unpacked next to the toolchains: the
# end-to-end tests run fixtures with it (linked with its dynamic loader) to
# take cores whose pthread objects have that release's layouts (glibc 2.41
# changed pthread_cond_t).  Only libc6, about 3 MB each.
readonly OTHER_GLIBC_SUITES="trixie sid"
glibc_dir() { echo "$TOOLCHAINS/glibc-$1"; }
glibc_installed() {
    [ -f "$(glibc_dir "$1")/cgostack.stamp" ] &&
        grep -qx "stamp_format=$STAMP_FORMAT" "$(glibc_dir "$1")/cgostack.stamp"
}

install_other_glibc() {
    local suite=$1 pick ver got
    pick=$(pick_version libc6 "$suite")
    read -r ver got <<<"$pick"
    [ "$got" = "$suite" ] || die "$suite carries no libc6"
    echo "setup: installing glibc from $suite (libc6 $ver) for the tests"
    local stage="$TOOLCHAINS/.stage-glibc-$suite" dir
    dir=$(glibc_dir "$suite")
    "${TC_SUDO[@]}" rm -rf -- "$stage"
    "${TC_SUDO[@]}" mkdir -p "$stage/debs" "$stage/tree"
    run_logged "downloading libc6 $ver" download_into "$stage/debs" "libc6=$ver"
    run_logged "unpacking libc6 $ver" "${TC_SUDO[@]}" dpkg-deb -x "$stage"/debs/*.deb "$stage/tree"
    "${TC_SUDO[@]}" rm -rf -- "$dir"
    "${TC_SUDO[@]}" mv -- "$stage/tree" "$dir"
    # A program linked with that loader must run and report that release.
    local lib="$dir/usr/lib/x86_64-linux-gnu" out
    tmpdir
    printf '#include <stdio.h>\n#include <gnu/libc-version.h>\nint main(void) { puts(gnu_get_libc_version()); return 0; }\n' >"$TMP/v.c"
    run_logged "linking with glibc from $suite" cc "$TMP/v.c" -o "$TMP/v" \
        "-Wl,--dynamic-linker=$lib/ld-linux-x86-64.so.2,-rpath=$lib"
    out=$("$TMP/v" 2>&1) || die "a program linked with glibc from $suite does not run: $out"
    [[ $out =~ ^2\.[0-9]+$ ]] || die "glibc from $suite reports version '$out'"
    {
        echo "# Written by scripts/setup.sh after checking that programs run with it."
        echo "stamp_format=$STAMP_FORMAT"
        echo "glibc_version=$out"
        echo "libdir=$lib"
        echo "libc6=$ver"
    } | "${TC_SUDO[@]}" tee "$dir/cgostack.stamp" >/dev/null
    "${TC_SUDO[@]}" rm -rf -- "$stage"
}

install_other_glibcs() {
    local todo=() suite
    for suite in $OTHER_GLIBC_SUITES; do glibc_installed "$suite" || todo+=("$suite"); done
    if [ ${#todo[@]} -eq 0 ]; then return 0; fi
    lock_toolchains
    private_apt_update_once
    for suite in "${todo[@]}"; do glibc_installed "$suite" || install_other_glibc "$suite"; done
}

TC_SUDO=()
check_host
install_debian_packages
install_go_toolchains
install_other_glibcs
install_delve

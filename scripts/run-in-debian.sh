#!/usr/bin/env bash
# scripts/run-in-debian.sh - the chroot runner of scripts/test-matrix.sh (the project's copy
# of the shared tool ../shared/tools/run-in-debian.sh, so a clean clone runs the matrix alone).
#
# run-in-debian.sh CHROOT_DIR REPO_DIR [command...]
#
# Run a command (default: `make test`) in a checkout, inside a chroot of another Debian
# release (SUITE: trixie = Debian 13 with QGIS 3.40 LTR, default; forky = Debian testing
# with QGIS 3.44), from a Debian 12 (or any Debian/Ubuntu) host, as root.
#
#  * Creates the chroot with debootstrap (variant minbase) the first time, from the
#    mirror named by the `URIs:` lines of /etc/apt/sources.list.d/debian.sources
#    (read at run time; override with MIRROR=... / SECURITY_MIRROR=...).
#  * Mounts /proc, /sys, /dev, /dev/pts, /dev/shm, binds REPO_DIR at /src/main
#    (read-write) and REPO_DIR/../shared at /src/shared (read-only), copies
#    /etc/resolv.conf, runs the command at /src/main as root with CI=true.
#  * CA certificates the host trusts beyond Debian's own set (e.g. a TLS-intercepting
#    proxy's, which pip needs to reach PyPI) are added to the chroot's trust store.
#  * REPO_DIR/.venv, .qgis-profile (scripts/qgis_process.sh) and .qgis-settings
#    (pytest-qgis) are hidden behind chroot-private
#    directories (CHROOT_DIR/var/lib/run-in-debian/overlays/<hash of REPO_DIR>/...), so
#    the chroot's venv (Python 3.13) and a host venv (Python 3.11) in the same checkout
#    never mix. The (empty, git-ignored) mount points are created in REPO_DIR if absent.
#    OVERLAY_DIRS="..." (space separated, relative to REPO_DIR) changes the list.
#  * stdin a terminal: the command runs in the foreground (interactive shells work);
#    otherwise in its own process group, and a TERM/INT/HUP to the script stops it.
#  * Everything is mounted inside a private mount namespace (unshare -m) where
#    available, so no mount can outlive the script even on SIGKILL; a trap also
#    unmounts everything in reverse order. Without unshare, the trap alone cleans up.
#  * The mirror's host name is written into the chroot's apt sources only while the
#    script runs; on exit the sources, the downloaded lists and the .deb cache are
#    removed again (KEEP_APT_SOURCES=1 keeps them). A command that installs packages
#    itself must run `apt-get update` first (scripts/setup.sh does).
#  * Idempotent: a finished chroot is marked with CHROOT_DIR/etc/run-in-debian.stamp;
#    an interrupted debootstrap (CHROOT_DIR/debootstrap left over) is wiped and redone.
#    A lock (CHROOT_DIR.lock) serialises runs on the same chroot.
#  * Prints the wall time of every phase at the end. Exit status = the command's.
#
# Environment: SUITE (trixie), MIRROR, SECURITY_MIRROR, INCLUDE (extra debootstrap
# packages, comma separated), RECOMMENDS=0 (apt without recommends; default: apt's
# default, recommends on, as on a stock Debian), NO_UNSHARE=1, KEEP_APT_SOURCES=1,
# OVERLAY_DIRS.
set -euo pipefail

usage() { sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
[ "$(id -u)" -eq 0 ] || { echo "run-in-debian: must run as root" >&2; exit 1; }

CHROOT=$(realpath -m -- "$1"); REPO=$(realpath -e -- "$2"); shift 2
[ $# -gt 0 ] || set -- make test
SUITE=${SUITE:-trixie}
INCLUDE=${INCLUDE:-}
OVERLAY_DIRS=${OVERLAY_DIRS:-".venv .qgis-profile .qgis-settings"}
SHARED=$(realpath -m -- "$REPO/../shared")
STAMP="$CHROOT/etc/run-in-debian.stamp"
log() { printf '[run-in-debian %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
case "$CHROOT" in /|/usr|/etc|/var|/home|/root|/work|"") echo "run-in-debian: refusing CHROOT_DIR=$CHROOT" >&2; exit 2;; esac

# --- private mount namespace: re-exec once under unshare -------------------------
if [ -z "${_RID_IN_NS:-}" ] && [ -z "${NO_UNSHARE:-}" ] && command -v unshare >/dev/null \
   && unshare --mount --propagation private true 2>/dev/null; then
  export _RID_IN_NS=1
  exec unshare --mount --propagation private -- "$BASH" "$0" "$CHROOT" "$REPO" "$@"
fi
[ -n "${_RID_IN_NS:-}" ] && NS="private mount namespace (unshare)" || NS="host mount namespace (trap unmounts)"

# --- phase timing ---------------------------------------------------------------
declare -a PHASES=()
_phase_name=""; _phase_t0=0
phase_end() {
  if [ -n "$_phase_name" ]; then
    local dt; dt=$(awk -v a="$_phase_t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
    PHASES+=("$(printf '%-28s %8ss' "$_phase_name" "$dt")"); _phase_name=""
  fi
}
phase() { phase_end; _phase_name=$1; _phase_t0=$(date +%s.%N); log "phase: $1"; }

# --- cleanup --------------------------------------------------------------------
declare -a MOUNTED=()
CHILD=""
cleanup() {
  local rc=$?
  phase_end
  set +e
  if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
    log "stopping the command (process group $CHILD)"
    kill -TERM -- "-$CHILD" 2>/dev/null
    for _ in $(seq 20); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$CHILD" 2>/dev/null; wait "$CHILD" 2>/dev/null
  fi
  if [ -d "$CHROOT/etc/apt" ] && [ -z "${KEEP_APT_SOURCES:-}" ] && [ -f "$STAMP" ]; then
    rm -f "$CHROOT/etc/apt/sources.list.d/run-in-debian.sources" "$CHROOT/etc/apt/sources.list"
    rm -rf "$CHROOT"/var/lib/apt/lists/* "$CHROOT"/var/cache/apt/*.bin "$CHROOT"/var/cache/apt/archives/*.deb 2>/dev/null
    mkdir -p "$CHROOT/var/lib/apt/lists/partial"
  fi
  local i m
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do
    m=${MOUNTED[i]}
    umount "$m" 2>/dev/null || { sleep 1; umount "$m" 2>/dev/null; } || umount -l "$m" 2>/dev/null \
      || log "WARNING: could not unmount $m"
  done
  if [ ${#PHASES[@]} -gt 0 ]; then
    log "timings ($NS):"; printf '  %s\n' "${PHASES[@]}" >&2
  fi
  log "exit status $rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP

# --- lock -----------------------------------------------------------------------
mkdir -p "$(dirname "$CHROOT")"
exec 9>"$CHROOT.lock"
if ! flock -n 9; then log "waiting for another run on $CHROOT ..."; flock 9; fi

mounts_below() { awk -v p="$1" '$5==p || index($5, p"/")==1 {print $5}' /proc/self/mountinfo; }

# --- mirror from the host's deb822 sources (read at run time) --------------------
SRC=/etc/apt/sources.list.d/debian.sources
read_uri() { # $1 = "main" | "security": first URIs: of a stanza whose Suites are (not) *-security
  [ -r "$SRC" ] || return 0
  awk -v want="$1" '
    function flush() { if (uri != "" && ((want=="security") == (suites ~ /-security/)) && out == "") out = uri; uri=""; suites="" }
    /^[ \t]*$/ { flush(); next }
    /^URIs:/   { uri = $2 }
    /^Suites:/ { $1 = ""; suites = $0 }
    END { flush(); print out }' "$SRC"
}
MIRROR=${MIRROR:-$(read_uri main)}
SECURITY_MIRROR=${SECURITY_MIRROR:-$(read_uri security)}
[ -n "$MIRROR" ] || { echo "run-in-debian: no URIs: line in $SRC; set MIRROR=" >&2; exit 1; }

write_sources() {
  mkdir -p "$CHROOT/etc/apt/sources.list.d" "$CHROOT/etc/apt/apt.conf.d"
  rm -f "$CHROOT/etc/apt/sources.list"
  {
    case "$SUITE" in
      sid|unstable|forky|testing)  # no -updates/-security suites to speak of
        printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\n' "$MIRROR" "$SUITE"; return ;;
    esac
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$MIRROR" "$SUITE" "$SUITE"
    [ -n "$SECURITY_MIRROR" ] && printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$SECURITY_MIRROR" "$SUITE"
  } > "$CHROOT/etc/apt/sources.list.d/run-in-debian.sources"
}

scrub_logs() { # keep the mirror's host name out of files left behind
  local h; h=$(printf '%s' "$MIRROR" | sed -E 's|^[a-z+]+://([^/:]+).*|\1|')
  h=$(printf '%s' "$h" | sed 's/[][\.*^$|&/]/\\&/g')
  for f in "$CHROOT.debootstrap.log" "$CHROOT/var/log/bootstrap.log"; do
    [ -f "$f" ] && sed -i "s|$h|MIRROR-HOST|g" "$f"
  done
  return 0
}

# --- 1. debootstrap (once) -------------------------------------------------------
if [ ! -f "$STAMP" ]; then
  phase "debootstrap"
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  if [ -n "$(mounts_below "$CHROOT")" ]; then
    echo "run-in-debian: something is mounted below $CHROOT; unmount it first:" >&2
    mounts_below "$CHROOT" >&2; exit 1
  fi
  if [ -d "$CHROOT" ] && [ -n "$(ls -A "$CHROOT")" ]; then
    if [ -d "$CHROOT/debootstrap" ]; then
      log "removing an interrupted debootstrap in $CHROOT"
      rm -rf --one-file-system "$CHROOT"
    elif [ -x "$CHROOT/usr/bin/apt-get" ]; then
      log "adopting existing chroot $CHROOT"
    else
      echo "run-in-debian: $CHROOT exists, is not empty and is no chroot; refusing" >&2; exit 1
    fi
  fi
  if [ ! -x "$CHROOT/usr/bin/apt-get" ]; then
    log "debootstrap --variant=minbase $SUITE (mirror from $SRC)"
    debootstrap --variant=minbase --include="ca-certificates,make,git,python3${INCLUDE:+,$INCLUDE}" \
      "$SUITE" "$CHROOT" "$MIRROR" $([ -e "/usr/share/debootstrap/scripts/$SUITE" ] || echo /usr/share/debootstrap/scripts/sid) \
      > "$CHROOT.debootstrap.log" 2>&1 \
      || { tail -30 "$CHROOT.debootstrap.log" >&2; exit 1; }
  fi
  scrub_logs
  # no daemons from package scripts; no apt "Valid-Until" failures on snapshot mirrors
  printf '#!/bin/sh\nexit 101\n' > "$CHROOT/usr/sbin/policy-rc.d"; chmod 755 "$CHROOT/usr/sbin/policy-rc.d"
  rm -f "$CHROOT/etc/apt/sources.list"
  date -u +%FT%TZ > "$STAMP"
fi

# --- 2. apt sources, resolv.conf ------------------------------------------------
phase "prepare (sources, CAs)"
write_sources
# apt: no Valid-Until failures on snapshot mirrors; recommends as on a stock install
# unless RECOMMENDS=0
{ echo 'Acquire::Check-Valid-Until "false";'
  [ "${RECOMMENDS:-1}" = 0 ] && echo 'APT::Install-Recommends "false";'
  true; } > "$CHROOT/etc/apt/apt.conf.d/99run-in-debian"
# Trust what the host trusts beyond Debian's CA set (a TLS-intercepting proxy's CA, a
# local registry's CA): certificates in the host bundle that are not among the host's
# /usr/share/ca-certificates go to the chroot's /usr/local/share/ca-certificates.
add_host_cas() {
  local bundle=/etc/ssl/certs/ca-certificates.crt dst="$CHROOT/usr/local/share/ca-certificates/run-in-debian"
  [ -r "$bundle" ] || return 0
  local tmp; tmp=$(mktemp -d "$CHROOT/tmp/cas.XXXXXX")
  find /usr/share/ca-certificates -name '*.crt' -exec cat {} + 2>/dev/null | awk -v out="$tmp" '
    FNR==NR { if (/BEGIN CERT/) {k=""; on=1; next} if (/END CERT/) {known[k]=1; on=0; next} if (on) k=k $0; next }
    /BEGIN CERT/ { k=""; body=$0 "\n"; on=1; next }
    on { body=body $0 "\n"; if (/END CERT/) { on=0; if (!(k in known)) printf "%s", body > (out "/host-" (++n) ".crt") } else k=k $0 }
  ' /dev/stdin "$bundle"
  if [ -n "$(ls -A "$tmp")" ] && ! diff -rq "$tmp" "$dst" >/dev/null 2>&1; then
    rm -rf "$dst"; mkdir -p "$dst"; cp "$tmp"/*.crt "$dst"/
    log "adding $(ls "$dst" | wc -l) host CA certificate(s) to the chroot"
    chroot "$CHROOT" /usr/sbin/update-ca-certificates >/dev/null 2>&1 || log "WARNING: update-ca-certificates failed"
  fi
  rm -rf "$tmp"
}
add_host_cas
rm -f "$CHROOT/etc/resolv.conf"; cp -L /etc/resolv.conf "$CHROOT/etc/resolv.conf"
cp -L /etc/hosts "$CHROOT/etc/hosts" 2>/dev/null || true

# --- 3. mounts ------------------------------------------------------------------
phase "mounts"
do_mount() { # do_mount TARGET mount-args...
  local t=$1; shift
  mkdir -p "$t"
  if mountpoint -q "$t"; then log "already mounted: $t (left alone)"; return 0; fi
  mount "$@" "$t"; MOUNTED+=("$t")
}
do_mount "$CHROOT/proc"    -t proc proc
do_mount "$CHROOT/sys"     --bind /sys
do_mount "$CHROOT/dev"     --bind /dev
do_mount "$CHROOT/dev/pts" --bind /dev/pts
do_mount "$CHROOT/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev shm
do_mount "$CHROOT/src/main" --bind "$REPO"
if [ -d "$SHARED" ]; then
  do_mount "$CHROOT/src/shared" --bind "$SHARED"
  mount -o remount,bind,ro "$CHROOT/src/shared" 2>/dev/null || log "WARNING: $SHARED bound read-write (ro remount refused)"
else
  log "no $SHARED: tests that need ../shared/data will skip"
fi
key=$(printf '%s' "$REPO" | sha1sum | cut -c1-12)
for d in $OVERLAY_DIRS; do
  priv="$CHROOT/var/lib/run-in-debian/overlays/$key/$d"
  mkdir -p "$priv" "$REPO/$d"    # the mount point in the checkout (git-ignored) must exist
  do_mount "$CHROOT/src/main/$d" --bind "$priv"
done

# --- 4. the command ---------------------------------------------------------------
phase "command"
log "in $CHROOT at /src/main: $*"
passenv=()
for v in TERM http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_INDEX_URL PIP_EXTRA_INDEX_URL; do
  [ -n "${!v:-}" ] && passenv+=("$v=${!v}")
done
run_cmd() {
  chroot "$CHROOT" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 CI=true DEBIAN_FRONTEND=noninteractive "${passenv[@]}" \
    /bin/bash -c 'cd /src/main && exec "$@"' run-in-debian "$@"
}
set +e
if [ -t 0 ]; then
  # interactive (a shell, a debugger): keep the terminal; Ctrl-C reaches the command directly
  run_cmd "$@"; rc=$?
else
  # batch: own process group, so a TERM/INT/HUP sent to this script alone (CI timeout)
  # stops the whole command (see cleanup) instead of waiting for it
  set -m; run_cmd "$@" & CHILD=$!; set +m
  wait "$CHILD"; rc=$?; CHILD=""
fi
set -e
phase_end
exit $rc

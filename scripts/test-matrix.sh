#!/usr/bin/env bash
# test-matrix.sh - run the whole test suite on the QGIS versions users run.
#
# Each leg is a Debian release in a chroot made with debootstrap (variant minbase) from
# the Debian archive this machine's apt already uses (read at run time, never written
# into the checkout):
#   trixie  Debian 13       QGIS 3.40 LTR, numpy 2.2, GDAL 3.10
#   forky   Debian testing  QGIS 3.44,     numpy 2.4, GDAL 3.13
# (The host's own Debian 12 / QGIS 3.22 is `make test`.)
#
# A leg has two steps, both inside the chroot with this checkout at /src/main:
#   1. environment: `make setup` (apt-get install QGIS and the stack, venv, pip pins).
#      When it cannot be built (archive unreachable, testing's QGIS uninstallable that
#      day, not root) the leg is reported loudly as SKIPPED and does not fail the run.
#   2. tests: `make test`. A failing test fails the run.
# Chroots live outside the checkout, at $CASANEP_CHROOTS/<suite>
# (default /var/cache/casanep/chroots), so later runs and CI on the same machine reuse
# them; a leg's first build takes about 8 minutes, a reuse about 1 minute plus the tests.
#
# The chroot mechanics (mounts in a private mount namespace, apt sources present only
# while a command runs, venv/profile directories kept apart from the host's) are
# scripts/run-in-debian.sh ($RUN_IN_DEBIAN overrides).
#
# Environment:
#   MATRIX_SUITES    legs to run (default "trixie forky")
#   CASANEP_CHROOTS  where the chroots live (default /var/cache/casanep/chroots)
#   MATRIX_STRICT=1  a skipped leg fails the run too
#   MATRIX_LOGS      where each leg's environment log goes (default $CASANEP_CHROOTS/logs)
# Exit status: 0 when every leg that could be built passed, 1 otherwise.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd -P)
SUITES=${MATRIX_SUITES:-trixie forky}
CHROOTS=${CASANEP_CHROOTS:-/var/cache/casanep/chroots}
LOGS=${MATRIX_LOGS:-$CHROOTS/logs}
RUNNER=${RUN_IN_DEBIAN:-$REPO/scripts/run-in-debian.sh}

label() {
  case "$1" in
    trixie) echo "Debian 13 trixie (QGIS 3.40 LTR)" ;;
    forky) echo "Debian testing forky (QGIS 3.44)" ;;
    *) echo "Debian $1" ;;
  esac
}
banner() { printf '\n==================== %s ====================\n' "$*"; }
loud() { # a box nobody scrolls past
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
  printf '!!! %s\n' "$@"
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n'
}
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# The archive's host name must not end up in a file (logs included): every line of
# output passes through scrub, which names it MIRROR-HOST. Read at run time only.
mirror_hosts() {
  cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -oE '[a-z+]+://[^/[:space:]]+' | sed -E 's|^[a-z+]+://([^/:]+).*|\1|' | sort -u
}
SCRUB_SED=()
while read -r host; do
  [ -n "$host" ] && SCRUB_SED+=(-e "s/$(printf '%s' "$host" | sed 's/[][\.*^$/]/\\&/g')/MIRROR-HOST/g")
done < <(mirror_hosts)
scrub() { if [ ${#SCRUB_SED[@]} -gt 0 ]; then sed -u "${SCRUB_SED[@]}"; else cat; fi; }

declare -a SUMMARY=()
failed=0
skipped=0

skip_leg() { # skip_leg SUITE REASON...
  local suite=$1; shift
  loud "TEST MATRIX: leg $(label "$suite") SKIPPED - its environment could not be built." "$@" \
       "The suite did NOT run on this QGIS version."
  SUMMARY+=("$(printf '%-8s SKIPPED  %s' "$suite" "$1")")
  skipped=$((skipped + 1))
}

prereq=""
if [ "$(id -u)" -ne 0 ]; then
  prereq="not root (debootstrap, chroot and mounts need root)"
elif [ ! -x "$RUNNER" ]; then
  prereq="no chroot runner at $RUNNER (set RUN_IN_DEBIAN=/path/to/run-in-debian.sh)"
fi

mkdir -p "$LOGS" 2>/dev/null || LOGS=$(mktemp -d)
for suite in $SUITES; do
  banner "test matrix: $(label "$suite")"
  if [ -n "$prereq" ]; then
    skip_leg "$suite" "$prereq"
    continue
  fi
  chroot_dir="$CHROOTS/$suite"
  log="$LOGS/$suite-environment.log"
  [ -f "$chroot_dir/etc/run-in-debian.stamp" ] && echo "reusing the chroot $chroot_dir" \
    || echo "building the chroot $chroot_dir (first time: about 8 minutes)"
  t0=$(date +%s)
  # 1. the environment; its (long) apt output goes to a log, shown when it fails
  SUITE=$suite "$RUNNER" "$chroot_dir" "$REPO" make setup < /dev/null 2>&1 | scrub > "$log"
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    tail -n 25 "$log"
    skip_leg "$suite" "make setup failed after $(elapsed "$t0") (log: $log)" \
      "Archive unreachable, or a package (e.g. QGIS in testing) not installable today?"
    continue
  fi
  echo "environment ready in $(elapsed "$t0") (log: $log)"
  # 2. the tests
  t1=$(date +%s)
  SUITE=$suite "$RUNNER" "$chroot_dir" "$REPO" make test < /dev/null 2>&1 | scrub
  rc=${PIPESTATUS[0]}
  if [ $rc -eq 0 ]; then
    SUMMARY+=("$(printf '%-8s passed   %s (environment %s, tests %s)' "$suite" "$(label "$suite")" \
      "$(elapsed "$t0")" "$(elapsed "$t1")")")
  else
    loud "TEST MATRIX: leg $(label "$suite") FAILED (exit status $rc)."
    SUMMARY+=("$(printf '%-8s FAILED   %s (exit status %d)' "$suite" "$(label "$suite")" "$rc")")
    failed=$((failed + 1))
  fi
done

banner "test matrix summary"
printf '  %s\n' "${SUMMARY[@]}"
if [ $failed -gt 0 ]; then
  echo "test matrix: $failed leg(s) failed"
  exit 1
fi
if [ $skipped -gt 0 ]; then
  echo "test matrix: $skipped leg(s) SKIPPED (environment not buildable); see above"
  [ "${MATRIX_STRICT:-0}" = 1 ] && exit 1
fi
exit 0

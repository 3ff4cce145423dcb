#!/usr/bin/env bash
# The benchmark's own venv (default .venv-bench): Debian's Python and packages
# (--system-site-packages: numpy, rasterio, GDAL, QGIS, numba from apt), plus the
# exactextract package from PyPI with --no-deps (it needs only numpy, which Debian
# provides).  If exactextract cannot be installed the benchmark still runs and its
# zonal report says why (from $VENV/exactextract-install.log).
set -uo pipefail
VENV=${1:-.venv-bench}
EXACTEXTRACT=${EXACTEXTRACT:-exactextract==0.3.0}
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV" || exit 1
fi
log="$VENV/exactextract-install.log"
if ! "$VENV/bin/python" -c "import exactextract" 2>/dev/null; then
  if "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$EXACTEXTRACT" >"$log" 2>&1 \
     && "$VENV/bin/python" -c "import exactextract" >>"$log" 2>&1; then
    echo "bench: installed $EXACTEXTRACT into $VENV"
  else
    echo "bench: $EXACTEXTRACT could not be installed into $VENV (see $log); the zonal benchmark says why" >&2
  fi
fi
# a wheel's numpy or GDAL in this venv would break QGIS and rasterio: refuse it
"$VENV/bin/python" - <<'PY' || exit 1
import numpy, rasterio
for mod in (numpy, rasterio):
    assert mod.__file__.startswith("/usr/"), f"{mod.__name__} comes from {mod.__file__}, not Debian"
PY

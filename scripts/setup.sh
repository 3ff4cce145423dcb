#!/usr/bin/env bash
# Set up everything `make test` and `make demo` need on Debian 12 or 13.
# As root it installs the missing Debian packages (QGIS and the geospatial stack
# come from Debian so rasterio, geopandas and QGIS share one GDAL); then it makes a
# venv with --system-site-packages and pip-installs only what Debian lacks.
# Never pip-install numpy, rasterio, geopandas, shapely or pyproj here.
set -euo pipefail
VENV=${VENV:-.venv}
APT_PKGS=(qgis python3-qgis qgis-providers python3-rasterio python3-geopandas python3-gdal
          python3-venv python3-pip python3-pytest python3-hypothesis python3-matplotlib
          python3-netcdf4 xvfb xauth make zip
          python3-mypy)  # `make check`
# Installed when the release has them; setup goes on without them (e.g. a package that
# testing cannot install that day, or one a release lacks).
OPTIONAL_APT_PKGS=(python3-numba python3-dask python3-distributed)  # the fused kernel; the Dask cluster engine
PIP_PKGS=(pytest-qgis==5.0.2 ruff==0.17.6)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "casa-nep setup: missing Debian packages: ${missing[*]}" >&2
    echo "run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "casa-nep setup: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  updated=1
fi
optional_missing=()
for p in "${OPTIONAL_APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || optional_missing+=("$p")
done
if [ ${#optional_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "casa-nep setup: optional Debian packages not installed (going on without): ${optional_missing[*]}" >&2
  else
    [ -n "${updated:-}" ] || apt-get update -qq
    for p in "${optional_missing[@]}"; do  # one by one: one that cannot be installed spoils no other
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null 2>&1 \
        || echo "casa-nep setup: WARNING: optional Debian package $p cannot be installed here; going on without it" >&2
    done
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
stamp="$VENV/.casanep-pip"
want="${PIP_PKGS[*]}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # --no-deps: pytest comes from Debian; nothing may pull a numpy or GDAL wheel in.
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "${PIP_PKGS[@]}"
  echo "$want" > "$stamp"
fi
"$VENV/bin/python" - <<'PY'
import numpy, rasterio, geopandas
from osgeo import gdal_array  # breaks under a pip numpy of another ABI: fail early, loudly
for mod in (numpy, rasterio, geopandas):
    assert mod.__file__.startswith("/usr/"), f"{mod.__name__} comes from {mod.__file__}, not Debian: remove it from the venv"
PY

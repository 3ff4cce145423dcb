#!/usr/bin/env bash
# Run qgis_process with this checkout's plugin enabled, headless, in a private profile.
# Debian 12's /usr/bin/qgis_process wrapper passes an option the 3.22 binary rejects,
# so the binary is called directly where it exists.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=/usr/bin/qgis_process.bin
[ -x "$bin" ] || bin=$(command -v qgis_process)
export QT_QPA_PLATFORM=offscreen
export QGIS_PLUGINPATH="$here"
export QGIS_CUSTOM_CONFIG_PATH=${QGIS_CUSTOM_CONFIG_PATH:-"$here/.qgis-profile"}
export PROJ_DATA=${PROJ_DATA:-/usr/share/proj}
# QGIS loads every raster input as a layer and GDAL stores the statistics QGIS computes for its
# default style in a .aux.xml file beside the input (native algorithms too): not beside ours.
export GDAL_PAM_ENABLED=${GDAL_PAM_ENABLED:-NO}
mkdir -p "$QGIS_CUSTOM_CONFIG_PATH"
"$bin" plugins enable casa_nep_plugin >/dev/null 2>&1 || true
exec "$bin" "$@"

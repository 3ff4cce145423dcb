#!/usr/bin/env bash
# make demo: the whole study on the embedded synthetic sample, through qgis_process,
# as a user would script it. Everything goes to demo-output/ (or $DEMO_OUTPUT).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
S="$here/casa_nep_plugin/resources/sample"
OUT=${DEMO_OUTPUT:-"$here/demo-output"}
mkdir -p "$OUT"
log="$OUT/qgis_process.log"

echo "casa-nep demo: casanep:workflow on the synthetic sample (see $S/README.md), through qgis_process"
if ! bash "$here/scripts/qgis_process.sh" run casanep:workflow -- \
    NDVI="$S/ndvi_2021_2022.tif" NDVI_SCALE=0.0001 LANDCOVER="$S/landcover_glcfcs30.tif" \
    SOLAR_RADIATION="$S/solar_radiation_2021_2022.tif" TEMPERATURE="$S/temperature_2021_2022.tif" \
    PRECIPITATION="$S/precipitation_2021_2022.tif" EVAPOTRANSPIRATION="$S/evapotranspiration_2021_2022.tif" \
    ZONES="$S/zones.geojson" ZONE_FIELD=zone WEIGHTING=centre \
    FINE_LANDCOVER="$S/landcover_worldcover_25m.tif" THRESHOLD=80 \
    TITLE="casa-nep demo: synthetic landscape near the Pearl River Delta" \
    OUTPUT_FOLDER="$OUT" >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
grep -oE "Step [0-9]+/[0-9]+: [^.0-9]+" "$log" | sed "s/^/  /" || true

"$here/.venv/bin/python" - "$OUT" <<'PY'
import sys, pathlib, pandas as pd
out = pathlib.Path(sys.argv[1])
z = pd.read_csv(out / "zone_statistics.csv")
cols = ["zone", "area_km2", "npp_2021_mean", "rh_2021_mean", "nep_2021_mean", "nep_2021_total_ktC", "rh_npp_2021_ratio_pct"]
print("\nZones, 2021 (gC m-2 a-1, ktC a-1, %):")
print(z[cols].round(1).to_string(index=False))
b = pd.read_csv(out / "landcover_budget.csv")
b = b[~b["class"].isin(["all", "unclassified"])]
print("\nLand-cover shares of the 2021 totals (%):")
print(b[["class", "npp_2021_share_pct", "rh_2021_share_pct", "nep_2021_share_pct"]].round(1).to_string(index=False))
PY
echo
echo "Report (open in a browser): $OUT/report.html"
echo "Maps (GeoTIFF, open in QGIS): $(cd "$OUT" && ls *.tif | tr '\n' ' ')"
echo "Tables: $(cd "$OUT" && ls *.csv *.gpkg | tr '\n' ' ')"
echo "Charts: $(cd "$OUT" && ls *.png | tr '\n' ' ')"

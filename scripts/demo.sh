#!/usr/bin/env bash
# make demo: the model chain on the embedded synthetic sample, through qgis_process,
# exactly as a user would script it. Outputs go to demo-output/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
S="$here/casa_nep_plugin/resources/sample"
OUT=${DEMO_OUTPUT:-"$here/demo-output"}
QP=(bash "$here/scripts/qgis_process.sh")
mkdir -p "$OUT"
rm -f "$OUT"/*.tif

step() { echo "--- $1"; shift; "${QP[@]}" run "$@" >"$OUT/.last.log" 2>&1 || { cat "$OUT/.last.log"; exit 1; }; }

step "casanep:npp  (CASA NPP from NDVI, climate and GLC_FCS30 land cover)" casanep:npp -- \
  NDVI="$S/ndvi_2021_2022.tif" NDVI_SCALE=0.0001 LANDCOVER="$S/landcover_glcfcs30.tif" \
  SOLAR_RADIATION="$S/solar_radiation_2021_2022.tif" TEMPERATURE="$S/temperature_2021_2022.tif" \
  PRECIPITATION="$S/precipitation_2021_2022.tif" EVAPOTRANSPIRATION="$S/evapotranspiration_2021_2022.tif" \
  OUTPUT="$OUT/npp_monthly.tif" FPAR_OUTPUT="$OUT/fpar_monthly.tif"
step "casanep:rh   (soil heterotrophic respiration, masked to land)" casanep:rh -- \
  TEMPERATURE="$S/temperature_2021_2022.tif" PRECIPITATION="$S/precipitation_2021_2022.tif" \
  LANDCOVER="$S/landcover_glcfcs30.tif" OUTPUT="$OUT/rh_monthly.tif"
step "casanep:nep  (NEP = NPP - RH and the annual RH/NPP ratio)" casanep:nep -- \
  NPP="$OUT/npp_monthly.tif" RH="$OUT/rh_monthly.tif" OUTPUT="$OUT/nep_monthly.tif" \
  RATIO_OUTPUT="$OUT/rh_npp_ratio_annual.tif"
if [ -f "$here/scripts/demo_extra.sh" ]; then source "$here/scripts/demo_extra.sh"; fi
rm -f "$OUT/.last.log"

"$here/.venv/bin/python" - "$OUT" <<'PY'
import sys, pathlib, numpy as np, rasterio
out = pathlib.Path(sys.argv[1])
print("\nRegional means of the synthetic sample (gC m-2):")
for name in ("npp_monthly", "rh_monthly", "nep_monthly"):
    with rasterio.open(out / f"{name}.tif") as ds:
        a = ds.read(masked=True)
        years = sorted({d[:4] for d in ds.descriptions})
        annual = {y: float(a[[i for i, d in enumerate(ds.descriptions) if d.startswith(y)]].sum(axis=0).mean())
                  for y in years}
        print(f"  {name.split('_')[0].upper():4s} annual " + ", ".join(f"{y}: {v:7.1f}" for y, v in annual.items()))
with rasterio.open(out / "rh_npp_ratio_annual.tif") as ds:
    r = ds.read(masked=True)
    print("  RH/NPP median " + ", ".join(f"{d}: {float(np.ma.median(r[i])):.1f} %" for i, d in enumerate(ds.descriptions)))
PY
echo
echo "Maps (GeoTIFF, one band per month, open them in QGIS): $OUT"
ls -1 "$OUT"

"""Generate the synthetic sample dataset shipped in casa_nep_plugin/resources/sample.

SYNTHETIC: no value here is observed.  A 20 km x 15 km landscape at 250 m in UTM
zone 49N (EPSG:32649, near the Pearl River Delta) with forested hills, cropland,
a city core and a river/lake, and monthly climate for 2021-2022 whose seasonal
cycle follows the Pearl River Delta's (warm wet summers, mild dry winters).
Climate sits on a coarse 0.05 degree lon/lat grid, as reanalysis does, so the
model's on-the-fly resampling is exercised.  Deterministic (fixed seed).

    python scripts/make_sample.py [OUTDIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

SEED = 20210101
MONTHS = [f"{y}-{m:02d}" for y in (2021, 2022) for m in range(1, 13)]
UTM = "EPSG:32649"
X0, Y0, CELL, W, H = 730000.0, 2565000.0, 250.0, 80, 60
# GLC_FCS30 codes used: 52 evergreen broadleaf (hills), 72 evergreen needleleaf,
# 12 irrigated cropland, 130 grassland, 190 impervious, 210 water.
FOREST_BL, FOREST_NL, CROP, GRASS, URBAN, WATER = 52, 72, 12, 130, 190, 210


def _landscape(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:H, 0:W].astype(float)
    elev = 400 * np.exp(-(((xx - 62) / 14) ** 2 + ((yy - 14) / 11) ** 2))
    elev += 250 * np.exp(-(((xx - 12) / 9) ** 2 + ((yy - 48) / 8) ** 2))
    elev += rng.normal(0, 8, elev.shape)
    lc = np.full((H, W), CROP, np.uint8)
    lc[elev > 120] = FOREST_BL
    lc[elev > 300] = FOREST_NL
    city = ((xx - 34) / 12) ** 2 + ((yy - 30) / 9) ** 2 < 1
    lc[city] = URBAN
    river = np.abs(yy - (38 + 6 * np.sin(xx / 9))) < 1.2
    lc[river] = WATER
    lc[((xx - 50) / 4) ** 2 + ((yy - 44) / 3) ** 2 < 1] = WATER
    grass = (rng.random((H, W)) < 0.05) & (lc == CROP)
    lc[grass] = GRASS
    return lc, elev


def _write(path: Path, data: np.ndarray, crs: str, transform, nodata, descriptions, units: str) -> None:
    profile = dict(
        driver="GTiff",
        count=data.shape[0],
        height=data.shape[1],
        width=data.shape[2],
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
        compress="deflate",
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        for i, d in enumerate(descriptions, start=1):
            ds.set_band_description(i, d)
        ds.update_tags(units=units, source="casa-nep synthetic sample (scripts/make_sample.py); not observed data")


def _fine_landcover(out: Path, rng: np.random.Generator, k: int = 10) -> None:
    """ESA WorldCover-like codes at 25 m (k x finer than the model grid): the same landscape
    with sub-cell detail (trees in the city, built-up speckle in farmland, grass edges)."""
    yy, xx = np.mgrid[0 : H * k, 0 : W * k].astype(float) / k
    elev = 400 * np.exp(-(((xx - 62) / 14) ** 2 + ((yy - 14) / 11) ** 2))
    elev += 250 * np.exp(-(((xx - 12) / 9) ** 2 + ((yy - 48) / 8) ** 2))
    elev += rng.normal(0, 25, elev.shape)
    wc = np.full(elev.shape, 40, np.uint8)  # cropland
    wc[elev > 110] = 10  # tree cover
    wc[(elev > 80) & (elev <= 110)] = 20  # shrub at the forest edge
    city = ((xx - 34) / 12) ** 2 + ((yy - 30) / 9) ** 2 < 1
    wc[city] = 50
    wc[city & (rng.random(elev.shape) < 0.18)] = 10  # street trees and parks
    wc[(wc == 40) & (rng.random(elev.shape) < 0.06)] = 50  # villages
    wc[(wc == 40) & (rng.random(elev.shape) < 0.05)] = 30  # grass
    wc[(wc == 50) & (rng.random(elev.shape) < 0.02)] = 60  # bare construction sites
    wc[np.abs(yy - (38 + 6 * np.sin(xx / 9))) < 1.2] = 80
    wc[((xx - 50) / 4) ** 2 + ((yy - 44) / 3) ** 2 < 1] = 80
    t = from_origin(X0, Y0, CELL / k, CELL / k)
    _write(out / "landcover_worldcover_25m.tif", wc[None], UTM, t, 0, ["ESA WorldCover code"], "class code")


def main(out: Path) -> None:
    """Write the sample rasters and zones into ``out``."""
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    lc, elev = _landscape(rng)
    utm_t = from_origin(X0, Y0, CELL, CELL)
    _write(out / "landcover_glcfcs30.tif", lc[None], UTM, utm_t, 0, ["GLC_FCS30 code"], "class code")

    m = np.arange(24) % 12  # 0 = January
    season = np.sin(2 * np.pi * (m - 3) / 12)  # peaks in July
    # NDVI: forests high and steady, crops with two rice seasons, city low, water negative
    base = {
        FOREST_BL: (0.72, 0.06),
        FOREST_NL: (0.62, 0.05),
        CROP: (0.45, 0.2),
        GRASS: (0.5, 0.12),
        URBAN: (0.15, 0.03),
        WATER: (-0.1, 0.02),
    }
    ndvi = np.zeros((24, H, W), np.float32)
    rice = 0.5 * (np.sin(2 * np.pi * (m - 4) / 6) + 1)
    for code, (mean, amp) in base.items():
        cyc = rice if code == CROP else (season + 1) / 2
        sel = lc == code
        ndvi[:, sel] = (mean - amp / 2 + amp * cyc)[:, None]
    ndvi += rng.normal(0, 0.02, ndvi.shape).astype(np.float32)
    ndvi = np.clip(ndvi, -0.2, 0.92)
    # MODIS-like integers: NDVI x 10000, fill -3000, a few cloudy cells
    ndvi_i = np.round(ndvi * 10000).astype(np.int16)
    cloud = rng.random(ndvi_i.shape) < 0.003
    ndvi_i[cloud] = -3000
    _write(out / "ndvi_2021_2022.tif", ndvi_i, UTM, utm_t, -3000, MONTHS, "NDVI x 10000")

    # Climate on a 0.05 degree lon/lat grid covering the area with a margin
    lon0, lat0, step, cw, ch = 113.15, 23.20, 0.05, 8, 6
    geo_t = from_origin(lon0, lat0, step, step)
    cy, cx = np.mgrid[0:ch, 0:cw].astype(float)
    grad = 0.3 * (cy - ch / 2)  # a little cooler to the north
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] * 2, float)
    t = 22.5 + 6.8 * season[:, None, None] - grad[None] + rng.normal(0, 0.3, (24, ch, cw))
    t[12:] += 0.4  # 2022 slightly warmer
    sol_day = 13.5 + 4.5 * np.sin(2 * np.pi * (m - 2.5) / 12)  # MJ m-2 day-1
    sol = (sol_day * days)[:, None, None] * (1 + rng.normal(0, 0.03, (24, ch, cw)))
    pr_mean = np.array([40, 45, 80, 180, 300, 350, 260, 270, 200, 70, 40, 30] * 2, float)
    p = pr_mean[:, None, None] * (1 + rng.normal(0, 0.15, (24, ch, cw)))
    e = (55 + 55 * (season + 1) / 2)[:, None, None] * (1 + rng.normal(0, 0.05, (24, ch, cw)))
    for name, arr, units in (
        ("solar_radiation", sol, "MJ m-2 month-1"),
        ("temperature", t, "degC"),
        ("precipitation", np.maximum(p, 0), "mm month-1"),
        ("evapotranspiration", e, "mm month-1"),
    ):
        _write(out / f"{name}_2021_2022.tif", arr.astype(np.float32), "EPSG:4326", geo_t, -9999.0, MONTHS, units)

    # Zones: three districts as polygons in EPSG:32649
    def box(x0, y0, x1, y1):
        return [
            [
                [X0 + x0 * CELL, Y0 - y0 * CELL],
                [X0 + x1 * CELL, Y0 - y0 * CELL],
                [X0 + x1 * CELL, Y0 - y1 * CELL],
                [X0 + x0 * CELL, Y0 - y1 * CELL],
                [X0 + x0 * CELL, Y0 - y0 * CELL],
            ]
        ]

    zones = {
        "type": "FeatureCollection",
        "name": "sample_zones",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"zone": "Hills", "zone_id": 1},
                "geometry": {"type": "Polygon", "coordinates": box(44.5, 0, 80, 30.3)},
            },
            {
                "type": "Feature",
                "properties": {"zone": "City", "zone_id": 2},
                "geometry": {"type": "Polygon", "coordinates": box(20, 20, 48.7, 40.5)},
            },
            {
                "type": "Feature",
                "properties": {"zone": "Farmland", "zone_id": 3},
                "geometry": {"type": "Polygon", "coordinates": box(0, 30, 44, 60)},
            },
        ],
    }
    (out / "zones.geojson").write_text(json.dumps(zones, indent=1))
    _fine_landcover(out, np.random.default_rng(SEED + 1))
    (out / "README.md").write_text(
        "# Synthetic sample data\n\nGenerated by `scripts/make_sample.py` (seed "
        f"{SEED}). Nothing here is observed: a 20 x 15 km landscape at 250 m (EPSG:32649) with forest "
        "hills, cropland, a city core and water (GLC_FCS30 codes), MODIS-like NDVI (x 10000, fill -3000; "
        "use NDVI_SCALE 0.0001), and monthly 2021-2022 climate on a 0.05 degree lon/lat grid whose seasonal "
        "cycle follows the Pearl River Delta: solar radiation (MJ m-2 month-1), temperature (degC), "
        "precipitation and evapotranspiration (mm month-1). zones.geojson: three synthetic districts. "
        "landcover_worldcover_25m.tif: ESA WorldCover-like codes at 25 m for the land-cover budget.\n"
    )


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parent.parent / "casa_nep_plugin" / "resources" / "sample"
    )

"""Synthetic inputs for the large benchmarks, written band by band or strip by strip.

The same kind of fields as ``bench_chain.make_inputs`` (smooth gradients plus
noise, GLC_FCS30 land cover with water and ice, 0.2 % NDVI nodata), but:

- any number of months (band descriptions ``YYYY-MM`` from ``first_year``);
- climate (SOL, T, P, E) on a grid ``factor`` times coarser in the same CRS and
  extent (what ERA5-Land against 250 m NDVI looks like);
- NDVI in one or more layouts (band- or pixel-interleaved, tile size,
  compression), the values identical in every layout: the noise of each
  (month, strip of ``STRIP`` rows) comes from its own seeded generator, so a
  band written whole and a strip written across all bands hold the same numbers.

Memory stays at about one band (band-interleaved) or one strip of all bands
(pixel-interleaved) whatever the number of months.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

SEED = 20210101
CELL = 250.0
ORIGIN = (500000.0, 2700000.0)
CRS = "EPSG:32649"
#: rows of one noise strip (a multiple of every tile height used here)
STRIP = 512
#: largest strip of all bands held in memory when writing strip by strip
STRIP_BYTES = 256 << 20
LC_CODES = [10, 20, 51, 61, 71, 81, 91, 120, 130, 181, 190, 200, 210, 220]
LC_SHARES = [0.15, 0.05, 0.15, 0.08, 0.08, 0.03, 0.06, 0.08, 0.08, 0.04, 0.08, 0.03, 0.08, 0.01]
f32 = np.float32


def month_labels(months: int, first_year: int = 2001) -> list[str]:
    return [f"{first_year + m // 12}-{m % 12 + 1:02d}" for m in range(months)]


def _axes(size: int, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
    gy = np.linspace(-1, 1, size, dtype=f32)[r0:r1, None]
    gx = np.linspace(-1, 1, size, dtype=f32)[None, :]
    return gx, gy


def make_landcover(path: Path, size: int, seed: int = SEED) -> np.ndarray:
    """size x size uint8 GLC_FCS30 codes in patches of 40 cells plus 2 % scattered cells; returns the array."""
    rng = np.random.default_rng(seed)
    patch = 40
    coarse = rng.choice(LC_CODES, size=(size // patch + 1, size // patch + 1), p=LC_SHARES)
    lc = np.repeat(np.repeat(coarse, patch, axis=0), patch, axis=1)[:size, :size].astype(np.uint8)
    for r0 in range(0, size, STRIP):  # by strips: no size x size float64 array
        r1 = min(size, r0 + STRIP)
        scatter = rng.random((r1 - r0, size)) < 0.02
        lc[r0:r1][scatter] = rng.choice(LC_CODES, size=int(scatter.sum()), p=LC_SHARES)
    prof = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="uint8",
        nodata=0,
        crs=CRS,
        transform=from_origin(*ORIGIN, CELL, CELL),
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    with rasterio.open(path, "w", **prof) as ds:
        ds.write(lc, 1)
    return lc


def ndvi_strip(m: int, r0: int, r1: int, size: int, water: np.ndarray, seed: int = SEED) -> np.ndarray:
    """NDVI of month ``m`` (0-based) for rows r0:r1 (within one STRIP); ``water`` is that strip's mask."""
    gx, gy = _axes(size, r0, r1)
    rng = np.random.default_rng([seed, m, r0])
    base = f32(0.40) + f32(0.15) * np.sin(4 * gx) * np.cos(3 * gy)
    amp = f32(0.20) + f32(0.10) * np.cos(5 * gx + gy)
    peak = f32(6.5) + f32(2.0) * np.sin(2 * gx + gy)
    ndvi = (
        base
        + amp * np.cos(f32(2 * np.pi / 12) * (m % 12 - peak))
        + f32(0.03) * rng.standard_normal((r1 - r0, size), dtype=f32)
    )
    ndvi[water] = f32(-0.1)
    ndvi = np.clip(ndvi, f32(-0.2), f32(0.95))
    ndvi[rng.random((r1 - r0, size)) < 0.002] = f32(-9999)
    return ndvi.astype(f32, copy=False)


def make_climate(folder: Path, size: int, months: int, factor: int, seed: int = SEED) -> dict[str, str]:
    """SOL, T, P, E stacks on a (size // factor)^2 grid of factor x 250 m cells (same CRS and extent)."""
    n = size // factor
    cell = CELL * factor
    rng = np.random.default_rng(seed + 1)
    gy = np.linspace(-1, 1, n, dtype=f32)[:, None]
    gx = np.linspace(-1, 1, n, dtype=f32)[None, :]
    relief = (6.0 * np.sin(3 * gx) * np.sin(2 * gy)).astype(f32)
    prof = dict(
        driver="GTiff",
        width=n,
        height=n,
        count=months,
        dtype="float32",
        nodata=-9999.0,
        crs=CRS,
        transform=from_origin(*ORIGIN, cell, cell),
        tiled=n >= 256,
        interleave="band",
    )
    if n >= 256:
        prof.update(blockxsize=256, blockysize=256)
    units = {"sol": "MJ m-2 month-1", "t": "degC", "p": "mm month-1", "e": "mm month-1"}
    names = {"sol": "sol.tif", "t": "temp.tif", "p": "prec.tif", "e": "evap.tif"}
    paths = {k: str(folder / v) for k, v in names.items()}
    dsets = {k: rasterio.open(p, "w", **prof) for k, p in paths.items()}
    try:
        for m in range(months):
            season = f32(-np.cos(2 * np.pi * (m % 12) / 12))
            noise = rng.standard_normal((4, n, n), dtype=f32)
            dsets["t"].write(f32(12) + f32(13) * season - f32(9) * gy - relief + f32(1.5) * noise[0], m + 1)
            dsets["sol"].write(
                np.maximum(f32(330) + f32(170) * season + f32(40) * gx + f32(15) * noise[1], f32(20)), m + 1
            )
            dsets["p"].write(np.maximum(f32(90) + f32(110) * season + f32(70) * gx + f32(45) * noise[2], f32(0)), m + 1)
            dsets["e"].write((f32(45) + f32(40) * season + f32(15) * gx + f32(15) * noise[3]).astype(f32), m + 1)
        labels = tuple(month_labels(months))
        for k, ds in dsets.items():
            ds.descriptions = labels
            ds.update_tags(units=units[k])
    finally:
        for ds in dsets.values():
            ds.close()
    return paths


def make_ndvi(
    folder: Path, size: int, months: int, water: np.ndarray, layouts: dict[str, dict], seed: int = SEED
) -> dict[str, str]:
    """NDVI stacks, one per layout (name -> GeoTIFF creation options: interleave, blocksize, compress)."""
    paths = {}
    band_like, pixel_like = {}, {}
    base = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=months,
        dtype="float32",
        nodata=-9999.0,
        crs=CRS,
        transform=from_origin(*ORIGIN, CELL, CELL),
        num_threads="ALL_CPUS",
    )
    try:
        for name, opts in layouts.items():
            paths[name] = str(folder / f"{name}.tif")
            ds = rasterio.open(paths[name], "w", **{**base, **opts})
            (pixel_like if opts.get("interleave") == "pixel" else band_like)[name] = ds
        if pixel_like and months * STRIP * size * 4 <= STRIP_BYTES:
            # a strip of all bands fits: every layout takes the same strips (each value generated once)
            pixel_like.update(band_like)
            band_like = {}
        if band_like:  # band by band: one band in memory
            for m in range(months):
                band = np.empty((size, size), f32)
                for r0 in range(0, size, STRIP):
                    r1 = min(size, r0 + STRIP)
                    band[r0:r1] = ndvi_strip(m, r0, r1, size, water[r0:r1], seed)
                for ds in band_like.values():
                    ds.write(band, m + 1)
        if pixel_like:  # strip by strip across all bands: whole tiles, each written once
            for r0 in range(0, size, STRIP):
                r1 = min(size, r0 + STRIP)
                strip = np.stack([ndvi_strip(m, r0, r1, size, water[r0:r1], seed) for m in range(months)])
                for ds in pixel_like.values():
                    ds.write(strip, window=Window(0, r0, size, r1 - r0))
        labels = tuple(month_labels(months))
        for ds in (*band_like.values(), *pixel_like.values()):
            ds.descriptions = labels
            ds.update_tags(units="1")
    finally:
        for ds in (*band_like.values(), *pixel_like.values()):
            ds.close()
    return paths


def make_grid_inputs(
    folder: Path, size: int, months: int, factor: int, layouts: dict[str, dict], seed: int = SEED
) -> dict[str, str]:
    """Land cover and NDVI layouts at size^2, climate at (size // factor)^2; paths by key."""
    folder.mkdir(parents=True, exist_ok=True)
    lc = make_landcover(folder / "landcover.tif", size, seed)
    water = (lc == 210) | (lc == 220)
    del lc
    paths = {"lc": str(folder / "landcover.tif")}
    paths.update(make_climate(folder, size, months, factor, seed))
    paths.update(make_ndvi(folder, size, months, water, layouts, seed))
    return paths

"""Speed of the input preparation (issue 3), for ``make bench``.

A year of synthetic MOD13Q1 NDVI - 23 16-day composites of one 4800 x 4800
tile (h28v06, MODIS sinusoidal 231.66 m, int16 x 10000 with fill -3000 and
reliability-free) - is generated in a temporary folder and turned into 12
monthly maximum-value composites on a 4800 x 4800 model grid (UTM 49N, the
tile's cell size, centred on the tile) by ``casa_nep_plugin.core.ndvi``.
Beside it, gdalwarp does the reprojection alone onto the same grid (bilinear,
same creation options): once per composite (what reproject-then-composite
needs) and once for a 12-band stack (the least any reprojection of a year of
months costs).  Each run is a child process; its peak resident memory is
read by a small wrapper process (``getrusage`` of its children).

Writes ``bench/results/prepare.md`` and prints it.  ``--size N`` for a smaller
tile (e.g. 1200 for a quick look).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "prepare.md"
SINU = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
TILE_M = 1111950.5197665233
X0, Y0 = -20015109.354 + 28 * TILE_M, 10007554.677 - 6 * TILE_M  # h28v06, Pearl River Delta's tile
SEED = 20210101
CO = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=3", "ZLEVEL=1"]


def make_composites(folder: Path, size: int) -> list[str]:
    """23 int16 composites named like MODIS granules (A2021001 ... A2021353), 5 % fill in cloud patches."""
    rng = np.random.default_rng(SEED)
    cell = TILE_M / size
    gy = np.linspace(-1, 1, size, dtype=np.float32)[:, None]
    gx = np.linspace(-1, 1, size, dtype=np.float32)[None, :]
    base = 4000 + 2000 * np.sin(3 * gx) * np.cos(2 * gy)
    prof = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="int16",
        nodata=-3000,
        crs=SINU,
        transform=Affine(cell, 0, X0, 0, -cell, Y0),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    )
    paths = []
    for k in range(23):
        doy = 1 + 16 * k
        season = np.float32(np.cos(2 * np.pi * (doy - 200) / 365))
        ndvi = (base + 1500 * season + rng.normal(0, 300, (size, size)).astype(np.float32)).astype(np.int16)
        clouds = rng.random((size // 64 + 1, size // 64 + 1)) < 0.05
        ndvi[np.repeat(np.repeat(clouds, 64, 0), 64, 1)[:size, :size]] = -3000
        path = folder / f"MOD13Q1.A2021{doy:03d}.h28v06.061.tif"
        with rasterio.open(path, "w", **prof) as ds:
            ds.write(ndvi, 1)
        paths.append(str(path))
    return paths


def model_grid(size: int) -> tuple[str, tuple[float, float, float, float], float]:
    """(CRS, bounds, cell): a size x size UTM 49N grid of the tile's cell size centred on the tile."""
    from rasterio.warp import transform

    cell = TILE_M / size
    xs, ys = transform(SINU, "EPSG:32649", [X0 + TILE_M / 2], [Y0 - TILE_M / 2])
    cx, cy = round(xs[0] / cell) * cell, round(ys[0] / cell) * cell
    half = size * cell / 2
    return "EPSG:32649", (cx - half, cy - half, cx + half, cy + half), cell


#: Runs a command and prints its peak resident memory (kB).  A small wrapper process, so that the figure is not
#: the benchmark's own (Linux keeps a parent's high-water mark in ru_maxrss across fork and exec).
WRAPPER = (
    "import json, resource, subprocess, sys; r = subprocess.run(json.loads(sys.argv[1])); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
)


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(seconds, peak resident MB) of a command; raises if it fails."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", WRAPPER, json.dumps(cmd)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} ... failed: {res.stderr[-2000:]}")
    return seconds, int(res.stdout.strip().splitlines()[-1]) / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4800, help="tile and grid side in cells (default 4800)")
    args = ap.parse_args()
    size = args.size
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        PROJ_DATA=os.environ.get("PROJ_DATA", "/usr/share/proj"),
        GDAL_CACHEMAX="128",
    )
    tmp = Path(tempfile.mkdtemp(prefix="casanep-bench-prepare-"))
    try:
        t0 = time.perf_counter()
        files = make_composites(tmp, size)
        gen = time.perf_counter() - t0
        crs, (xmin, ymin, xmax, ymax), cell = model_grid(size)
        # the plugin: 23 composites -> 12 monthly maxima on the model grid
        script = (
            "import sys; from casa_nep_plugin.core.grid import grid_from_extent;"
            "from casa_nep_plugin.core.ndvi import run_ndvi_composite;"
            f"g = grid_from_extent(({xmin!r}, {ymin!r}, {xmax!r}, {ymax!r}), {crs!r}, {cell!r});"
            f"run_ndvi_composite([{str(tmp)!r}], {str(tmp / 'monthly_ndvi.tif')!r}, grid=g)"
        )
        ours, ours_mb = timed([sys.executable, "-c", script], env)
        with rasterio.open(tmp / "monthly_ndvi.tif") as ds:
            assert (ds.width, ds.height, ds.count) == (size, size, 12), (ds.width, ds.height, ds.count)
            sample = ds.read(
                7, window=((size // 2 - 128, size // 2 + 128), (size // 2 - 128, size // 2 + 128)), masked=True
            )
        warp = [
            "gdalwarp",
            "-q",
            "-overwrite",
            "-r",
            "bilinear",
            "-t_srs",
            crs,
            "-te",
            str(xmin),
            str(ymin),
            str(xmax),
            str(ymax),
            "-ts",
            str(size),
            str(size),
            "-ot",
            "Float32",
            "-dstnodata",
            "nan",
        ]
        for co in CO:
            warp += ["-co", co]
        # gdalwarp alone, once per composite
        per_file, per_file_mb = 0.0, 0.0
        for f in files:
            s, mb = timed(warp + [f, str(tmp / "warped.tif")], env)
            per_file += s
            per_file_mb = max(per_file_mb, mb)
        # gdalwarp alone on a 12-band stack of months (a VRT of 12 of the composites)
        vrt = tmp / "twelve.vrt"
        subprocess.run(["gdalbuildvrt", "-q", "-separate", str(vrt)] + files[::2][:12], check=True, env=env)
        stack, stack_mb = timed(warp + [str(vrt), str(tmp / "warped12.tif")], env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    cells = size * size
    lines = [
        "# Input preparation: a year of 16-day NDVI to monthly composites on the model grid",
        "",
        f"Synthetic MOD13Q1 tile h28v06: 23 composites of {size} x {size} int16 (5 % fill in cloud patches), "
        f"generated in {gen:.0f} s; model grid {size} x {size} cells of {cell:.2f} m in UTM 49N centred on the "
        "tile; bilinear; tiled deflate float32 outputs; GDAL cache 128 MB; single thread. "
        f"Python {sys.version.split()[0]}, GDAL {rasterio.__gdal_version__}, {os.cpu_count()} CPU(s).",
        "",
        "| run | what it does | time (s) | Mcells/s (output) | peak memory (MB) |",
        "|---|---|---:|---:|---:|",
        f"| casanep:ndvicomposite (core) | mask, 12 monthly maxima of 23 composites, reproject, write | {ours:.1f} | "
        f"{12 * cells / ours / 1e6:.1f} | {ours_mb:.0f} |",
        f"| gdalwarp, once per composite | reproject 23 single bands (nothing composited) | {per_file:.1f} | "
        f"{23 * cells / per_file / 1e6:.1f} | {per_file_mb:.0f} |",
        f"| gdalwarp, 12-band stack | reproject 12 bands (the months alone) | {stack:.1f} | "
        f"{12 * cells / stack / 1e6:.1f} | {stack_mb:.0f} |",
        "",
        f"Compositing and reprojecting together take {ours / stack:.2f} x the time gdalwarp needs to reproject "
        f"twelve bands alone, and {ours / per_file:.2f} x that of reprojecting the 23 composites one by one "
        "(the reprojection a reproject-then-composite workflow pays before any compositing).",
        f"Check: July at the grid centre holds {int(sample.count())} of {sample.size} valid cells, "
        f"NDVI {float(sample.min()):.3f} .. {float(sample.max()):.3f}.",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

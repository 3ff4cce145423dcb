"""Small raster writers for tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

UTM = "EPSG:32649"


def months_of(years: list[int]) -> list[str]:
    """['2021-01', ..., ] for whole years."""
    return [f"{y}-{m:02d}" for y in years for m in range(1, 13)]


def write(
    path: Path | str,
    data: np.ndarray,
    descriptions: list[str] | None = None,
    crs: str | None = UTM,
    transform=None,
    nodata: float | None = -9999.0,
    **layout,
) -> str:
    """Write (bands, rows, cols) or (rows, cols) to a GeoTIFF; returns the path.

    ``layout``: extra creation options (``tiled``, ``blockxsize``, ``interleave``, ...);
    GDAL's default is a striped, pixel-interleaved file."""
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    transform = transform or from_origin(730000, 2565000, 250, 250)
    profile = dict(
        driver="GTiff",
        count=data.shape[0],
        height=data.shape[1],
        width=data.shape[2],
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
        **layout,
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        for i, d in enumerate(descriptions or [], start=1):
            ds.set_band_description(i, d)
    return str(path)


def read(path: Path | str) -> np.ndarray:
    """All bands as float64 with NaN for nodata."""
    with rasterio.open(path) as ds:
        return ds.read(masked=True).astype(np.float64).filled(np.nan)


def npp_chain(paths: dict[str, str], out: Path, **kw) -> dict[str, str]:
    """Run ``run_npp`` with RH and NEP in the same pass on ``paths`` (keys ndvi, lc, sol, t, p) into ``out``."""
    from casa_nep_plugin.core.model import run_npp

    out.mkdir(exist_ok=True)
    return run_npp(
        paths["ndvi"],
        paths["lc"],
        paths["sol"],
        paths["t"],
        paths["p"],
        str(out / "npp.tif"),
        rh_output=str(out / "rh.tif"),
        nep_output=str(out / "nep.tif"),
        **kw,
    )

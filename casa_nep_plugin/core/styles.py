"""What a map of an output should show first, from the data: the ramp's range and the band.

Pure numpy/rasterio (no QGIS); ``algorithms/styles.py`` applies the result to the
layer's renderer.  A ramp fixed in a style file (NPP 0-120 gC m-2 month-1) hides
July's 237 and flattens January's RH (20.6-23.1) into one colour; instead:

* the range is the 2nd to 98th percentile of the valid cells over **all bands**
  (so every month of a stack shares one scale and months compare by colour);
* a diverging quantity (NEP) keeps zero in the middle: the range is
  +-max(|p2|, |p98|);
* the band shown first is the annual total (an annual stack's first year) or, in a
  monthly stack, the peak month: the band with the largest mean of |value|.

The statistics are computed on a decimated read (at most ``max_cells`` cells per
band), bounding time and memory on large rasters.  Units are the raster's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DisplayRange:
    """Ramp limits (raster units) and the 1-based band to show first."""

    minimum: float
    maximum: float
    band: int


def _sample(path: str, max_cells: int) -> np.ndarray:
    """All bands, decimated to at most ``max_cells`` cells each; nodata as NaN (float64)."""
    import rasterio

    with rasterio.open(path) as ds:
        scale = max(1.0, math.sqrt(ds.width * ds.height / max_cells))
        shape = (ds.count, max(1, int(ds.height / scale)), max(1, int(ds.width / scale)))
        data = ds.read(out_shape=shape, masked=True, resampling=rasterio.enums.Resampling.nearest)
    return np.ma.filled(data.astype("float64"), np.nan)


def display_range(
    path: str,
    diverging: bool = False,
    monthly: bool = True,
    lower: float = 2.0,
    upper: float = 98.0,
    max_cells: int = 250_000,
) -> DisplayRange | None:
    """Return the ramp range and first band of the raster at ``path``; None when it holds no valid cell."""
    data = _sample(path, max_cells)
    valid = data[np.isfinite(data)]
    if valid.size == 0:
        return None
    lo, hi = (float(v) for v in np.percentile(valid, [lower, upper]))
    if diverging:
        top = max(abs(lo), abs(hi)) or 1.0
        lo, hi = -top, top
    elif hi <= lo:  # a constant raster: a ramp still needs a width
        lo, hi = lo - 0.5, hi + 0.5
    band = 1
    if monthly and data.shape[0] > 1:
        with np.errstate(all="ignore"):
            means = np.array([np.nanmean(np.abs(b)) if np.isfinite(b).any() else -np.inf for b in data])
        band = int(np.argmax(means)) + 1
    return DisplayRange(lo, hi, band)

"""Reading a source that sits on another grid onto a window of the model grid.

:func:`source_window` finds the part of the source that covers a model window
(with a margin for the resampling kernel); :func:`onto_window` places a block
read from there onto the window: copied cell for cell where both grids share a
lattice (:func:`lattice_offset`), else resampled by GDAL's warper
(:func:`reproject_window`).  Only the window's part of the source is read and
warped, so the cost follows the window, not the size of the source.
"""

from __future__ import annotations

import math

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject
from rasterio.windows import Window

from .errors import CasaInputError
from .grid import GEOGRAPHIC_DEFAULT, SNAP_TOLERANCE, ModelGrid, window_of_bounds

__all__ = ["lattice_offset", "source_window", "onto_window", "reproject_window"]


def lattice_offset(source: ModelGrid, grid: ModelGrid) -> tuple[int, int] | None:
    """Return (columns, rows) from ``grid``'s origin to ``source``'s where both share a lattice.

    A shared lattice: the same CRS and cell size, and origins a whole number of
    cells apart (one grid is a shifted, cut or padded copy of the other).  None otherwise.
    """
    if (source.crs is None) != (grid.crs is None) or (source.crs is not None and source.crs != grid.crs):
        return None
    a, b = source.transform, grid.transform
    if a.b or a.d or b.b or b.d:
        return None
    if not (math.isclose(a.a, b.a, rel_tol=SNAP_TOLERANCE) and math.isclose(a.e, b.e, rel_tol=SNAP_TOLERANCE)):
        return None
    dc = (b.c - a.c) / a.a
    dr = (b.f - a.f) / a.e
    if abs(dc - round(dc)) > SNAP_TOLERANCE * 100 or abs(dr - round(dr)) > SNAP_TOLERANCE * 100:
        return None
    return int(round(dc)), int(round(dr))


def source_window(source: ModelGrid, grid: ModelGrid, window: Window, margin: int = 2) -> Window | None:
    """Return the window of ``source`` to read for ``window`` of ``grid``; None where it does not reach.

    On a shared lattice (:func:`lattice_offset`) it is the same cells, cut to the
    source; otherwise the cells touching the window's footprint widened by
    ``margin`` cells for the resampling kernel.
    """
    off = lattice_offset(source, grid)
    if off is not None:
        c0, r0 = int(window.col_off) + off[0], int(window.row_off) + off[1]
        c1, r1 = c0 + int(window.width), r0 + int(window.height)
        c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, source.width), min(r1, source.height)
        return Window(c0, r0, c1 - c0, r1 - r0) if c1 > c0 and r1 > r0 else None
    bounds = rasterio.windows.bounds(window, grid.transform)
    try:
        return window_of_bounds(source, bounds, grid.crs, margin=margin)
    except CasaInputError:
        # the window lies (partly) where the source CRS is undefined: read it all
        return Window(0, 0, source.width, source.height)


def onto_window(
    block: NDArray,
    block_window: Window,
    source: ModelGrid,
    grid: ModelGrid,
    window: Window,
    resampling: Resampling = Resampling.bilinear,
    dtype: str = "float32",
    nodata: float = np.nan,
) -> NDArray:
    """Place a source block onto ``window`` of ``grid``.

    ``block``: (bands, rows, cols) read from ``block_window`` of ``source``.  It is
    copied cell for cell on a shared lattice, else resampled
    (:func:`reproject_window`); ``nodata`` where no source cell reaches.
    """
    block = np.asarray(block)
    if block.ndim == 2:
        block = block[np.newaxis]
    off = lattice_offset(source, grid)
    if off is None:
        transform = rasterio.windows.transform(block_window, source.transform)
        return reproject_window(
            block, transform, source.crs or GEOGRAPHIC_DEFAULT, grid, window, resampling, dtype, nodata
        )
    out = np.full((block.shape[0], int(window.height), int(window.width)), nodata, dtype=dtype)
    r = int(block_window.row_off) - off[1] - int(window.row_off)
    c = int(block_window.col_off) - off[0] - int(window.col_off)
    out[:, r : r + block.shape[1], c : c + block.shape[2]] = block
    return out


def reproject_window(
    data: NDArray,
    src_transform: Affine,
    src_crs: CRS,
    grid: ModelGrid,
    window: Window,
    resampling: Resampling = Resampling.bilinear,
    dtype: str = "float32",
    nodata: float = np.nan,
) -> NDArray:
    """Resample ``data`` (bands, rows, cols; ``nodata`` marks gaps) onto ``window`` of ``grid``.

    Returns (bands, window rows, window cols) of ``dtype``, ``nodata`` where no
    source value reaches.  GDAL's kernels skip source gaps and re-weight the
    rest (bilinear near a coast takes the land cells only).
    """
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    out = np.full((data.shape[0], int(window.height), int(window.width)), nodata, dtype=dtype)
    if data.size == 0:
        return out
    reproject(
        source=data,
        destination=out,
        src_transform=src_transform,
        src_crs=src_crs,
        src_nodata=nodata,
        dst_transform=rasterio.windows.transform(window, grid.transform),
        dst_crs=grid.crs,
        dst_nodata=nodata,
        resampling=resampling,
    )
    return out

"""The model grid of the land-cover fractions, and how the fine map's cells fall into its cells.

Aligned (same CRS, a whole number of fine cells per model cell, origin on the fine grid's lines): each
model cell holds ``ky`` x ``kx`` fine cells, exactly.  Otherwise the fine map is sampled through a
nearest-neighbour warp onto ``ky`` x ``kx`` points per model cell at about the fine resolution (see
:mod:`.fractions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import rasterio
from affine import Affine
from rasterio.errors import RasterioIOError

from .affine_ops import matmul
from .errors import CasaInputError
from .grid import ModelGrid

__all__ = ["Plan", "fraction_grid", "plan_cells"]


def fraction_grid(fine: ModelGrid, reference: str | None = None, cell_size: float | None = None) -> ModelGrid:
    """Return the model grid: the ``reference`` raster's grid, or the fine map's extent in cells.

    The cells are ``cell_size`` (fine CRS units) wide, from the fine map's origin.
    """
    if reference:
        try:
            with rasterio.open(reference) as ds:
                grid = ModelGrid.of(ds)
        except (RasterioIOError, OSError) as exc:
            raise CasaInputError("REFERENCE", f"cannot open '{reference}' as a raster ({exc}).") from exc
        if grid.crs is None and fine.crs is not None:
            raise CasaInputError("REFERENCE", "the reference raster has no CRS; the land cover cannot be placed on it.")
        return grid
    if cell_size is None or not cell_size > 0:
        raise CasaInputError(
            "CELL_SIZE", "give a reference raster (e.g. the NPP stack) or a positive cell size for the model grid."
        )
    t = fine.transform
    if t.b != 0 or t.d != 0:
        raise CasaInputError("CELL_SIZE", "the land-cover map is rotated; give a reference raster instead.")
    left, bottom, right, top = fine.bounds
    width = max(1, math.ceil((right - left) / cell_size - 1e-6))
    height = max(1, math.ceil((top - bottom) / cell_size - 1e-6))
    if abs(t.a) > cell_size * (1 + 1e-9):
        raise CasaInputError(
            "CELL_SIZE",
            f"{cell_size:g} is finer than the land-cover map's cells ({abs(t.a):g}); "
            "fractions need a coarser model grid.",
        )
    return ModelGrid(fine.crs, Affine(cell_size, 0, left, 0, -cell_size, top), width, height)


@dataclass
class Plan:
    """How fine cells fall into model cells.

    ``ky`` x ``kx`` per model cell, the model grid's origin at fine row ``oy``,
    column ``ox`` (aligned), or a warp.
    """

    kx: int
    ky: int
    ox: int = 0
    oy: int = 0
    warp: dict | None = None


def _near_int(x: float, tol: float = 1e-6) -> int | None:
    r = round(x)
    return int(r) if abs(x - r) <= tol * max(1.0, abs(x)) else None


def plan_cells(fine: ModelGrid, model: ModelGrid, src_bounds) -> Plan:
    """Return how the cells of the ``fine`` map (extent ``src_bounds``) fall into those of ``model``."""
    f, m = fine.transform, model.transform
    same_crs = (fine.crs is None and model.crs is None) or (
        fine.crs is not None and model.crs is not None and fine.crs == model.crs
    )
    if same_crs and f.b == f.d == m.b == m.d == 0 and f.a > 0 and m.a > 0 and f.e < 0 and m.e < 0:
        kx, ky = _near_int(m.a / f.a), _near_int(m.e / f.e)
        ox = _near_int((m.c - f.c) / f.a, 1e-4)
        oy = _near_int((m.f - f.f) / f.e, 1e-4)
        if kx and ky and ox is not None and oy is not None:
            return Plan(kx, ky, ox, oy)
    # fine resolution in model CRS units, from the fine map's extent
    if model.crs is None or fine.crs is None:
        raise CasaInputError("LANDCOVER", "the land cover or the model grid has no CRS, and they are not aligned.")
    from rasterio.warp import transform_bounds

    try:
        x0, y0, x1, y1 = transform_bounds(fine.crs, model.crs, *src_bounds, densify_pts=21)
    except Exception as exc:
        raise CasaInputError(
            "LANDCOVER", f"cannot transform the land cover's extent to the model CRS ({exc})."
        ) from exc
    fx, fy = (x1 - x0) / fine.width, (y1 - y0) / fine.height
    if not (fx > 0 and fy > 0):
        raise CasaInputError("LANDCOVER", "the land cover's extent is empty in the model CRS.")
    sx = max(1, math.ceil(abs(m.a) / fx - 1e-6)) if m.b == 0 else max(1, math.ceil(math.hypot(m.a, m.d) / fx))
    sy = max(1, math.ceil(abs(m.e) / fy - 1e-6)) if m.d == 0 else max(1, math.ceil(math.hypot(m.b, m.e) / fy))
    sub = matmul(m, Affine.scale(1.0 / sx, 1.0 / sy))
    return Plan(sx, sy, warp=dict(crs=model.crs, transform=sub, width=model.width * sx, height=model.height * sy))

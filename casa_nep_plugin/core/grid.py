"""The model grid: CRS, transform and size that every stack is read onto, and how one is built.

A :class:`ModelGrid` comes from one of two places:

1. **A reference raster** (:func:`grid_from_reference`): its CRS, transform and
   size, unchanged.  With an extent as well, the grid is the reference's sub-grid
   of the cells that touch the extent (:func:`cut_grid`: the extent is
   transformed into the reference CRS, densified along its edges, and widened
   outward to whole cells), so the result is still cell for cell aligned with
   the reference.  The preparation tools cut their input's own grid the same
   way when no model grid is given.
2. **An extent, a CRS and a cell size** (:func:`grid_from_extent`): the extent is
   transformed into the CRS (densified edges), then widened outward to the
   nearest multiples of the cell size counted from the CRS origin (or from a
   given ``origin``): ``xmin = floor(xmin / c) * c``, ``xmax = ceil(xmax / c) * c``,
   likewise for y.  Two grids built with the same CRS, cell size and origin
   therefore line up cell for cell whatever extents were drawn.  An edge within
   1e-6 of a cell of a lattice line is taken as on it (no sliver row or column
   from floating-point noise).  The cell size is in the CRS's units: metres in
   a projected CRS (250 in a UTM zone), degrees in a geographic one (0.0025).

Reading a source that sits on another grid onto a window of the model grid is
in :mod:`.resample`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.errors import CRSError, RasterioIOError
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from .affine_ops import matmul
from .errors import CasaInputError

#: Output tile size (cells); block windows are whole multiples of it.
TILE = 256
#: CRS of rasters that carry none on a regular lon/lat grid (NetCDF from the CDS).
GEOGRAPHIC_DEFAULT = CRS.from_epsg(4326)
#: Edges this close to a lattice line (in cells) count as on it.
SNAP_TOLERANCE = 1e-6
#: Largest grid :func:`grid_from_extent` builds (cells); more is almost surely a unit mix-up.
MAX_CELLS = 4_000_000_000


@dataclass(frozen=True)
class ModelGrid:
    """A raster grid: CRS, affine transform (cell corners) and size in cells."""

    crs: CRS | None
    transform: Affine
    width: int
    height: int

    @classmethod
    def of(cls, dataset) -> ModelGrid:
        """Return the grid of an open rasterio dataset."""
        return cls(dataset.crs, dataset.transform, dataset.width, dataset.height)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return (min(xs), min(ys), max(xs), max(ys))

    def aligned_with(self, other: ModelGrid, tolerance: float = 1e-6) -> bool:
        """Return True where both grids share CRS, size and transform (to ``tolerance`` cells)."""
        if self.shape != other.shape:
            return False
        if (self.crs is None) != (other.crs is None):
            return False
        if self.crs is not None and self.crs != other.crs:
            return False
        a, b = self.transform, other.transform
        cell = max(abs(a.a), abs(a.e))
        return all(math.isclose(x, y, rel_tol=0, abs_tol=tolerance * cell) for x, y in zip(a[:6], b[:6]))

    def windows(self, max_values: int, bands: int = 1, block: tuple[int, int] | None = None) -> Iterator[Window]:
        """Windows covering the grid, each holding at most about ``max_values``.

        Windows are a whole number of TILE cells high and wide (so tiled outputs
        are written tile by tile), read and written in order.  ``bands`` is the
        deepest stack read per window.  ``block`` (rows, cols): the block layout of
        the main input on this grid; windows then hold whole blocks of it, so no
        block is decompressed twice (whole-width strips: full-width windows).
        """
        step_y, unit_x = TILE, TILE
        if block is not None:
            rows, cols = block
            if 0 < rows <= 4 * TILE:
                step_y = math.lcm(TILE, rows)
            if cols >= self.width:  # strips: a window spans the width
                unit_x = max(TILE, self.width)
            elif 0 < cols <= 4 * TILE:
                unit_x = math.lcm(TILE, cols)
        per_unit = step_y * unit_x * max(bands, 1)
        while step_y > TILE and step_y % (2 * TILE) == 0 and per_unit > max_values:  # within the budget
            step_y //= 2
            per_unit //= 2
        units_across = max(1, max_values // per_unit)
        step_x = units_across * unit_x
        for row in range(0, self.height, step_y):
            h = min(step_y, self.height - row)
            for col in range(0, self.width, step_x):
                yield Window(col, row, min(step_x, self.width - col), h)

    def row_cell_areas(self, row_off: int = 0, height: int | None = None) -> NDArray:
        """Cell area (m2) of each row; ellipsoidal in a geographic CRS.

        In a projected CRS: |a*e| of the transform times the square of the
        linear unit's metres.  In a geographic CRS: the exact area of a cell of
        the ellipsoid between the row's bounding parallels (authalic latitude).
        """
        height = self.height - row_off if height is None else height
        t = self.transform
        if self.crs is not None and self.crs.is_geographic:
            from pyproj import CRS as PCRS

            ellps = PCRS.from_user_input(self.crs.to_wkt()).ellipsoid
            if ellps is None:
                raise ValueError(f"{self.crs} names no ellipsoid, so its cell areas are unknown")
            a = ellps.semi_major_metre
            inv_f = ellps.inverse_flattening
            f = 1.0 / inv_f if inv_f else 0.0
            e2 = f * (2 - f)
            rows = np.arange(row_off, row_off + height + 1, dtype=np.float64)
            lat = np.radians(t.f + t.e * rows)
            q = _authalic_q(np.sin(lat), e2)
            dlon = np.radians(abs(t.a))
            band = np.abs(np.diff(q)) * a * a * (1 - e2) / 2.0
            return band * dlon
        unit = 1.0
        if self.crs is not None:
            try:
                unit = float(self.crs.linear_units_factor[1])
            except Exception:  # noqa: BLE001 - unknown unit: assume metres
                unit = 1.0
        area = abs(t.a * t.e - t.b * t.d) * unit * unit
        return np.full(height, area)


def _authalic_q(sin_phi: NDArray, e2: float) -> NDArray:
    """q(phi) of the authalic latitude; cell area = a^2 (1-e2)/2 * |dq| * dlon."""
    if e2 == 0:
        return 2.0 * sin_phi
    e = math.sqrt(e2)
    return sin_phi / (1 - e2 * sin_phi**2) - (1 / (2 * e)) * np.log((1 - e * sin_phi) / (1 + e * sin_phi))


# -- building a grid --------------------------------------------------------------------


def as_crs(value, parameter: str) -> CRS:
    """Return a rasterio CRS from a CRS, ``EPSG:xxxx``, WKT or PROJ string."""
    if isinstance(value, CRS):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CasaInputError(parameter, "no CRS was given.")
    try:
        return CRS.from_user_input(value)
    except (CRSError, ValueError, TypeError) as exc:
        raise CasaInputError(parameter, f"'{value}' is not a CRS GDAL knows ({exc}).") from exc


def subgrid(grid: ModelGrid, window: Window) -> ModelGrid:
    """Return the grid of ``window`` (integer offsets and size) of ``grid``."""
    w = Window(int(window.col_off), int(window.row_off), int(window.width), int(window.height))
    return ModelGrid(grid.crs, rasterio.windows.transform(w, grid.transform), int(w.width), int(w.height))


def _transformed_bounds(bounds, src_crs: CRS | None, dst_crs: CRS | None, parameter: str):
    if src_crs is None or dst_crs is None or src_crs == dst_crs:
        return tuple(float(b) for b in bounds)
    try:
        return transform_bounds(src_crs, dst_crs, *bounds, densify_pts=21)
    except Exception as exc:
        raise CasaInputError(parameter, f"cannot transform the extent from {src_crs} to {dst_crs} ({exc}).") from exc


def window_of_bounds(grid: ModelGrid, bounds, bounds_crs: CRS | None = None, margin: int = 0) -> Window | None:
    """Return the window of ``grid`` whose cells touch ``bounds`` (widened by ``margin`` cells).

    ``bounds`` (left, bottom, right, top) in ``bounds_crs`` (default: the grid's
    CRS).  Whole cells, clipped to the grid; None where they do not overlap.
    Works for north-up grids (the only ones GDAL writes for these products).
    """
    b = _transformed_bounds(bounds, bounds_crs, grid.crs, "EXTENT")
    inv = ~grid.transform
    cols, rows = [], []
    for x, y in ((b[0], b[1]), (b[0], b[3]), (b[2], b[1]), (b[2], b[3])):
        c, r = matmul(inv, (x, y))
        cols.append(c)
        rows.append(r)
    c0 = math.floor(min(cols) + SNAP_TOLERANCE) - margin
    c1 = math.ceil(max(cols) - SNAP_TOLERANCE) + margin
    r0 = math.floor(min(rows) + SNAP_TOLERANCE) - margin
    r1 = math.ceil(max(rows) - SNAP_TOLERANCE) + margin
    c0, r0 = max(c0, 0), max(r0, 0)
    c1, r1 = min(c1, grid.width), min(r1, grid.height)
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def grid_from_reference(
    path: str,
    extent=None,
    extent_crs=None,
    parameter: str = "GRID_REFERENCE",
) -> ModelGrid:
    """Return the grid of the raster at ``path``; with ``extent``, its sub-grid of the cells touching it.

    A raster without a CRS is taken as EPSG:4326 only when its coordinates look
    like degrees; otherwise it is refused (a grid without a CRS cannot be
    aligned to anything).
    """
    try:
        with rasterio.open(path) as ds:
            grid = ModelGrid.of(ds)
    except (RasterioIOError, OSError) as exc:
        raise CasaInputError(parameter, f"cannot open '{path}' as a raster ({exc}).") from exc
    if grid.crs is None:
        left, bottom, right, top = grid.bounds
        lonlat = -180.0 <= left and right <= 360.0 and -90.0 <= bottom and top <= 90.0
        if lonlat and grid.transform != Affine.identity():
            grid = ModelGrid(GEOGRAPHIC_DEFAULT, grid.transform, grid.width, grid.height)
        else:
            raise CasaInputError(parameter, f"'{os.path.basename(path)}' has no CRS; assign one (gdal_edit.py -a_srs).")
    return cut_grid(grid, extent, extent_crs, f"the reference raster '{os.path.basename(path)}'")


def cut_grid(grid: ModelGrid, extent=None, extent_crs=None, what: str = "the input") -> ModelGrid:
    """Return the sub-grid of ``grid``'s cells touching ``extent`` (``grid`` itself without one).

    An extent without a CRS is taken in the grid's own CRS.  Raises when they do not overlap.
    """
    if extent is None:
        return grid
    ecrs = as_crs(extent_crs, "EXTENT") if extent_crs is not None else grid.crs
    win = window_of_bounds(grid, extent, ecrs)
    if win is None:
        left, bottom, right, top = grid.bounds
        raise CasaInputError(
            "EXTENT",
            f"the extent does not overlap {what} ({left:.6g}, {bottom:.6g} .. "
            f"{right:.6g}, {top:.6g} in {grid.crs.to_string() if grid.crs else 'its units'}).",
        )
    return subgrid(grid, win)


def _snap(lo: float, hi: float, cell: float, origin: float) -> tuple[int, int]:
    """Lattice indices (from ``origin``, step ``cell``) of the outward-widened [lo, hi]."""
    a = (lo - origin) / cell
    b = (hi - origin) / cell
    i0 = math.floor(a + SNAP_TOLERANCE)
    i1 = math.ceil(b - SNAP_TOLERANCE)
    if i1 <= i0:
        i1 = i0 + 1
    return i0, i1


def grid_from_extent(
    extent,
    crs,
    cell_size: float | tuple[float, float],
    extent_crs=None,
    origin: tuple[float, float] = (0.0, 0.0),
    parameter: str = "GRID_CELL_SIZE",
) -> ModelGrid:
    """Return a north-up grid covering ``extent`` in ``crs`` with square (or (x, y)) cells.

    ``extent`` is (xmin, ymin, xmax, ymax) in ``extent_crs`` (default ``crs``);
    ``cell_size`` in the units of ``crs`` (metres or degrees).  Edges are snapped
    outward to multiples of the cell size from ``origin`` (module docstring).
    """
    crs = as_crs(crs, "GRID_CRS")
    cx, cy = (cell_size, cell_size) if not isinstance(cell_size, (tuple, list)) else cell_size
    try:
        cx, cy = float(cx), float(cy)
    except (TypeError, ValueError) as exc:
        raise CasaInputError(parameter, f"the cell size must be a number, not {cell_size!r}.") from exc
    if not (cx > 0 and cy > 0 and math.isfinite(cx) and math.isfinite(cy)):
        raise CasaInputError(parameter, f"the cell size must be a positive number, not {cell_size!r}.")
    if crs.is_geographic and max(cx, cy) > 10:
        raise CasaInputError(
            parameter,
            f"{crs.to_string()} is geographic, so the cell size is in degrees; {max(cx, cy):g} degrees looks like "
            "metres (250 m is about 0.0025 degrees). Give degrees, or choose a projected CRS such as a UTM zone.",
        )
    if not crs.is_geographic and min(cx, cy) < 0.01:
        raise CasaInputError(
            parameter,
            f"{crs.to_string()} is projected, so the cell size is in its linear unit (metres); {min(cx, cy):g} looks "
            "like degrees. Give e.g. 250 for 250 m cells.",
        )
    if extent is None or len(extent) != 4:
        raise CasaInputError("EXTENT", "an extent (xmin, ymin, xmax, ymax) is needed to build a grid from a cell size.")
    ecrs = as_crs(extent_crs, "EXTENT") if extent_crs is not None else crs
    xmin, ymin, xmax, ymax = _transformed_bounds(extent, ecrs, crs, "EXTENT")
    if not (xmax > xmin and ymax > ymin) or not all(map(math.isfinite, (xmin, ymin, xmax, ymax))):
        raise CasaInputError("EXTENT", f"the extent ({xmin:g}, {ymin:g}, {xmax:g}, {ymax:g}) is empty or invalid.")
    i0, i1 = _snap(xmin, xmax, cx, origin[0])
    j0, j1 = _snap(ymin, ymax, cy, origin[1])
    width, height = i1 - i0, j1 - j0
    if width * height > MAX_CELLS:
        raise CasaInputError(
            parameter,
            f"the grid would have {width} x {height} cells; check that the cell size ({cx:g}) is in the units "
            f"of {crs.to_string()} and the extent is what you meant.",
        )
    transform = Affine(cx, 0.0, origin[0] + i0 * cx, 0.0, -cy, origin[1] + j1 * cy)
    return ModelGrid(crs, transform, width, height)

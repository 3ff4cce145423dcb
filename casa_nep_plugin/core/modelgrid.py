"""Building the model grid that every prepared stack shares, and reading sources onto it.

A :class:`~.grid.ModelGrid` comes from one of two places:

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

The other helpers read a source raster that sits on another grid window by
window: :func:`source_window` finds the part of the source that covers a model
window (with a margin for the resampling kernel) and :func:`reproject_window`
resamples an in-memory source block onto the model window.  :func:`write_stack`
writes an in-memory stack on a grid through the block engine (temporary file,
renamed on success).
"""

from __future__ import annotations

import math
import os
import re
import warnings

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import CRSError, NotGeoreferencedWarning, RasterioIOError
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window

from .affine_ops import matmul
from .engine import NODATA, OutputSpec, run_blocks
from .errors import CasaInputError
from .grid import ModelGrid

__all__ = [
    "GEOGRAPHIC_DEFAULT",
    "as_crs",
    "grid_from_reference",
    "grid_from_extent",
    "cut_grid",
    "describe_grid",
    "subgrid",
    "window_of_bounds",
    "lattice_offset",
    "source_window",
    "onto_window",
    "reproject_window",
    "write_stack",
    "open_raster",
    "pick_subdataset",
]

#: CRS of rasters that carry none on a regular lon/lat grid (NetCDF from the CDS).
GEOGRAPHIC_DEFAULT = CRS.from_epsg(4326)
#: Edges this close to a lattice line (in cells) count as on it.
SNAP_TOLERANCE = 1e-6
#: Largest grid :func:`grid_from_extent` builds (cells); more is almost surely a unit mix-up.
MAX_CELLS = 4_000_000_000


def as_crs(value, parameter: str) -> CRS:
    """A rasterio CRS from a CRS, ``EPSG:xxxx``, WKT or PROJ string."""
    if isinstance(value, CRS):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CasaInputError(parameter, "no CRS was given.")
    try:
        return CRS.from_user_input(value)
    except (CRSError, ValueError, TypeError) as exc:
        raise CasaInputError(parameter, f"'{value}' is not a CRS GDAL knows ({exc}).") from exc


def describe_grid(grid: ModelGrid) -> str:
    """``'W x H cells of C (units) in CRS'`` for messages and metadata."""
    crs = grid.crs
    name = crs.to_string() if crs is not None else "no CRS"
    unit = "degrees" if crs is not None and crs.is_geographic else "m"
    cell = f"{abs(grid.transform.a):.10g} x {abs(grid.transform.e):.10g} {unit}"
    return f"{grid.width} x {grid.height} cells of {cell} in {name}"


def subgrid(grid: ModelGrid, window: Window) -> ModelGrid:
    """The grid of ``window`` (integer offsets and size) of ``grid``."""
    w = Window(int(window.col_off), int(window.row_off), int(window.width), int(window.height))
    return ModelGrid(grid.crs, rasterio.windows.transform(w, grid.transform), int(w.width), int(w.height))


def _transformed_bounds(bounds, src_crs: CRS | None, dst_crs: CRS | None, parameter: str):
    if src_crs is None or dst_crs is None or src_crs == dst_crs:
        return tuple(float(b) for b in bounds)
    try:
        return transform_bounds(src_crs, dst_crs, *bounds, densify_pts=21)
    except Exception as exc:  # noqa: BLE001 - PROJ says why
        raise CasaInputError(parameter, f"cannot transform the extent from {src_crs} to {dst_crs} ({exc}).") from exc


def window_of_bounds(grid: ModelGrid, bounds, bounds_crs: CRS | None = None, margin: int = 0) -> Window | None:
    """The window of ``grid`` whose cells touch ``bounds`` (widened by ``margin`` cells).

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
    """The grid of the raster at ``path``; with ``extent``, its sub-grid of the cells touching it.

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
    """The sub-grid of ``grid``'s cells touching ``extent`` (``grid`` itself without one).

    An extent without a CRS is taken in the grid's own CRS.  Raises when they do not overlap.
    """
    if extent is None:
        return grid
    ecrs = as_crs(extent_crs, "EXTENT") if extent_crs is not None else grid.crs
    win = window_of_bounds(grid, extent, ecrs)
    if win is None:
        left, bottom, right, top = grid.bounds
        raise CasaInputError("EXTENT", f"the extent does not overlap {what} ({left:.6g}, {bottom:.6g} .. "
                             f"{right:.6g}, {top:.6g} in {grid.crs.to_string() if grid.crs else 'its units'}).")
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
    """A north-up grid covering ``extent`` in ``crs`` with square (or (x, y)) cells.

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


# -- reading sources that sit on another grid ---------------------------------------------


def lattice_offset(source: ModelGrid, grid: ModelGrid) -> tuple[int, int] | None:
    """(columns, rows) from ``grid``'s origin to ``source``'s when both share CRS, cell size
    and lattice (one is a shifted, cut or padded copy of the other); None otherwise."""
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
    """The window of ``source`` to read for ``window`` of ``grid``; None where it does not reach.

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
    """Place a source block (bands, rows, cols read from ``block_window`` of ``source``) onto
    ``window`` of ``grid``: copied cell for cell on a shared lattice, else resampled
    (:func:`reproject_window`).  ``nodata`` where no source cell reaches."""
    block = np.asarray(block)
    if block.ndim == 2:
        block = block[np.newaxis]
    off = lattice_offset(source, grid)
    if off is None:
        transform = rasterio.windows.transform(block_window, source.transform)
        return reproject_window(block, transform, source.crs or GEOGRAPHIC_DEFAULT, grid, window,
                                resampling, dtype, nodata)
    out = np.full((block.shape[0], int(window.height), int(window.width)), nodata, dtype=dtype)
    r = int(block_window.row_off) - off[1] - int(window.row_off)
    c = int(block_window.col_off) - off[0] - int(window.col_off)
    out[:, r:r + block.shape[1], c:c + block.shape[2]] = block
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


def write_stack(
    path: str,
    grid: ModelGrid,
    data: NDArray,
    descriptions: list[str],
    units: str = "",
    tags: dict[str, str] | None = None,
    nodata: float = NODATA,
    dtype: str = "float32",
    parameter: str = "OUTPUT",
) -> str:
    """Write an in-memory (bands, rows, cols) stack (NaN for nodata) on ``grid``.

    Through the block engine: tiled, compressed, band descriptions and units set,
    written to a temporary file and renamed on success.
    """
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    if data.shape[1:] != grid.shape:
        raise ValueError(f"stack of {data.shape[1:]} cells for a grid of {grid.shape}")
    spec = OutputSpec("stack", path, list(descriptions), units, dict(tags or {}), nodata, dtype, parameter)

    def compute(window: Window) -> dict[str, NDArray]:
        r0, c0 = int(window.row_off), int(window.col_off)
        return {"stack": data[:, r0:r0 + int(window.height), c0:c0 + int(window.width)]}

    run_blocks(grid, compute, [spec], depth=max(1, data.shape[0]))
    return path


# -- containers: HDF4 / NetCDF subdatasets ------------------------------------------------


def open_raster(path: str):
    """``rasterio.open`` without the warning containers (HDF4, NetCDF with subdatasets) raise
    for having no geotransform of their own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(path)


_SDS_NAME = re.compile(r":([^:]+)$")


def subdataset_label(name: str) -> str:
    """The variable part of a GDAL subdataset name (``...:"250m 16 days NDVI"`` -> that text)."""
    m = _SDS_NAME.search(name)
    return (m.group(1) if m else name).strip().strip('"')


def pick_subdataset(
    path: str, subdatasets: list[str], patterns: list[str], parameter: str, what: str, required: bool = True
) -> str | None:
    """The first subdataset whose variable name matches one of ``patterns`` (regex, case-insensitive).

    Patterns are tried in order, so the first is the preferred one.  Raises,
    listing the subdatasets, when none matches and ``required``.
    """
    labels = [subdataset_label(s) for s in subdatasets]
    for pat in patterns:
        rx = re.compile(pat, re.IGNORECASE)
        for name, label in zip(subdatasets, labels):
            if rx.search(label):
                return name
    if not required:
        return None
    shown = ", ".join(labels[:12]) + (" ..." if len(labels) > 12 else "")
    raise CasaInputError(
        parameter, f"'{os.path.basename(path)}' holds no {what} layer; its layers are: {shown or 'none'}."
    )

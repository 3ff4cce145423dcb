"""Land-cover fractions: a fine class map (e.g. 10 m) to per-class cover fractions on a coarser grid.

The majority class of each model cell comes with them.

For every model cell and class ``c``: ``f_c = n_c / n`` where ``n_c`` counts the
fine cells of class ``c`` inside the model cell and ``n`` those of any class
(fine cells with no data, or with codes the table marks ``nodata``, are left
out; a model cell with none is nodata).  The majority class is the class with
the largest count (ties: the first in the table's order).

Classes come from a code table (CSV ``code,class[,label]``; ``#`` lines
are comments; class ``nodata`` marks fill codes), read by
:func:`.tables.load_class_map`.  The output bands follow the order in which
classes first appear in the table; the shipped tables (:mod:`.products`) map ESA
WorldCover, GLC_FCS30 and MODIS IGBP codes to the study's six classes (forest,
cropland, grassland, water, built-up, bare).

Streaming: the model grid is walked window by window (full-width strips) and,
within each, in chunks of a few million fine cells; each chunk reads only the
matching window of the fine map at full resolution (never its overviews) and
counts all classes in one pass (:mod:`.classcount`).  Memory is bounded by
the chunk size, not by the map.

When the model grid is the fine grid's CRS, with a cell size that is a whole
multiple of the fine cell and an origin on the fine grid's lines (10 m to
250 m, 1/12000 to 1/480 degree), every fine cell falls in exactly one model
cell and the fractions are exact.  Otherwise (another CRS, or a cell size
that is no whole multiple) the fine map is read through a nearest-neighbour
warp onto a sub-grid of ``kx`` x ``ky`` samples per model cell at about the
fine resolution; each fraction is then a multiple of ``1/(kx*ky)``, off by at
most the share of the cell's border samples that pick a neighbouring fine cell.  The model grid and
this placement are in :mod:`.fraction_grid`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from .classcount import ClassCounter, as_unsigned
from .engine import Callbacks, run_chunks
from .errors import CasaInputError
from .fraction_grid import Plan, fraction_grid, plan_cells
from .grid import TILE, ModelGrid
from .outputs import OutputSpec, check_writable, metadata_json, provenance_tags
from .raster import ThreadLocalDatasets
from .tables import ClassMap, load_class_map

__all__ = ["landcover_fractions"]

#: Fine cells counted per chunk (bounds memory: about 20 bytes per fine cell at peak).
CHUNK_CELLS = 1 << 22
#: Worker threads, each reading and counting its own chunks with its own file handle.  One by
#: default: the lookups and ``np.bincount`` hold Python's GIL, and on two cores a second thread
#: made mixed maps slower (0.66 s vs 1.29 s for 1e8 cells here).
THREADS = 1
#: Majority raster: nodata value (classes are numbered 1..n in band order).
MAJORITY_NODATA = 0
#: Colours for the study's classes (RGB) in the majority raster's palette.
CLASS_COLOURS = {
    "forest": (0, 100, 0),
    "cropland": (240, 150, 255),
    "grassland": (255, 255, 76),
    "water": (0, 100, 200),
    "built-up": (250, 0, 0),
    "bare": (180, 180, 180),
}


def _read_fine(src, row: int, col: int, nrows: int, ncols: int, fill: int, dtype) -> NDArray:
    """Read a window of ``src`` at full resolution, padded with ``fill`` outside it."""
    r0, c0 = max(row, 0), max(col, 0)
    r1, c1 = min(row + nrows, src.height), min(col + ncols, src.width)
    if r0 == row and c0 == col and r1 == row + nrows and c1 == col + ncols:
        return src.read(1, window=Window(col, row, ncols, nrows))
    out = np.full((nrows, ncols), fill, dtype=dtype)
    if r0 < r1 and c0 < c1:
        out[r0 - row : r1 - row, c0 - col : c1 - col] = src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
    return out


def _fill_value(dtype: np.dtype, nodata: float | None, class_map: ClassMap) -> int:
    """Return a value for fine cells outside the map: its nodata, else a code the table lacks."""
    if nodata is not None and math.isfinite(nodata):
        return int(nodata)
    info = np.iinfo(dtype)
    for v in (info.max, info.min, *range(info.max - 1, info.max - 1000, -1)):
        if v not in class_map.mapping:
            return int(v)
    raise CasaInputError("LANDCOVER", "cannot find a fill value outside the class table's codes.")


@dataclass
class _FractionsTask:
    """The window task of :func:`landcover_fractions`.

    ``task(window, part)`` -> the window's fractions (and majority) and the
    counters ``_totals`` (fine cells per bin) and ``_unknown`` (which raw codes
    the table lacks).  Pure and picklable: each thread, here or on a Dask
    worker, reads through its own handle.
    """

    path: str
    plan: Plan
    lut: NDArray
    nbins: int
    n: int
    fill: int
    dtype: str
    src_nodata: float | None
    chunk_cells: int
    majority: bool
    _files: ThreadLocalDatasets = field(default_factory=ThreadLocalDatasets, repr=False)

    def input_paths(self) -> list[tuple[str, str]]:
        """(parameter, path) of what the task reads."""
        return [("LANDCOVER", self.path)]

    def _view(self) -> tuple[object, ClassCounter]:
        """Return the calling thread's handle of the fine map (through the warp if not aligned) and counter."""
        view = ds = self._files.get(self.path)
        if self.plan.warp is not None:
            extra = {"src_nodata": self.src_nodata} if self.src_nodata is not None else {}
            view = self._files.get(
                ("warp", self.path),
                lambda _key: WarpedVRT(ds, resampling=Resampling.nearest, nodata=self.fill, **extra, **self.plan.warp),
            )
        counter = self._files.get(
            ("counter", self.path), lambda _key: ClassCounter(self.lut, self.nbins, self.plan.ky, self.plan.kx)
        )
        return view, counter

    def _chunks(self, window: Window):
        ky_kx = self.plan.ky * self.plan.kx
        wr0, wc0, wh, ww = int(window.row_off), int(window.col_off), int(window.height), int(window.width)
        cw = ww if ky_kx * ww <= self.chunk_cells else max(1, self.chunk_cells // ky_kx)
        ch = max(1, self.chunk_cells // (ky_kx * cw))
        for r in range(wr0, wr0 + wh, ch):
            for c in range(wc0, wc0 + ww, cw):
                yield r, c, min(ch, wr0 + wh - r), min(cw, wc0 + ww - c)

    def __call__(self, window: Window, part: int = 0) -> dict[str, NDArray]:
        view, ctr = self._view()
        plan, nbins, dtype = self.plan, self.nbins, np.dtype(self.dtype)
        wr0, wc0, wh, ww = int(window.row_off), int(window.col_off), int(window.height), int(window.width)
        counts = np.zeros((wh, ww, nbins), np.int64)
        unknown = None
        for r0, c0, h, w in self._chunks(window):
            s = _read_fine(
                view, plan.oy + r0 * plan.ky, plan.ox + c0 * plan.kx, h * plan.ky, w * plan.kx, self.fill, dtype
            )
            s = as_unsigned(s)
            cnt = ctr.count(s, h, w)
            if cnt[..., self.n + 1].any():
                if unknown is None:
                    unknown = np.zeros(1 << (8 * dtype.itemsize), bool)
                unknown[np.unique(s[self.lut[s] == self.n + 1])] = True
            counts[r0 - wr0 : r0 - wr0 + cnt.shape[0], c0 - wc0 : c0 - wc0 + cnt.shape[1]] = cnt
        cls = counts[..., : self.n]
        valid = cls.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(valid[..., None] > 0, cls / np.maximum(valid, 1)[..., None], np.nan)
        out = {
            "fractions": np.moveaxis(frac.astype(np.float32), -1, 0),
            "_totals": counts.reshape(-1, nbins).sum(axis=0),
        }
        if unknown is not None:
            out["_unknown"] = unknown
        if self.majority:
            maj = np.argmax(cls, axis=-1).astype(np.float32) + 1
            out["majority"] = np.where(valid > 0, maj, np.nan)[None]
        return out

    def close(self) -> None:
        """Close every thread's handle."""
        self._files.close()


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _FineMap:
    """The fine land-cover map as opened and checked: path, code type, nodata, grid and bounds."""

    path: str
    dtype: np.dtype
    nodata: float | None
    grid: ModelGrid
    bounds: tuple[float, ...]  #: left, bottom, right, top


def _open_fine(landcover: str) -> _FineMap:
    """Open the fine map and check it holds one band of 8- or 16-bit integer codes."""
    if not landcover:
        raise CasaInputError("LANDCOVER", "no land-cover raster was given.")
    try:
        src = rasterio.open(landcover)
    except (RasterioIOError, OSError) as exc:
        raise CasaInputError("LANDCOVER", f"cannot open '{landcover}' as a raster ({exc}).") from exc
    with src:
        if src.count != 1:
            raise CasaInputError("LANDCOVER", f"must have one band of class codes, not {src.count}.")
        dtype = np.dtype(src.dtypes[0])
        if dtype.kind not in "iu" or dtype.itemsize > 2:
            raise CasaInputError(
                "LANDCOVER",
                f"must hold integer class codes of 8 or 16 bits, not {dtype.name}; "
                "convert it (gdal_translate -ot UInt16) first.",
            )
        return _FineMap(landcover, dtype, src.nodata, ModelGrid.of(src), tuple(src.bounds))


def _fractions_task(
    fine: _FineMap, grid: ModelGrid, cmap: ClassMap, chunk_cells: int, majority: bool, cb: Callbacks
) -> _FractionsTask:
    """Return the window task that counts ``fine`` onto ``grid``, saying how fine cells fall into model cells."""
    plan = plan_cells(fine.grid, grid, fine.bounds)
    fill = _fill_value(fine.dtype, fine.nodata, cmap)
    if plan.warp is None:
        cb.info(
            f"Land cover {fine.grid.width} x {fine.grid.height} to a {grid.width} x {grid.height} grid: "
            f"{plan.ky} x {plan.kx} fine cells per model cell (aligned, exact)."
        )
    else:
        cb.warning(
            f"LANDCOVER: not aligned with the model grid; sampled by nearest neighbour on "
            f"{plan.ky} x {plan.kx} points per model cell (fractions to 1/{plan.kx * plan.ky})."
        )
    return _FractionsTask(
        fine.path,
        plan,
        cmap.lut(fine.dtype, fine.nodata, fill),
        cmap.n + 2,
        cmap.n,
        fill,
        fine.dtype.str,
        fine.nodata,
        chunk_cells,
        majority,
    )


def _output_specs(
    cmap: ClassMap, plan: Plan, landcover: str, output: str, majority_output: str | None
) -> list[OutputSpec]:
    """Return the specs of the fractions raster and, when asked for, the majority raster, with provenance tags."""
    method = (
        "fraction of fine cells of each class in the model cell (aligned: exact; else nearest-"
        f"neighbour samples, {plan.ky}x{plan.kx} per cell)"
    )
    params = {"classes": list(cmap.classes), "class_table": os.path.basename(cmap.path)}
    inputs: dict[str, str | None] = {"landcover": os.path.basename(landcover)}
    specs = [
        OutputSpec(
            "fractions", output, list(cmap.classes), "1", provenance_tags("cover fraction", "1", method, params, inputs)
        )
    ]
    if majority_output:
        tags = provenance_tags("majority class", "class number", method, params, inputs)
        tags["casanep_class_numbers"] = metadata_json({str(i + 1): c for i, c in enumerate(cmap.classes)})
        specs.append(
            OutputSpec(
                "majority",
                majority_output,
                ["majority class"],
                "class number",
                tags,
                nodata=MAJORITY_NODATA,
                dtype="uint8",
                parameter="MAJORITY_OUTPUT",
            )
        )
    return specs


def _report(totals: NDArray, present: NDArray | None, dtype: np.dtype, cmap: ClassMap, cb: Callbacks) -> None:
    """Warn of fine cells with codes the table lacks (``present``: which raw codes) and give the class shares."""
    if totals[cmap.n + 1]:
        unknown = (
            []
            if present is None
            else sorted(int(c) for c in np.flatnonzero(present).astype(f"u{dtype.itemsize}").view(dtype))
        )
        cb.warning(
            f"LANDCOVER: {int(totals[cmap.n + 1])} fine cells hold codes the class table lacks "
            f"({', '.join(str(c) for c in unknown[:20])}{' ...' if len(unknown) > 20 else ''}); they were "
            "left out as no data."
        )
    have = totals[: cmap.n].sum()
    if have == 0:
        cb.warning("LANDCOVER: no fine cell with a class fell on the model grid; every output cell is nodata.")
    else:
        shares = ", ".join(f"{c} {100 * totals[i] / have:.1f} %" for i, c in enumerate(cmap.classes))
        cb.info(f"Class shares over the grid: {shares}.")


def landcover_fractions(
    landcover: str,
    output: str,
    class_table: str | Path | None = "worldcover",
    reference: str | None = None,
    cell_size: float | None = None,
    majority_output: str | None = None,
    callbacks: Callbacks | None = None,
    threads: int = THREADS,
    chunk_cells: int = CHUNK_CELLS,
) -> dict[str, str]:
    """Write per-class cover fractions (and the majority class) of ``landcover`` on a model grid.

    The model grid is the ``reference`` raster's (e.g. the NPP stack, so the
    fractions line up with the fluxes) or the land cover's extent in cells of
    ``cell_size`` (its CRS units).  ``class_table``: a product name
    (``worldcover`` or ``esa_worldcover``, ``glc_fcs30``, ``modis_igbp``: its
    shipped table to the study's six classes) or a CSV path.  ``output``:
    float32 GeoTIFF, one band per class described by the class name (fractions,
    unitless), nodata -9999 where no fine cell has a class.
    ``majority_output``: uint8 GeoTIFF of class numbers 1..n (band order), 0
    nodata, with the class names as categories and a palette.  Return the
    written paths by key (``fractions``, ``majority``).
    """
    cb = callbacks or Callbacks()
    check_writable(output, "OUTPUT")
    if majority_output:
        check_writable(majority_output, "MAJORITY_OUTPUT")
    cmap = load_class_map(class_table)
    fine = _open_fine(landcover)
    grid = fraction_grid(fine.grid, reference, cell_size)
    task = _fractions_task(fine, grid, cmap, chunk_cells, bool(majority_output), cb)
    specs = _output_specs(cmap, task.plan, landcover, output, majority_output)
    depth = task.nbins
    block_values = min(1 << 24, TILE * TILE * depth * max(1, math.ceil(grid.width / TILE)))
    try:
        stats = run_chunks(
            grid,
            task,
            specs,
            progress=cb.progress,
            is_cancelled=cb.is_cancelled,
            depth=depth,
            block_values=block_values,
            threads=max(1, threads),
        )
    finally:
        task.close()
    if majority_output:
        _describe_majority(majority_output, cmap.classes)
    _report(
        stats.counters.get("_totals", np.zeros(depth, np.int64)), stats.counters.get("_unknown"), fine.dtype, cmap, cb
    )
    written = {"fractions": output}
    if majority_output:
        written["majority"] = majority_output
    return written


def _describe_majority(path: str, classes: tuple[str, ...]) -> None:
    """Palette and category names on the majority raster."""
    colours = {}
    rng = np.random.default_rng(7)
    for i, c in enumerate(classes, start=1):
        colours[i] = CLASS_COLOURS.get(c.lower(), tuple(int(v) for v in rng.integers(40, 230, 3))) + (255,)
    colours[MAJORITY_NODATA] = (0, 0, 0, 0)
    with rasterio.open(path, "r+") as ds:
        ds.write_colormap(1, colours)
    try:
        from osgeo import gdal

        ds = gdal.Open(path, gdal.GA_Update)
        if ds is not None:
            ds.GetRasterBand(1).SetCategoryNames(["no data", *classes])
            ds = None
    except Exception:  # noqa: BLE001 - category names are a nicety
        pass

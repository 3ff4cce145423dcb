"""Land-cover fractions: a fine class map (e.g. 10 m) to per-class cover fractions
on a coarser model grid, plus the majority class.

For every model cell and class ``c``: ``f_c = n_c / n`` where ``n_c`` counts the
fine cells of class ``c`` inside the model cell and ``n`` those of any class
(fine cells with no data, or with codes the table marks ``nodata``, are left
out; a model cell with none is nodata).  The majority class is the class with
the largest count (ties: the first in the table's order).

Classes come from a mapping table (CSV ``code,class[,label]``; ``#`` lines
are comments; class ``nodata`` marks fill codes).  The output bands follow the
order in which classes first appear in the table; shipped tables map ESA
WorldCover, GLC_FCS30 and MODIS IGBP codes to the study's six classes (forest,
cropland, grassland, water, built-up, bare).

Streaming: the model grid is walked window by window (full-width strips) and,
within each, in chunks of a few million fine cells; each chunk reads only the
matching window of the fine map at full resolution (never its overviews) and
counts all classes in one pass.  Model cells whose fine cells all share one
code (open water, forest interiors, fill) are counted from their minimum and
maximum alone; the others by ``np.bincount`` over a combined cell x class
index.  Memory is bounded by the chunk size, not by the map.

When the model grid is the fine grid's CRS, with a cell size that is a whole
multiple of the fine cell and an origin on the fine grid's lines (10 m to
250 m, 1/12000 to 1/480 degree), every fine cell falls in exactly one model
cell and the fractions are exact.  Otherwise (another CRS, or a cell size
that is no whole multiple) the fine map is read through a nearest-neighbour
warp onto a sub-grid of ``kx`` x ``ky`` samples per model cell at about the
fine resolution; each fraction is then a multiple of ``1/(kx*ky)``, off by at
most the share of the cell's border samples that pick a neighbouring fine cell.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from .affine_ops import matmul
from .engine import TILE, OutputSpec, check_writable, metadata_json, run_chunks
from .errors import CasaInputError
from .grid import ModelGrid
from .tables import NODATA_CLASS, TABLES_DIR, read_csv_rows

__all__ = [
    "SHIPPED_TABLES",
    "ClassMap",
    "load_class_map",
    "fraction_grid",
    "landcover_fractions",
    "count_classes",
]

#: Shipped code -> class tables, by key.
SHIPPED_TABLES = {
    "worldcover": TABLES_DIR / "worldcover_study6.csv",
    "glc_fcs30": TABLES_DIR / "glc_fcs30_study6.csv",
    "modis_igbp": TABLES_DIR / "modis_igbp_study6.csv",
}
#: Fine cells counted per chunk (bounds memory: about 20 bytes per fine cell at peak).
CHUNK_CELLS = 1 << 22
#: Worker threads, each reading and counting its own chunks with its own file handle.  One by
#: default: the lookups and ``np.bincount`` hold Python's GIL, and on two cores a second thread
#: made mixed maps slower (0.66 s vs 1.29 s for 1e8 cells here).
THREADS = 1
#: Above this share of mixed model cells a chunk is counted whole, not cell by cell.
MIXED_SHARE_FULL = 0.35
#: Majority raster: nodata value (classes are numbered 1..n in band order).
MAJORITY_NODATA = 0
#: Colours for the study's classes (RGB) in the majority raster's palette.
CLASS_COLOURS = {
    "forest": (0, 100, 0), "cropland": (240, 150, 255), "grassland": (255, 255, 76),
    "water": (0, 100, 200), "built-up": (250, 0, 0), "bare": (180, 180, 180),
}


def _noop(msg: str) -> None:
    return None


@dataclass(frozen=True)
class ClassMap:
    """Codes to classes.  ``classes`` in band order; ``mapping`` code -> class
    position (-1: nodata)."""

    classes: tuple[str, ...]
    mapping: dict[int, int]
    path: str

    @property
    def n(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def lut(self, dtype: np.dtype, nodata: float | None) -> NDArray:
        """Lookup from raw values (as unsigned, see :func:`_unsigned`) to bins:
        0..n-1 classes, n nodata, n+1 codes the table lacks."""
        dtype = np.dtype(dtype)
        size = 1 << (8 * dtype.itemsize)
        lut = np.full(size, self.n + 1, dtype=np.uint8 if self.n + 2 < 256 else np.uint16)
        for code, pos in self.mapping.items():
            u = _as_unsigned_code(code, dtype)
            if u is not None:
                lut[u] = self.n if pos < 0 else pos
        if nodata is not None and math.isfinite(nodata):
            u = _as_unsigned_code(int(nodata), dtype)
            if u is not None:
                lut[u] = self.n
        return lut


def _as_unsigned_code(code: int, dtype: np.dtype) -> int | None:
    """``code`` as the unsigned integer of the same width (None: out of range)."""
    info = np.iinfo(dtype)
    if not info.min <= code <= info.max:
        return None
    return code % (1 << (8 * dtype.itemsize))


def _unsigned(a: NDArray) -> NDArray:
    """An integer array viewed as unsigned of the same width (for lookups)."""
    if a.dtype.kind == "i":
        return a.view(np.dtype(f"u{a.dtype.itemsize}"))
    return a


def load_class_map(table: str | Path | None, parameter: str = "CLASS_TABLE") -> ClassMap:
    """A code -> class map from a shipped key (``worldcover``, ``glc_fcs30``,
    ``modis_igbp``) or a CSV path with columns ``code,class``."""
    if not table:
        raise CasaInputError(
            parameter, f"give a class table: one of {', '.join(SHIPPED_TABLES)} or a CSV file (code,class)."
        )
    path = SHIPPED_TABLES.get(str(table).lower(), table)
    rows = read_csv_rows(path, parameter, ["code", "class"])
    classes: list[str] = []
    mapping: dict[int, int] = {}
    names: dict[int, str] = {}
    for row in rows:
        try:
            code = int(float(row["code"]))
        except ValueError as exc:
            raise CasaInputError(parameter, f"code '{row['code']}' in '{path}' is not an integer.") from exc
        if float(row["code"]) != code:
            raise CasaInputError(parameter, f"code '{row['code']}' in '{path}' is not an integer.")
        name = row["class"].strip()
        if not name:
            raise CasaInputError(parameter, f"code {code} in '{path}' has no class.")
        if code in names:
            if names[code] != name:
                raise CasaInputError(
                    parameter,
                    f"code {code} appears twice in '{path}', as '{names[code]}' and as '{name}'; "
                    "a code can map to one class only. Keep one of the rows.",
                )
            continue  # the same row repeated: harmless
        names[code] = name
        if name.lower() == NODATA_CLASS:
            mapping[code] = -1
            continue
        if name not in classes:
            classes.append(name)
        mapping[code] = classes.index(name)
    if not classes:
        raise CasaInputError(parameter, f"table '{path}' maps no code to a class.")
    if len(classes) > 250:
        raise CasaInputError(parameter, f"table '{path}' has {len(classes)} classes; at most 250 are supported.")
    return ClassMap(tuple(classes), mapping, str(path))


# ---------------------------------------------------------------------------
# grids
# ---------------------------------------------------------------------------
def fraction_grid(
    fine: ModelGrid, reference: str | None = None, cell_size: float | None = None
) -> ModelGrid:
    """The model grid: the ``reference`` raster's grid, or the fine map's extent
    in cells of ``cell_size`` (fine CRS units) from the fine map's origin."""
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
            "CELL_SIZE", f"{cell_size:g} is finer than the land-cover map's cells ({abs(t.a):g}); "
            "fractions need a coarser model grid."
        )
    return ModelGrid(fine.crs, Affine(cell_size, 0, left, 0, -cell_size, top), width, height)


@dataclass
class _Plan:
    """How fine cells fall into model cells: ``ky`` x ``kx`` per model cell, the
    model grid's origin at fine row ``oy``, column ``ox`` (aligned), or a warp."""

    kx: int
    ky: int
    ox: int = 0
    oy: int = 0
    warp: dict | None = None


def _near_int(x: float, tol: float = 1e-6) -> int | None:
    r = round(x)
    return int(r) if abs(x - r) <= tol * max(1.0, abs(x)) else None


def _plan(fine: ModelGrid, model: ModelGrid, src_bounds) -> _Plan:
    f, m = fine.transform, model.transform
    same_crs = (fine.crs is None and model.crs is None) or (
        fine.crs is not None and model.crs is not None and fine.crs == model.crs
    )
    if same_crs and f.b == f.d == m.b == m.d == 0 and f.a > 0 and m.a > 0 and f.e < 0 and m.e < 0:
        kx, ky = _near_int(m.a / f.a), _near_int(m.e / f.e)
        ox = _near_int((m.c - f.c) / f.a, 1e-4)
        oy = _near_int((m.f - f.f) / f.e, 1e-4)
        if kx and ky and ox is not None and oy is not None:
            return _Plan(kx, ky, ox, oy)
    # fine resolution in model CRS units, from the fine map's extent
    if model.crs is None or fine.crs is None:
        raise CasaInputError("LANDCOVER", "the land cover or the model grid has no CRS, and they are not aligned.")
    from rasterio.warp import transform_bounds

    try:
        x0, y0, x1, y1 = transform_bounds(fine.crs, model.crs, *src_bounds, densify_pts=21)
    except Exception as exc:  # noqa: BLE001
        raise CasaInputError(
            "LANDCOVER", f"cannot transform the land cover's extent to the model CRS ({exc})."
        ) from exc
    fx, fy = (x1 - x0) / fine.width, (y1 - y0) / fine.height
    if not (fx > 0 and fy > 0):
        raise CasaInputError("LANDCOVER", "the land cover's extent is empty in the model CRS.")
    kx = max(1, math.ceil(abs(m.a) / fx - 1e-6)) if m.b == 0 else max(1, math.ceil(math.hypot(m.a, m.d) / fx))
    ky = max(1, math.ceil(abs(m.e) / fy - 1e-6)) if m.d == 0 else max(1, math.ceil(math.hypot(m.b, m.e) / fy))
    sub = matmul(m, Affine.scale(1.0 / kx, 1.0 / ky))
    return _Plan(kx, ky, warp=dict(crs=model.crs, transform=sub, width=model.width * kx, height=model.height * ky))


# ---------------------------------------------------------------------------
# counting
# ---------------------------------------------------------------------------
@dataclass
class _Counter:
    """Counts fine cells per model cell and bin in chunks (one per thread)."""

    lut: NDArray
    nbins: int
    ky: int
    kx: int
    _base: dict = field(default_factory=dict)

    def base(self, h: int, w: int) -> NDArray:
        key = (h, w)
        b = self._base.get(key)
        if b is None:
            rows = (np.arange(h * self.ky) // self.ky) * w
            cols = np.arange(w * self.kx) // self.kx
            b = ((rows[:, None] + cols[None, :]) * self.nbins).astype(np.intp)
            if len(self._base) > 4:
                self._base.clear()
            self._base[key] = b
        return b

    def count(self, s: NDArray, h: int, w: int) -> NDArray:
        """(h, w, nbins) counts of a (h*ky, w*kx) chunk of raw (unsigned) codes."""
        ky, kx, nb = self.ky, self.kx, self.nbins
        k2 = ky * kx
        out = np.zeros((h * w, nb), np.int64)
        lo, hi = s.min(), s.max()
        if lo == hi:
            out[:, self.lut[lo]] = k2
            return out.reshape(h, w, nb)
        s3 = s.reshape(h, ky, w * kx)
        mn = np.minimum.reduce(s3, axis=1).reshape(h * w, kx).min(axis=1)
        mx = np.maximum.reduce(s3, axis=1).reshape(h * w, kx).max(axis=1)
        mixed = mn != mx
        nmixed = int(mixed.sum())
        if nmixed > MIXED_SHARE_FULL * h * w:
            idx = self.base(h, w) + self.lut[s]
            return np.bincount(idx.ravel(), minlength=h * w * nb).reshape(h, w, nb)
        hom = np.flatnonzero(~mixed)
        out[hom, self.lut[mn[hom]]] = k2
        if nmixed:
            cells = np.flatnonzero(mixed)
            r, c = np.divmod(cells, w)
            blocks = s.reshape(h, ky, w, kx)[r, :, c, :]  # (m, ky, kx)
            idx = np.arange(nmixed)[:, None, None] * nb + self.lut[blocks]
            out[cells] = np.bincount(idx.ravel(), minlength=nmixed * nb).reshape(nmixed, nb)
        return out.reshape(h, w, nb)


def count_classes(codes: NDArray, ky: int, kx: int, class_map: ClassMap, nodata: float | None = None) -> NDArray:
    """(n+2, rows, cols) counts of a whole fine array whose shape is a multiple
    of (ky, kx): one band per class, then nodata, then unknown codes."""
    h, w = codes.shape[0] // ky, codes.shape[1] // kx
    s = _unsigned(np.ascontiguousarray(codes[: h * ky, : w * kx]))
    counter = _Counter(class_map.lut(codes.dtype, nodata), class_map.n + 2, ky, kx)
    return np.moveaxis(counter.count(s, h, w), -1, 0)


def _read_fine(src, row: int, col: int, nrows: int, ncols: int, fill: int, dtype) -> NDArray:
    """A window of ``src`` at full resolution, padded with ``fill`` outside it."""
    r0, c0 = max(row, 0), max(col, 0)
    r1, c1 = min(row + nrows, src.height), min(col + ncols, src.width)
    if r0 == row and c0 == col and r1 == row + nrows and c1 == col + ncols:
        return src.read(1, window=Window(col, row, ncols, nrows))
    out = np.full((nrows, ncols), fill, dtype=dtype)
    if r0 < r1 and c0 < c1:
        out[r0 - row : r1 - row, c0 - col : c1 - col] = src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
    return out


def _fill_value(dtype: np.dtype, nodata: float | None, class_map: ClassMap) -> int:
    """A value for fine cells outside the map: its nodata, else a code the table lacks."""
    if nodata is not None and math.isfinite(nodata):
        return int(nodata)
    info = np.iinfo(dtype)
    for v in (info.max, info.min, *range(info.max - 1, info.max - 1000, -1)):
        if v not in class_map.mapping:
            return int(v)
    raise CasaInputError("LANDCOVER", "cannot find a fill value outside the class table's codes.")


@dataclass
class _FractionsTask:
    """The window task of :func:`landcover_fractions`: ``task(window, part)`` -> the
    window's fractions (and majority) and the counters ``_totals`` (fine cells per
    bin) and ``_unknown`` (which raw codes the table lacks).  Pure and picklable:
    each thread, here or on a Dask worker, reads through its own handle."""

    path: str
    plan: _Plan
    lut: NDArray
    nbins: int
    n: int
    fill: int
    dtype: str
    src_nodata: float | None
    chunk_cells: int
    majority: bool
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _handles: list = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_local", "_handles", "_lock")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local, self._handles, self._lock = threading.local(), [], threading.Lock()

    def input_paths(self) -> list[tuple[str, str]]:
        """(parameter, path) of what the task reads."""
        return [("LANDCOVER", self.path)]

    def _view(self) -> tuple[object, _Counter]:
        """This thread's handle of the fine map (through the warp if not aligned) and counter."""
        view = getattr(self._local, "view", None)
        if view is None:
            ds = rasterio.open(self.path)
            view = ds
            if self.plan.warp is not None:
                extra = {"src_nodata": self.src_nodata} if self.src_nodata is not None else {}
                view = WarpedVRT(ds, resampling=Resampling.nearest, nodata=self.fill, **extra, **self.plan.warp)
            with self._lock:
                self._handles.extend([view] if view is ds else [view, ds])
            self._local.view = view
            self._local.counter = _Counter(self.lut, self.nbins, self.plan.ky, self.plan.kx)
        return view, self._local.counter

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
            s = _read_fine(view, plan.oy + r0 * plan.ky, plan.ox + c0 * plan.kx, h * plan.ky, w * plan.kx,
                           self.fill, dtype)
            s = _unsigned(s)
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
        out = {"fractions": np.moveaxis(frac.astype(np.float32), -1, 0),
               "_totals": counts.reshape(-1, nbins).sum(axis=0)}
        if unknown is not None:
            out["_unknown"] = unknown
        if self.majority:
            maj = np.argmax(cls, axis=-1).astype(np.float32) + 1
            out["majority"] = np.where(valid > 0, maj, np.nan)[None]
        return out

    def close(self) -> None:
        """Close every thread's handle."""
        with self._lock:
            handles, self._handles = self._handles, []
        for h in handles:
            h.close()
        self._local = threading.local()


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------
def landcover_fractions(
    landcover: str,
    output: str,
    class_table: str | Path | None = "worldcover",
    reference: str | None = None,
    cell_size: float | None = None,
    majority_output: str | None = None,
    callbacks=None,
    threads: int = THREADS,
    chunk_cells: int = CHUNK_CELLS,
) -> dict[str, str]:
    """Per-class cover fractions (and the majority class) of ``landcover`` on a model grid.

    The model grid is the ``reference`` raster's (e.g. the NPP stack, so the
    fractions line up with the fluxes) or the land cover's extent in cells of
    ``cell_size`` (its CRS units).  ``output``: float32 GeoTIFF, one band per
    class described by the class name, nodata -9999 where no fine cell has a
    class.  ``majority_output``: uint8 GeoTIFF of class numbers 1..n (band
    order), 0 nodata, with the class names as categories and a palette.
    Returns the written paths by key (``fractions``, ``majority``).
    """
    from .model import Callbacks

    cb = callbacks or Callbacks()
    check_writable(output, "OUTPUT")
    if majority_output:
        check_writable(majority_output, "MAJORITY_OUTPUT")
    cmap = load_class_map(class_table)
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
                "LANDCOVER", f"must hold integer class codes of 8 or 16 bits, not {dtype.name}; "
                "convert it (gdal_translate -ot UInt16) first."
            )
        fine = ModelGrid.of(src)
        grid = fraction_grid(fine, reference, cell_size)
        plan = _plan(fine, grid, src.bounds)
        fill = _fill_value(dtype, src.nodata, cmap)
        lut = cmap.lut(dtype, src.nodata)
        u_fill = _as_unsigned_code(fill, dtype)
        lut[u_fill] = cmap.n
        nbins = cmap.n + 2
        if plan.warp is None:
            cb.info(f"Land cover {src.width} x {src.height} to a {grid.width} x {grid.height} grid: "
                    f"{plan.ky} x {plan.kx} fine cells per model cell (aligned, exact).")
        else:
            cb.warning(f"LANDCOVER: not aligned with the model grid; sampled by nearest neighbour on "
                       f"{plan.ky} x {plan.kx} points per model cell (fractions to 1/{plan.kx * plan.ky}).")
        task = _FractionsTask(landcover, plan, lut, nbins, cmap.n, fill, dtype.str, src.nodata, chunk_cells,
                              bool(majority_output))
        tags = {
            "classes": metadata_json(list(cmap.classes)),
            "class_table": os.path.basename(cmap.path),
            "landcover": os.path.basename(landcover),
            "method": "fraction of fine cells of each class in the model cell (aligned: exact; else nearest-"
                      f"neighbour samples, {plan.ky}x{plan.kx} per cell)",
        }
        specs = [OutputSpec("fractions", output, list(cmap.classes), "1", dict(tags, quantity="cover fraction"))]
        if majority_output:
            specs.append(OutputSpec(
                "majority", majority_output, ["majority class"], "class number",
                dict(tags, quantity="majority class", class_numbers=metadata_json(
                    {str(i + 1): c for i, c in enumerate(cmap.classes)})),
                nodata=MAJORITY_NODATA, dtype="uint8", parameter="MAJORITY_OUTPUT"))
        depth = nbins
        block_values = min(1 << 24, TILE * TILE * depth * max(1, math.ceil(grid.width / TILE)))
        try:
            stats = run_chunks(grid, task, specs, progress=cb.progress, is_cancelled=cb.is_cancelled, depth=depth,
                               block_values=block_values, threads=max(1, threads))
        finally:
            task.close()
        totals = stats.counters.get("_totals", np.zeros(nbins, np.int64))
        present = stats.counters.get("_unknown")
        unknown = [] if present is None else sorted(
            int(c) for c in np.flatnonzero(present).astype(f"u{dtype.itemsize}").view(dtype))
    if majority_output:
        _describe_majority(majority_output, cmap.classes)
    if totals[cmap.n + 1]:
        cb.warning(f"LANDCOVER: {int(totals[cmap.n + 1])} fine cells hold codes the class table lacks "
                   f"({', '.join(str(c) for c in unknown[:20])}{' ...' if len(unknown) > 20 else ''}); they were "
                   "left out as no data.")
    have = totals[: cmap.n].sum()
    if have == 0:
        cb.warning("LANDCOVER: no fine cell with a class fell on the model grid; every output cell is nodata.")
    else:
        shares = ", ".join(f"{c} {100 * totals[i] / have:.1f} %" for i, c in enumerate(cmap.classes))
        cb.info(f"Class shares over the grid: {shares}.")
    written = OrderedDict(fractions=output)
    if majority_output:
        written["majority"] = majority_output
    return dict(written)


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

"""MODIS vegetation-index composites (MOD13Q1 16-day, or any dated VI rasters) to monthly NDVI.

METHOD.md section 6: MOD13Q1 v061 NDVI is int16 with scale 0.0001, fill -3000
and valid range -2000..10000; pixel reliability 0 good, 1 marginal, 2 snow/ice,
3 cloudy, -1 fill.  The monthly NDVI of a cell is the **maximum of the valid
composites whose date falls in the month** (maximum-value compositing).  A
cell with no valid composite in a month is nodata, never 0.

Inputs are single-band files (GeoTIFF, JPEG2000, ...), multi-band stacks (one
band per date), folders of them, or MODIS HDF4 granules (the NDVI and pixel
reliability layers are picked from the subdatasets; GDAL must have the HDF4
driver).  The date of a composite is the first of, in order:

1. the file name: ``AYYYYDDD`` (MODIS granules), ``doyYYYYDDD`` (AppEEARS),
   ``YYYY-MM-DD`` / ``YYYY_MM_DD`` / ``YYYY.MM.DD``, or ``YYYY-MM`` (monthly products);
2. the band description (same patterns; per band for stacks);
3. the metadata: ``RANGEBEGINNINGDATE`` (MODIS HDF), or ``dates`` / ``months``
   (comma lists, one per band).

For a 16-day composite this is the first day of its compositing period (the
date in MODIS file names), so a composite starting on 17 January counts for
January.  Composites are masked (the file's nodata, the fill value, the valid
range, and optionally the pixel reliability), scaled, maximum-composited on
their own grid (per MODIS tile), then resampled onto the model grid
(bilinear by default) window by window; tiles are merged by the same maximum.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from .engine import OutputSpec, metadata_json, run_chunks
from .errors import CasaInputError
from .gapfill import DEFAULT_MAX_GAP, check_gap_fill, fill_linear, filled_per_year
from .grid import GEOGRAPHIC_DEFAULT, ModelGrid, cut_grid
from .model import Callbacks
from .raster import open_raster, pick_subdataset
from .resample import onto_window, source_window

__all__ = ["VIScaling", "RELIABILITY_MODES", "Composite", "parse_date", "find_composites", "months_between",
           "run_ndvi_composite"]

#: Pixel-reliability values kept per mode (MOD13Q1: 0 good, 1 marginal, 2 snow/ice, 3 cloudy, -1 fill).
RELIABILITY_MODES: dict[str, tuple[int, ...] | None] = {"none": None, "good": (0,), "good_marginal": (0, 1)}
RESAMPLING = {"bilinear": Resampling.bilinear, "nearest": Resampling.nearest, "average": Resampling.average}
RASTER_EXTENSIONS = (".tif", ".tiff", ".hdf", ".hdf4", ".h4", ".jp2", ".vrt", ".img")
#: Names of layers that carry reliability, not the index (kept apart when folders are scanned).
RELIABILITY_NAME = re.compile(r"reliab", re.IGNORECASE)


@dataclass(frozen=True)
class VIScaling:
    """How stored values become NDVI: masks on the stored values, then ``* scale``.

    Defaults: MOD13Q1 v061 (scale 0.0001, fill -3000, valid -2000..10000).
    """

    scale: float = 0.0001
    fill: float | None = -3000.0
    valid_min: float = -2000.0
    valid_max: float = 10000.0

    def check(self) -> None:
        """Raise on settings that cannot be right."""
        if not (self.scale > 0):
            raise CasaInputError("SCALE", f"must be a positive number, not {self.scale}.")
        if not (self.valid_min < self.valid_max):
            raise CasaInputError("VALID_MIN", f"the valid range {self.valid_min:g}..{self.valid_max:g} is empty.")

    def apply(self, raw: NDArray) -> tuple[NDArray, NDArray]:
        """(NDVI with NaN where invalid, valid mask) from stored values (NaN already = nodata)."""
        valid = np.isfinite(raw) & (raw >= self.valid_min) & (raw <= self.valid_max)
        if self.fill is not None:
            valid &= raw != self.fill
        return np.where(valid, raw * self.scale, np.nan).astype(np.float32), valid


@dataclass
class Composite:
    """One dated composite: a band of a raster, and where its pixel reliability is."""

    date: date
    path: str  #: what rasterio opens: the file, or an HDF4 subdataset
    band: int
    name: str  #: for messages: file name (and band)
    file: str  #: the file it came from
    reliability: tuple[str, int] | None = None

    @property
    def month(self) -> str:
        """``YYYY-MM`` of the composite's date."""
        return f"{self.date.year:04d}-{self.date.month:02d}"


# -- dates -------------------------------------------------------------------------------------

_DATE_PATTERNS = (
    ("doy", re.compile(r"(?<![A-Za-z0-9])A(\d{4})(\d{3})(?!\d)")),
    ("doy", re.compile(r"doy(\d{4})(\d{3})(?!\d)", re.IGNORECASE)),
    ("ymd", re.compile(r"(?<!\d)(\d{4})[-_.](\d{2})[-_.](\d{2})(?!\d)")),
    ("ym", re.compile(r"(?<!\d)(\d{4})-(\d{2})(?![-\d])")),
)


def parse_date(text: str | None) -> date | None:
    """The first composite date in ``text`` (patterns in the module docstring), or None."""
    if not text:
        return None
    for kind, rx in _DATE_PATTERNS:
        for m in rx.finditer(text):
            try:
                if kind == "doy":
                    y, doy = int(m.group(1)), int(m.group(2))
                    if 1 <= doy <= 366:
                        d = date(y, 1, 1) + timedelta(days=doy - 1)
                        if d.year == y:
                            return d
                elif kind == "ymd":
                    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                else:
                    return date(int(m.group(1)), int(m.group(2)), 1)
            except ValueError:
                continue
    return None


# -- finding composites --------------------------------------------------------------------


def _has_driver(name: str) -> bool:
    with rasterio.Env() as env:
        return name in env.drivers()


def _expand(paths: list[str], parameter: str) -> list[str]:
    files: list[str] = []
    for p in paths:
        if not p:
            continue
        if os.path.isdir(p):
            found = sorted(
                os.path.join(p, f) for f in os.listdir(p)
                if f.lower().endswith(RASTER_EXTENSIONS) and not f.startswith(".")
            )
            if not found:
                raise CasaInputError(parameter, f"the folder '{p}' holds no rasters ({', '.join(RASTER_EXTENSIONS)}).")
            files.extend(found)
        elif os.path.exists(p) or p.upper().startswith(("HDF4_", "NETCDF:", "/VSI")):
            files.append(p)
        else:
            raise CasaInputError(parameter, f"'{p}' does not exist.")
    return files


def _file_composites(path: str, index: str, parameter: str, reliability_layer: bool) -> list[Composite]:
    """The dated composites of one file (its bands, or its NDVI/reliability subdataset)."""
    base = os.path.basename(path)
    try:
        ds = open_raster(path)
    except (RasterioIOError, OSError) as exc:
        if path.lower().endswith((".hdf", ".hdf4", ".h4")) and not _has_driver("HDF4"):
            raise CasaInputError(
                parameter,
                f"'{base}' is HDF4 and the GDAL in this QGIS has no HDF4 driver; convert the NDVI and pixel "
                "reliability layers to GeoTIFF (gdal_translate 'HDF4_EOS:EOS_GRID:\"file\":"
                "MODIS_Grid_16DAY_250m_500m_VI:\"250m 16 days NDVI\"' ndvi.tif) or order GeoTIFFs from AppEEARS.",
            ) from exc
        raise CasaInputError(parameter, f"cannot open '{base}' as a raster ({exc}).") from exc
    with ds:
        subdatasets = list(ds.subdatasets)
        tags = ds.tags()
        descriptions = list(ds.descriptions)
        count = ds.count
    if subdatasets:
        what = "pixel reliability" if reliability_layer else index
        patterns = [r"pixel.?reliability", r"reliability"] if reliability_layer else [rf"\b{index}\b", index]
        sds = pick_subdataset(path, subdatasets, patterns, parameter, what)
        d = parse_date(base) or parse_date(tags.get("RANGEBEGINNINGDATE"))
        if d is None:
            raise CasaInputError(parameter, f"cannot tell the date of '{base}' from its name or metadata.")
        return [Composite(d, sds, 1, base, path)]
    name_date = parse_date(base)
    if count == 1:
        d = name_date or parse_date(descriptions[0]) or parse_date(tags.get("RANGEBEGINNINGDATE")) or parse_date(
            tags.get("date") or tags.get("dates") or tags.get("months"))
        if d is None:
            raise CasaInputError(
                parameter,
                f"cannot tell the date of '{base}': name it with the date (e.g. ..._2021-01-17.tif or the MODIS "
                "A2021017) or set the band description.",
            )
        return [Composite(d, path, 1, base, path)]
    dates = [parse_date(x) for x in descriptions]
    if not all(dates):
        listed = tags.get("dates") or tags.get("months") or ""
        items = [x.strip() for x in listed.split(",") if x.strip()]
        if len(items) == count:
            dates = [parse_date(x) for x in items]
    if not all(dates):
        missing = [i + 1 for i, d in enumerate(dates) if d is None]
        raise CasaInputError(
            parameter,
            f"'{base}' has {count} bands but no date for band(s) {', '.join(map(str, missing[:6]))}: describe each "
            "band with its date (YYYY-MM-DD or YYYY-MM) or add a 'dates' metadata list.",
        )
    return [Composite(d, path, b, f"{base} band {b}", path) for b, d in enumerate(dates, start=1)]


def _grid_key(grid: ModelGrid) -> tuple:
    """What makes two rasters share a grid (CRS, transform, size)."""
    crs = grid.crs.to_wkt() if grid.crs else None
    return (crs, tuple(round(v, 6) for v in grid.transform[:6]), grid.width, grid.height)


def _grid_of(path: str, cache: dict[str, tuple]) -> tuple:
    if path not in cache:
        with open_raster(path) as ds:
            cache[path] = _grid_key(ModelGrid.of(ds))
    return cache[path]


def find_composites(
    inputs: list[str],
    reliability: list[str] | None = None,
    index: str = "NDVI",
    parameter: str = "INPUT",
) -> list[Composite]:
    """Every dated composite of ``inputs`` (files, folders, HDF4 granules), sorted by date.

    Reliability comes from the HDF4 granule itself, from ``reliability`` files,
    or from files among the inputs whose name says "reliability"; each is paired
    with the NDVI composite of the same date on the same grid.
    """
    files = _expand(inputs, parameter)
    rel_files = [f for f in files if RELIABILITY_NAME.search(os.path.basename(f))]
    files = [f for f in files if f not in rel_files]
    rel_files += _expand(reliability or [], "RELIABILITY")
    if not files:
        raise CasaInputError(parameter, "no vegetation-index raster was given.")
    comps: list[Composite] = []
    for f in files:
        found = _file_composites(f, index, parameter, reliability_layer=False)
        if found and found[0].path != f:  # an HDF granule: its own reliability layer, if any
            try:
                rel = _file_composites(f, index, parameter, reliability_layer=True)[0]
                found[0].reliability = (rel.path, rel.band)
            except CasaInputError:
                pass
        comps.extend(found)
    if rel_files:
        grids: dict[str, tuple] = {}
        pool: dict[tuple, list[Composite]] = {}
        for f in rel_files:
            for r in _file_composites(f, index, "RELIABILITY", reliability_layer=True):
                pool.setdefault((r.date, _grid_of(r.path, grids)), []).append(r)
        for c in comps:
            if c.reliability is None:
                match = pool.get((c.date, _grid_of(c.path, grids)))
                if match:
                    c.reliability = (match[0].path, match[0].band)
    comps.sort(key=lambda c: (c.date, c.name))
    return comps


def months_between(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while (y, m) <= (int(last[:4]), int(last[5:7])):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# -- the run -------------------------------------------------------------------------------


@dataclass
class _Group:
    """Composites on one source grid (a MODIS tile)."""

    grid: ModelGrid
    items: list[Composite] = field(default_factory=list)


@dataclass
class _NdviTask:
    """The window task of :func:`run_ndvi_composite`: ``task(window, part)`` -> the window's
    monthly maxima (and counts, filled months) and the counter ``_filled_months``.  Pure and
    picklable: each thread, here or on a Dask worker, opens its own handles."""

    n: int
    mindex: dict[str, int]
    groups: list[_Group]
    grid: ModelGrid
    scaling: VIScaling
    keep: tuple[int, ...] | None
    resample: Resampling
    count: bool
    gap_fill: str
    max_gap: int
    filled: bool
    years: list[list[int]]
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
        out = []
        for g in self.groups:
            for c in g.items:
                out.append(("INPUT", c.path))
                if self.keep is not None and c.reliability is not None:
                    out.append(("RELIABILITY", c.reliability[0]))
        return out

    def _dataset(self, path: str):
        datasets = getattr(self._local, "datasets", None)
        if datasets is None:
            datasets = self._local.datasets = {}
        if path not in datasets:
            try:
                datasets[path] = open_raster(path)
            except (RasterioIOError, OSError) as exc:
                raise CasaInputError("INPUT", f"cannot open '{path}' ({exc}).") from exc
            with self._lock:
                self._handles.append(datasets[path])
        return datasets[path]

    def __call__(self, window: Window, part: int = 0) -> dict[str, NDArray]:
        n, grid, scaling, keep = self.n, self.grid, self.scaling, self.keep
        h, w = int(window.height), int(window.width)
        ndvi = np.full((n, h, w), np.nan, dtype=np.float32)
        count = np.zeros((n, h, w), dtype=np.float32)
        for g in self.groups:
            sw = source_window(g.grid, grid, window, margin=2)
            if sw is None:
                continue
            mx = np.full((n, int(sw.height), int(sw.width)), np.nan, dtype=np.float32)
            cnt = np.zeros(mx.shape, dtype=np.float32)
            for c in g.items:
                raw = self._dataset(c.path).read(c.band, window=sw, masked=True)
                values, valid = scaling.apply(raw.astype(np.float64).filled(np.nan))
                if keep is not None and c.reliability is not None:
                    rel = self._dataset(c.reliability[0]).read(c.reliability[1], window=sw, masked=True)
                    good = np.isin(rel.filled(-1), keep) & ~np.ma.getmaskarray(rel)
                    values = np.where(good, values, np.nan)
                    valid &= good
                mi = self.mindex[c.month]
                mx[mi] = np.fmax(mx[mi], values)
                cnt[mi] += valid
            if np.isfinite(mx).any():
                hi = float(np.nanmax(np.abs(mx)))
                if hi > 1.0 + 1e-6:
                    raise CasaInputError(
                        "SCALE",
                        f"NDVI after scaling by {scaling.scale:g} reaches {hi:g}, outside [-1, 1]; MODIS integers "
                        "need 0.0001, NDVI already in -1..1 needs 1 (and a valid range of -0.2 .. 1).",
                    )
            ndvi = np.fmax(ndvi, onto_window(mx, sw, g.grid, grid, window, self.resample))
            if self.count:
                placed = onto_window(cnt, sw, g.grid, grid, window, Resampling.nearest, nodata=-1.0)
                count += np.maximum(placed, 0.0)
        out = {"ndvi": ndvi, "count": count}
        if self.gap_fill == "linear":
            filled, _ = fill_linear(ndvi, self.max_gap)
            out["_filled_months"] = (~np.isfinite(ndvi) & np.isfinite(filled)).sum(axis=(1, 2)).astype(np.int64)
            if self.filled:
                out["filled"] = filled_per_year(ndvi, filled, self.years)
            out["ndvi"] = filled
        return out

    def close(self) -> None:
        """Close every thread's handles."""
        with self._lock:
            handles, self._handles = self._handles, []
        for h in handles:
            h.close()
        self._local = threading.local()


def run_ndvi_composite(
    inputs: list[str],
    output: str,
    grid: ModelGrid | None = None,
    count_output: str | None = None,
    reliability: list[str] | None = None,
    reliability_mode: str = "good_marginal",
    scaling: VIScaling | None = None,
    index: str = "NDVI",
    resampling: str = "bilinear",
    extent=None,
    extent_crs=None,
    callbacks: Callbacks | None = None,
    gap_fill: str = "none",
    max_gap: int = DEFAULT_MAX_GAP,
    filled_output: str | None = None,
) -> dict[str, str]:
    """Monthly maximum-value NDVI composites on ``grid``; returns the written paths.

    ``output``: NDVI (unitless, -1..1), one band per month from the first to the
    last composite's month (``YYYY-MM``), nodata where no valid composite.
    ``count_output``: the number of valid composites per cell and month.
    ``grid``: the model grid, or None for the inputs' own grid (they must then
    share one), cut to ``extent`` (in ``extent_crs``, default the inputs' CRS).
    ``reliability_mode``: ``none``, ``good`` (0) or ``good_marginal`` (0 and 1),
    applied where reliability layers exist.
    ``gap_fill``: ``none``, or ``linear`` to fill a cell's missing month by linear
    interpolation between its nearest valid months before and after when the gap
    is at most ``max_gap`` months (:func:`core.gapfill.fill_linear`); the number
    of filled cell-months goes to the log and the output's metadata, and
    ``filled_output`` (optional) gets the filled months per cell and calendar year.
    """
    cb = callbacks or Callbacks()
    scaling = scaling or VIScaling()
    scaling.check()
    check_gap_fill(gap_fill, max_gap)
    if filled_output and gap_fill == "none":
        raise CasaInputError("FILLED_OUTPUT", "counts filled months; set GAP_FILL to linear, or leave it empty.")
    if reliability_mode not in RELIABILITY_MODES:
        raise CasaInputError("RELIABILITY_MODE", f"must be one of {', '.join(RELIABILITY_MODES)}, "
                             f"not '{reliability_mode}'.")
    if resampling not in RESAMPLING:
        raise CasaInputError("RESAMPLING", f"must be one of {', '.join(RESAMPLING)}, not '{resampling}'.")
    keep = RELIABILITY_MODES[reliability_mode]
    comps = find_composites(inputs, reliability, index)
    if keep is not None:
        without = [c.name for c in comps if c.reliability is None]
        if without and len(without) == len(comps):
            cb.warning("RELIABILITY: no pixel-reliability layer found; only the fill value and the valid range "
                       "mask the composites.")
        elif without:
            cb.warning(f"RELIABILITY: no pixel-reliability layer for {len(without)} composite(s) "
                       f"({', '.join(without[:3])}{' ...' if len(without) > 3 else ''}); those are masked by "
                       "fill and valid range only.")
    months = months_between(comps[0].month, comps[-1].month)
    mindex = {m: i for i, m in enumerate(months)}
    per_month = OrderedDict((m, 0) for m in months)
    for c in comps:
        per_month[c.month] += 1
    empty = [m for m, n in per_month.items() if n == 0]
    if empty:
        which = "that band" if len(empty) == 1 else "those bands"
        cb.warning(f"no composite falls in {', '.join(empty)}; nodata in {which}.")

    datasets: dict[str, object] = {}

    def dataset(path: str):
        if path not in datasets:
            try:
                datasets[path] = open_raster(path)
            except (RasterioIOError, OSError) as exc:
                raise CasaInputError("INPUT", f"cannot open '{path}' ({exc}).") from exc
        return datasets[path]

    try:
        groups: dict[tuple, _Group] = {}
        for c in comps:
            ds = dataset(c.path)
            g = ModelGrid.of(ds)
            if g.crs is None:
                raise CasaInputError("INPUT", f"'{c.name}' has no CRS; MODIS tiles carry the sinusoidal one. "
                                     "Assign it (gdal_edit.py -a_srs) and try again.")
            groups.setdefault(_grid_key(g), _Group(g)).items.append(c)
        if grid is None:
            if len(groups) > 1:
                raise CasaInputError("GRID_REFERENCE", f"the composites lie on {len(groups)} different grids "
                                     "(several MODIS tiles?); give a model grid to mosaic them onto.")
            grid = cut_grid(next(iter(groups.values())).grid, extent, extent_crs, "the composites")
        from rasterio.warp import transform_bounds

        overlapping = []
        for g in groups.values():
            try:
                b = transform_bounds(g.grid.crs, grid.crs or GEOGRAPHIC_DEFAULT, *g.grid.bounds, densify_pts=21)
            except Exception:  # noqa: BLE001 - cannot tell; keep it
                overlapping.append(g)
                continue
            gb = grid.bounds
            if b[0] < gb[2] and b[2] > gb[0] and b[1] < gb[3] and b[3] > gb[1]:
                overlapping.append(g)
        if not overlapping:
            raise CasaInputError("INPUT", "none of the composites overlaps the model grid (check the extent and CRS).")
        resample = RESAMPLING[resampling]
        n = len(months)
        year_groups: OrderedDict[str, list[int]] = OrderedDict()
        for i, m in enumerate(months):
            year_groups.setdefault(m[:4], []).append(i)
        task = _NdviTask(n, mindex, overlapping, grid, scaling, keep, resample, bool(count_output), gap_fill,
                         max_gap, bool(filled_output), list(year_groups.values()))

        from .. import __version__

        tags = {
            "casanep_quantity": "NDVI",
            "units": "1",
            "casanep_equation": "NDVI(month) = max over valid composites dated in the month of stored * scale",
            "casanep_parameters": metadata_json({
                "scale": scaling.scale, "fill": scaling.fill, "valid_range": [scaling.valid_min, scaling.valid_max],
                "reliability_kept": list(keep) if keep is not None else None, "resampling": resampling,
            }),
            "casanep_composites_per_month": metadata_json(per_month),
            "casanep_gap_fill": metadata_json({"method": gap_fill, "max_gap": max_gap if gap_fill != "none" else None}),
            "casanep_inputs": metadata_json(sorted({os.path.basename(c.file) for c in comps})[:200]),
            "casanep_version": __version__,
        }
        specs = [OutputSpec("ndvi", output, months, "1", tags)]
        if count_output:
            ctags = dict(tags, casanep_quantity="valid composites per month", units="count")
            specs.append(OutputSpec("count", count_output, months, "count", ctags, nodata=-1, dtype="int16",
                                    parameter="COUNT_OUTPUT"))
        if filled_output:
            ftags = dict(tags, casanep_quantity="NDVI months filled by linear interpolation per calendar year",
                         units="months")
            specs.append(OutputSpec("filled", filled_output, list(year_groups), "months", ftags, nodata=-1,
                                    dtype="int16", parameter="FILLED_OUTPUT"))
        cb.info(f"{len(comps)} composites ({comps[0].date} .. {comps[-1].date}) into {n} monthly maxima on a "
                f"{grid.width} x {grid.height} grid ({len(overlapping)} source grid(s), {resampling}).")
        depth = 2 * n + 4 + (4 * n if gap_fill == "linear" else 0)
        try:
            stats = run_chunks(grid, task, specs, progress=cb.progress, is_cancelled=cb.is_cancelled, depth=depth,
                               threads=1)  # locally one thread, as before (a Dask cluster uses all its workers)
        finally:
            task.close()
        if gap_fill == "linear":
            filled_months = stats.counters.get("_filled_months", np.zeros(n, np.int64))
            report = gap_fill_report(months, filled_months, max_gap)
            cb.info(f"GAP_FILL linear (MAX_GAP {max_gap}): {report['filled_cell_months']} cell-months filled"
                    + (f" ({', '.join(f'{m} {k}' for m, k in report['per_month'].items() if k)})."
                       if report['filled_cell_months'] else "."))
            for spec in specs:
                record_gap_fill(spec.path, report)
    finally:
        for ds in datasets.values():
            ds.close()
    return {s.key: s.path for s in specs}


def gap_fill_report(months: list[str], filled_months: NDArray, max_gap: int) -> dict:
    """What a linear gap fill did: method, MAX_GAP, filled cell-months in all and per month."""
    per_month = {m: int(k) for m, k in zip(months, filled_months)}
    return {"method": "linear", "max_gap": int(max_gap), "filled_cell_months": int(sum(per_month.values())),
            "per_month": per_month}


def record_gap_fill(path: str, report: dict) -> None:
    """Write the gap-fill report into a GeoTIFF's metadata (``casanep_gap_fill``) after the run."""
    with rasterio.open(path, "r+") as ds:
        ds.update_tags(casanep_gap_fill=metadata_json(report))
    aux = path + ".aux.xml"
    if os.path.exists(aux):  # GeoTIFF keeps its tags inside; never leave a side file
        os.remove(aux)

"""MODIS vegetation-index composites (MOD13Q1 16-day, or any dated VI rasters) to monthly NDVI.

METHOD.md section 6: MOD13Q1 v061 NDVI is int16 with scale 0.0001, fill -3000
and valid range -2000..10000; pixel reliability 0 good, 1 marginal, 2 snow/ice,
3 cloudy, -1 fill.  The monthly NDVI of a cell is the **maximum of the valid
composites whose date falls in the month** (maximum-value compositing).  A
cell with no valid composite in a month is nodata, never 0.

Composites and their dates are found by :mod:`.composites`.  They are masked
(the file's nodata, the fill value, the valid range, and optionally the pixel
reliability), scaled, maximum-composited on their own grid (per MODIS tile),
then resampled onto the model grid (bilinear by default) window by window;
tiles are merged by the same maximum.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from .composites import Composite, find_composites, grid_key, months_between
from .containers import open_raster
from .engine import Callbacks, RunStats, run_chunks
from .errors import CasaInputError
from .gapfill import DEFAULT_MAX_GAP, check_gap_fill, fill_linear, filled_per_year
from .grid import GEOGRAPHIC_DEFAULT, ModelGrid, cut_grid
from .outputs import OutputSpec, metadata_json, provenance_tags
from .raster import ThreadLocalDatasets, group_years
from .resample import onto_window, source_window

__all__ = ["VIScaling", "RELIABILITY_MODES", "run_ndvi_composite"]

#: Pixel-reliability values kept per mode (MOD13Q1: 0 good, 1 marginal, 2 snow/ice, 3 cloudy, -1 fill).
RELIABILITY_MODES: dict[str, tuple[int, ...] | None] = {"none": None, "good": (0,), "good_marginal": (0, 1)}
RESAMPLING = {"bilinear": Resampling.bilinear, "nearest": Resampling.nearest, "average": Resampling.average}


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


# -- the window task ------------------------------------------------------------------------


def _open_input(path: str):
    """Open a composite (or reliability layer) for reading; an error naming INPUT where it cannot be."""
    try:
        return open_raster(path)
    except (RasterioIOError, OSError) as exc:
        raise CasaInputError("INPUT", f"cannot open '{path}' ({exc}).") from exc


@dataclass
class _Group:
    """Composites on one source grid (a MODIS tile)."""

    grid: ModelGrid
    items: list[Composite] = field(default_factory=list)


@dataclass
class _NdviTask:
    """Compute a window's monthly maxima: the window task of :func:`run_ndvi_composite`.

    ``task(window, part)`` -> the window's monthly maxima (and counts, filled
    months) and the counter ``_filled_months``.  Pure and picklable: each thread,
    here or on a Dask worker, opens its own handles (:class:`ThreadLocalDatasets`).
    """

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
    _files: ThreadLocalDatasets = field(default_factory=lambda: ThreadLocalDatasets(_open_input), repr=False)

    def input_paths(self) -> list[tuple[str, str]]:
        """(parameter, path) of what the task reads."""
        out = []
        for g in self.groups:
            for c in g.items:
                out.append(("INPUT", c.path))
                if self.keep is not None and c.reliability is not None:
                    out.append(("RELIABILITY", c.reliability[0]))
        return out

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
                raw = self._files.get(c.path).read(c.band, window=sw, masked=True)
                values, valid = scaling.apply(raw.astype(np.float64).filled(np.nan))
                if keep is not None and c.reliability is not None:
                    rel = self._files.get(c.reliability[0]).read(c.reliability[1], window=sw, masked=True)
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
        self._files.close()


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
    keep = _check_settings(scaling, reliability_mode, resampling, gap_fill, max_gap, filled_output)
    comps = find_composites(inputs, reliability, index)
    _warn_unreliable(comps, keep, cb)
    months = months_between(comps[0].month, comps[-1].month)
    per_month = _composites_per_month(comps, months, cb)
    groups, grid = _source_groups(comps, grid, extent, extent_crs)
    years = group_years(months)
    n = len(months)
    task = _NdviTask(
        n,
        {m: i for i, m in enumerate(months)},
        groups,
        grid,
        scaling,
        keep,
        RESAMPLING[resampling],
        bool(count_output),
        gap_fill,
        max_gap,
        bool(filled_output),
        list(years.values()),
    )
    tags = _tags(comps, per_month, scaling, keep, resampling, gap_fill, max_gap)
    specs = _output_specs(tags, months, list(years), output, count_output, filled_output)
    cb.info(
        f"{len(comps)} composites ({comps[0].date} .. {comps[-1].date}) into {n} monthly maxima on a "
        f"{grid.width} x {grid.height} grid ({len(groups)} source grid(s), {resampling})."
    )
    depth = 2 * n + 4 + (4 * n if gap_fill == "linear" else 0)
    try:
        stats = run_chunks(
            grid, task, specs, progress=cb.progress, is_cancelled=cb.is_cancelled, depth=depth, threads=1
        )  # locally one thread, as before (a Dask cluster uses all its workers)
    finally:
        task.close()
    if gap_fill == "linear":
        _report_gap_fill(stats, months, max_gap, specs, cb)
    return {s.key: s.path for s in specs}


def _check_settings(
    scaling: VIScaling,
    reliability_mode: str,
    resampling: str,
    gap_fill: str,
    max_gap: int,
    filled_output: str | None,
) -> tuple[int, ...] | None:
    """Raise on settings that cannot be right; return the reliability values kept (None: no masking)."""
    scaling.check()
    check_gap_fill(gap_fill, max_gap)
    if filled_output and gap_fill == "none":
        raise CasaInputError("FILLED_OUTPUT", "counts filled months; set GAP_FILL to linear, or leave it empty.")
    if reliability_mode not in RELIABILITY_MODES:
        raise CasaInputError(
            "RELIABILITY_MODE", f"must be one of {', '.join(RELIABILITY_MODES)}, not '{reliability_mode}'."
        )
    if resampling not in RESAMPLING:
        raise CasaInputError("RESAMPLING", f"must be one of {', '.join(RESAMPLING)}, not '{resampling}'.")
    return RELIABILITY_MODES[reliability_mode]


def _warn_unreliable(comps: list[Composite], keep: tuple[int, ...] | None, cb: Callbacks) -> None:
    """Warn where reliability masking is asked for but composites have no reliability layer."""
    if keep is None:
        return
    without = [c.name for c in comps if c.reliability is None]
    if without and len(without) == len(comps):
        cb.warning(
            "RELIABILITY: no pixel-reliability layer found; only the fill value and the valid range "
            "mask the composites."
        )
    elif without:
        cb.warning(
            f"RELIABILITY: no pixel-reliability layer for {len(without)} composite(s) "
            f"({', '.join(without[:3])}{' ...' if len(without) > 3 else ''}); those are masked by "
            "fill and valid range only."
        )


def _composites_per_month(comps: list[Composite], months: list[str], cb: Callbacks) -> OrderedDict[str, int]:
    """Count the composites in each month; warn of months with none."""
    per_month = OrderedDict((m, 0) for m in months)
    for c in comps:
        per_month[c.month] += 1
    empty = [m for m, n in per_month.items() if n == 0]
    if empty:
        which = "that band" if len(empty) == 1 else "those bands"
        cb.warning(f"no composite falls in {', '.join(empty)}; nodata in {which}.")
    return per_month


def _source_groups(
    comps: list[Composite], grid: ModelGrid | None, extent, extent_crs
) -> tuple[list[_Group], ModelGrid]:
    """Group the composites by source grid (a MODIS tile); return those overlapping the model grid, and that grid.

    Without ``grid``, the composites' own grid (they must share one) cut to ``extent``.
    """
    files = ThreadLocalDatasets(_open_input)
    try:
        groups: dict[tuple, _Group] = {}
        for c in comps:
            g = ModelGrid.of(files.get(c.path))
            if g.crs is None:
                raise CasaInputError(
                    "INPUT",
                    f"'{c.name}' has no CRS; MODIS tiles carry the sinusoidal one. "
                    "Assign it (gdal_edit.py -a_srs) and try again.",
                )
            groups.setdefault(grid_key(g), _Group(g)).items.append(c)
    finally:
        files.close()
    if grid is None:
        if len(groups) > 1:
            raise CasaInputError(
                "GRID_REFERENCE",
                f"the composites lie on {len(groups)} different grids "
                "(several MODIS tiles?); give a model grid to mosaic them onto.",
            )
        grid = cut_grid(next(iter(groups.values())).grid, extent, extent_crs, "the composites")
    overlapping = [g for g in groups.values() if _may_overlap(g.grid, grid)]
    if not overlapping:
        raise CasaInputError("INPUT", "none of the composites overlaps the model grid (check the extent and CRS).")
    return overlapping, grid


def _may_overlap(source: ModelGrid, grid: ModelGrid) -> bool:
    """Return False only where ``source``'s bounds, transformed into ``grid``'s CRS, miss ``grid``."""
    from rasterio.warp import transform_bounds

    try:
        b = transform_bounds(source.crs, grid.crs or GEOGRAPHIC_DEFAULT, *source.bounds, densify_pts=21)
    except Exception:  # noqa: BLE001 - cannot tell; keep it
        return True
    gb = grid.bounds
    return b[0] < gb[2] and b[2] > gb[0] and b[1] < gb[3] and b[3] > gb[1]


def _tags(
    comps: list[Composite],
    per_month: OrderedDict[str, int],
    scaling: VIScaling,
    keep: tuple[int, ...] | None,
    resampling: str,
    gap_fill: str,
    max_gap: int,
) -> dict[str, str]:
    """Return the NDVI output's metadata: quantity, equation, parameters, composites per month, inputs."""
    params = {
        "scale": scaling.scale,
        "fill": scaling.fill,
        "valid_range": [scaling.valid_min, scaling.valid_max],
        "reliability_kept": list(keep) if keep is not None else None,
        "resampling": resampling,
    }
    return provenance_tags(
        "NDVI",
        "1",
        "NDVI(month) = max over valid composites dated in the month of stored * scale",
        params,
        sorted({os.path.basename(c.file) for c in comps})[:200],
        casanep_composites_per_month=metadata_json(per_month),
        casanep_gap_fill=metadata_json({"method": gap_fill, "max_gap": max_gap if gap_fill != "none" else None}),
    )


def _output_specs(
    tags: dict[str, str],
    months: list[str],
    years: list[str],
    output: str,
    count_output: str | None,
    filled_output: str | None,
) -> list[OutputSpec]:
    """Return the outputs: NDVI per month, optionally valid composites per month and filled months per year."""
    specs = [OutputSpec("ndvi", output, months, "1", tags)]
    if count_output:
        ctags = dict(tags, casanep_quantity="valid composites per month", units="count")
        specs.append(
            OutputSpec(
                "count", count_output, months, "count", ctags, nodata=-1, dtype="int16", parameter="COUNT_OUTPUT"
            )
        )
    if filled_output:
        ftags = dict(
            tags, casanep_quantity="NDVI months filled by linear interpolation per calendar year", units="months"
        )
        specs.append(
            OutputSpec(
                "filled", filled_output, years, "months", ftags, nodata=-1, dtype="int16", parameter="FILLED_OUTPUT"
            )
        )
    return specs


def _report_gap_fill(stats: RunStats, months: list[str], max_gap: int, specs: list[OutputSpec], cb: Callbacks) -> None:
    """Log the cell-months a linear gap fill filled, and record it in every output's metadata."""
    filled_months = stats.counters.get("_filled_months", np.zeros(len(months), np.int64))
    report = gap_fill_report(months, filled_months, max_gap)
    cb.info(
        f"GAP_FILL linear (MAX_GAP {max_gap}): {report['filled_cell_months']} cell-months filled"
        + (
            f" ({', '.join(f'{m} {k}' for m, k in report['per_month'].items() if k)})."
            if report["filled_cell_months"]
            else "."
        )
    )
    for spec in specs:
        record_gap_fill(spec.path, report)


def gap_fill_report(months: list[str], filled_months: NDArray, max_gap: int) -> dict:
    """Return what a linear gap fill did: method, MAX_GAP, filled cell-months in all and per month."""
    per_month = {m: int(k) for m, k in zip(months, filled_months)}
    return {
        "method": "linear",
        "max_gap": int(max_gap),
        "filled_cell_months": int(sum(per_month.values())),
        "per_month": per_month,
    }


def record_gap_fill(path: str, report: dict) -> None:
    """Write the gap-fill report into a GeoTIFF's metadata (``casanep_gap_fill``) after the run."""
    with rasterio.open(path, "r+") as ds:
        ds.update_tags(casanep_gap_fill=metadata_json(report))
    aux = path + ".aux.xml"
    if os.path.exists(aux):  # GeoTIFF keeps its tags inside; never leave a side file
        os.remove(aux)

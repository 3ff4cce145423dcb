"""Validation of annual CASA NPP against a reference NPP product (METHOD.md section 5).

Defaults follow MODIS MOD17A3HGF: int16 NPP with scale 0.0001 kgC m-2 a-1
(0.1 gC m-2 a-1 per count) and fill values 32761-32767 (water, barren, snow,
wetland, urban, unclassified, fill).  CASA NPP (gC m-2 a-1) is aggregated to the
reference grid by the mean of the CASA cells inside each reference cell (GDAL's
average warp; partially covered cells average what is there), then ``n`` valid
cells are drawn at random with a fixed seed, all in two bounded passes over
the reference grid.
"""

from __future__ import annotations

import csv
import math
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from .engine import Callbacks, run_blocks, scan_blocks
from .errors import CasaInputError
from .grid import ModelGrid
from .outputs import OutputSpec, atomic_path, check_writable
from .raster import RasterInput, group_years, parse_months


@dataclass(frozen=True)
class ReferenceProduct:
    """How to read the reference raster: scale to gC m-2 a-1 and fill codes.

    MOD17A3HGF (Running & Zhao 2019, user guide v4): scale 0.0001 kgC m-2 a-1
    = 0.1 gC m-2 a-1 per count; 32761..32767 are fill/land-cover flags.
    """

    scale: float = 0.1
    fill_min: float | None = 32761
    fill_max: float | None = 32767

    def to_npp(self, raw: NDArray) -> NDArray:
        """Return stored values (float, NaN for nodata) as NPP in gC m-2 a-1, fill codes as NaN."""
        raw = np.array(raw, dtype=np.float64)
        if self.fill_min is not None:
            top = self.fill_max if self.fill_max is not None else np.inf
            raw[(raw >= self.fill_min) & (raw <= top)] = np.nan
        return raw * self.scale


MOD17A3HGF = ReferenceProduct()


@dataclass
class ValidationResult:
    """Agreement statistics; x is the reference, y is CASA (both gC m-2 a-1)."""

    n: int
    r2: float
    rmse: float
    bias: float
    slope: float
    intercept: float
    year: str | None = None
    x: NDArray = field(default_factory=lambda: np.empty(0), repr=False)
    y: NDArray = field(default_factory=lambda: np.empty(0), repr=False)
    xs: NDArray = field(default_factory=lambda: np.empty(0), repr=False)
    ys: NDArray = field(default_factory=lambda: np.empty(0), repr=False)
    crs: object = None

    def summary(self) -> dict[str, float | int | str | None]:
        """Return the statistics as a plain dict."""
        d = asdict(self)
        return {k: d[k] for k in ("year", "n", "r2", "rmse", "bias", "slope", "intercept")}


def agreement(x: NDArray, y: NDArray) -> tuple[float, float, float, float, float]:
    """(R2, RMSE, bias, slope, intercept) of y (CASA) against x (reference).

    R2 is the squared Pearson correlation (the coefficient of determination of
    the least-squares line y = slope*x + intercept); RMSE = sqrt(mean((y-x)^2));
    bias = mean(y - x); units of x and y (gC m-2 a-1) for RMSE, bias, intercept.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if x.size < 2:
        return math.nan, math.nan, math.nan, math.nan, math.nan
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy, sxy = float((dx * dx).sum()), float((dy * dy).sum()), float((dx * dy).sum())
    slope = sxy / sxx if sxx > 0 else math.nan
    intercept = float(y.mean() - slope * x.mean()) if sxx > 0 else math.nan
    r2 = sxy * sxy / (sxx * syy) if sxx > 0 and syy > 0 else (1.0 if np.array_equal(x, y) else math.nan)
    rmse = float(np.sqrt(np.mean((y - x) ** 2)))
    bias = float(np.mean(y - x))
    return float(r2), rmse, bias, float(slope), intercept


def _annual(npp: RasterInput, year: str | None, cb: Callbacks, tmpdir: str) -> tuple[str, int, str | None]:
    """Return (path, band, year) of annual NPP (gC m-2 a-1).

    The path is the file itself when it is annual (one band, or bands described
    YYYY), else the months of ``year`` summed into a temporary raster.
    """
    descriptions = [(d or "").strip() for d in npp.opened().descriptions]
    try:
        months = parse_months(descriptions, "NPP", npp.path)
    except CasaInputError:
        months = None
    if months is None:
        if all(re.fullmatch(r"\d{4}", d) for d in descriptions):
            if year is None:
                return npp.path, 1, descriptions[0]
            if year not in descriptions:
                raise CasaInputError("YEAR", f"{year} is not among the NPP bands ({', '.join(descriptions)}).")
            return npp.path, descriptions.index(year) + 1, year
        if npp.count != 1:
            raise CasaInputError(
                "NPP",
                f"has {npp.count} bands described neither YYYY-MM nor YYYY; give annual NPP (one band) "
                "or a monthly stack.",
            )
        return npp.path, 1, year
    years = group_years(months)
    whole = [y for y, idx in years.items() if len(idx) == 12]
    if year is None:
        if not whole:
            raise CasaInputError("NPP", "holds no whole calendar year; annual NPP needs 12 months.")
        year = whole[0]
    if year not in whole:
        raise CasaInputError(
            "YEAR", f"{year} is not a whole year of the NPP stack (whole years: {', '.join(whole) or 'none'})."
        )
    bands = [i + 1 for i in years[year]]
    grid = npp.grid
    npp.attach(grid)
    out = os.path.join(tmpdir, f"npp_{year}.tif")

    def compute(window: Window) -> dict[str, NDArray]:
        return {"annual": npp.read(window, bands).sum(axis=0, dtype=np.float64)[None]}

    run_blocks(grid, compute, [OutputSpec("annual", out, [year], "gC m-2 a-1")], None, cb.is_cancelled, depth=12)
    return out, 1, year


def validate_npp(
    npp: str,
    reference: str,
    sample_size: int = 2395,
    seed: int = 42,
    year: str | None = None,
    product: ReferenceProduct = MOD17A3HGF,
    npp_scale: float = 1.0,
    callbacks: Callbacks | None = None,
) -> ValidationResult:
    """Compare annual CASA NPP with a reference NPP raster on the reference grid.

    ``npp``: annual NPP (one band, gC m-2 a-1 after ``npp_scale``) or a monthly
    stack (gC m-2 month-1; the months of ``year``, default the first whole year,
    are summed).  ``reference``: e.g. MOD17A3HGF.  Draws ``sample_size`` valid
    reference cells (all of them when fewer) with ``seed``.
    """
    cb = callbacks or Callbacks()
    if sample_size < 2:
        raise CasaInputError("SAMPLE_SIZE", f"must be at least 2, not {sample_size}.")
    with tempfile.TemporaryDirectory(prefix="casanep-validate-") as tmp:
        src = RasterInput.open(npp, "NPP", scale=npp_scale, monthly=False)
        try:
            annual_path, band, year = _annual(src, year, cb, tmp)
        finally:
            src.close()
        ref = RasterInput.open(reference, "REFERENCE", monthly=False)
        try:
            with rasterio.open(annual_path) as casa:
                scale = npp_scale if annual_path == npp else 1.0
                return _compare(casa, band, ref, sample_size, seed, year, product, scale, cb)
        finally:
            ref.close()


def reference_window(casa, ref: RasterInput) -> tuple[ModelGrid, Window, object, object]:
    """Return the part of the reference grid that the CASA raster covers, and the two CRSs.

    The part is returned as a grid and as the reference file's window, the CRSs as
    (reference, CASA); a file without a CRS is taken as having the other's, lon/lat at worst.
    """
    rds = ref.opened()
    ref_crs = rds.crs or "EPSG:4326"
    casa_crs = casa.crs or ref_crs
    try:
        b = transform_bounds(casa_crs, ref_crs, *casa.bounds, densify_pts=21)
    except Exception as exc:
        raise CasaInputError("REFERENCE", f"cannot relate the NPP and reference CRSs ({exc}).") from exc
    win = from_bounds(*b, transform=rds.transform).round_offsets(op="floor").round_lengths(op="ceil")
    win = win.intersection(Window(0, 0, rds.width, rds.height)) if _overlaps(win, rds) else None
    if win is None or win.width <= 0 or win.height <= 0:
        raise CasaInputError("REFERENCE", "does not overlap the NPP raster (check extents and CRSs).")
    return ModelGrid(rds.crs, rds.window_transform(win), int(win.width), int(win.height)), win, ref_crs, casa_crs


def _compare(
    casa, band: int, ref: RasterInput, n: int, seed: int, year, product: ReferenceProduct, scale: float, cb: Callbacks
) -> ValidationResult:
    rds = ref.opened()
    sub, win, ref_crs, casa_crs = reference_window(casa, ref)
    vrt = _average_onto(casa, sub, ref_crs, casa_crs)

    def pair(window: Window) -> tuple[NDArray, NDArray]:
        full = Window(window.col_off + win.col_off, window.row_off + win.row_off, window.width, window.height)
        x = product.to_npp(rds.read(1, window=full, masked=True).astype(np.float64).filled(np.nan))
        y = vrt.read(band, window=window).astype(np.float64) * scale
        return x, y

    counts: list[int] = []

    def count(window: Window) -> None:
        x, y = pair(window)
        counts.append(int((np.isfinite(x) & np.isfinite(y)).sum()))

    try:
        scan_blocks(sub, count, is_cancelled=cb.is_cancelled, progress=cb.progress, progress_range=(0, 50))
        chosen = _draw(sum(counts), n, seed, cb)
        x, y, px, py = _collect(sub, pair, counts, chosen, cb)
    finally:
        vrt.close()
    r2, rmse, bias, slope, intercept = agreement(x, y)
    return ValidationResult(len(x), r2, rmse, bias, slope, intercept, year, x, y, px, py, ref_crs)


def _average_onto(casa, sub: ModelGrid, ref_crs, casa_crs) -> WarpedVRT:
    """Return ``casa`` averaged (GDAL average warp) onto the reference cells ``sub``, NaN where it has no data."""
    return WarpedVRT(
        casa,
        src_crs=casa_crs,
        crs=ref_crs,
        transform=sub.transform,
        width=sub.width,
        height=sub.height,
        resampling=Resampling.average,
        src_nodata=casa.nodata,
        nodata=np.nan,
        dtype="float32",
    )


def _draw(total: int, n: int, seed: int, cb: Callbacks) -> NDArray:
    """Return the sorted indices (into the ``total`` cells valid in both) of the ``n`` cells sampled with ``seed``."""
    if total < 2:
        raise CasaInputError("REFERENCE", f"only {total} cells are valid in both rasters; nothing to compare.")
    if n > total:
        cb.warning(f"SAMPLE_SIZE: only {total} valid cells; all are used.")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(total, size=min(n, total), replace=False))


def _collect(
    sub: ModelGrid,
    pair: Callable[[Window], tuple[NDArray, NDArray]],
    counts: list[int],
    chosen: NDArray,
    cb: Callbacks,
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Return (x reference, y CASA, cell-centre x, cell-centre y) of the ``chosen`` cells, in scan order.

    ``counts`` are the valid cells per window of the first scan, so a cell's index is its window's
    offset plus its rank among the window's valid cells.
    """
    xs, ys, px = [], [], []  # px: (x, y) of the chosen cells' centres
    state = {"start": 0, "block": 0}

    def collect(window: Window) -> None:
        x, y = pair(window)
        valid = np.isfinite(x) & np.isfinite(y)
        k = counts[state["block"]]
        lo, hi = state["start"], state["start"] + k
        pick = chosen[(chosen >= lo) & (chosen < hi)] - lo
        if pick.size:
            rows, cols = np.nonzero(valid)
            rows, cols = rows[pick], cols[pick]
            xs.append(x[rows, cols])
            ys.append(y[rows, cols])
            px.append(_centres(sub.transform, rows + window.row_off, cols + window.col_off))
        state["start"] = hi
        state["block"] += 1

    scan_blocks(sub, collect, is_cancelled=cb.is_cancelled, progress=cb.progress, progress_range=(50, 100))
    return (
        np.concatenate(xs),
        np.concatenate(ys),
        np.concatenate([p[0] for p in px]),
        np.concatenate([p[1] for p in px]),
    )


def _centres(t, rows: NDArray, cols: NDArray) -> tuple[NDArray, NDArray]:
    """Return the map coordinates (x, y) of the centres of cells (rows, cols) of a grid with transform ``t``."""
    cc, rr = cols + 0.5, rows + 0.5
    return t.c + cc * t.a + rr * t.b, t.f + cc * t.d + rr * t.e


def _overlaps(win: Window, ds) -> bool:
    return (
        win.col_off < ds.width
        and win.row_off < ds.height
        and win.col_off + win.width > 0
        and win.row_off + win.height > 0
    )


def write_points(result: ValidationResult, path: str) -> str:
    """Write the sampled cells as points (GeoPackage or any OGR format by extension)."""
    import geopandas as gpd

    df = gpd.GeoDataFrame(
        {"reference_npp": result.x, "casa_npp": result.y, "difference": result.y - result.x},
        geometry=gpd.points_from_xy(result.xs, result.ys),
        crs=str(result.crs) if result.crs else None,
    )
    with atomic_path(path) as tmp:
        df.to_file(tmp, layer="validation_points", driver=_ogr_driver(path))
    return path


def _ogr_driver(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    return {".shp": "ESRI Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON", ".csv": "CSV"}.get(ext, "GPKG")


def scatter_plot(result: ValidationResult, path: str, title: str = "CASA NPP against reference NPP") -> str:
    """Write a PNG scatter plot with the 1:1 line, the fitted line and the statistics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5.5), dpi=110)
    try:
        ax.scatter(result.x, result.y, s=6, alpha=0.5, color="#2e7d32", edgecolor="none")
        hi = float(np.nanmax([result.x.max(initial=0), result.y.max(initial=0)])) * 1.05 or 1.0
        ax.plot([0, hi], [0, hi], color="k", lw=1, label="1:1")
        if np.isfinite(result.slope):
            ax.plot(
                [0, hi],
                [result.intercept, result.intercept + result.slope * hi],
                color="#c62828",
                lw=1.2,
                label=f"fit y = {result.slope:.2f}x {'+' if result.intercept >= 0 else '-'} "
                f"{abs(result.intercept):.0f}",
            )
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.set_xlabel("reference NPP (gC m$^{-2}$ a$^{-1}$)")
        ax.set_ylabel("CASA NPP (gC m$^{-2}$ a$^{-1}$)")
        ax.set_title(title + (f" {result.year}" if result.year else ""), fontsize=10)
        ax.text(
            0.03,
            0.97,
            f"N = {result.n}\nR² = {result.r2:.3f}\nRMSE = {result.rmse:.1f}\nbias = {result.bias:.1f}",
            transform=ax.transAxes,
            va="top",
            fontsize=9,
        )
        ax.legend(loc="lower right", fontsize=8)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return path


def check_outputs(points: str, plot: str, statistics: str | None = None) -> None:
    """Raise a clear error, before any work, if an output of casanep:validate cannot be written.

    Parameters
    ----------
    points, plot, statistics
        Destinations of the sample points, the scatter plot (PNG) and the statistics
        (CSV; None when not asked for), checked as the parameters POINTS, PLOT and STATISTICS.
    """
    for path, name in ((points, "POINTS"), (plot, "PLOT"), (statistics, "STATISTICS")):
        if path:
            check_writable(path, name)


def write_statistics(result: ValidationResult, path: str) -> str:
    """Write the statistics as a CSV table of ``statistic,value`` rows; return ``path``.

    Written to a temporary file moved into place on success, so a failure leaves any
    previous file as it was.  RMSE, bias and intercept are in gC m-2 a-1.
    """
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["statistic", "value"])
        for k, v in result.summary().items():
            w.writerow([k, v])
    return path

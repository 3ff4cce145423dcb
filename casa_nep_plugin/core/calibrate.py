"""Calibration of the maximum light-use efficiency eps_max per vegetation class.

eps_max is fitted against a reference NPP product (e.g. MODIS MOD17A3HGF).

CASA NPP is proportional to eps_max cell by cell (NPP = APAR * Te1 * Te2 * We *
eps_max), so scaling a class's eps_max by a factor f scales that class's NPP by
f and no model rerun is needed to fit f.

Method (all on the reference grid, with the conventions of :mod:`.validate`):

- annual CASA NPP (gC m-2 a-1; a monthly stack's months of one year are summed)
  is aggregated to the reference grid by the **mean** of the CASA cells inside
  each reference cell (GDAL average warp);
- the share of each CASA class in a reference cell is the mean of its 0/1
  indicator over the land-cover cells with data inside it; a reference cell is
  **pure** for class k where that share is >= ``purity`` (default 0.8), and
  only pure cells valid in both products are used;
- the reference is read with the product's scale and fill codes (MOD17A3HGF:
  0.1 gC m-2 a-1 per count, 32761..32767 masked);
- per class, f = sum(x*y) / sum(y^2), the least-squares fit of x = f*y through
  the origin (x reference, y CASA, both gC m-2 a-1), with standard error
  se(f) = sqrt(s^2 / sum(y^2)), s^2 = sum((x - f*y)^2) / (n - 1);
- a class with fewer than ``min_cells`` pure cells keeps its eps_max (factor 1),
  with a warning;
- skill before and after: R2, RMSE and bias of CASA against the reference on the
  pure cells; "after" is from k-fold cross-validation (default 5 folds) in which
  whole **spatial blocks** of ``block_size`` x ``block_size`` reference cells are
  held out together (blocks assigned to folds at random with ``seed``), so that
  spatially autocorrelated neighbours of a held-out cell do not sit in the
  training set and the skill reported is honest.

Assumptions (stated in the algorithm's help): the reference and CASA describe
the same year; the reference's error is random, not class-dependent; the
vegetation table given is the one the NPP was computed with (or, where the NPP
records a single global EPSILON_MAX in its metadata, that value is the base).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from .engine import Callbacks, run_blocks, scan_blocks
from .errors import CasaInputError
from .grid import ModelGrid
from .outputs import OutputSpec, atomic_path
from .raster import RasterInput
from .tables import DEFAULT_VEGETATION_TABLE, load_code_table, load_vegetation_table, read_csv_rows
from .validate import MOD17A3HGF, ReferenceProduct, _annual, agreement, reference_window

__all__ = [
    "ClassFactor",
    "CalibrationResult",
    "fit_factor",
    "assign_folds",
    "calibrate_epsilon",
    "write_vegetation_table",
    "write_factors",
    "write_metrics",
    "calibration_plot",
]

DEFAULT_PURITY = 0.8
DEFAULT_FOLDS = 5
DEFAULT_BLOCK_SIZE = 16
DEFAULT_MIN_CELLS = 30


def fit_factor(x: NDArray, y: NDArray) -> tuple[float, float]:
    """(f, se(f)) of the least-squares fit x = f*y through the origin.

    x: reference NPP, y: CASA NPP (same units, gC m-2 a-1).  f = sum(xy)/sum(y^2);
    se(f) = sqrt(s^2/sum(y^2)) with s^2 = sum((x-f*y)^2)/(n-1) (one fitted
    parameter).  NaN where sum(y^2) = 0; se NaN for n < 2.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    syy = float((y * y).sum())
    if x.size == 0 or syy <= 0:
        return math.nan, math.nan
    f = float((x * y).sum()) / syy
    if x.size < 2:
        return f, math.nan
    s2 = float(((x - f * y) ** 2).sum()) / (x.size - 1)
    return f, math.sqrt(s2 / syy)


def assign_folds(blocks: NDArray, folds: int, seed: int) -> tuple[NDArray, int]:
    """Assign each cell a fold (0..k-1) from its spatial block id.

    The distinct blocks are shuffled with ``seed`` and dealt to the folds in turn.
    Returns (fold per cell, k), k = min(folds, number of blocks).
    """
    ids = np.unique(blocks)
    k = int(min(folds, ids.size))
    if k < 1:
        return np.zeros(blocks.shape, np.int64), 0
    order = np.random.default_rng(seed).permutation(ids.size)
    fold_of_block = np.empty(ids.size, np.int64)
    fold_of_block[order] = np.arange(ids.size) % k
    return fold_of_block[np.searchsorted(ids, blocks)], k


@dataclass
class ClassFactor:
    """One class's fit: eps_max before/after (gC MJ-1), factor, its s.e., pure cells."""

    key: str
    name: str
    epsilon_before: float
    factor: float
    standard_error: float
    cells: int
    calibrated: bool
    note: str = ""

    @property
    def epsilon_after(self) -> float:
        """Calibrated eps_max (gC MJ-1): factor * eps_max where calibrated, else unchanged."""
        return self.epsilon_before * self.factor if self.calibrated else self.epsilon_before


@dataclass
class CalibrationResult:
    """Factors and cross-validated skill; x reference, y CASA, y_cv the held-out calibrated CASA."""

    factors: list[ClassFactor]
    before: dict[str, float]
    after: dict[str, float]
    year: str | None
    purity: float
    folds: int
    block_size: int
    min_cells: int
    epsilon_override: float | None = None
    x: NDArray = field(default_factory=lambda: np.empty(0), repr=False)
    y: NDArray = field(default_factory=lambda: np.empty(0), repr=False)
    y_cv: NDArray = field(default_factory=lambda: np.empty(0), repr=False)
    cls: NDArray = field(default_factory=lambda: np.empty(0, np.int64), repr=False)


def _stats(x: NDArray, y: NDArray) -> dict[str, float]:
    r2, rmse, bias, slope, intercept = agreement(x, y)
    return {"n": int(len(x)), "r2": r2, "rmse": rmse, "bias": bias, "slope": slope, "intercept": intercept}


def _factors_of(x: NDArray, y: NDArray, cls: NDArray, k: int, min_cells: int) -> NDArray:
    """Factor per class index 0..k-1 (1 where fewer than min_cells cells or no fit)."""
    out = np.ones(k)
    for i in range(k):
        sel = cls == i
        if sel.sum() >= min_cells:
            f, _ = fit_factor(x[sel], y[sel])
            if np.isfinite(f):
                out[i] = f
    return out


def _override_of(dataset) -> float | None:
    """Return the global EPSILON_MAX (gC MJ-1) a casa-nep NPP raster records in its metadata, if any."""
    try:
        params = json.loads(dataset.tags().get("casanep_parameters", "{}"))
        value = params.get("casa", {}).get("epsilon_max_override")
        return None if value is None else float(value)
    except (ValueError, AttributeError, TypeError):
        return None


def calibrate_epsilon(
    npp: str,
    landcover: str,
    reference: str,
    class_table: str | None = None,
    vegetation_table: str | None = None,
    purity: float = DEFAULT_PURITY,
    folds: int = DEFAULT_FOLDS,
    block_size: int = DEFAULT_BLOCK_SIZE,
    min_cells: int = DEFAULT_MIN_CELLS,
    seed: int = 42,
    year: str | None = None,
    product: ReferenceProduct = MOD17A3HGF,
    npp_scale: float = 1.0,
    callbacks: Callbacks | None = None,
) -> CalibrationResult:
    """Fit one eps_max factor per CASA class against ``reference`` (see the module doc).

    ``npp``: annual CASA NPP (gC m-2 a-1 after ``npp_scale``) or a monthly stack
    (the months of ``year`` summed); ``landcover``: class codes mapped through
    ``class_table`` (default GLC_FCS30) to the classes of ``vegetation_table``
    (default the shipped Zhu et al. 2006 table); ``reference``: e.g. MOD17A3HGF.
    """
    cb = callbacks or Callbacks()
    if not (0 < purity <= 1):
        raise CasaInputError("PURITY", f"must be a share in (0, 1], not {purity}.")
    if folds < 2:
        raise CasaInputError("FOLDS", f"must be at least 2, not {folds}.")
    if block_size < 1:
        raise CasaInputError("BLOCK_SIZE", f"must be at least 1 reference cell, not {block_size}.")
    if min_cells < 2:
        raise CasaInputError("MIN_CELLS", f"must be at least 2, not {min_cells}.")
    veg = load_vegetation_table(vegetation_table)
    lookup = load_code_table(class_table, veg)
    keys = [k for k, c in veg.items() if c.has_npp]
    key_index = {k: i for i, k in enumerate(keys)}
    # class index (into keys) of each table position; -1 for no-NPP classes (water, ice) and nodata
    pos_class = np.array([key_index.get(k, -1) for k in lookup.class_keys], np.int64)
    with tempfile.TemporaryDirectory(prefix="casanep-calibrate-") as tmp:
        src = RasterInput.open(npp, "NPP", scale=npp_scale, monthly=False)
        try:
            override = _override_of(src.dataset)
            annual_path, band, year = _annual(src, year, cb, tmp)
        finally:
            src.close()
        if override is not None:
            cb.warning(
                f"NPP was computed with one global EPSILON_MAX = {override:g} gC MJ-1 (from its metadata); "
                "factors apply to that value, and the calibrated table gives every class its own value."
            )
        with rasterio.open(annual_path) as casa:
            grid = ModelGrid.of(casa)
        shares_path = os.path.join(tmp, "class_shares.tif")
        _write_indicators(landcover, lookup, pos_class, len(keys), grid, shares_path, cb)
        ref = RasterInput.open(reference, "REFERENCE", monthly=False)
        try:
            with rasterio.open(annual_path) as casa, rasterio.open(shares_path) as shares:
                scale = npp_scale if annual_path == npp else 1.0
                x, y, cls, blocks = _pure_pairs(casa, band, shares, ref, purity, block_size, product, scale, cb)
        finally:
            ref.close()
    factors: list[ClassFactor] = []
    for i, key in enumerate(keys):
        sel = cls == i
        n = int(sel.sum())
        base = override if override is not None else veg[key].epsilon_max
        f, se = fit_factor(x[sel], y[sel]) if n else (math.nan, math.nan)
        ok = n >= min_cells and np.isfinite(f)
        note = (
            ""
            if ok
            else (
                f"only {n} pure cells (at least {min_cells} needed); eps_max kept"
                if n < min_cells
                else "no fit (CASA NPP is zero on its pure cells); eps_max kept"
            )
        )
        if not ok and n > 0:
            cb.warning(f"class '{key}': {note}.")
        factors.append(
            ClassFactor(
                key,
                veg[key].name,
                base,
                f if ok else 1.0,
                se if ok else math.nan,
                n,
                ok,
                note if n else "no pure cells; eps_max kept",
            )
        )
    calibrated = [c.key for c in factors if c.calibrated]
    if not calibrated:
        cb.warning(f"no class has {min_cells} pure cells at PURITY {purity:g}; nothing was calibrated.")
    fold, k = assign_folds(blocks, folds, seed)
    y_cv = np.full(x.shape, np.nan)
    if k < folds:
        cb.warning(
            f"FOLDS: only {int(np.unique(blocks).size)} spatial blocks hold pure cells; "
            f"cross-validation with {k} folds."
        )
    if k >= 2:
        for j in range(k):
            test = fold == j
            f_train = _factors_of(x[~test], y[~test], cls[~test], len(keys), min_cells)
            # classes left uncalibrated overall stay uncalibrated in every fold
            f_train[[i for i, c in enumerate(factors) if not c.calibrated]] = 1.0
            y_cv[test] = y[test] * f_train[cls[test]]
    else:
        cb.warning("cross-validation needs at least 2 spatial blocks with pure cells; skill after is not reported.")
    before = _stats(x, y) if x.size else _stats(np.empty(0), np.empty(0))
    after: dict[str, float] = _stats(x, y_cv) if k >= 2 else {**_stats(np.empty(0), np.empty(0)), "n": 0}
    cb.info(f"{x.size} pure reference cells (PURITY {purity:g}); calibrated: {', '.join(calibrated) or 'none'}.")
    return CalibrationResult(factors, before, after, year, purity, k, block_size, min_cells, override, x, y, y_cv, cls)


def _write_indicators(
    landcover: str, lookup, pos_class: NDArray, k: int, grid: ModelGrid, path: str, cb: Callbacks
) -> None:
    """Write a k-band class-indicator raster on the NPP grid.

    Band i is 1 where the cell is of class i, 0 where it is another class or no-NPP land cover
    (water, ice), NaN where the land cover has no data.
    """
    lc = RasterInput.open(landcover, "LANDCOVER", categorical=True, monthly=False)
    try:
        if lc.count != 1:
            raise CasaInputError("LANDCOVER", f"must have one band of class codes, not {lc.count}.")
        lc.attach(grid)

        def compute(window: Window) -> dict[str, NDArray]:
            raw = lc.read(window)[0]
            has = np.isfinite(raw)
            codes = np.where(has, raw, -1).astype(np.int64)
            pos, known = lookup.index(codes)
            unknown = has & ~known
            if unknown.any():
                shown = ", ".join(str(int(c)) for c in np.unique(codes[unknown])[:30])
                raise CasaInputError(
                    "LANDCOVER",
                    f"codes {shown} are not in the class table; give the CLASS_TABLE the NPP was computed with.",
                )
            data = has & lookup.is_data[pos]
            cls = np.where(data, pos_class[pos], -2)
            out = (cls[None] == np.arange(k)[:, None, None]).astype(np.float32)
            out[:, ~data] = np.nan
            return {"shares": out}

        run_blocks(
            grid,
            compute,
            [OutputSpec("shares", path, [f"class {i}" for i in range(k)], "1")],
            None,
            cb.is_cancelled,
            depth=k + 1,
        )
    finally:
        lc.close()


def _pure_pairs(
    casa,
    band: int,
    shares,
    ref: RasterInput,
    purity: float,
    block_size: int,
    product: ReferenceProduct,
    scale: float,
    cb: Callbacks,
):
    """(x reference, y CASA mean, class index, spatial block id) of the pure reference cells valid in both."""
    assert ref.dataset is not None  # opened by the caller (only a pickled RasterInput has none)
    rds = ref.dataset
    sub, win, ref_crs, casa_crs = reference_window(casa, ref)
    common = dict(
        src_crs=casa_crs,
        crs=ref_crs,
        transform=sub.transform,
        width=sub.width,
        height=sub.height,
        resampling=Resampling.average,
        nodata=np.nan,
        dtype="float32",
    )
    vrt = WarpedVRT(casa, src_nodata=casa.nodata, **common)
    svrt = WarpedVRT(shares, src_nodata=shares.nodata, **common)
    blocks_across = -(-sub.width // block_size)
    xs, ys, cs, bs = [], [], [], []

    def visit(window: Window) -> None:
        full = Window(window.col_off + win.col_off, window.row_off + win.row_off, window.width, window.height)
        raw = rds.read(1, window=full, masked=True).astype(np.float64).filled(np.nan)
        if product.fill_min is not None:
            top = product.fill_max if product.fill_max is not None else np.inf
            raw[(raw >= product.fill_min) & (raw <= top)] = np.nan
        x = raw * product.scale
        y = vrt.read(band, window=window).astype(np.float64) * scale
        s = svrt.read(window=window)
        s = np.where(np.isfinite(s), s, -1.0)
        top_share = s.max(axis=0)
        cls = s.argmax(axis=0)
        ok = np.isfinite(x) & np.isfinite(y) & (top_share >= purity - 1e-6)
        if ok.any():
            rows, cols = np.nonzero(ok)
            xs.append(x[ok])
            ys.append(y[ok])
            cs.append(cls[ok].astype(np.int64))
            rr, cc = rows + window.row_off, cols + window.col_off
            bs.append((rr // block_size) * blocks_across + cc // block_size)

    try:
        scan_blocks(sub, visit, progress=cb.progress, is_cancelled=cb.is_cancelled, depth=shares.count + 2)
    finally:
        vrt.close()
        svrt.close()
    if not xs:
        raise CasaInputError(
            "REFERENCE",
            f"no reference cell is both valid and pure (one class >= {purity:g} of "
            "it); lower PURITY or check the extents, the fill codes and the year.",
        )
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(cs), np.concatenate(bs).astype(np.int64)


# -- outputs ---------------------------------------------------------------
def write_vegetation_table(
    result: CalibrationResult, path: str, vegetation_table: str | None = None, reference: str | None = None
) -> str:
    """Write the vegetation table with calibrated eps_max (gC MJ-1).

    Same columns; ``casanep:npp`` reads it as VEGETATION_TABLE.  Uncalibrated classes keep their
    value (the global EPSILON_MAX where the NPP was computed with one).
    """
    source = vegetation_table or str(DEFAULT_VEGETATION_TABLE)
    rows = read_csv_rows(source, "VEGETATION_TABLE", ["key", "name", "ndvi_min", "ndvi_max", "epsilon_max", "npp"])
    columns = list(rows[0]) if rows else ["key", "name", "ndvi_min", "ndvi_max", "epsilon_max", "npp"]
    by_key = {c.key: c for c in result.factors}
    import csv

    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        fh.write(
            f"# eps_max calibrated by casanep:calibrate from '{os.path.basename(source)}'"
            f"{' against ' + os.path.basename(reference) if reference else ''}"
            f"{' for ' + str(result.year) if result.year else ''}: least squares per class on reference "
            f"cells at least {result.purity:g} pure.\n"
        )
        for c in result.factors:
            fh.write(
                f"# {c.key}: factor {c.factor:.4f} (s.e. {c.standard_error:.4f}, {c.cells} cells)"
                f"{'' if c.calibrated else ' - kept: ' + c.note}\n"
            )
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for row in rows:
            fitted = by_key.get(row["key"])
            if fitted is not None:
                row = dict(row, epsilon_max=f"{fitted.epsilon_after:.6g}")
            w.writerow(row)
    return path


def write_factors(result: CalibrationResult, path: str) -> str:
    """CSV: class, name, eps_max before/after (gC MJ-1), factor, standard error, pure cells, calibrated, note."""
    import csv

    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "class",
                "name",
                "epsilon_max_before",
                "factor",
                "standard_error",
                "epsilon_max_after",
                "pure_cells",
                "calibrated",
                "note",
            ]
        )
        for c in result.factors:
            w.writerow(
                [
                    c.key,
                    c.name,
                    f"{c.epsilon_before:.6g}",
                    f"{c.factor:.6g}",
                    "" if not np.isfinite(c.standard_error) else f"{c.standard_error:.6g}",
                    f"{c.epsilon_after:.6g}",
                    c.cells,
                    "yes" if c.calibrated else "no",
                    c.note,
                ]
            )
    return path


def write_metrics(result: CalibrationResult, path: str) -> str:
    """CSV: skill before (uncalibrated) and after (k-fold spatial-block cross-validation)."""
    import csv

    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["set", "n", "r2", "rmse", "bias", "slope", "intercept", "folds", "block_size_cells", "purity"])
        for name, s in (("before", result.before), ("after_cross_validated", result.after)):
            w.writerow(
                [
                    name,
                    s["n"],
                    *(f"{s[k]:.6g}" for k in ("r2", "rmse", "bias", "slope", "intercept")),
                    result.folds,
                    result.block_size,
                    result.purity,
                ]
            )
    return path


def calibration_plot(result: CalibrationResult, path: str, max_points: int = 20000) -> str:
    """PNG: CASA against reference before (grey) and after calibration (held-out, green), 1:1 line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idx = np.arange(result.x.size)
    if idx.size > max_points:
        idx = np.sort(np.random.default_rng(0).choice(idx.size, max_points, replace=False))
    fig, ax = plt.subplots(figsize=(5.5, 5.5), dpi=110)
    try:
        x = result.x[idx]
        ax.scatter(x, result.y[idx], s=6, alpha=0.4, color="#9e9e9e", edgecolor="none", label="before")
        if np.isfinite(result.y_cv).any():
            ax.scatter(
                x, result.y_cv[idx], s=6, alpha=0.5, color="#2e7d32", edgecolor="none", label="after (cross-validated)"
            )
        hi = float(np.nanmax(np.concatenate([[1.0], result.x, result.y, result.y_cv]))) * 1.05
        ax.plot([0, hi], [0, hi], color="k", lw=1, label="1:1")
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.set_xlabel("reference NPP (gC m$^{-2}$ a$^{-1}$)")
        ax.set_ylabel("CASA NPP (gC m$^{-2}$ a$^{-1}$)")
        ax.set_title("eps_max calibration" + (f" {result.year}" if result.year else ""), fontsize=10)
        b, a = result.before, result.after

        def fmt(v: float) -> str:
            return f"{v:.3g}" if np.isfinite(v) else "n/a"

        ax.text(
            0.03,
            0.97,
            f"N = {b['n']} pure cells\nbefore: R² {fmt(b['r2'])}, RMSE {fmt(b['rmse'])}, "
            f"bias {fmt(b['bias'])}\nafter ({result.folds}-fold CV): R² {fmt(a['r2'])}, RMSE {fmt(a['rmse'])}, "
            f"bias {fmt(a['bias'])}",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
        )
        ax.legend(loc="lower right", fontsize=8)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return path

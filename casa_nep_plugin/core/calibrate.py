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

This module opens the inputs and extracts the pure-cell pairs; the fit and the cross-validation are in
:mod:`.calibration_fit`, the written outputs in :mod:`.calibration_outputs`.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from .calibration_fit import CalibrationResult, cross_validate, fit_classes, skill
from .engine import Callbacks, run_blocks, scan_blocks
from .errors import CasaInputError
from .grid import ModelGrid
from .outputs import OutputSpec
from .raster import RasterInput
from .tables import ClassLookup, load_code_table, load_vegetation_table
from .validate import MOD17A3HGF, ReferenceProduct, _annual, reference_window

__all__ = ["calibrate_epsilon"]

DEFAULT_PURITY = 0.8
DEFAULT_FOLDS = 5
DEFAULT_BLOCK_SIZE = 16
DEFAULT_MIN_CELLS = 30


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
    _check_options(purity, folds, block_size, min_cells)
    veg = load_vegetation_table(vegetation_table)
    lookup = load_code_table(class_table, veg)
    keys = [k for k, c in veg.items() if c.has_npp]
    x, y, cls, blocks, year, override = _extract_pairs(
        npp, landcover, reference, lookup, keys, purity, block_size, year, product, npp_scale, cb
    )
    factors = fit_classes(x, y, cls, keys, veg, override, min_cells, cb)
    calibrated = [c.key for c in factors if c.calibrated]
    if not calibrated:
        cb.warning(f"no class has {min_cells} pure cells at PURITY {purity:g}; nothing was calibrated.")
    y_cv, k = cross_validate(x, y, cls, blocks, factors, folds, seed, min_cells, cb)
    before = skill(x, y) if x.size else skill(np.empty(0), np.empty(0))
    after: dict[str, float] = skill(x, y_cv) if k >= 2 else {**skill(np.empty(0), np.empty(0)), "n": 0}
    cb.info(f"{x.size} pure reference cells (PURITY {purity:g}); calibrated: {', '.join(calibrated) or 'none'}.")
    return CalibrationResult(factors, before, after, year, purity, k, block_size, min_cells, override, x, y, y_cv, cls)


def _check_options(purity: float, folds: int, block_size: int, min_cells: int) -> None:
    """Raise CasaInputError naming the first option out of its range."""
    if not (0 < purity <= 1):
        raise CasaInputError("PURITY", f"must be a share in (0, 1], not {purity}.")
    if folds < 2:
        raise CasaInputError("FOLDS", f"must be at least 2, not {folds}.")
    if block_size < 1:
        raise CasaInputError("BLOCK_SIZE", f"must be at least 1 reference cell, not {block_size}.")
    if min_cells < 2:
        raise CasaInputError("MIN_CELLS", f"must be at least 2, not {min_cells}.")


def _extract_pairs(
    npp: str,
    landcover: str,
    reference: str,
    lookup: ClassLookup,
    keys: list[str],
    purity: float,
    block_size: int,
    year: str | None,
    product: ReferenceProduct,
    npp_scale: float,
    cb: Callbacks,
) -> tuple[NDArray, NDArray, NDArray, NDArray, str | None, float | None]:
    """Return the pure-cell pairs (x, y, class index, block id), the year and the NPP's global eps_max, if any.

    Annual NPP and class shares are written to a temporary folder on the NPP grid, then averaged onto
    the reference grid.
    """
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
    return x, y, cls, blocks, year, override


def _write_indicators(
    landcover: str, lookup: ClassLookup, pos_class: NDArray, k: int, grid: ModelGrid, path: str, cb: Callbacks
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

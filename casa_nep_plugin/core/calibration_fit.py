"""The statistics of the eps_max calibration: per-class factors and spatial-block cross-validation.

Pure numpy on the pairs of pure reference cells that :mod:`.calibrate` extracts (x reference NPP, y CASA
NPP, both gC m-2 a-1, with the CASA class index and the spatial block id of each cell); the method is in
:mod:`.calibrate`'s module doc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .engine import Callbacks
from .tables import VegetationClass
from .validate import agreement

__all__ = ["ClassFactor", "CalibrationResult", "fit_factor", "assign_folds", "skill", "fit_classes", "cross_validate"]


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


def skill(x: NDArray, y: NDArray) -> dict[str, float]:
    """Return n, R2, RMSE, bias, slope and intercept of CASA ``y`` against reference ``x`` (see ``agreement``)."""
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


def _class_note(n: int, min_cells: int) -> str:
    """Return why a class with ``n`` pure cells keeps its eps_max."""
    if n == 0:
        return "no pure cells; eps_max kept"
    if n < min_cells:
        return f"only {n} pure cells (at least {min_cells} needed); eps_max kept"
    return "no fit (CASA NPP is zero on its pure cells); eps_max kept"


def fit_classes(
    x: NDArray,
    y: NDArray,
    cls: NDArray,
    keys: list[str],
    veg: dict[str, VegetationClass],
    override: float | None,
    min_cells: int,
    cb: Callbacks,
) -> list[ClassFactor]:
    """Fit one factor per class of ``keys`` (class index into ``keys`` in ``cls``); factor 1 below ``min_cells``.

    The base eps_max (gC MJ-1) is the vegetation table's, or ``override`` where the NPP used one global value.
    """
    factors: list[ClassFactor] = []
    for i, key in enumerate(keys):
        sel = cls == i
        n = int(sel.sum())
        base = override if override is not None else veg[key].epsilon_max
        f, se = fit_factor(x[sel], y[sel]) if n else (math.nan, math.nan)
        ok = n >= min_cells and bool(np.isfinite(f))
        note = "" if ok else _class_note(n, min_cells)
        if not ok and n > 0:
            cb.warning(f"class '{key}': {note}.")
        factors.append(ClassFactor(key, veg[key].name, base, f if ok else 1.0, se if ok else math.nan, n, ok, note))
    return factors


def cross_validate(
    x: NDArray,
    y: NDArray,
    cls: NDArray,
    blocks: NDArray,
    factors: list[ClassFactor],
    folds: int,
    seed: int,
    min_cells: int,
    cb: Callbacks,
) -> tuple[NDArray, int]:
    """Return (held-out calibrated CASA NPP per pair, NaN where not cross-validated; folds used).

    Whole spatial ``blocks`` are held out together; classes left uncalibrated overall stay so in every fold.
    """
    fold, k = assign_folds(blocks, folds, seed)
    y_cv = np.full(x.shape, np.nan)
    if k < folds:
        cb.warning(
            f"FOLDS: only {int(np.unique(blocks).size)} spatial blocks hold pure cells; "
            f"cross-validation with {k} folds."
        )
    if k < 2:
        cb.warning("cross-validation needs at least 2 spatial blocks with pure cells; skill after is not reported.")
        return y_cv, k
    kept = [i for i, c in enumerate(factors) if not c.calibrated]
    for j in range(k):
        test = fold == j
        f_train = _factors_of(x[~test], y[~test], cls[~test], len(factors), min_cells)
        f_train[kept] = 1.0
        y_cv[test] = y[test] * f_train[cls[test]]
    return y_cv, k

"""CASA light-use-efficiency model: FPAR, temperature and water stress, NPP.

Pure numpy functions, no I/O.  Arrays broadcast; NaN marks nodata and
propagates.  Equations: METHOD.md section 1 (Potter et al. 1993; Zhu et al.
2006, 2007).  Constants come from :class:`~.params.CasaParams`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import fmath
from .params import CasaParams

_DEFAULT = CasaParams()


def simple_ratio(ndvi: ArrayLike) -> NDArray:
    """Return the simple ratio SR = (1 + NDVI) / (1 - NDVI) (unitless)."""
    n = np.asarray(ndvi)
    return (1.0 + n) / (1.0 - n)


def fpar(
    ndvi: ArrayLike,
    ndvi_min: ArrayLike,
    ndvi_max: ArrayLike,
    params: CasaParams = _DEFAULT,
) -> NDArray:
    """Fraction of absorbed PAR (unitless, within [fpar_min, fpar_max]).

    FPAR = alpha*FPAR_ndvi + (1-alpha)*FPAR_sr (Zhu et al. 2007), with NDVI first
    clipped to the class bounds [ndvi_min, ndvi_max]:

        FPAR_ndvi = (N - NDVImin)/(NDVImax - NDVImin)*(FPARmax - FPARmin) + FPARmin
        FPAR_sr   = (SR - SRmin)/(SRmax - SRmin)*(FPARmax - FPARmin) + FPARmin

    ndvi: unitless in [-1, 1]; ndvi_min/ndvi_max: per-pixel class bounds
    (broadcast against ndvi, e.g. (rows, cols) against (months, rows, cols)).
    Both forms are linear, so the per-pixel coefficients are computed once on
    the bounds' shape and the monthly array sees only multiply-adds.
    """
    ndvi = np.asarray(ndvi)
    ft: DTypeLike = ndvi.dtype if ndvi.dtype.kind == "f" else np.float64
    lo = np.asarray(ndvi_min, dtype=ft)
    hi = np.asarray(ndvi_max, dtype=ft)
    span = params.fpar_max - params.fpar_min
    sr_lo, sr_hi = simple_ratio(lo), simple_ratio(hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        k_ndvi = (params.alpha * span) / (hi - lo)
        k_sr = ((1.0 - params.alpha) * span) / (sr_hi - sr_lo)
    base = params.fpar_min - k_ndvi * lo - k_sr * sr_lo
    n = np.atleast_1d(np.maximum(ndvi, lo))  # a new array: safe to work in place
    np.minimum(n, hi, out=n)
    sr = 1.0 + n  # SR = (1 + N) / (1 - N), in place
    sr /= 1.0 - n
    sr *= k_sr
    n *= k_ndvi
    n += sr
    n += base
    np.maximum(n, params.fpar_min, out=n)  # the bounds hold exactly, whatever the rounding
    np.minimum(n, params.fpar_max, out=n)
    return n if np.ndim(ndvi) or np.ndim(base) else n[0]


def optimal_temperature(ndvi_year: ArrayLike, t_year: ArrayLike) -> NDArray:
    """Topt (degC): the monthly mean T of the month in which NDVI peaks.

    ndvi_year, t_year: arrays of shape (months, ...) for one calendar year.  The
    first month wins on ties; where every month's NDVI is NaN, Topt is NaN.
    Returns an array of shape ``...``.
    """
    ndvi_year = np.asarray(ndvi_year)
    t_year = np.broadcast_to(np.asarray(t_year), ndvi_year.shape)
    ft: np.dtype = np.result_type(t_year.dtype, np.float32) if t_year.dtype.kind == "f" else np.dtype(np.float64)
    # month by month: a later month takes over only if its NDVI is strictly higher (first wins on ties)
    best = np.where(np.isnan(ndvi_year[0]), -np.inf, ndvi_year[0])
    topt = np.where(np.isnan(ndvi_year[0]), np.nan, t_year[0]).astype(ft)
    for m in range(1, ndvi_year.shape[0]):
        higher = ndvi_year[m] > best  # NaN is never higher
        np.copyto(best, ndvi_year[m], where=higher)
        np.copyto(topt, t_year[m], where=higher)
    return topt


def te1(topt: ArrayLike, t: ArrayLike, params: CasaParams = _DEFAULT) -> NDArray:
    """Low-temperature stress Te1 (unitless).

    Te1 = 0.8 + 0.02*Topt - 0.0005*Topt^2, and Te1 = 0 where monthly T <= -10 degC.
    topt, t in degC (broadcast).
    """
    topt = np.asarray(topt)
    t = np.asarray(t)
    value = params.te1_a + params.te1_b * topt + params.te1_c * topt * topt
    value = np.broadcast_to(value, np.broadcast_shapes(value.shape, t.shape))
    return np.where(t <= params.te1_cold_limit, 0.0, value).astype(value.dtype, copy=False)


def te2_raw(topt: ArrayLike, t: ArrayLike, params: CasaParams = _DEFAULT) -> NDArray:
    """Te2 before its edge rule (unitless), topt and t in degC.

    Te2 = 1.1814 / ((1 + exp(0.2*(Topt - 10 - T))) * (1 + exp(0.3*(-Topt - 10 + T))))
    """
    topt = np.asarray(topt)
    t = np.asarray(t)
    low = fmath.work(topt - params.te2_offset - t)  # new arrays, worked in place below (the same roundings)
    low *= params.te2_k_low
    fmath.exp(low, out=low)
    low += 1.0
    high = fmath.work(-topt - params.te2_offset + t)
    high *= params.te2_k_high
    fmath.exp(high, out=high)
    high += 1.0
    low *= high
    return np.divide(params.te2_scale, low, out=low)


def te2(topt: ArrayLike, t: ArrayLike, params: CasaParams = _DEFAULT) -> NDArray:
    """High/low-temperature departure stress Te2 (unitless).

    Te2 = Te2raw(T), except where T > Topt + 10 or T < Topt - 13 (strict), where
    Te2 = Te2raw(Topt) / 2.  topt and t in degC.
    """
    topt = np.asarray(topt)
    t = np.asarray(t)
    inside = te2_raw(topt, t, params)
    at_opt = te2_raw(topt, topt, params) / 2.0
    outside = t > topt + params.te2_upper
    outside |= t < topt - params.te2_lower
    if inside.shape != outside.shape or inside.dtype != np.result_type(inside, at_opt):
        return np.where(outside, at_opt, inside)
    np.copyto(inside, np.broadcast_to(at_opt, inside.shape), where=outside)
    return inside


def water_stress(e: ArrayLike, ep0: ArrayLike, params: CasaParams = _DEFAULT) -> NDArray:
    """Water stress We (unitless, within [0.5, 1]).

    E (actual ET, mm month-1; negatives set to 0) and Ep0 (potential ET,
    mm month-1):  EP = (E + Ep0)/2;  We = 0.5 + 0.5*E/EP clipped to [0.5, 1];
    We = 1 where EP <= 0.
    """
    e = np.maximum(np.asarray(e), 0.0)
    ep = fmath.work(e + np.asarray(ep0))  # new arrays, worked in place below (the same roundings)
    ep /= 2.0
    floor = params.water_stress_min
    we = fmath.work(((1.0 - floor) * e).astype(ep.dtype, copy=False))
    if we.shape != ep.shape:
        we = np.broadcast_to(we, ep.shape).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        we /= ep
    we += floor
    np.maximum(we, floor, out=we)  # clip to [floor, 1]; NaN stays NaN
    np.minimum(we, 1.0, out=we)
    np.copyto(we, 1.0, where=ep <= 0.0)
    return we


def light_use_efficiency(te1_: ArrayLike, te2_: ArrayLike, we: ArrayLike, epsilon_max: ArrayLike) -> NDArray:
    """Return the light-use efficiency eps = Te1 * Te2 * We * eps_max, gC MJ-1 (eps_max in gC MJ-1).

    Python numbers stay weak scalars, so float32 arrays stay float32 on numpy 1
    and numpy 2 alike (``np.asarray(1.0)`` would promote to float64 under NEP 50).
    """
    return _arr(_arr(_arr(te1_) * _arr(te2_)) * _arr(we)) * _arr(epsilon_max)


def _arr(x: ArrayLike) -> Any:
    """Return arrays as arrays and Python numbers as they are (weak in numpy's promotion).

    Typed ``Any``: an ndarray or a Python number, whose products numpy's stubs cannot type
    (the caller's result is an ndarray whenever one operand is an array).
    """
    return x if isinstance(x, (int, float)) else np.asarray(x)


def apar(sol: ArrayLike, fpar_: ArrayLike, params: CasaParams = _DEFAULT) -> NDArray:
    """APAR = SOL * FPAR * 0.5, MJ m-2 month-1 (SOL in MJ m-2 month-1)."""
    return _arr(_arr(sol) * _arr(fpar_)) * params.par_fraction


def npp(apar_: ArrayLike, epsilon: ArrayLike) -> NDArray:
    """NPP = APAR * eps, gC m-2 month-1 (APAR MJ m-2 month-1, eps gC MJ-1)."""
    return _arr(apar_) * _arr(epsilon)


#: NDVI histogram used for class percentiles: bins of 0.0005 over [-1, 1].
NDVI_BINS = 4000


def ndvi_histogram(ndvi: ArrayLike, class_index: ArrayLike, n_classes: int) -> NDArray:
    """Count NDVI per class in NDVI_BINS bins over [-1, 1] (int64, shape (n_classes, NDVI_BINS)).

    ``class_index`` (same shape as ``ndvi`` or broadcastable) is the class row,
    -1 for cells to skip; NaN NDVI is skipped.
    """
    ndvi = np.asarray(ndvi)
    cls = np.broadcast_to(np.asarray(class_index), ndvi.shape)
    ok = np.isfinite(ndvi) & (cls >= 0)
    b = np.clip(((ndvi[ok] + 1.0) / 2.0 * NDVI_BINS).astype(np.int64), 0, NDVI_BINS - 1)
    flat = cls[ok].astype(np.int64) * NDVI_BINS + b
    return np.bincount(flat, minlength=n_classes * NDVI_BINS).reshape(n_classes, NDVI_BINS)


def histogram_percentile(counts: ArrayLike, q: float) -> float:
    """Return the q-th percentile (0-100) of NDVI from one class's histogram (bin centres), NaN if empty.

    Resolution: one bin, 0.0005 NDVI.
    """
    counts = np.asarray(counts)
    total = counts.sum()
    if total == 0:
        return float("nan")
    k = int(np.searchsorted(np.cumsum(counts), q / 100.0 * total, side="left"))
    return -1.0 + (min(k, NDVI_BINS - 1) + 0.5) * 2.0 / NDVI_BINS

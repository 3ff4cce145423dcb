"""The NPP -> RH -> NEP chain fused into one compiled pass per pixel (numba).

The same operations as :func:`.chain.npp_year`, in the same order and the same
float32 precision (exponentials, logarithms and powers evaluated in float64 and
rounded once, as :mod:`.fmath` does), so the two agree to within one float32 unit
in the last place; ``tests/core/test_kernels.py`` holds them to it.  The numpy
path stays the reference and the fallback where numba is missing
(``CASANEP_NUMBA=0`` turns the kernel off, ``1`` forces it; by default it runs
unless numpy has AVX-512 vector math, where the numpy path is faster: see
:func:`use_kernel`).  The kernel releases the GIL, so the engine's worker threads
run it on every core.
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

from .params import ModelParams

try:  # Debian's python3-numba; optional
    import numba

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the machine
    numba = None
    _HAVE_NUMBA = False


def available() -> bool:
    """Return True where numba is installed and not turned off by ``CASANEP_NUMBA=0``."""
    return _HAVE_NUMBA and os.environ.get("CASANEP_NUMBA", "").strip().lower() not in ("0", "no", "false", "off")


def _numpy_has_simd_math() -> bool:
    """Return True where numpy evaluates float64 log and pow with AVX-512 (SVML) vector code.

    There the numpy path outruns the kernel, which calls the C library's scalar
    functions: measured in ``make bench`` on an AVX-512 Xeon, the numpy path took
    0.91x the kernel's time; on CPUs without AVX-512 numpy's float64 exp/log/pow
    are scalar too and the kernel is 1.5-2.4x faster (bench/kernel figures in the README).
    """
    try:
        try:
            from numpy._core._multiarray_umath import __cpu_features__ as features
        except ImportError:  # numpy 1.x
            from numpy.core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # pragma: no cover
        return False
    return bool(features.get("AVX512_SKX"))


def use_kernel() -> bool:
    """Return whether the chain runs through the kernel.

    ``CASANEP_NUMBA=1`` forces it, ``0`` turns it off; by default it runs where numba is
    installed and numpy has no AVX-512 vector math.
    """
    env = os.environ.get("CASANEP_NUMBA", "").strip().lower()
    if not available():
        return False
    if env in ("1", "yes", "true", "on"):
        return True
    return not _numpy_has_simd_math()


def constants(params: ModelParams) -> NDArray:
    """Return the kernel's constants as float32.

    Each is rounded as numpy rounds a Python number meeting a float32 array (products
    of two parameters are formed first in Python, as the numpy path does).
    """
    cp, th, zz, rp = params.casa, params.thornthwaite, params.zhou_zhang, params.respiration
    span = cp.fpar_max - cp.fpar_min
    values = [
        cp.alpha * span,  # 0  k_ndvi numerator
        (1.0 - cp.alpha) * span,  # 1  k_sr numerator
        cp.fpar_min,  # 2
        cp.fpar_max,  # 3
        cp.par_fraction,  # 4
        cp.te1_a,  # 5
        cp.te1_b,  # 6
        cp.te1_c,  # 7
        cp.te1_cold_limit,  # 8
        cp.te2_scale,  # 9
        cp.te2_k_low,  # 10
        cp.te2_k_high,  # 11
        cp.te2_offset,  # 12
        cp.te2_upper,  # 13
        cp.te2_lower,  # 14
        cp.water_stress_min,  # 15
        1.0 - cp.water_stress_min,  # 16
        th.a3,  # 17
        th.a2,  # 18
        th.a1,  # 19
        th.a0,  # 20
        th.base,  # 21
        th.hot_limit,  # 22
        th.h0,  # 23
        th.h1,  # 24
        th.h2,  # 25
        zz.c0,  # 26
        zz.c1,  # 27
        rp.a,  # 28
        rp.b,  # 29
        rp.c,  # 30
        rp.days * rp.carbon_fraction,  # 31
    ]
    return np.array(values, dtype=np.float32)


def _heat_exponent(params: ModelParams) -> float:
    return float(params.thornthwaite.heat_exponent)


if _HAVE_NUMBA:
    import math

    f32 = np.float32

    @numba.njit(nogil=True, cache=True, inline="always")
    def _max(a, b):  # np.maximum: NaN if either is NaN
        if a != a or b != b:
            return a + b
        return a if a >= b else b

    @numba.njit(nogil=True, cache=True, inline="always")
    def _min(a, b):  # np.minimum: NaN if either is NaN
        if a != a or b != b:
            return a + b
        return a if a <= b else b

    @numba.njit(nogil=True, cache=True, inline="always")
    def _exp(x):
        return f32(math.exp(np.float64(x)))

    @numba.njit(nogil=True, cache=True, inline="always")
    def _pow(x, y):
        # x**y for x >= 0 as exp(y*ln x) in float64 (half the cost of pow; its float64 error,
        # ~1e-15 relative, survives the rounding to float32 only at a float32 rounding boundary)
        if x == 0.0:
            return f32(0.0) if y > 0.0 else f32(math.pow(x, y))
        return f32(math.exp(y * math.log(x)))

    @numba.njit(nogil=True, cache=True, inline="always")
    def _ep0(tk, heat, expo, c):  # Thornthwaite Ep0 of one cell-month (climate.thornthwaite_ep0)
        if tk != tk:
            return f32(np.nan)
        if tk >= c[22]:
            return (c[23] + c[24] * tk) + (c[25] * tk) * tk
        if tk > f32(0.0):
            ratio = (f32(10.0) * tk) / heat if heat > f32(0.0) else f32(0.0)
            return c[21] * _pow(np.float64(ratio), np.float64(expo))
        return f32(0.0)

    @numba.njit(nogil=True, cache=True, inline="always")
    def _actual_et(pk, e0, c):  # Zhou & Zhang actual ET of one cell-month (climate.zhou_zhang_et)
        if pk != pk or e0 != e0:
            return f32(np.nan)
        if pk > f32(0.0) and e0 > f32(0.0):
            rn = c[26] * f32(math.sqrt(np.float64(e0 * pk))) + c[27] * e0
            return ((pk * rn) * ((pk * pk + rn * rn) + pk * rn)) / ((pk + rn) * (pk * pk + rn * rn))
        return f32(0.0)

    @numba.njit(nogil=True, cache=True, inline="always")
    def _water_stress(ek, e0, c):  # casa.water_stress
        ek = _max(ek, f32(0.0))
        epv = (ek + e0) / f32(2.0)
        if epv <= f32(0.0):
            return f32(1.0)
        return _min(_max(c[15] + (c[16] * ek) / epv, c[15]), f32(1.0))

    @numba.njit(nogil=True, cache=True, inline="always")
    def _te2_raw(tp, tk, c):  # casa.te2_raw
        low = f32(1.0) + _exp(c[10] * ((tp - c[12]) - tk))
        high = f32(1.0) + _exp(c[11] * (((-tp) - c[12]) + tk))
        return c[9] / (low * high)

    @numba.njit(nogil=True, cache=True, inline="always")
    def _rh(tk, pk, c):  # respiration.heterotrophic_respiration
        rh = c[28] * (_exp(c[29] * tk) + f32(math.log1p(np.float64(c[30] * _max(pk, f32(0.0))))))
        return rh * c[31]

    @numba.njit(nogil=True, cache=True)
    def _year_of_row(r, ndvi, t, topt_in, nmin, nmax, c, hexp, has_topt, has_pet, rowvals):
        """Fill ``rowvals`` with row ``r``'s per-cell values of the year.

        FPAR coefficients, Topt and its stresses, Thornthwaite's heat index and exponent.
        """
        m, _, w = ndvi.shape
        kn = rowvals[0]
        ks = rowvals[1]
        base = rowvals[2]
        topt = rowvals[3]
        best = rowvals[4]
        v1 = rowvals[5]
        at_opt = rowvals[6]
        up = rowvals[7]
        dn = rowvals[8]
        heat = rowvals[9]
        expo = rowvals[10]
        one = f32(1.0)
        for col in range(w):  # FPAR's per-pixel linear coefficients (casa.fpar)
            lo = nmin[r, col]
            hi = nmax[r, col]
            kn[col] = c[0] / (hi - lo)
            sr_lo = (one + lo) / (one - lo)
            sr_hi = (one + hi) / (one - hi)
            ks[col] = c[1] / (sr_hi - sr_lo)
            base[col] = (c[2] - kn[col] * lo) - ks[col] * sr_lo
        if has_topt:
            for col in range(w):
                topt[col] = topt_in[r, col]
        else:  # T of the NDVI-peak month, the first on ties (casa.optimal_temperature)
            for col in range(w):
                best[col] = -np.inf
                topt[col] = f32(np.nan)
            for k in range(m):
                for col in range(w):
                    v = ndvi[k, r, col]
                    if v == v and v > best[col]:  # NaN NDVI never peaks; the first maximum wins
                        best[col] = v
                        topt[col] = t[k, r, col]
        for col in range(w):
            tp = topt[col]
            v1[col] = (c[5] + c[6] * tp) + (c[7] * tp) * tp
            at_opt[col] = _te2_raw(tp, tp, c) / f32(2.0)
            up[col] = tp + c[13]
            dn[col] = tp - c[14]
        if not has_pet:  # Thornthwaite's heat index and exponent (climate.thornthwaite_ep0)
            for col in range(w):
                heat[col] = f32(0.0)
            for k in range(m):
                for col in range(w):
                    tk = t[k, r, col]
                    warm = tk if tk > f32(0.0) else f32(0.0)
                    heat[col] += _pow(np.float64(warm / f32(5.0)), hexp)
            for col in range(w):
                hi_ = heat[col]
                expo[col] = ((c[17] * hi_ + c[18]) * hi_ + c[19]) * hi_ + c[20]

    @numba.njit(nogil=True, cache=True)
    def _npp_year(
        ndvi, sol, t, p, e, pet, topt_in, nmin, nmax, eps, land, c, hexp, flags, o_npp, o_fpar, o_lue, o_rh, o_nep
    ):  # pragma: no cover - compiled
        has_e, has_pet, has_topt, w_fpar, w_lue, w_rh = flags[0], flags[1], flags[2], flags[3], flags[4], flags[5]
        m, h, w = ndvi.shape
        nan = f32(np.nan)
        # per-cell values of the year for one row (rows are walked month by month,
        # so every inner loop reads contiguous memory)
        rowvals = np.empty((11, w), np.float32)
        kn = rowvals[0]
        ks = rowvals[1]
        base = rowvals[2]
        topt = rowvals[3]
        v1 = rowvals[5]
        at_opt = rowvals[6]
        up = rowvals[7]
        dn = rowvals[8]
        heat = rowvals[9]
        expo = rowvals[10]
        for r in range(h):
            _year_of_row(r, ndvi, t, topt_in, nmin, nmax, c, hexp, has_topt, has_pet, rowvals)
            for k in range(m):
                for col in range(w):
                    tk = t[k, r, col]
                    pk = p[k, r, col]
                    e0 = pet[k, r, col] if has_pet else _ep0(tk, heat[col], expo[col], c)
                    ek = e[k, r, col] if has_e else _actual_et(pk, e0, c)
                    we = _water_stress(ek, e0, c)
                    te1 = f32(0.0) if tk <= c[8] else v1[col]  # casa.te1
                    te2 = at_opt[col] if tk > up[col] or tk < dn[col] else _te2_raw(topt[col], tk, c)
                    ep = eps[r, col]
                    lue = ((te1 * te2) * we) * ep
                    nn = _min(_max(ndvi[k, r, col], nmin[r, col]), nmax[r, col])  # casa.fpar
                    sr = (f32(1.0) + nn) / (f32(1.0) - nn)
                    fp = _min(_max((nn * kn[col] + sr * ks[col]) + base[col], c[2]), c[3])
                    npp = ((sol[k, r, col] * fp) * c[4]) * lue
                    o_npp[k, r, col] = npp
                    if w_fpar:
                        o_fpar[k, r, col] = fp if math.isfinite(ep) else nan
                    if w_lue:
                        o_lue[k, r, col] = lue
                    if w_rh:
                        rh = _rh(tk, pk, c) if land[r, col] else nan
                        o_rh[k, r, col] = rh
                        o_nep[k, r, col] = npp - rh


def npp_year(x, params: ModelParams, want: tuple[str, ...] = ("npp",)) -> dict[str, NDArray]:
    """:func:`.chain.npp_year` through the compiled kernel (numba must be installed)."""
    if not _HAVE_NUMBA:  # pragma: no cover
        raise RuntimeError("numba is not installed")
    shape = x.ndvi.shape
    dummy3 = np.empty((1, 1, 1), np.float32)
    dummy2 = np.empty((1, 1), np.float32)

    def f(a):
        return np.ascontiguousarray(a, dtype=np.float32)

    w_rh = "rh" in want or "nep" in want
    outs = {k: np.empty(shape, np.float32) for k in ("npp",) + tuple(k for k in ("fpar", "lue") if k in want)}
    if w_rh:
        outs["rh"] = np.empty(shape, np.float32)
        outs["nep"] = np.empty(shape, np.float32)
    flags = np.array(
        [x.e is not None, x.pet is not None, x.topt is not None, "fpar" in want, "lue" in want, w_rh], dtype=np.bool_
    )
    topt = x.topt
    if topt is not None:
        topt = np.broadcast_to(np.asarray(topt, np.float32), shape[1:])
    _npp_year(
        f(x.ndvi),
        f(x.sol),
        f(x.t),
        f(x.p),
        f(x.e) if x.e is not None else dummy3,
        f(x.pet) if x.pet is not None else dummy3,
        f(topt) if topt is not None else dummy2,
        f(x.nmin),
        f(x.nmax),
        f(x.eps),
        np.ascontiguousarray(x.land, dtype=np.bool_),
        constants(params),
        _heat_exponent(params),
        flags,
        outs["npp"],
        outs.get("fpar", dummy3),
        outs.get("lue", dummy3),
        outs.get("rh", dummy3),
        outs.get("nep", dummy3),
    )
    return {k: v for k, v in outs.items() if k in want}

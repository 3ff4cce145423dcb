"""The NPP -> RH -> NEP chain fused into one compiled pass per row of cells (numba).

The same operations as :func:`.chain.npp_year`, in the same order and the same
float32 precision (exponentials, logarithms and powers evaluated in float64 and
rounded once, as :mod:`.fmath` does), so the two agree to within one float32 unit
in the last place; ``tests/core/test_kernels.py`` holds them to it.  The numpy
path stays the reference and the fallback where numba is missing
(``CASANEP_NUMBA=0`` turns the kernel off, ``1`` forces it; by default it runs
wherever numba is installed: see :func:`use_kernel`).  The kernel releases the
GIL, so the engine's worker threads run it on every core.

Speed comes from SIMD code: each loop is a function of its own over one row,
with no call in it (:mod:`.vmath`'s exp and log are arithmetic), and LLVM turns
it into vector code.  Two LLVM settings make that happen (:func:`.vmath.tune_llvm`):
inlining of the maths into the loops, and enough run-time checks that the
loop's arrays do not overlap.  Measured on the benchmark's 1280 x 256 x 12
window: 16 ns per cell-month against 36-40 for the numpy path and 110-160 without
vector code.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable

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


def use_kernel() -> bool:
    """Return whether the chain runs through the kernel.

    ``CASANEP_NUMBA=1`` forces it and ``0`` turns it off.  By default it runs where
    numba is installed and the compiled kernel is the faster path in this process
    (:func:`kernel_is_faster`).
    """
    if not available():
        return False
    if os.environ.get("CASANEP_NUMBA", "").strip().lower() in ("1", "yes", "true", "on"):
        return True
    return kernel_is_faster()


_FASTER: list[bool] = []
_FASTER_LOCK = threading.Lock()


def prepare_in_background() -> None:
    """Load numba, the kernel and the block loops (:mod:`.blockops`) on a thread of their own.

    About 0.4 s, once per process (importing numba, loading the compiled code from its
    cache, :func:`kernel_is_faster`), that would otherwise hold up the first windows:
    a run calls this before it opens its inputs.  Nothing happens where the kernel may
    not run or was already prepared; a failure here is met again, and reported, where
    the kernel is used.
    """
    if available() and not _FASTER:
        threading.Thread(target=_prepare, name="casanep-prepare", daemon=True).start()


def _prepare() -> None:
    from . import blockops

    with contextlib.suppress(Exception):
        kernel_is_faster()
        blockops.prepare()


def kernel_is_faster() -> bool:
    """Time the kernel against the numpy path once per process on a small synthetic year.

    The kernel is vector code where LLVM could be tuned before numba's first
    compilation in the process (:func:`.vmath.tune_llvm`); where another plugin had
    compiled first, its loops stay scalar and it is ~4x slower than the numpy path
    (measured: 160-170 against 40 ns per cell-month), so the numpy path runs.  The
    gap either way (0.4x or 4x) is far wider than timing noise, so the choice is
    stable.  Takes about 30 ms, plus the kernel's compilation (a few seconds, once
    per installation: it is cached on disk).  A kernel that fails to compile or run
    here (a numba too old or too new for it) leaves the numpy path, the reference,
    to compute; ``CASANEP_NUMBA=1`` shows the error.
    """
    with _FASTER_LOCK:
        if not _FASTER:
            try:
                faster = _time_paths() if _HAVE_NUMBA else False
            except Exception:  # noqa: BLE001 - any numba failure: the numpy path runs
                faster = False
            _FASTER.append(faster)
        return _FASTER[0]


def _time_paths() -> bool:
    import time

    from .chain import YearInputs, npp_year_slabs

    rng = np.random.default_rng(0)
    shape = (12, 16, 256)
    t = (rng.random(shape, dtype=np.float32) * 40 - 10).astype(np.float32)
    plane = np.ones(shape[1:], np.float32)
    x = YearInputs(
        rng.random(shape, dtype=np.float32) * 0.8,
        rng.random(shape, dtype=np.float32) * 600,
        t,
        rng.random(shape, dtype=np.float32) * 200,
        None,
        None,
        None,
        plane * np.float32(0.02),
        plane * np.float32(0.9),
        plane * np.float32(0.5),
        np.ones(shape[1:], bool),
    )
    params = ModelParams()
    want = ("npp", "rh", "nep")
    npp_year(x, params, want)  # compiles (or loads the cache)
    best = {}
    paths: tuple[tuple[str, Callable[..., dict[str, NDArray]]], ...] = (("kernel", npp_year), ("numpy", npp_year_slabs))
    for name, run in paths:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            run(x, params, want)
            times.append(time.perf_counter() - t0)
        best[name] = min(times)
    return best["kernel"] < best["numpy"]


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

    from .vmath import vexp, vlog1p, vpow  # first: it tunes LLVM before anything compiles

    f32 = np.float32
    # the loops and the kernel are cached on disk; the small functions they inline are
    # not: a cached function is linked as machine code, which LLVM cannot inline
    _OPTS = {"nogil": True, "cache": True, "error_model": "numpy"}
    _INLINE = {"nogil": True, "cache": False, "error_model": "numpy"}

    @numba.njit(**_INLINE)
    def _max(a, b):  # np.maximum: NaN if either is NaN
        if a != a or b != b:
            return a + b
        return a if a >= b else b

    @numba.njit(**_INLINE)
    def _min(a, b):  # np.minimum: NaN if either is NaN
        if a != a or b != b:
            return a + b
        return a if a <= b else b

    @numba.njit(**_INLINE)
    def _exp(x):
        return f32(vexp(np.float64(x)))

    @numba.njit(**_INLINE)
    def _pow(x, y):  # x**y for x >= 0 in float64, rounded once
        return f32(vpow(np.float64(x), np.float64(y)))

    @numba.njit(**_INLINE)
    def _ep0(tk, heat, expo, c):  # Thornthwaite Ep0 of one cell-month (climate.thornthwaite_ep0)
        ratio = (f32(10.0) * tk) / heat if heat > f32(0.0) else f32(0.0)
        mild = c[21] * _pow(ratio, expo)
        hot = (c[23] + c[24] * tk) + (c[25] * tk) * tk
        value = hot if tk >= c[22] else (mild if tk > f32(0.0) else f32(0.0))
        return value if tk == tk else f32(np.nan)

    @numba.njit(**_INLINE)
    def _actual_et(pk, e0, c):  # Zhou & Zhang actual ET of one cell-month (climate.zhou_zhang_et)
        rn = c[26] * f32(math.sqrt(np.float64(e0 * pk))) + c[27] * e0
        value = ((pk * rn) * ((pk * pk + rn * rn) + pk * rn)) / ((pk + rn) * (pk * pk + rn * rn))
        value = value if pk > f32(0.0) and e0 > f32(0.0) else f32(0.0)
        return value if pk == pk and e0 == e0 else f32(np.nan)

    @numba.njit(**_INLINE)
    def _water_stress(ek, e0, c):  # casa.water_stress
        ek = _max(ek, f32(0.0))
        epv = (ek + e0) / f32(2.0)
        value = _min(_max(c[15] + (c[16] * ek) / epv, c[15]), f32(1.0))
        return value if not epv <= f32(0.0) else f32(1.0)

    @numba.njit(**_INLINE)
    def _te2_raw(tp, tk, c):  # casa.te2_raw
        low = f32(1.0) + _exp(c[10] * ((tp - c[12]) - tk))
        high = f32(1.0) + _exp(c[11] * (((-tp) - c[12]) + tk))
        return c[9] / (low * high)

    @numba.njit(**_INLINE)
    def _rh(tk, pk, c):  # respiration.heterotrophic_respiration
        rh = c[28] * (_exp(c[29] * tk) + f32(vlog1p(np.float64(c[30] * _max(pk, f32(0.0))))))
        return rh * c[31]

    # Each loop below is a function of its own over one row of cells: LLVM turns a
    # function's single loop into SIMD code (nested in a loop over months it did not).

    @numba.njit(**_OPTS)
    def _fpar_coefficients(lo_, hi_, c, kn, ks, base):  # casa.fpar's per-cell linear coefficients
        one = f32(1.0)
        for col in range(kn.size):
            lo = lo_[col]
            hi = hi_[col]
            kn[col] = c[0] / (hi - lo)
            sr_lo = (one + lo) / (one - lo)
            sr_hi = (one + hi) / (one - hi)
            ks[col] = c[1] / (sr_hi - sr_lo)
            base[col] = (c[2] - kn[col] * lo) - ks[col] * sr_lo

    @numba.njit(**_OPTS)
    def _peak_step(ndvi_k, t_k, best, topt):
        """One month of casa.optimal_temperature: T of the NDVI peak, the first on ties."""
        for col in range(best.size):
            v = ndvi_k[col]
            b = best[col]
            take = (v == v) & (v > b)  # NaN NDVI never peaks; the first maximum wins
            best[col] = v if take else b
            topt[col] = t_k[col] if take else topt[col]

    @numba.njit(**_OPTS)
    def _te_of_year(topt, c, v1, at_opt, up, dn):  # casa.te1's value and te2's bounds per cell
        for col in range(topt.size):
            tp = topt[col]
            v1[col] = (c[5] + c[6] * tp) + (c[7] * tp) * tp
            at_opt[col] = _te2_raw(tp, tp, c) / f32(2.0)
            up[col] = tp + c[13]
            dn[col] = tp - c[14]

    @numba.njit(**_OPTS)
    def _heat_step(t_k, hexp, heat):  # one month of Thornthwaite's heat index
        for col in range(heat.size):
            tk = t_k[col]
            warm = tk if tk > f32(0.0) else f32(0.0)
            heat[col] += _pow(warm / f32(5.0), hexp)

    @numba.njit(**_OPTS)
    def _exponent(heat, c, expo):  # Thornthwaite's exponent
        for col in range(heat.size):
            hi_ = heat[col]
            expo[col] = ((c[17] * hi_ + c[18]) * hi_ + c[19]) * hi_ + c[20]

    @numba.njit(**_OPTS)
    def _ep0_row(t_k, heat, expo, c, e0):
        for col in range(e0.size):
            e0[col] = _ep0(t_k[col], heat[col], expo[col], c)

    @numba.njit(**_OPTS)
    def _we_given_e(e_k, e0, c, we):
        for col in range(we.size):
            we[col] = _water_stress(e_k[col], e0[col], c)

    @numba.njit(**_OPTS)
    def _we_derived_e(p_k, e0, c, we):
        for col in range(we.size):
            we[col] = _water_stress(_actual_et(p_k[col], e0[col], c), e0[col], c)

    @numba.njit(**_OPTS)
    def _npp_row(ndvi_k, sol_k, t_k, lo, hi, eps, c, rowvals, we, fp, lue, npp_k):
        """NPP of one row and month; FPAR and LUE into ``fp`` and ``lue``."""
        kn, ks, base, topt = rowvals[0], rowvals[1], rowvals[2], rowvals[3]
        v1, at_opt, up, dn = rowvals[5], rowvals[6], rowvals[7], rowvals[8]
        for col in range(we.size):
            tk = t_k[col]
            te1 = f32(0.0) if tk <= c[8] else v1[col]  # casa.te1
            raw = _te2_raw(topt[col], tk, c)
            te2 = at_opt[col] if tk > up[col] or tk < dn[col] else raw
            lue[col] = ((te1 * te2) * we[col]) * eps[col]
            nn = _min(_max(ndvi_k[col], lo[col]), hi[col])  # casa.fpar
            sr = (f32(1.0) + nn) / (f32(1.0) - nn)
            fp[col] = _min(_max((nn * kn[col] + sr * ks[col]) + base[col], c[2]), c[3])
            npp_k[col] = ((sol_k[col] * fp[col]) * c[4]) * lue[col]

    @numba.njit(**_OPTS)
    def _rh_row(t_k, p_k, land, c, npp_k, rh_k, nep_k):
        """RH and NEP of one row and month (RH on land cells only)."""
        for col in range(rh_k.size):
            rh = _rh(t_k[col], p_k[col], c)
            rh = rh if land[col] else f32(np.nan)
            rh_k[col] = rh
            nep_k[col] = npp_k[col] - rh

    @numba.njit(**_OPTS)
    def _masked_fpar(fp, eps, out):
        for col in range(fp.size):
            out[col] = fp[col] if math.isfinite(eps[col]) else f32(np.nan)

    @numba.njit(**_OPTS)
    def _year_of_row(r, ndvi, t, topt_in, nmin, nmax, c, hexp, has_topt, has_pet, rowvals):
        """Fill ``rowvals`` with row ``r``'s per-cell values of the year.

        FPAR coefficients, Topt and its stresses, Thornthwaite's heat index and exponent.
        """
        _fpar_coefficients(nmin[r], nmax[r], c, rowvals[0], rowvals[1], rowvals[2])
        topt, best = rowvals[3], rowvals[4]
        if has_topt:
            topt[:] = topt_in[r]
        else:
            best[:] = -np.inf
            topt[:] = np.nan
            for k in range(ndvi.shape[0]):
                _peak_step(ndvi[k, r], t[k, r], best, topt)
        _te_of_year(topt, c, rowvals[5], rowvals[6], rowvals[7], rowvals[8])
        if not has_pet:
            heat = rowvals[9]
            heat[:] = 0.0
            for k in range(t.shape[0]):
                _heat_step(t[k, r], hexp, heat)
            _exponent(heat, c, rowvals[10])

    @numba.njit(**_OPTS)
    def _npp_year(
        ndvi, sol, t, p, e, pet, topt_in, nmin, nmax, eps, land, c, hexp, flags, o_npp, o_fpar, o_lue, o_rh, o_nep
    ):  # pragma: no cover - compiled
        has_e, has_pet, has_topt, w_fpar, w_lue, w_rh = flags[0], flags[1], flags[2], flags[3], flags[4], flags[5]
        m, h, w = ndvi.shape
        # per-cell values of the year (rowvals) and of one month (the rest) for one row
        rowvals = np.empty((11, w), np.float32)
        e0 = np.empty(w, np.float32)
        we = np.empty(w, np.float32)
        fp = np.empty(w, np.float32)
        lue = np.empty(w, np.float32)
        for r in range(h):
            _year_of_row(r, ndvi, t, topt_in, nmin, nmax, c, hexp, has_topt, has_pet, rowvals)
            for k in range(m):
                if has_pet:
                    e0[:] = pet[k, r]
                else:
                    _ep0_row(t[k, r], rowvals[9], rowvals[10], c, e0)
                if has_e:
                    _we_given_e(e[k, r], e0, c, we)
                else:
                    _we_derived_e(p[k, r], e0, c, we)
                _npp_row(ndvi[k, r], sol[k, r], t[k, r], nmin[r], nmax[r], eps[r], c, rowvals, we, fp, lue, o_npp[k, r])
                if w_fpar:
                    _masked_fpar(fp, eps[r], o_fpar[k, r])
                if w_lue:
                    o_lue[k, r] = lue
                if w_rh:
                    _rh_row(t[k, r], p[k, r], land[r], c, o_npp[k, r], o_rh[k, r], o_nep[k, r])


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

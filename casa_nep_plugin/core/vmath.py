"""Exponential and logarithms in float64 that a compiler can vectorise (numba).

The C library's ``exp`` and ``log`` are calls, so a loop that uses them runs one
value at a time.  These are plain arithmetic on the bits of a float64: range
reduction by powers of two and a polynomial, written so that LLVM turns a loop
over a row into SIMD code (4 or 8 values at once).  Their error is a few units in
the last place of a float64 (measured in ``tests/core/test_vmath.py``: at most
4 ulp, about 1e-15 relative), 10^8 times finer than a float32 unit: the kernel's
float32 results, each rounded once from these, are those of numpy's float64
``exp`` and ``log`` except, rarely, by one float32 unit at a rounding boundary.

Special values follow C: ``vexp(nan) = nan``, ``vexp`` saturates to 0 and inf;
``vlog(0) = -inf``, ``vlog(x < 0) = vlog(nan) = nan``, ``vlog(inf) = inf``.
This module is imported only where numba is installed.
"""

from __future__ import annotations

import math

#: LLVM settings for the kernel's loops (process-wide, so they are set once, before the
#: first compilation, and only raised): inline functions up to this cost into a loop
#: (LLVM's default, 225-275, leaves exp and log as calls, and a call keeps a loop scalar) ...
INLINE_THRESHOLD = 1500
#: ... and check at run time up to this many pairs of arrays for overlap (default 8: a
#: loop reading ten arrays and writing three then stays scalar).
MEMORY_CHECKS = 64
_TUNED: list[bool] = []


def tune_llvm() -> None:
    """Apply :data:`INLINE_THRESHOLD` and :data:`MEMORY_CHECKS` to LLVM, once per process."""
    if _TUNED:
        return
    _TUNED.append(True)
    try:
        import llvmlite.binding as llvm

        llvm.set_option("", f"--inline-threshold={INLINE_THRESHOLD}")
        llvm.set_option("", f"--runtime-memory-check-threshold={MEMORY_CHECKS}")
    except Exception:  # noqa: BLE001 - an llvmlite without these options: the kernel is right, only slower
        pass


tune_llvm()  # before numba compiles anything of ours (numba reads them when it first compiles)

import numba  # noqa: E402
import numpy as np  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba import types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that n * _LN2_HI is exact for |n| < 2**20
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
_TINY = 2.2250738585072014e-308  # the smallest normal float64
_TWO54 = 18014398509481984.0


@intrinsic
def _from_bits(typingctx, bits):
    """Reinterpret an int64 as the float64 with those bits."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def _to_bits(typingctx, value):
    """Reinterpret a float64 as the int64 with its bits."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


# not cached: a cached function is linked as machine code, which LLVM cannot inline
# into the loops that use it (see tune_llvm).  "contract" lets LLVM fuse each multiply
# and add of the polynomials into one FMA instruction where the CPU has them (one
# rounding instead of two, so no less accurate): the kernel took 16 instead of 24 ns
# per cell-month.  No other fast-math licence: NaN and infinity behave as in C.
_OPTS = {"nogil": True, "cache": False, "error_model": "numpy", "fastmath": {"contract"}}


@numba.njit(**_OPTS)
def vexp(x: float) -> float:  # pragma: no cover - compiled
    """Return e**x (float64): x = n ln 2 + r with |r| <= ln(2)/2, e**r by its Taylor polynomial to r**13."""
    # NaN and x <= -745.2 (e**x rounds to 0) are computed as 0 and replaced below: no
    # subnormal number ever enters the arithmetic, which would be ~100 times slower
    xs = x if x > -745.2 else 0.0
    xs = min(xs, 709.8)
    n = math.floor(xs * _LOG2E + 0.5)
    r = (xs - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # 2**n in two factors, so that n down to -1075 (subnormal results) and up to 1024 stay exact
    k = np.int64(n)
    half = k >> 1
    y = (p * _from_bits((half + 1023) << 52)) * _from_bits((k - half + 1023) << 52)
    y = y if x < 709.8 else np.inf
    y = y if x > -745.2 else 0.0
    return y if x == x else x


@numba.njit(**_OPTS)
def vlog(x: float) -> float:  # pragma: no cover - compiled
    """Return ln x (float64): x = m 2**e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m-1)/(m+1)) by its series."""
    tiny = x < _TINY
    xs = x * _TWO54 if tiny else x
    b = _to_bits(xs)
    e = ((b >> 52) & 0x7FF) - (1077 if tiny else 1023)
    m = _from_bits((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    e = e + 1 if big else e
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = 2.0 / 23.0
    p = p * z + 2.0 / 21.0
    p = p * z + 2.0 / 19.0
    p = p * z + 2.0 / 17.0
    p = p * z + 2.0 / 15.0
    p = p * z + 2.0 / 13.0
    p = p * z + 2.0 / 11.0
    p = p * z + 2.0 / 9.0
    p = p * z + 2.0 / 7.0
    p = p * z + 2.0 / 5.0
    p = p * z + 2.0 / 3.0
    fe = np.float64(e)
    y = fe * _LN2_HI + (s * 2.0 + (s * (z * p) + fe * _LN2_LO))
    y = y if x < np.inf else x
    return y if x > 0.0 else (-np.inf if x == 0.0 else np.nan)


@numba.njit(**_OPTS)
def vlog1p(x: float) -> float:  # pragma: no cover - compiled
    """Return ln(1 + x) (float64), accurate for small x: ln(w) x / (w - 1) with w = 1 + x (Goldberg, 1991)."""
    w = 1.0 + x
    d = w - 1.0
    y = vlog(w) * (x / d) if d != 0.0 else x
    return y if w < np.inf else vlog(w)


@numba.njit(**_OPTS)
def vpow(x: float, y: float) -> float:  # pragma: no cover - compiled
    """Return x**y (float64) for x >= 0 as e**(y ln x); 0**y is 0 for y > 0, 1 for y = 0 and inf for y < 0."""
    v = vexp(y * vlog(x))
    zero = 0.0 if y > 0.0 else (1.0 if y == 0.0 else (np.inf if y < 0.0 else np.nan))
    return zero if x == 0.0 else v

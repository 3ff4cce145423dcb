"""One-pass operations on blocks as they are read and written.

Inputs mark nodata as NaN (:func:`nan_where_equal`) and are screened for values
outside plausible bounds (:func:`any_outside`); outputs turn every non-finite value
back into the file's nodata value and count the valid ones (:func:`to_nodata`).
numpy needs two to four passes for each (comparisons, a boolean mask, a masked
copy); a compiled loop (numba, where the kernel may run: see
:func:`.kernels.available`) does each in one, SIMD, pass.  In the benchmark's
2000 x 2000 x 12 chain they took 0.1 + 0.23 + 0.27 CPU-s with numpy and 0.06 +
0.04 + 0.1 compiled.  Both give the same results, bit for bit.  Blocks under
:data:`COMPILED_FROM` values use numpy, so small runs never load numba.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray

#: Values from which a block goes through the compiled loop.
COMPILED_FROM = 1 << 16

_LOOPS: list = []
_LOCK = threading.Lock()


def _loops():
    """Return the compiled loops (numba), or None where the kernel may not run."""
    with _LOCK:
        if not _LOOPS:
            from . import kernels

            _LOOPS.append(_compile() if kernels.available() else None)
        return _LOOPS[0]


def prepare() -> None:
    """Compile the loops for float32 blocks (or load them from numba's cache) now."""
    loops = _loops()
    if loops is not None:
        block = np.zeros(8, np.float32)
        loops[0](block, np.float32(-9999))
        loops[1](block, np.float32(-9999), np.empty_like(block))
        loops[2](block, np.float32(0), np.float32(1))


def _compile():
    import math

    import numba

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def nan_where_equal(flat, value):  # pragma: no cover - compiled
        nan = flat.dtype.type(np.nan)
        for i in range(flat.size):
            v = flat[i]
            flat[i] = nan if v == value else v

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def to_nodata(flat, nodata, out):  # pragma: no cover - compiled
        valid = 0
        for i in range(flat.size):
            v = flat[i]
            ok = math.isfinite(v)
            out[i] = v if ok else nodata
            valid += ok
        return valid

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def any_outside(flat, lo, hi):  # pragma: no cover - compiled
        out = False
        for i in range(flat.size):
            v = flat[i]
            out |= (v < lo) | (v > hi)
        return out

    return nan_where_equal, to_nodata, any_outside


def _compiled(arr: NDArray):
    if arr.size < COMPILED_FROM or arr.dtype != np.float32 or not arr.flags.c_contiguous:
        return None
    return _loops()


def nan_where_equal(arr: NDArray, value: float) -> None:
    """Set ``arr`` (float) to NaN where it equals ``value``, in place (``value`` NaN: nothing to do)."""
    if np.isnan(value):
        return
    loops = _compiled(arr)
    if loops is not None and arr.flags.writeable:
        loops[0](arr.reshape(-1), arr.dtype.type(value))
        return
    arr[arr == arr.dtype.type(value)] = np.nan


def to_nodata(data: NDArray, nodata: float, dtype: str | None = None) -> tuple[NDArray, int]:
    """Return ``data`` with every NaN and infinity set to ``nodata``, cast to ``dtype``, and the count of the rest.

    ``data`` itself is never changed (a task may hand back a view of its caller's array).
    """
    same = dtype is None or np.dtype(dtype) == data.dtype
    loops = _compiled(data) if same else None
    if loops is not None:
        out = np.empty_like(data)
        valid = loops[1](data.reshape(-1), data.dtype.type(nodata), out.reshape(-1))
        return out, int(valid)
    bad = ~np.isfinite(data)
    nbad = int(np.count_nonzero(bad))
    if not same:
        return np.where(bad, nodata, data).astype(dtype, copy=False), data.size - nbad
    out = np.where(bad, data.dtype.type(nodata), data) if nbad else data
    return out, data.size - nbad


def any_outside(arr: NDArray, lo: float, hi: float) -> bool:
    """Return whether any value of ``arr`` is below ``lo`` or above ``hi`` (NaN is neither)."""
    loops = _compiled(arr)
    if loops is not None:
        return bool(loops[2](arr.reshape(-1), arr.dtype.type(lo), arr.dtype.type(hi)))  # as numpy compares
    with np.errstate(invalid="ignore"):
        return bool(((arr < lo) | (arr > hi)).any())

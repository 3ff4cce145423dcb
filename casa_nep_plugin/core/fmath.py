"""Exponentials, logarithms and powers rounded once to the array's precision.

The model works in float32, but float32 ``exp``, ``log`` and ``power`` are computed
by different code on different CPUs and numpy versions (SIMD kernels of one or two
units in the last place).  These evaluate in float64 and round once, so every
machine, the numpy path and the compiled kernel (:mod:`.kernels`) get the same
float32 numbers.  Inputs that are not float32 are computed in float64.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _back(x: NDArray, value: NDArray) -> NDArray:
    return value.astype(np.float32, copy=False) if x.dtype == np.float32 else value


def work(x: ArrayLike) -> NDArray:
    """Return ``x`` as a floating array (never a numpy scalar) that in-place operations may use.

    ``x`` is a new temporary the caller owns; integers become float64, as numpy promotes them.
    """
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _rounded_once(ufunc: np.ufunc, x: NDArray, out: NDArray | None) -> NDArray:
    """Evaluate ``ufunc(x)`` in float64.

    A float32 ``x`` gets a float32 result, each value rounded once (numpy's buffered cast,
    so no float64 copy of the array is made).
    """
    if x.dtype != np.float32:
        return ufunc(x, dtype=np.float64, out=out)
    if out is None:
        out = np.empty_like(x)
    return ufunc(x, out=out, dtype=np.float64, casting="same_kind")


def exp(x: ArrayLike, out: NDArray | None = None) -> NDArray:
    """e**x, rounded once to ``x``'s float32 precision (float64 otherwise); ``out`` may be ``x``."""
    return _rounded_once(np.exp, np.asarray(x), out)


def log1p(x: ArrayLike, out: NDArray | None = None) -> NDArray:
    """ln(1 + x), rounded once to ``x``'s float32 precision (float64 otherwise); ``out`` may be ``x``."""
    return _rounded_once(np.log1p, np.asarray(x), out)


def power(x: ArrayLike, y: ArrayLike, out: NDArray | None = None) -> NDArray:
    """Return x**y, rounded once to ``x``'s float32 precision (float64 otherwise).

    A Python number ``y`` is taken in float64; ``out`` may be ``x``.
    """
    x = np.asarray(x)
    yy = np.asarray(y, dtype=np.float64) if isinstance(y, (int, float)) else np.asarray(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        if x.dtype != np.float32:
            return np.power(x, yy, dtype=np.float64, out=out)
        if out is None:
            out = np.empty(np.broadcast_shapes(x.shape, yy.shape), dtype=np.float32)
        return np.power(x, yy, out=out, dtype=np.float64, casting="same_kind")

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


def exp(x: ArrayLike) -> NDArray:
    """e**x, rounded once to ``x``'s float32 precision (float64 otherwise)."""
    x = np.asarray(x)
    return _back(x, np.exp(x, dtype=np.float64))


def log1p(x: ArrayLike) -> NDArray:
    """ln(1 + x), rounded once to ``x``'s float32 precision (float64 otherwise)."""
    x = np.asarray(x)
    return _back(x, np.log1p(x, dtype=np.float64))


def power(x: ArrayLike, y: ArrayLike) -> NDArray:
    """x**y, rounded once to ``x``'s float32 precision (float64 otherwise); ``y`` a
    Python number is taken in float64."""
    x = np.asarray(x)
    yy = np.asarray(y, dtype=np.float64) if isinstance(y, (int, float)) else np.asarray(y).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _back(x, np.power(x.astype(np.float64), yy))

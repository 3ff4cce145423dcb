"""Soil heterotrophic respiration (Pei et al. 2010), METHOD.md section 2."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import fmath
from .params import RespirationParams

_DEFAULT = RespirationParams()


def heterotrophic_respiration(t: ArrayLike, r: ArrayLike, params: RespirationParams = _DEFAULT) -> NDArray:
    """RH, gC m-2 month-1, from monthly mean air T (degC) and precipitation R (mm month-1).

    RH = 0.22 * (exp(0.0913*T) + ln(0.3145*R + 1)) * 30 * 0.465

    The factor 30*0.465 multiplies the whole bracket.  Negative R (packing noise
    in reanalysis precipitation) is treated as 0.
    """
    t = np.asarray(t)
    r = fmath.work(np.maximum(np.asarray(r), 0.0))  # a new array, worked in place below (the same roundings)
    r *= params.c
    bracket = fmath.work(fmath.exp(params.b * t))
    bracket += fmath.log1p(r, out=r)
    bracket *= params.a
    bracket *= params.days * params.carbon_fraction
    return bracket

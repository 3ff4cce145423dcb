"""Net ecosystem productivity and the RH/NPP ratio, METHOD.md section 3."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def nep(npp: ArrayLike, rh: ArrayLike) -> NDArray:
    """NEP = NPP - RH, gC m-2 month-1 (or a-1); positive is a net sink."""
    return np.asarray(npp) - np.asarray(rh)


def respiration_ratio(npp_annual: ArrayLike, rh_annual: ArrayLike) -> NDArray:
    """RH/NPP of annual totals in percent; NaN where annual NPP <= 0."""
    npp_annual = np.asarray(npp_annual)
    rh_annual = np.asarray(rh_annual)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 100.0 * rh_annual / npp_annual
    return np.where(npp_annual > 0.0, ratio, np.nan)

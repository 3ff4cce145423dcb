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


#: Classes of the sink/source map (METHOD.md section 3; Wang & Liu 2025).
SINK, WARNING, SOURCE = 1, 2, 3
#: RH/NPP (percent) from which a net sink is flagged as a warning.
DEFAULT_WARNING_THRESHOLD = 80.0


def sink_source_class(
    npp_annual: ArrayLike, rh_annual: ArrayLike, threshold: float = DEFAULT_WARNING_THRESHOLD
) -> NDArray:
    """Carbon sink (1), warning (2) or source (3) from annual NPP and RH (gC m-2 a-1).

    ratio = 100*RH/NPP: sink where ratio < threshold; warning where
    threshold <= ratio <= 100; source where ratio > 100 (NEP < 0), or where
    NPP <= 0 while RH > 0.  NaN where either input is NaN.
    """
    npp_annual = np.asarray(npp_annual, dtype=np.float64)
    rh_annual = np.asarray(rh_annual, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 100.0 * rh_annual / npp_annual
    out = np.where(ratio < threshold, SINK, np.where(ratio <= 100.0, WARNING, SOURCE)).astype(np.float64)
    out = np.where(npp_annual > 0, out, np.where(rh_annual > 0, SOURCE, np.nan))
    return np.where(np.isnan(npp_annual) | np.isnan(rh_annual), np.nan, out)


def annual_sum(monthly: ArrayLike, groups: list[list[int]]) -> NDArray:
    """Sum of each group of months (band indices), shape (len(groups), ...); NaN if any month is NaN."""
    monthly = np.asarray(monthly)
    return np.stack([monthly[idx].sum(axis=0) for idx in groups])

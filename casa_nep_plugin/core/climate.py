"""Climate helpers: Thornthwaite potential ET and Zhou & Zhang actual ET.

Pure numpy functions, mm month-1 and degC; NaN propagates.
Equations: METHOD.md section 1 (water stress).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import fmath
from .params import ThornthwaiteParams, ZhouZhangParams

_THORN = ThornthwaiteParams()
_ZZ = ZhouZhangParams()


def heat_index(t_year: ArrayLike, params: ThornthwaiteParams = _THORN) -> NDArray:
    """Thornthwaite annual heat index I (unitless) from 12 monthly T (degC).

    I = sum over months of (T/5)^1.514 for T > 0.  t_year has shape (12, ...).
    """
    t = np.asarray(t_year)
    warm = fmath.work(np.where(t > 0.0, t, 0.0))  # a new array, worked in place (the same roundings)
    warm /= 5.0
    return np.sum(fmath.power(warm, params.heat_exponent, out=warm), axis=0)


def thornthwaite_exponent(i: ArrayLike, params: ThornthwaiteParams = _THORN) -> NDArray:
    """Return the Thornthwaite exponent a = 6.75e-7*I^3 - 7.71e-5*I^2 + 1.792e-2*I + 0.49239 (unitless)."""
    i = np.asarray(i)
    return ((params.a3 * i + params.a2) * i + params.a1) * i + params.a0


def thornthwaite_ep0(t_year: ArrayLike, params: ThornthwaiteParams = _THORN) -> NDArray:
    """Unadjusted Thornthwaite potential ET Ep0, mm month-1, per month.

    t_year: monthly mean T (degC) of one calendar year, shape (12, ...).
    Ep0 = 0 for T <= 0; 16*(10*T/I)^a for 0 < T < 26.5;
    -415.85 + 32.24*T - 0.43*T^2 for T >= 26.5.  Returns shape (12, ...).
    """
    t = np.asarray(t_year)
    i = heat_index(t, params)
    a = thornthwaite_exponent(i, params)
    # one new array worked in place: each value goes through the operations written above
    ep0 = fmath.work(np.maximum(t, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ep0 *= 10.0
        ep0 /= i
        np.copyto(ep0, 0.0, where=~(i > 0.0))
        fmath.power(ep0, a, out=ep0)
    ep0 *= params.base
    np.copyto(ep0, 0.0, where=t <= 0.0)
    hot = t >= params.hot_limit
    if hot.any():
        th = t[hot]
        ep0[hot] = params.h0 + params.h1 * th + params.h2 * th * th
    np.copyto(ep0, np.nan, where=np.isnan(t))
    return ep0


def zhou_zhang_et(p: ArrayLike, ep0: ArrayLike, params: ZhouZhangParams = _ZZ) -> NDArray:
    """Actual ET E (mm month-1) from precipitation P and potential ET Ep0 (mm month-1).

    Rn = sqrt(Ep0*P)*(0.369 + 0.598*sqrt(Ep0/P));
    E = P*Rn*(P^2 + Rn^2 + P*Rn) / ((P + Rn)*(P^2 + Rn^2));
    E = 0 where P <= 0 or Ep0 <= 0 (Zhou & Zhang 1995).
    """
    p = np.asarray(p)
    ep0 = np.asarray(ep0)
    ok = (p > 0.0) & (ep0 > 0.0)
    ps = np.where(ok, p, 1.0)
    es = np.where(ok, ep0, 1.0)
    # sqrt(Ep0*P)*(c0 + c1*sqrt(Ep0/P)) written as c0*sqrt(Ep0*P) + c1*Ep0: the same
    # number, without overflowing Ep0/P when P is tiny
    rn = params.c0 * np.sqrt(es * ps) + params.c1 * es
    e = ps * rn * (ps * ps + rn * rn + ps * rn) / ((ps + rn) * (ps * ps + rn * rn))
    out = np.where(ok, e, 0.0)
    return np.where(np.isnan(p) | np.isnan(ep0), np.nan, out).astype(e.dtype, copy=False)

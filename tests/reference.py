"""An independent, scalar re-implementation of METHOD.md for test oracles.

Written from the equations with the ``math`` module, one pixel and month at a
time, sharing no code with the plugin: where the vectorised core and this
disagree, one of them misreads the method.
"""

from __future__ import annotations

import math

NAN = float("nan")


def fpar(n: float, lo: float, hi: float) -> float:
    n = min(max(n, lo), hi)
    sr = lambda x: (1 + x) / (1 - x)
    f1 = (n - lo) / (hi - lo) * (0.95 - 0.001) + 0.001
    f2 = (sr(n) - sr(lo)) / (sr(hi) - sr(lo)) * (0.95 - 0.001) + 0.001
    return 0.5 * f1 + 0.5 * f2


def te2raw(topt: float, t: float) -> float:
    return 1.1814 / ((1 + math.exp(0.2 * (topt - 10 - t))) * (1 + math.exp(0.3 * (-topt - 10 + t))))


def ep0_year(ts: list[float]) -> list[float]:
    i = sum((t / 5) ** 1.514 for t in ts if t > 0)
    a = 6.75e-7 * i**3 - 7.71e-5 * i**2 + 1.792e-2 * i + 0.49239
    out = []
    for t in ts:
        if t <= 0:
            out.append(0.0)
        elif t < 26.5:
            out.append(16 * (10 * t / i) ** a)
        else:
            out.append(-415.85 + 32.24 * t - 0.43 * t * t)
    return out


def zhou_zhang(p: float, ep0: float) -> float:
    if p <= 0 or ep0 <= 0:
        return 0.0
    rn = math.sqrt(ep0 * p) * (0.369 + 0.598 * math.sqrt(ep0 / p))
    return p * rn * (p * p + rn * rn + p * rn) / ((p + rn) * (p * p + rn * rn))


def npp_pixel_year(ndvi, sol, t, p, e, lo, hi, eps_max, topt=None, ep0=None):
    """12 monthly NPP values of one pixel; ``e`` None -> Zhou & Zhang."""
    if topt is None:
        best = max(range(12), key=lambda k: (ndvi[k], -k))
        topt = t[best]
    ep0 = ep0 if ep0 is not None else ep0_year(t)
    out = []
    for k in range(12):
        te1 = 0.0 if t[k] <= -10 else 0.8 + 0.02 * topt - 0.0005 * topt**2
        if t[k] > topt + 10 or t[k] < topt - 13:
            te2 = te2raw(topt, topt) / 2
        else:
            te2 = te2raw(topt, t[k])
        ek = max(e[k], 0.0) if e is not None else zhou_zhang(p[k], ep0[k])
        ep = (ek + ep0[k]) / 2
        we = 1.0 if ep <= 0 else min(max(0.5 + 0.5 * ek / ep, 0.5), 1.0)
        out.append(sol[k] * fpar(ndvi[k], lo, hi) * 0.5 * te1 * te2 * we * eps_max)
    return out


def rh(t: float, r: float) -> float:
    return 0.22 * (math.exp(0.0913 * t) + math.log(0.3145 * max(r, 0.0) + 1)) * 30 * 0.465

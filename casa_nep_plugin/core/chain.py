"""The NPP -> RH -> NEP chain for one window and one calendar year (pure arithmetic).

:func:`npp_year` strings the science functions of :mod:`.casa`, :mod:`.climate`,
:mod:`.respiration` and :mod:`.balance` together exactly as METHOD.md writes them:
it is the reference.  :mod:`.kernels` computes the same numbers in one fused,
compiled pass per row of cells (numba, SIMD) when it is installed; :func:`compute_year`
picks one.  Both work in float32 on numpy 1 and numpy 2 alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import balance, casa, climate, respiration
from .params import ModelParams

#: The outputs the chain can give.
KEYS = ("npp", "fpar", "lue", "rh", "nep")


@dataclass
class YearInputs:
    """One window's inputs for the months of one calendar year, float32, NaN = nodata.

    ndvi (unitless), sol (MJ m-2 month-1), t (degC), p, e, pet (mm month-1): shape
    (months, rows, cols); e and pet None to derive them (Zhou & Zhang; Thornthwaite,
    which needs the 12 months); topt (degC, rows x cols) None for the temperature
    of the NDVI-peak month; nmin, nmax (unitless), eps (gC MJ-1): the class
    parameters per cell, NaN where the class has no NPP; land: cells of a class
    with NPP (RH is computed there only).
    """

    ndvi: NDArray
    sol: NDArray
    t: NDArray
    p: NDArray
    e: NDArray | None
    pet: NDArray | None
    topt: NDArray | None
    nmin: NDArray
    nmax: NDArray
    eps: NDArray
    land: NDArray


def npp_year(x: YearInputs, params: ModelParams, want: tuple[str, ...] = ("npp",)) -> dict[str, NDArray]:
    """Compute the chain of one window and year with the science functions.

    Returns NPP (gC m-2 month-1) and, as asked in ``want``, FPAR (1), LUE (gC MJ-1),
    RH and NEP (gC m-2 month-1), each (months, rows, cols).
    """
    cp = params.casa
    fp = casa.fpar(x.ndvi, x.nmin, x.nmax, cp)
    topt = x.topt if x.topt is not None else casa.optimal_temperature(x.ndvi, x.t)
    # Topt is one value per pixel and year: the stresses broadcast it over the year's months
    temp_stress = casa.te1(topt, x.t, cp) * casa.te2(topt, x.t, cp)
    ep0 = x.pet if x.pet is not None else climate.thornthwaite_ep0(x.t, params.thornthwaite)
    e = x.e if x.e is not None else climate.zhou_zhang_et(x.p, ep0, params.zhou_zhang)
    we = casa.water_stress(e, ep0, cp)
    lue = casa.light_use_efficiency(temp_stress, 1.0, we, x.eps)
    npp = casa.npp(casa.apar(x.sol, fp, cp), lue)
    out = {"npp": npp}
    if "fpar" in want:
        out["fpar"] = np.where(np.isfinite(x.eps), fp, np.float32(np.nan))
    if "lue" in want:
        out["lue"] = lue
    if "rh" in want or "nep" in want:
        rh = respiration.heterotrophic_respiration(x.t, x.p, params.respiration)
        rh = np.where(x.land[np.newaxis], rh, np.float32(np.nan))
        out["rh"] = rh
        out["nep"] = balance.nep(npp, rh)
    return {k: v for k, v in out.items() if k in want}


#: Cells x months the numpy path computes at once (~0.5 MB of float32 per temporary): its
#: temporaries then stay in the CPU caches instead of being page-faulted in per operation.
#: Measured on the 2000 x 2000 x 12 benchmark: 52 against 70-190 ns per cell-month.
SLAB_VALUES = 1 << 17


def _slabs(rows: int, cols: int, months: int, budget: int = SLAB_VALUES) -> list[tuple[slice, slice]]:
    """(row, column) slices tiling a ``rows`` x ``cols`` window, each about ``budget`` cell-months."""
    per_row = max(cols * max(months, 1), 1)
    if per_row <= budget:
        step = max(budget // per_row, 1)
        return [(slice(r, min(r + step, rows)), slice(0, cols)) for r in range(0, rows, step)]
    step_c = max(budget // max(months, 1), 1)
    return [(slice(r, r + 1), slice(c, min(c + step_c, cols))) for r in range(rows) for c in range(0, cols, step_c)]


def _slab(x: YearInputs, rs: slice, cs: slice) -> YearInputs:
    """Cut the inputs of one slab (views, no copy)."""

    def cut(a: NDArray | None, monthly: bool) -> NDArray | None:
        if a is None:
            return None
        return a[:, rs, cs] if monthly else a[rs, cs]

    def monthly(a: NDArray) -> NDArray:
        return a[:, rs, cs]

    def plane(a: NDArray) -> NDArray:
        return a[rs, cs]

    return YearInputs(
        monthly(x.ndvi),
        monthly(x.sol),
        monthly(x.t),
        monthly(x.p),
        cut(x.e, True),
        cut(x.pet, True),
        cut(x.topt, False),
        plane(x.nmin),
        plane(x.nmax),
        plane(x.eps),
        plane(x.land),
    )


def npp_year_slabs(
    x: YearInputs, params: ModelParams, want: tuple[str, ...] = ("npp",), budget: int = SLAB_VALUES
) -> dict[str, NDArray]:
    """Compute :func:`npp_year` slab by slab (see :data:`SLAB_VALUES`).

    The numbers are the same, cell by cell, since every operation of the chain is
    elementwise within a cell's year.
    """
    months, rows, cols = x.ndvi.shape
    slabs = _slabs(rows, cols, months, budget)
    if len(slabs) == 1:
        return npp_year(x, params, want)
    out: dict[str, NDArray] = {}
    for rs, cs in slabs:
        for key, value in npp_year(_slab(x, rs, cs), params, want).items():
            if key not in out:
                out[key] = np.empty((months, rows, cols), dtype=value.dtype)
            out[key][:, rs, cs] = value
    return out


def compute_year(
    x: YearInputs, params: ModelParams, want: tuple[str, ...] = ("npp",), fused: bool = True
) -> dict[str, NDArray]:
    """Compute :func:`npp_year` by the faster path.

    Through the compiled kernel where :func:`.kernels.use_kernel` says it is the
    faster path and ``fused``, else through numpy slab by slab (the same numbers,
    within a float32 unit).
    """
    if fused:
        from . import kernels

        if kernels.use_kernel():
            return kernels.npp_year(x, params, want)
        return npp_year_slabs(x, params, want)
    return npp_year(x, params, want)

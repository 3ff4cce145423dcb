"""Column names and values of the zone and land-cover tables.

A value column is named ``<stack>_<period>_<kind><suffix>``: the stack
(``npp``, ``rh``, ``nep``), the period (a band label, ``YYYY_MM`` for a
month, or a calendar year ``YYYY``), the kind (``mean``, ``total_tC``,
``total_ktC``, ``share_pct``, ``valid_cells``, ``coverage_pct``) and a suffix
(``_majority`` in the land-cover budget).  The RH/NPP ratio is
``rh_npp_<period>_ratio_pct<suffix>``, the filled NDVI cell-months of a year
``filled_cell_months_<year>``.  Every table and its readers build the names
here, from the stacks' band labels and years (:class:`.stacks.Stack`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .errors import CasaInputError

if TYPE_CHECKING:
    from .stacks import Stack

__all__ = [
    "G_PER_T",
    "G_PER_KT",
    "BASE_COLUMNS",
    "FLUX_KINDS",
    "column",
    "ratio_column",
    "filled_column",
    "check_field_clash",
    "period_columns",
    "ratio_periods",
    "ratio_column_names",
    "coverage_column_names",
    "period_sums",
    "flux_columns",
    "ratio_columns",
    "ratio_pct",
    "coverage_columns",
]

#: grams per tonne and per kilotonne of carbon.
G_PER_T = 1e6
G_PER_KT = 1e9
#: The zone table's columns after the zone's fields.
BASE_COLUMNS = ("zone_index", "zone_area_km2", "area_km2", "cells")
#: The value kinds of a stack's period in the zone table.
FLUX_KINDS = ("mean", "total_tC", "total_ktC")


def column(stack: str, period: str, kind: str, suffix: str = "") -> str:
    """Return the name of a value column: ``<stack>_<period>_<kind><suffix>``."""
    return f"{stack}_{period}_{kind}{suffix}"


def ratio_column(period: str, suffix: str = "") -> str:
    """Return the name of an RH/NPP ratio column: ``rh_npp_<period>_ratio_pct<suffix>``."""
    return f"rh_npp_{period}_ratio_pct{suffix}"


def filled_column(year: str) -> str:
    """Return the name of the filled NDVI cell-months column of a year."""
    return f"filled_cell_months_{year}"


def check_field_clash(fields: list[str], columns: list[str], parameter: str) -> None:
    """Raise an error when a carried zone field has the name of a computed column."""
    computed = {c.lower() for c in columns}
    clash = [f for f in fields if f.lower() in computed]
    if clash:
        raise CasaInputError(
            parameter,
            f"the zone field(s) {', '.join(clash)} clash with computed column names; rename them, or leave "
            "them out of the fields to keep.",
        )
    lower = [f.lower() for f in fields]
    dup = sorted({f for f in fields if lower.count(f.lower()) > 1})
    if dup:
        raise CasaInputError(parameter, f"the zone fields {', '.join(dup)} differ only in case; rename one.")


def _periods(st: Stack) -> list[str]:
    """Return a stack's periods: its band labels, then its calendar years."""
    return [*st.labels, *st.years]


def period_columns(st: Stack, kinds: Iterable[str] = FLUX_KINDS, suffix: str = "") -> list[str]:
    """Return the column names of one stack, bands (months) then years, each with ``kinds``."""
    return [column(st.name, lab, k, suffix) for lab in _periods(st) for k in kinds]


def ratio_periods(stacks: list[Stack]) -> list[tuple[str, int | list[int], int | list[int]]]:
    """Return (label, RH band(s), NPP band(s)) of the periods both RH and NPP cover."""
    by = {s.name: s for s in stacks}
    if "npp" not in by or "rh" not in by:
        return []
    npp, rh = by["npp"], by["rh"]
    out: list = []
    for i, lab in enumerate(rh.labels):
        if lab in npp.labels:
            out.append((lab, i, npp.labels.index(lab)))
    ny = npp.years
    rm, nm = rh.months or [], npp.months or []  # years come from months: none without them
    for y, idx in rh.years.items():
        if y in ny and [rm[i] for i in idx] == [nm[j] for j in ny[y]]:
            out.append((y, idx, ny[y]))
    return out


def ratio_column_names(stacks: list[Stack], suffix: str = "") -> list[str]:
    """Return the names :func:`ratio_columns` makes."""
    return [ratio_column(lab, suffix) for lab, _, _ in ratio_periods(stacks)]


def coverage_column_names(st: Stack, suffix: str = "") -> list[str]:
    """Return the names :func:`coverage_columns` makes (with annual columns where the stack has years)."""
    return period_columns(st, ("valid_cells", "coverage_pct"), suffix)


def period_sums(
    st: Stack, total_g: NDArray, valid_m2: NDArray, annual_g: NDArray | None = None, annual_m2: NDArray | None = None
) -> tuple[list[str], NDArray, NDArray]:
    """Return per period (each band, then each calendar year): labels, mean and total.

    ``total_g`` and ``valid_m2`` are (rows, bands): the sum of value x area x
    weight (gC) and of area x weight over cells with data (m2).  The mean of a
    band is ``total / valid`` (gC m-2).  With ``annual_g`` and ``annual_m2``
    (rows, years: the same sums of each cell's annual value over the cells with
    data in every month of the year) a year's mean and total are those of the
    annual map; without them, the sum of the monthly means and of the monthly
    totals.  NaN where no cell had data.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        has = valid_m2 > 0
        mean = np.where(has, total_g / np.where(has, valid_m2, 1), np.nan)
        tot = np.where(has, total_g, np.nan)
    labels = list(st.labels)
    means, tots = [mean], [tot]
    if annual_g is not None and annual_m2 is not None and st.years:
        with np.errstate(invalid="ignore", divide="ignore"):
            yhas = annual_m2 > 0
            means.append(np.where(yhas, annual_g / np.where(yhas, annual_m2, 1), np.nan))
            tots.append(np.where(yhas, annual_g, np.nan))
        return labels + list(st.years), np.hstack(means), np.hstack(tots)
    for y, idx in st.years.items():
        anyv = has[:, idx].any(axis=1)
        means.append(np.where(anyv, np.nansum(mean[:, idx], axis=1), np.nan)[:, None])
        tots.append(np.where(anyv, np.nansum(tot[:, idx], axis=1), np.nan)[:, None])
        labels.append(y)
    return labels, np.hstack(means), np.hstack(tots)


def flux_columns(
    st: Stack,
    total_g: NDArray,
    valid_m2: NDArray,
    suffix: str = "",
    kinds: tuple[str, ...] = FLUX_KINDS,
    annual_g: NDArray | None = None,
    annual_m2: NDArray | None = None,
) -> OrderedDict[str, NDArray]:
    """Return the mean and total columns of one stack from per-band sums (see :func:`period_sums`)."""
    labels, mean, tot = period_sums(st, total_g, valid_m2, annual_g, annual_m2)
    per = {"mean": mean, "total_tC": tot / G_PER_T, "total_ktC": tot / G_PER_KT}
    cols: OrderedDict[str, NDArray] = OrderedDict()
    for p, lab in enumerate(labels):
        for k in kinds:
            cols[column(st.name, lab, k, suffix)] = per[k][:, p]
    return cols


def ratio_columns(
    stacks: list[Stack], totals: dict[str, NDArray], suffix: str = "", annual: dict[str, NDArray] | None = None
) -> OrderedDict[str, NDArray]:
    """Return ``rh_npp_<period>_ratio_pct``: 100 x total RH / total NPP (empty where NPP <= 0).

    ``annual``: per stack, (rows, years) totals of the annual map (see
    :func:`period_sums`); a year's ratio then comes from them.
    """
    cols: OrderedDict[str, NDArray] = OrderedDict()
    by = {st.name: st for st in stacks}
    for lab, ri, ni in ratio_periods(stacks):
        if isinstance(ri, list) and annual is not None and "rh" in annual and "npp" in annual:
            r = annual["rh"][:, list(by["rh"].years).index(lab)]
            n = annual["npp"][:, list(by["npp"].years).index(lab)]
        elif isinstance(ri, list):
            r, n = np.nansum(totals["rh"][:, ri], axis=1), np.nansum(totals["npp"][:, ni], axis=1)
        else:
            r, n = totals["rh"][:, ri], totals["npp"][:, ni]
        cols[ratio_column(lab, suffix)] = ratio_pct(r, n)
    return cols


def ratio_pct(rh: NDArray, npp: NDArray) -> NDArray:
    """Return 100 x ``rh`` / ``npp`` (percent), NaN where ``npp`` <= 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(npp > 0, 100.0 * rh / np.where(npp > 0, npp, 1), np.nan)


def coverage_columns(
    st: Stack, valid_cells: NDArray, annual_cells: NDArray | None, cells: NDArray, suffix: str = ""
) -> OrderedDict[str, NDArray]:
    """Return ``s_<period>_valid_cells`` and ``s_<period>_coverage_pct`` (100 x valid / zone cells) per period."""
    labels = list(st.labels)
    counts = [valid_cells]
    if annual_cells is not None and st.years:
        labels += list(st.years)
        counts.append(annual_cells)
    valid = np.hstack(counts)
    cols: OrderedDict[str, NDArray] = OrderedDict()
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(cells[:, None] > 0, 100.0 * valid / np.where(cells > 0, cells, 1)[:, None], np.nan)
    for p, lab in enumerate(labels):
        cols[column(st.name, lab, "valid_cells", suffix)] = valid[:, p]
        cols[column(st.name, lab, "coverage_pct", suffix)] = pct[:, p]
    return cols

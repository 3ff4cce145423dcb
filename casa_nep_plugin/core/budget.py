"""Land-cover carbon budgets: flux stacks and class fractions to per-class totals and shares.

For every class ``c`` (bands of the fractions raster from
:mod:`.fractions`), every band and every calendar year of every stack:

    total_c = sum_x flux(x) * area(x) * f_c(x)          (fractional weighting)
    share_c = total_c / sum_c' total_c'

and, side by side, the majority variant, where each cell counts wholly for
its majority class (``f_c`` replaced by 1 for the class with the largest
fraction, ties to the first class, 0 for the others).  With zones, the sums
run over each zone's cells (``centre`` or ``exact`` weighting, as in
:mod:`.zones`), giving a zone x class table.

The fractions must be on the fluxes' grid (make them with
``casanep:landcoverfractions`` and the flux stack as reference): a budget never
resamples silently.  Cells with flux data but no land-cover fractions are
reported in an ``unclassified`` row and left out of the shares.

Output columns (one row per class, then ``unclassified`` when any cell lacks
fractions, then ``all`` = the sum over the classes; per zone when zones are
given, zones in layer order):

- with zones: the zone's fields, ``zone_index`` (1-based);
- ``class``;
- ``area_km2`` / ``area_km2_majority``: sum of area x fraction (x zone weight),
  and of the area of the cells whose majority class it is;
- for each stack ``s`` and period ``p`` (months ``YYYY_MM`` and calendar years
  ``YYYY``, as in :mod:`.zonal`), each followed by its ``_majority`` twin:
  ``s_p_mean`` (gC m-2 per period over the class's cells with data: total /
  area with data; a year's mean is the sum of the monthly means),
  ``s_p_total_tC``, ``s_p_total_ktC``, ``s_p_share_pct`` (percent of the sum
  over the classes; empty for ``unclassified``; NEP shares can be negative or
  exceed 100 where classes are net sources), ``s_p_coverage_pct`` (percent of the
  class's area, in the zone, with data in that period; a year's is its worst month's);
- with NPP and RH: ``rh_npp_p_ratio_pct`` (and ``_majority``): 100 x RH total /
  NPP total of the class (empty where NPP total <= 0).
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.windows import Window

from .aggregation import aggregation, check_options, write_result
from .columns import G_PER_KT, G_PER_T, column, period_sums, ratio_column, ratio_pct, ratio_periods
from .engine import DEFAULT_BLOCK_VALUES, Callbacks
from .errors import CasaInputError
from .grid import ModelGrid
from .raster import MONTH_RE, RasterInput
from .stacks import READ_THREADS, Stack
from .zones import ZoneSet

if TYPE_CHECKING:
    from geopandas import GeoDataFrame
    from pandas import DataFrame

__all__ = ["landcover_budget", "METHODS"]

#: Column suffix of each weighting method.
METHODS = (("fractional", ""), ("majority", "_majority"))
UNCLASSIFIED = "unclassified"
ALL = "all"
#: The value kinds of a stack's period in the budget table.
BUDGET_KINDS = ("mean", "total_tC", "total_ktC", "share_pct", "coverage_pct")


def _open_fractions(path: str, grid: ModelGrid, reference: str) -> tuple[Stack, list[str]]:
    inp = RasterInput.open(path, "FRACTIONS", monthly=False)
    try:
        own = inp.grid
        if not own.aligned_with(grid):
            t, g = own.transform, grid.transform
            raise CasaInputError(
                "FRACTIONS",
                f"'{os.path.basename(path)}' is not on the grid of {reference} "
                f"({own.width} x {own.height} cells of {abs(t.a):g} x {abs(t.e):g} from ({t.c:g}, {t.f:g})"
                f"{'' if own.crs == grid.crs else ', another CRS'} vs {grid.width} x {grid.height} of "
                f"{abs(g.a):g} x {abs(g.e):g} from ({g.c:g}, {g.f:g})). Make the fractions with "
                f"casanep:landcoverfractions and the flux stack as the reference grid.",
            )
        names = [(d or "").strip() for d in inp.opened().descriptions]
        _refuse_flux_as_fractions(inp, names, path)
        if not all(names) or len(set(names)) != len(names):
            raise CasaInputError(
                "FRACTIONS",
                f"'{os.path.basename(path)}' must have one band per class, each described by the class name "
                "(as casanep:landcoverfractions writes them).",
            )
        clash = [n for n in names if n.lower() in (UNCLASSIFIED, ALL)]
        if clash:
            raise CasaInputError("FRACTIONS", f"class name(s) {', '.join(clash)} are reserved; rename the classes.")
    except BaseException:
        inp.close()
        raise
    return Stack("fractions", inp, names, None), names


def _refuse_flux_as_fractions(inp: RasterInput, names: list[str], path: str) -> None:
    """Refuse a monthly or yearly flux stack (NPP, RH, NEP) or a class map given as FRACTIONS, saying so."""
    ds = inp.opened()
    quantity = ds.tags().get("casanep_quantity") or ds.tags().get("quantity") or ""
    periods = [n for n in names if MONTH_RE.match(n) or re.fullmatch(r"\d{4}", n)]
    if (names and len(periods) == len(names)) or (quantity and quantity != "cover fraction"):
        shown = f"bands {names[0]} .. {names[-1]}" if periods else f"'{quantity}'"
        raise CasaInputError(
            "FRACTIONS",
            f"'{os.path.basename(path)}' holds {shown}{f' ({quantity})' if quantity and periods else ''}, not "
            "land-cover fractions (one band per class, named by the class). Give the FRACTIONS output of "
            "casanep:landcoverfractions.",
        )
    # values: fractions lie in [0, 1] (a decimated read of the whole file; class codes or fluxes do not)
    f = max(1, -(-max(ds.width, ds.height) // 256))
    sample = ds.read(
        out_shape=(ds.count, max(1, ds.height // f), max(1, ds.width // f)), masked=True, resampling=Resampling.nearest
    ).compressed()
    if sample.size and (float(sample.min()) < -1e-6 or float(sample.max()) > 1 + 1e-6):
        raise CasaInputError(
            "FRACTIONS",
            f"'{os.path.basename(path)}' holds values from {float(sample.min()):g} to {float(sample.max()):g}; "
            "land-cover fractions lie in [0, 1]. Give the FRACTIONS output of casanep:landcoverfractions "
            "(not a class map or a flux stack).",
        )


def _budget_columns(stacks: list[Stack], include_ratio: bool = True) -> list[str]:
    """Return the names of the budget table's computed columns, in table order."""
    cols = ["class"] + [f"area_km2{s}" for _, s in METHODS]
    for st in stacks:
        for lab in [*st.labels, *st.years]:
            for k in BUDGET_KINDS:
                cols += [column(st.name, lab, k, s) for _, s in METHODS]
    if include_ratio:
        for lab, _, _ in ratio_periods(stacks):
            cols += [ratio_column(lab, s) for _, s in METHODS]
    return cols


class _ClassSums:
    """Per zone and class sums of a scan, fractional and majority weighting side by side.

    ``area`` is (method, zone, class + unclassified) in m2, ``total`` and
    ``valid`` per stack (method, zone, class + unclassified, band): the sum of
    value x area x weight (gC) and of area x weight over cells with data (m2).
    Without zones there is one zone, the whole grid.
    """

    def __init__(self, zs: ZoneSet | None, stacks: list[Stack], nc: int, row_area: NDArray):
        nz = len(zs) if zs is not None else 1
        self.zs, self.stacks, self.nc, self.row_area = zs, stacks, nc, row_area
        self.area = np.zeros((2, nz, nc + 1))
        self.total = {st.name: np.zeros((2, nz, nc + 1, len(st.labels))) for st in stacks}
        self.valid = {st.name: np.zeros((2, nz, nc + 1, len(st.labels))) for st in stacks}

    def _sets(self, window: Window):
        """Yield (zone, flat cell indices or None for all, rows, weight) of each cell set."""
        h, w = int(window.height), int(window.width)
        if self.zs is None:
            yield 0, None, np.repeat(np.arange(h), w), None
        else:
            for z, rr, cc, wt in self.zs.cells(window):
                yield z, rr * w + cc, rr, wt

    def _weights(self, fg: NDArray, a: NDArray) -> NDArray:
        """Return the area weights (m2) of each cell in each class, fractional and majority.

        Rows: fractional classes, unclassified, majority classes, unclassified;
        from the cells' class fractions ``fg`` (classes, cells) and areas ``a`` (m2).
        """
        unclassified = np.isnan(fg).any(axis=0)
        fg[:, unclassified] = 0.0
        maj = np.zeros_like(fg)
        maj[np.argmax(fg, axis=0), np.arange(fg.shape[1])] = 1.0
        maj[:, unclassified] = 0.0
        return np.vstack([fg, unclassified, maj, unclassified]) * a

    def visit(self, window: Window, arrays: list[NDArray]) -> None:
        """Add one window: the flux stacks, then the class fractions (last)."""
        nc = self.nc
        wr0 = int(window.row_off)
        f2 = arrays[-1].reshape(nc, -1)
        for z, flat, rr, wt in self._sets(window):
            a = self.row_area[rr + wr0]
            if wt is not None:
                a = a * wt
            wa = self._weights((f2 if flat is None else f2[:, flat]).astype(np.float64), a)
            self.area[:, z] += wa.sum(axis=1).reshape(2, nc + 1)
            for st, data in zip(self.stacks, arrays):
                d2 = data.reshape(data.shape[0], -1)
                tot, val = _weighted_sums((d2 if flat is None else d2[:, flat]).astype(np.float64), wa)
                self.total[st.name][:, z] += tot.reshape(2, nc + 1, -1)
                self.valid[st.name][:, z] += val.reshape(2, nc + 1, -1)


def _weighted_sums(v: NDArray, wa: NDArray) -> tuple[NDArray, NDArray]:
    """Return the sums of value x weight and of weight over cells with data, per weight row and band.

    ``v`` is (bands, cells), NaN without data (set to 0 here); ``wa`` (rows, cells).
    """
    nan = np.isnan(v)
    gaps = nan.any(axis=0)
    if not gaps.any():
        val = np.broadcast_to(wa.sum(axis=1)[:, None], (wa.shape[0], v.shape[0]))
    else:
        np.copyto(v, 0.0, where=nan)
        if nan.all(axis=0).sum() == gaps.sum():  # the same cells lack data in every band
            val = np.broadcast_to((wa @ ~gaps)[:, None], (wa.shape[0], v.shape[0]))
        else:
            val = wa @ (~nan).T.astype(np.float64)
    return wa @ v.T, val


def landcover_budget(
    stacks: dict[str, str | None],
    fractions: str,
    output: str | None = None,
    zones: str | GeoDataFrame | None = None,
    weighting: str = "centre",
    fields: list[str] | None = None,
    callbacks: Callbacks | None = None,
    block_values: int = DEFAULT_BLOCK_VALUES,
    layer: str | None = None,
    threads: int = READ_THREADS,
) -> DataFrame:
    """Return the per-class (and per zone x class) totals and shares of the flux ``stacks``.

    ``stacks``: name (``npp``, ``rh``, ``nep``) -> raster path, all on one grid;
    ``fractions``: the class-fraction raster on that grid.  ``zones``: optional
    polygons (path or GeoDataFrame) with ``weighting`` ``centre``/``exact`` and
    the ``fields`` to carry.  ``output``: ``.gpkg`` (attribute table) or
    ``.csv``.  Returns the table as a pandas DataFrame (columns in this
    module's docstring).
    """
    import pandas as pd

    cb = callbacks or Callbacks()
    check_options(weighting, output)
    if not fractions:
        raise CasaInputError("FRACTIONS", "no class-fraction raster was given.")
    with aggregation(stacks, cb, same_grid=True) as run:
        sts = list(run.stacks)
        frac, classes = _open_fractions(fractions, run.grid, sts[0].name.upper())
        run.stacks.append(frac)  # scanned last, closed with the others
        if zones is not None and not (isinstance(zones, str) and not zones):
            run.place_zones(zones, weighting, fields, ["zone_index", *_budget_columns(sts)])
        zs = run.zones
        sums = _ClassSums(zs, sts, len(classes), run.grid.row_cell_areas())
        cb.info(
            f"Land-cover budget of {', '.join(s.name.upper() for s in sts)} over {len(classes)} classes "
            f"({', '.join(classes)}){f' in {len(zs)} zones ({weighting})' if zs is not None else ''}."
        )
        run.scan(sums.visit, block_values, threads)
    unclassified = sums.area[0, :, len(classes)].sum()
    if unclassified > 0:
        cb.warning(
            f"FRACTIONS: {unclassified / 1e6:.3g} km2 of cells have no land-cover fractions; "
            "their fluxes are in the 'unclassified' row, outside the shares."
        )
    table = _assemble(sts, classes, sums, zs, run.fields)
    write_result(table, output, layer, cb, f"{len(table)} rows x {len(table.columns)} columns")
    return pd.DataFrame(table)


def _coverage(st: Stack, valid_m2: NDArray, area_m2: NDArray) -> NDArray:
    """Return the percent of each row's (class x zone) area with data, per band, then per calendar year.

    A year's coverage is that of its worst month; NaN where the row has no area.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(area_m2[:, None] > 0, 100.0 * valid_m2 / np.where(area_m2 > 0, area_m2, 1)[:, None], np.nan)
    years = [np.fmin.reduce(pct[:, idx], axis=1)[:, None] for idx in st.years.values()]
    return np.hstack([pct, *years]) if years else pct


def _assemble(sts: list[Stack], classes: list[str], sums: _ClassSums, zs: ZoneSet | None, attr: list[str]) -> DataFrame:
    """Return the wide table: rows zone x (classes, unclassified, all)."""
    import pandas as pd

    area, total, valid = sums.area, sums.total, sums.valid
    nc = len(classes)
    nz = area.shape[1]
    has_uncl = bool(area[0, :, nc].sum() > 0) or any(np.any(valid[st.name][0, :, nc] > 0) for st in sts)
    names = [*classes, *([UNCLASSIFIED] if has_uncl else []), ALL]
    keep = list(range(nc)) + ([nc] if has_uncl else [])
    nrow = len(names)
    cols: OrderedDict[str, object] = OrderedDict()
    if zs is not None:
        for c in attr:
            cols[c] = np.repeat(zs.frame[c].to_numpy(), nrow)
        cols["zone_index"] = np.repeat(np.arange(1, nz + 1), nrow)
    cols["class"] = np.tile(np.array(names, dtype=object), nz)

    def rows(x: NDArray) -> NDArray:
        """(nz, nc+1, ...) to (nz*nrow, ...) with the 'all' row summed over the classes."""
        parts = [x[:, keep], x[:, :nc].sum(axis=1, keepdims=True)]
        out = np.concatenate(parts, axis=1)
        return out.reshape(nz * nrow, *x.shape[2:])

    for k, (_, suf) in enumerate(METHODS):
        cols[f"area_km2{suf}"] = rows(area[k]) / 1e6
    for st in sts:
        per = [
            _stack_values(st, rows(total[st.name][k]), rows(valid[st.name][k]), rows(area[k]), nz, nc, has_uncl)
            for k in range(len(METHODS))
        ]
        for p, lab in enumerate(per[0][0]):
            for kind in BUDGET_KINDS:
                for (_, values), (_, suf) in zip(per, METHODS):
                    cols[column(st.name, lab, kind, suf)] = values[kind][:, p]
    for lab, ri, ni in ratio_periods(sts):
        for k, (_, suf) in enumerate(METHODS):
            r = rows(total["rh"][k])
            n = rows(total["npp"][k])
            if isinstance(ri, list):
                r, n = r[:, ri].sum(axis=1), n[:, ni].sum(axis=1)
            else:
                r, n = r[:, ri], n[:, ni]
            cols[ratio_column(lab, suf)] = ratio_pct(r, n)
    return pd.DataFrame(cols)


def _stack_values(
    st: Stack, total_g: NDArray, valid_m2: NDArray, area_m2: NDArray, nz: int, nc: int, has_uncl: bool
) -> tuple[list[str], dict[str, NDArray]]:
    """Return one stack's periods and, per kind of :data:`BUDGET_KINDS`, its (table rows, periods) values.

    ``total_g``, ``valid_m2`` and ``area_m2`` are the table's rows (zone x
    (classes, unclassified, all)) of one weighting method; a share is the
    percent of the zone's sum over the classes (empty for ``unclassified``).
    """
    labels, mean, tot = period_sums(st, total_g, valid_m2)
    t3 = tot.reshape(nz, -1, tot.shape[1])
    cls_sum = np.nansum(t3[:, :nc], axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(cls_sum != 0, 100.0 * t3 / np.where(cls_sum != 0, cls_sum, 1), np.nan)
    if has_uncl:
        share[:, nc] = np.nan
    values = {
        "mean": mean,
        "total_tC": tot / G_PER_T,
        "total_ktC": tot / G_PER_KT,
        "share_pct": share.reshape(tot.shape[0], -1),
        "coverage_pct": _coverage(st, valid_m2, area_m2),
    }
    return labels, values

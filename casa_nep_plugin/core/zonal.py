"""Zonal statistics of monthly flux stacks per polygon zone (cities, districts).

For every zone: its area, its cell count and, for every band of every stack
(NPP, RH, NEP, ...), the area-weighted mean and the total; for monthly stacks
also every calendar year; and the RH/NPP ratio of totals when both stacks are
given.  All bands of all stacks are read in one pass over the raster, window
by window (memory is bounded by the window, not by the raster).


Zones are read, repaired and placed on the grid by :mod:`.zones` (``centre``
or ``exact`` cell weighting), the stacks read by :mod:`.stacks`, the columns
named by :mod:`.columns` and the table written by :mod:`.tablefile`.
Cell areas come from the grid (:meth:`ModelGrid.row_cell_areas`): planar in a
projected CRS, the true ellipsoidal area of each row's cells in a geographic CRS.

Output columns (one row per zone, in the layer's order)
--------------------------------------------------------
- the zone's attribute fields (all, or those chosen), then
- ``zone_index``: 1-based position of the zone in the layer;
- ``zone_area_km2``: the polygon's true (geodesic, WGS 84 ellipsoid) area;
- ``area_km2``: area of the cells counted, sum of cell area x weight (the part
  of the zone on the raster; in ``exact`` mode the polygon's area on the grid);
- ``cells``: cells counted (``centre``: an integer; ``exact``: the sum of the
  coverage fractions);
- for each stack ``s`` (``npp``, ``rh``, ``nep``) and each month ``YYYY_MM``:
  ``s_YYYY_MM_mean`` (area-weighted mean over cells with data, gC m-2 month-1),
  ``s_YYYY_MM_total_tC`` and ``s_YYYY_MM_total_ktC`` (sum of value x cell area
  x weight; 1 tC = 1e6 gC, 1 ktC = 1e9 gC);
- for each calendar year ``YYYY``: ``s_YYYY_mean`` (gC m-2 a-1),
  ``s_YYYY_total_tC``, ``s_YYYY_total_ktC``, by **one definition of annual**:
  those of the annual map over the zone.  A cell's annual value is the sum of
  its months of the year, and a cell counts for a year only where all of them
  have data (as :func:`core.model.run_annual` writes the annual map); the
  year's mean is the area-weighted mean of those annual values and its total
  their sum x area.  So a cell with a cloud gap is left out of the year, not
  added in for the months it has.  A year with fewer than 12 months in the
  stack is summed over the months present (with a warning);
- with NPP and RH: ``rh_npp_YYYY_MM_ratio_pct`` and ``rh_npp_YYYY_ratio_pct``,
  100 x total RH / total NPP over the cells where both have data (RH is summed
  again where NPP has a value, so a cloud gap in NPP does not inflate the
  ratio); empty where total NPP <= 0; the yearly ratio from the annual totals;
- coverage, for each stack and period (month or year): ``s_<period>_valid_cells``
  (cells with data in that period, by the zone's cell weighting: whole cells in
  ``centre``, coverage fractions in ``exact``) and ``s_<period>_coverage_pct``
  (100 x valid cells / ``cells``); with a fill-count raster (``filled``: the
  filled months per cell and year, as ``casanep:ndvicomposite`` FILLED_OUTPUT
  writes it) also ``filled_cell_months_YYYY``, the NDVI cell-months of the
  zone that were filled by interpolation.

Bands not described as months (``YYYY-MM``) are labelled by their description
(``2021`` for the annual ratio raster) or ``b1``, ``b2``, ... and get no
yearly columns.  Means and totals are empty (NULL) where a zone has no cell
with data; a zone that misses the raster has ``cells`` 0 and a warning.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from .aggregation import aggregation, check_options, write_result
from .columns import (
    BASE_COLUMNS,
    coverage_column_names,
    coverage_columns,
    filled_column,
    flux_columns,
    period_columns,
    ratio_column_names,
    ratio_columns,
)
from .engine import DEFAULT_BLOCK_VALUES, Callbacks
from .errors import CasaInputError
from .stacks import READ_THREADS, Stack
from .zones import ZoneSet

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

__all__ = ["zonal_statistics", "annual_cell_sums"]


def annual_cell_sums(data: NDArray, years: OrderedDict[str, list[int]]) -> NDArray:
    """Return each cell's annual sum (years, rows, cols): NaN where any month of the year is NaN (as run_annual)."""
    return np.stack([data[idx].sum(axis=0) for idx in years.values()])


def _add(
    row_area: NDArray, data: NDArray, hits: list, wr0: int, ww: int, tot: NDArray, val_m2: NDArray, val_cells: NDArray
) -> None:
    """Add the zones' sums of one window: value x area x weight, and area x weight and weight where data."""
    flat = data.reshape(data.shape[0], -1)
    for z, rr, cc, wt in hits:
        a = row_area[rr + wr0]
        wa = a if wt is None else a * wt
        w = np.ones(len(rr)) if wt is None else wt
        v = flat[:, rr * ww + cc]
        nan = np.isnan(v)
        if nan.any():
            val_m2[z] += wa.sum() - nan @ wa
            val_cells[z] += w.sum() - nan @ w
            v = np.where(nan, 0.0, v)
        else:
            val_m2[z] += wa.sum()
            val_cells[z] += w.sum()
        tot[z] += v @ wa


class _ZoneSums:
    """Per-zone sums of a scan: cells and area, and per stack and period the totals and the cells with data.

    Per stack (rows zones, columns bands): ``total`` (gC, or filled months x
    weight for the fill count), ``valid`` (m2 with data), ``vcells`` (cells
    with data); per flux stack the same of each cell's annual value
    (``ytotal``, ``yvalid``, ``ycells``, columns years).  With NPP and RH on
    the same months, RH is summed again where NPP has data (``rh_common``,
    ``rh_common_y``) for the ratio.
    """

    def __init__(self, zs: ZoneSet, stacks: list[Stack], fill: Stack | None, row_area: NDArray):
        n = len(zs)
        self.zs, self.stacks, self.fill, self.row_area = zs, stacks, fill, row_area
        self.flux = [st for st in stacks if st is not fill]
        self.cells = np.zeros(n)
        self.area = np.zeros(n)
        self.total = {st.name: np.zeros((n, len(st.labels))) for st in stacks}
        self.valid = {st.name: np.zeros((n, len(st.labels))) for st in stacks}
        self.vcells = {st.name: np.zeros((n, len(st.labels))) for st in stacks}
        self.ytotal = {st.name: np.zeros((n, len(st.years))) for st in self.flux}
        self.yvalid = {st.name: np.zeros((n, len(st.years))) for st in self.flux}
        self.ycells = {st.name: np.zeros((n, len(st.years))) for st in self.flux}
        by = {st.name: st for st in self.flux}
        # RH/NPP over the cells where both have data: RH summed again where NPP has data
        self.common = (
            "npp" in by and "rh" in by and by["npp"].months is not None and by["npp"].months == by["rh"].months
        )
        if self.common:
            self.npp, self.rh = by["npp"], by["rh"]
            self.rh_common = np.zeros((n, len(self.rh.labels)))
            self.rh_common_y = np.zeros((n, len(self.rh.years)))
            self.scratch = {k: np.zeros_like(v) for k, v in (("m", self.rh_common), ("y", self.rh_common_y))}

    def visit(self, window: Window, arrays: list[NDArray]) -> None:
        """Add one window of every stack."""
        hits = list(self.zs.cells(window))
        if not hits:
            return
        wr0 = int(window.row_off)
        ww = int(window.width)
        row_area = self.row_area
        for z, rr, _cc, wt in hits:
            a = row_area[rr + wr0]
            wa = a if wt is None else a * wt
            self.cells[z] += len(rr) if wt is None else wt.sum()
            self.area[z] += wa.sum()
        for st, data in zip(self.stacks, arrays):
            name = st.name
            if st is self.fill:  # filled months x cell weight (not area)
                flat = data.reshape(data.shape[0], -1)
                for z, rr, cc, wt in hits:
                    v = np.nan_to_num(flat[:, rr * ww + cc])
                    self.total[name][z] += v.sum(axis=1) if wt is None else v @ wt
                continue
            _add(row_area, data, hits, wr0, ww, self.total[name], self.valid[name], self.vcells[name])
            if st.years:
                _add(
                    row_area,
                    annual_cell_sums(data, st.years),
                    hits,
                    wr0,
                    ww,
                    self.ytotal[name],
                    self.yvalid[name],
                    self.ycells[name],
                )
        if self.common:
            self._add_common(arrays, hits, wr0, ww)

    def _add_common(self, arrays: list[NDArray], hits: list, wr0: int, ww: int) -> None:
        """Add RH where NPP has data, by month and by year."""
        a_npp, a_rh = arrays[self.stacks.index(self.npp)], arrays[self.stacks.index(self.rh)]
        rh_m = np.where(np.isnan(a_npp), np.nan, a_rh)
        _add(self.row_area, rh_m, hits, wr0, ww, self.rh_common, self.scratch["m"], self.scratch["m"])
        rh_y = np.where(
            np.isnan(annual_cell_sums(a_npp, self.npp.years)), np.nan, annual_cell_sums(a_rh, self.rh.years)
        )
        _add(self.row_area, rh_y, hits, wr0, ww, self.rh_common_y, self.scratch["y"], self.scratch["y"])


def _columns(flux: list[Stack], fill: Stack | None) -> list[str]:
    """Return the names of the computed columns, in table order."""
    computed = list(BASE_COLUMNS) + [c for st in flux for c in period_columns(st)] + ratio_column_names(flux)
    computed += [c for st in flux for c in coverage_column_names(st)]
    computed += [filled_column(lab) for lab in (fill.labels if fill else [])]
    return computed


def _zone_table(sums: _ZoneSums, attr: list[str], weighting: str) -> GeoDataFrame:
    """Return the table: the zones' fields, then the columns documented in this module, with the zones' geometry."""
    import geopandas as gpd
    import pandas as pd

    zs, flux, n = sums.zs, sums.flux, len(sums.zs)
    frame = zs.frame
    cols: OrderedDict[str, object] = OrderedDict()
    for c in attr:
        cols[c] = frame[c].to_numpy()
    cols["zone_index"] = np.arange(1, n + 1)
    cols["zone_area_km2"] = np.asarray(zs.zone_area_km2)
    cols["area_km2"] = sums.area / 1e6
    cols["cells"] = sums.cells.astype(np.int64) if weighting == "centre" else sums.cells
    for st in flux:
        cols.update(
            flux_columns(
                st,
                sums.total[st.name],
                sums.valid[st.name],
                annual_g=sums.ytotal[st.name],
                annual_m2=sums.yvalid[st.name],
            )
        )
    if sums.common:
        cols.update(
            ratio_columns(flux, {**sums.total, "rh": sums.rh_common}, annual={**sums.ytotal, "rh": sums.rh_common_y})
        )
    else:
        cols.update(ratio_columns(flux, sums.total, annual=sums.ytotal))
    for st in flux:
        cols.update(coverage_columns(st, sums.vcells[st.name], sums.ycells[st.name], sums.cells))
    if sums.fill is not None:
        for i, lab in enumerate(sums.fill.labels):
            cols[filled_column(lab)] = sums.total["filled"][:, i]
    return gpd.GeoDataFrame(pd.DataFrame(cols), geometry=frame.geometry.to_numpy(), crs=frame.crs)


def zonal_statistics(
    zones: str | GeoDataFrame,
    stacks: dict[str, str | None],
    output: str | None = None,
    weighting: str = "centre",
    fields: list[str] | None = None,
    callbacks: Callbacks | None = None,
    block_values: int = DEFAULT_BLOCK_VALUES,
    layer: str | None = None,
    threads: int = READ_THREADS,
    filled: str | None = None,
) -> GeoDataFrame:
    """Return the zonal statistics of ``stacks`` (name -> raster path) per polygon of ``zones``.

    ``zones``: a vector path (``path|layername=x`` accepted) or GeoDataFrame.
    ``weighting``: ``centre`` or ``exact``.  ``fields``: zone attributes to
    carry into the table (default all).  ``output``: a ``.gpkg`` (layer with
    the zone geometry) or ``.csv`` path, written atomically; None writes nothing.
    ``filled``: a raster of NDVI months filled per cell and year (bands described
    YYYY) for the ``filled_cell_months_YYYY`` coverage columns.
    Returns the table as a GeoDataFrame (columns documented in this module).
    """
    cb = callbacks or Callbacks()
    check_options(weighting, output)
    if filled and "filled" in stacks:
        raise CasaInputError("FILLED", "'filled' is taken by the fill-count raster; name the stack otherwise.")
    with aggregation({**stacks, **({"filled": filled} if filled else {})}, cb) as run:
        sts, grid = run.stacks, run.grid
        fill = next((st for st in sts if filled and st.name == "filled"), None)
        flux = [st for st in sts if st is not fill]
        zs = run.place_zones(zones, weighting, fields or None, _columns(flux, fill))
        sums = _ZoneSums(zs, sts, fill, grid.row_cell_areas())
        depth = sum(len(st.labels) for st in sts)
        cb.info(
            f"Zonal statistics ({weighting}) of {len(zs)} zones over {', '.join(s.name.upper() for s in flux)} "
            f"({depth} bands) on a {grid.width} x {grid.height} grid."
        )
        run.scan(sums.visit, block_values, threads)
    for i in zs.empty_zones(sums.cells):
        cb.warning(
            f"ZONES: {zs.labels[i]} covers no cell {'centre' if weighting == 'centre' else ''} of the "
            "raster; its row has cells 0.".replace("  ", " ")
        )
    table = _zone_table(sums, run.fields, weighting)
    write_result(table, output, layer, cb, f"{len(table)} zones x {len(table.columns) - 1} columns")
    return table

"""The model runs' inputs: opened together, checked, and read onto the model grid.

:class:`Inputs` opens the rasters of a run and closes them together; the checks
refuse, before any work, stacks whose months or band counts disagree, partial
years the model cannot take, land-cover codes the class table lacks and
implausible values (a quick look at a few blocks; every window is checked again).
Used by the NPP, RH and NEP runs (:mod:`.model`) and the ensemble
(:mod:`.uncertainty`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from . import casa, plausibility
from .engine import Callbacks, gdal_cache, scan_blocks
from .errors import CasaInputError
from .grid import ModelGrid
from .raster import RasterInput, group_years
from .tables import ClassLookup, load_code_table, load_vegetation_table
from .tasks import _landcover_codes


def partial_years(months: list[str]) -> list[str]:
    """Return the calendar years of ``months`` that lack months, as 'YYYY (n months)'."""
    out = []
    for year, idx in group_years(months).items():
        have = {months[i][5:] for i in idx}
        if len(have) != 12:
            out.append(f"{year} ({len(have)} months)")
    return out


class Inputs:
    """Opened inputs, closed together; GDAL's block cache is bounded while they are open."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(gdal_cache())
        self.items: dict[str, RasterInput] = {}

    def open(self, key: str, path: str | None, parameter: str, **kw) -> RasterInput | None:
        """Open an optional input: None where no path is given."""
        return self.need(key, path, parameter, **kw) if path else None

    def need(self, key: str, path: str | None, parameter: str, **kw) -> RasterInput:
        """Open a required input (a clear error naming ``parameter`` where no path is given)."""
        if not path:
            raise CasaInputError(parameter, "is required: give a raster.")
        inp = RasterInput.open(path, parameter, **kw)
        self._stack.callback(inp.close)
        self.items[key] = inp
        return inp

    def paths(self) -> dict[str, str]:
        """Parameter -> path of every input opened (to keep outputs off them)."""
        return {v.parameter: v.path for v in self.items.values()}

    def __enter__(self) -> Inputs:
        """Enter: the inputs stay open inside."""
        return self

    def __exit__(self, *exc) -> None:
        """Close every input opened."""
        self._stack.close()


def reference_months(ref: RasterInput) -> list[str]:
    """Return the months of the reference stack (a clear error where its bands carry none)."""
    if ref.months is None:
        raise CasaInputError(
            ref.parameter,
            f"'{os.path.basename(ref.path)}' has no band descriptions; a monthly stack needs one band "
            "per month described YYYY-MM (e.g. 2021-01).",
        )
    return ref.months


def match_stack(stack: RasterInput, months: list[str], ref: RasterInput, cb: Callbacks) -> None:
    """Check that ``stack`` has the same band count and months as the reference stack."""
    if stack.count != len(months):
        raise CasaInputError(
            stack.parameter,
            f"has {stack.count} bands but {ref.parameter} has {len(months)} "
            f"({months[0]} .. {months[-1]}); give one band per month for the same months.",
        )
    if stack.months is None:
        cb.warning(
            f"{stack.parameter}: no band descriptions; bands taken as the months of {ref.parameter} "
            f"({months[0]} .. {months[-1]})."
        )
    elif stack.months != months:
        diff = next(i for i, (a, b) in enumerate(zip(stack.months, months)) if a != b)
        raise CasaInputError(
            stack.parameter,
            f"band {diff + 1} is {stack.months[diff]} but band {diff + 1} of {ref.parameter} is "
            f"{months[diff]}; the stacks must hold the same months in the same order.",
        )


def quick_look(inp: RasterInput, bands: int = 12) -> NDArray:
    """Read a small block-aligned window at the centre of the file, on its own grid (the first ``bands`` bands).

    It is enough to refuse wrong units before any work, and a read of a few blocks
    whatever the file's layout.  Every window of the main pass is checked again.
    """
    g = inp.grid
    lay = inp.layout
    h = min(g.height, max(lay.block_rows, 64))
    w = min(g.width, max(lay.block_cols if not lay.striped else 256, 64))
    row = (g.height // 2 // max(lay.block_rows, 1)) * max(lay.block_rows, 1)
    col = 0 if lay.striped else (g.width // 2 // max(lay.block_cols, 1)) * max(lay.block_cols, 1)
    row, col = min(row, g.height - h), min(col, g.width - w)
    idx = list(range(1, min(inp.count, bands) + 1))
    was = (inp.target, inp.aligned)
    inp.target, inp.aligned = None, True
    try:
        return inp.read(Window(col, row, w, h), idx)
    finally:
        inp.target, inp.aligned = was


def check_codes(lc: RasterInput, lookup: ClassLookup, cb: Callbacks, table: str | None) -> None:
    """Every land-cover code present must be in the class table (one pass over the file)."""
    seen: set[int] = set()
    grid = lc.grid
    if lc.dataset is None:
        raise RuntimeError(f"{lc.parameter}: the raster is not open")
    read = lc.dataset.read

    def visit(window: Window) -> None:
        block = read(1, window=window, masked=True)
        vals = np.unique(block.compressed())
        seen.update(int(v) for v in vals)

    lay = lc.layout
    scan_blocks(grid, visit, is_cancelled=cb.is_cancelled, block=(lay.block_rows, lay.block_cols))
    missing = lookup.missing_codes(np.array(sorted(seen), dtype=np.int64)) if seen else []
    if missing:
        shown = ", ".join(str(c) for c in missing[:30])
        raise CasaInputError(
            "LANDCOVER",
            f"codes {shown}{' ...' if len(missing) > 30 else ''} are not in the class table "
            f"'{table or 'GLC_FCS30 (shipped)'}'; add them to a copy of the table and pass it as CLASS_TABLE, "
            "or set them as the raster's nodata.",
        )


def class_lookup(class_table: str | None, vegetation_table: str | None) -> ClassLookup:
    """Return the code -> class parameters lookup from the class and vegetation tables (shipped by default)."""
    veg = load_vegetation_table(vegetation_table) if vegetation_table else load_vegetation_table()
    return load_code_table(class_table, veg) if class_table else load_code_table(None, veg)


def block_of(*inputs: RasterInput | None) -> tuple[int, int] | None:
    """Return the block layout windows follow: that of the deepest input read on its own grid."""
    own = [i for i in inputs if i is not None and i.aligned]
    if not own:
        return None
    lay = max(own, key=lambda i: i.count).layout
    return (lay.block_rows, lay.block_cols)


def open_topt(inp: Inputs, optimal_temperature: str | float | None) -> tuple[RasterInput | None, float | None]:
    """OPTIMAL_TEMPERATURE as (raster, None), (None, constant degC) or (None, None)."""
    if isinstance(optimal_temperature, (int, float)):
        return None, float(optimal_temperature)
    if optimal_temperature:
        return inp.open("topt", optimal_temperature, "OPTIMAL_TEMPERATURE", monthly=False), None
    return None, None


def check_years(
    months: list[str],
    years: dict[str, list[int]],
    topt_in: RasterInput | None,
    topt_const: float | None,
    pet: RasterInput | None,
) -> None:
    """Topt bands one or one per year; partial years only with Topt and Ep0 given."""
    if topt_in is not None and topt_in.count not in (1, len(years)):
        raise CasaInputError(
            "OPTIMAL_TEMPERATURE",
            f"has {topt_in.count} bands; give one band, or one per calendar year ({len(years)}).",
        )
    partial = partial_years(months)
    need_topt = topt_in is None and topt_const is None
    if partial and (need_topt or pet is None):
        wanted = (("OPTIMAL_TEMPERATURE", need_topt), ("POTENTIAL_ET", pet is None))
        missing = [name for name, need in wanted if need]
        raise CasaInputError(
            "NDVI",
            f"covers part of a calendar year: {', '.join(partial)}. Topt (NDVI-peak month) and "
            "Thornthwaite Ep0 need all 12 months of each year; give whole years or provide "
            f"{' and '.join(missing)}.",
        )


def attach_npp(
    grid: ModelGrid,
    nd: RasterInput,
    lc: RasterInput,
    topt_in: RasterInput | None,
    stacks: dict[str, RasterInput | None],
    cb: Callbacks,
) -> None:
    """Read every input onto the NDVI grid, saying which are resampled."""
    for s in stacks.values():
        if s is not None:
            s.attach(grid)
            if not s.aligned:
                cb.info(f"{s.parameter}: resampled bilinearly onto the NDVI grid, window by window.")
    nd.attach(grid)
    lc.attach(grid)
    if not lc.aligned:
        cb.warning(
            "LANDCOVER: not on the NDVI grid; read by nearest neighbour. For a majority "
            "resampling prepare it with casanep:landcoverclasses."
        )
    if topt_in is not None:
        topt_in.attach(grid)


def percentile_bounds(
    nd: RasterInput, lc: RasterInput, lookup: ClassLookup, grid: ModelGrid, years: list[list[int]], cb: Callbacks
) -> ClassLookup:
    """Class NDVI bounds as the 5 % / 95 % percentiles of the input NDVI (METHOD.md section 1)."""
    keys = sorted({k for k, has in zip(lookup.class_keys, lookup.has_npp) if has})
    row_of_code = np.array([keys.index(k) if k in keys else -1 for k in lookup.class_keys])
    hist = np.zeros((len(keys), casa.NDVI_BINS), np.int64)

    def visit(window: Window) -> None:
        pos, known = lookup.index(_landcover_codes(lc.read(window)[0]))
        cls = np.where(known, row_of_code[pos], -1)
        for idx in years:  # a year at a time: memory follows the window
            n = nd.read(window, [i + 1 for i in idx])
            hist[:] += casa.ndvi_histogram(n, cls[np.newaxis], len(keys))

    scan_blocks(grid, visit, is_cancelled=cb.is_cancelled, depth=12, block=block_of(nd))
    bounds = {}
    for i, key in enumerate(keys):
        lo, hi = casa.histogram_percentile(hist[i], 5), casa.histogram_percentile(hist[i], 95)
        if np.isfinite(lo) and hi > lo:
            bounds[key] = (lo, hi)
            cb.info(f"NDVI bounds of class '{key}' from the input: {lo:.4f} .. {hi:.4f} (5 % / 95 %).")
        else:
            cb.warning(f"NDVI_BOUNDS: class '{key}' has too little NDVI for percentiles; table values kept.")
    return lookup.with_ndvi_bounds(bounds)


def open_pair(inp: Inputs, npp: str, rh: str, cb: Callbacks):
    """NPP and RH monthly stacks with the same months, RH read onto the NPP grid.

    Returns (npp input, rh input, months, grid, band indices per year, partial years).
    """
    n = inp.need("npp", npp, "NPP")
    months = reference_months(n)
    r = inp.need("rh", rh, "RH")
    match_stack(r, months, n, cb)
    grid = n.grid
    n.attach(grid)
    r.attach(grid)
    if not r.aligned:
        cb.info("RH: not on the NPP grid; resampled bilinearly onto it, window by window.")
    return n, r, months, grid, group_years(months), partial_years(months)


@dataclass
class NppInputs:
    """The opened, checked inputs of an NPP run, read onto the NDVI grid."""

    ndvi: RasterInput
    landcover: RasterInput
    stacks: dict[str, RasterInput | None]
    topt_raster: RasterInput | None
    topt_const: float | None
    months: list[str]
    years: dict[str, list[int]]
    grid: ModelGrid


def open_npp_inputs(
    inp: Inputs,
    paths: dict[str, str | None],
    optimal_temperature: str | float | None,
    ndvi_scale: float,
    lookup: ClassLookup,
    cb: Callbacks,
) -> NppInputs:
    """Open and check the NPP run's inputs, then attach them to the NDVI grid."""
    nd = inp.need("ndvi", paths["NDVI"], "NDVI", scale=ndvi_scale)
    months = reference_months(nd)
    grid = nd.grid
    if grid.crs is None:
        cb.warning("NDVI: the raster has no CRS; outputs will have none either.")
    sol = inp.need("sol", paths["SOLAR_RADIATION"], "SOLAR_RADIATION")
    t = inp.need("t", paths["TEMPERATURE"], "TEMPERATURE")
    p = inp.need("p", paths["PRECIPITATION"], "PRECIPITATION")
    stacks: dict[str, RasterInput | None] = {
        "sol": sol,
        "t": t,
        "p": p,
        "e": inp.open("e", paths["EVAPOTRANSPIRATION"], "EVAPOTRANSPIRATION"),
        "pet": inp.open("pet", paths["POTENTIAL_ET"], "POTENTIAL_ET"),
    }
    for s in stacks.values():
        if s is not None:
            match_stack(s, months, nd, cb)
    lc = inp.need("lc", paths["LANDCOVER"], "LANDCOVER", categorical=True, monthly=False)
    if lc.count != 1:
        raise CasaInputError("LANDCOVER", f"must have one band of class codes, not {lc.count}.")
    topt_in, topt_const = open_topt(inp, optimal_temperature)
    years = group_years(months)
    check_years(months, years, topt_in, topt_const, stacks["pet"])
    # plausibility on a few blocks of each file before any work; every window is checked again
    plausibility.screen(quick_look(t), "temperature", "TEMPERATURE")
    plausibility.screen(quick_look(sol), "solar_radiation", "SOLAR_RADIATION")
    plausibility.screen(quick_look(p), "precipitation", "PRECIPITATION")
    plausibility.screen(quick_look(nd), "ndvi", "NDVI", scale=ndvi_scale, nodata_declared=nd.nodata is not None)
    check_codes(lc, lookup, cb, paths["CLASS_TABLE"])
    attach_npp(grid, nd, lc, topt_in, stacks, cb)
    return NppInputs(nd, lc, stacks, topt_in, topt_const, months, years, grid)

"""Runs of the model over rasters: NPP (CASA), RH (Pei) and NEP.

Each run opens and checks its inputs, builds a window task and a table of
output specs, and hands them to the block engine.  A window task is a pure,
picklable object: called with a window and a calendar year (the engine's
``part``), it reads its inputs' window, computes, and returns arrays; so the
same task runs on the engine's local threads or on other processes.  Topt and
Thornthwaite's Ep0 are per calendar year, so each task holds one year: memory
follows the window, not the length of the stack.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from . import balance, casa, gapfill, plausibility
from .engine import Callbacks, gdal_cache, run_chunks, scan_blocks
from .errors import CasaInputError
from .grid import ModelGrid
from .outputs import OutputSpec, check_output_paths, provenance_tags
from .params import ModelParams
from .raster import RasterInput, group_years
from .tables import ClassLookup, load_code_table, load_vegetation_table
from .tasks import (
    AnnualTask,
    NepTask,
    NppTask,
    RhTask,
    _coverage_report,
    _landcover_codes,
)

__all__ = ["run_npp", "run_rh", "run_nep", "run_annual"]


def _partial_years(months: list[str]) -> list[str]:
    out = []
    for year, idx in group_years(months).items():
        have = {months[i][5:] for i in idx}
        if len(have) != 12:
            out.append(f"{year} ({len(have)} months)")
    return out


class _Inputs:
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

    def __enter__(self) -> _Inputs:
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()


def _reference_months(ref: RasterInput) -> list[str]:
    if ref.months is None:
        raise CasaInputError(
            ref.parameter,
            f"'{os.path.basename(ref.path)}' has no band descriptions; a monthly stack needs one band "
            "per month described YYYY-MM (e.g. 2021-01).",
        )
    return ref.months


def _match_stack(stack: RasterInput, months: list[str], ref: RasterInput, cb: Callbacks) -> None:
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


def _quick_look(inp: RasterInput, bands: int = 12) -> NDArray:
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


def _check_codes(lc: RasterInput, lookup: ClassLookup, cb: Callbacks, table: str | None) -> None:
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


def _lookup(class_table: str | None, vegetation_table: str | None) -> ClassLookup:
    veg = load_vegetation_table(vegetation_table) if vegetation_table else load_vegetation_table()
    return load_code_table(class_table, veg) if class_table else load_code_table(None, veg)


def _block_of(*inputs: RasterInput | None) -> tuple[int, int] | None:
    """Return the block layout windows follow: that of the deepest input read on its own grid."""
    own = [i for i in inputs if i is not None and i.aligned]
    if not own:
        return None
    lay = max(own, key=lambda i: i.count).layout
    return (lay.block_rows, lay.block_cols)


NPP_EQUATION = "NPP = SOL * FPAR * 0.5 * Te1 * Te2 * We * eps_max (Potter et al. 1993; Zhu et al. 2006, 2007)"
RH_EQUATION = "RH = 0.22 * (exp(0.0913*T) + ln(0.3145*R + 1)) * 30 * 0.465 (Pei et al. 2010)"
NEP_EQUATION = "NEP = NPP - RH"


def _open_topt(inp: _Inputs, optimal_temperature: str | float | None) -> tuple[RasterInput | None, float | None]:
    """OPTIMAL_TEMPERATURE as (raster, None), (None, constant degC) or (None, None)."""
    if isinstance(optimal_temperature, (int, float)):
        return None, float(optimal_temperature)
    if optimal_temperature:
        return inp.open("topt", optimal_temperature, "OPTIMAL_TEMPERATURE", monthly=False), None
    return None, None


def _check_years(
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
    partial = _partial_years(months)
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


def _attach_npp(
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


def _npp_specs(months: list[str], params: ModelParams, inputs: dict[str, str], **paths: str | None) -> list[OutputSpec]:
    """Return the output specs of run_npp: one row per output (units, quantity, equation, parameters recorded)."""
    pd = params.as_dict()
    table = [  # key, parameter, units, quantity, equation, parameters recorded
        ("npp", "OUTPUT", "gC m-2 month-1", "NPP", NPP_EQUATION, pd),
        ("fpar", "FPAR_OUTPUT", "1", "FPAR", "FPAR = alpha*FPAR_ndvi + (1-alpha)*FPAR_sr", pd),
        ("lue", "LUE_OUTPUT", "gC MJ-1", "LUE", "eps = Te1*Te2*We*eps_max", pd),
        ("rh", "RH_OUTPUT", "gC m-2 month-1", "RH", RH_EQUATION, {"respiration": pd["respiration"]}),
        ("nep", "NEP_OUTPUT", "gC m-2 month-1", "NEP", NEP_EQUATION, pd),
    ]
    path_of = {
        "npp": paths.get("output"),
        "fpar": paths.get("fpar"),
        "lue": paths.get("lue"),
        "rh": paths.get("rh"),
        "nep": paths.get("nep"),
    }
    return [
        OutputSpec(
            key, path_of[key] or "", months, units, provenance_tags(kind, units, eq, rec, inputs), parameter=param
        )
        for key, param, units, kind, eq, rec in table
        if path_of[key]
    ]


def run_npp(
    ndvi: str,
    landcover: str,
    solar_radiation: str,
    temperature: str,
    precipitation: str,
    output: str,
    evapotranspiration: str | None = None,
    potential_et: str | None = None,
    optimal_temperature: str | float | None = None,
    ndvi_scale: float = 1.0,
    class_table: str | None = None,
    vegetation_table: str | None = None,
    params: ModelParams | None = None,
    fpar_output: str | None = None,
    lue_output: str | None = None,
    ndvi_bounds: str = "table",
    rh_output: str | None = None,
    nep_output: str | None = None,
    callbacks: Callbacks | None = None,
    threads: int | None = None,
    compress: str | None = None,
    cog: bool | None = None,
    gap_fill: str = "none",
    max_gap: int = gapfill.DEFAULT_MAX_GAP,
) -> dict[str, str]:
    """Monthly CASA NPP (gC m-2 month-1) on the NDVI grid; returns the written paths.

    Inputs are monthly stacks (one band per month, described ``YYYY-MM``):
    NDVI (unitless after ``ndvi_scale``), solar radiation (MJ m-2 month-1),
    temperature (degC), precipitation (mm month-1), optional actual and
    potential ET (mm month-1); ``landcover`` holds class codes mapped through
    ``class_table``; ``optimal_temperature`` a raster (one band, or one per
    calendar year) or a constant in degC.  Climate stacks on another grid are
    resampled bilinearly onto the NDVI grid.  ``ndvi_bounds``: ``table`` takes
    each class's NDVImin/NDVImax from the vegetation table; ``percentiles``
    computes them as the 5 % / 95 % percentiles of the input NDVI of each class
    (all months, one extra pass; classes with no NDVI keep the table values).
    ``rh_output`` and ``nep_output``: RH (as :func:`run_rh` with this land
    cover, but on the NDVI grid) and NEP = NPP - RH written in the same pass,
    which saves re-reading the climate and the NPP just written.  ``threads``,
    ``compress``, ``cog``: the engine's workers and output format (default: the
    engine settings).  ``gap_fill`` ``linear`` fills missing NDVI months by linear
    interpolation in time over gaps of at most ``max_gap`` months
    (:func:`.gapfill.fill_linear`), across year boundaries, before anything else.
    """
    params = params or ModelParams()
    cb = callbacks or Callbacks()
    gapfill.check_gap_fill(gap_fill, max_gap)
    if not (ndvi_scale > 0):
        raise CasaInputError("NDVI_SCALE", f"must be a positive number, not {ndvi_scale}.")
    outs = {
        "npp": (output, "OUTPUT"),
        "fpar": (fpar_output, "FPAR_OUTPUT"),
        "lue": (lue_output, "LUE_OUTPUT"),
        "rh": (rh_output, "RH_OUTPUT"),
        "nep": (nep_output, "NEP_OUTPUT"),
    }
    if ndvi_bounds not in ("table", "percentiles"):
        raise CasaInputError("NDVI_BOUNDS", f"must be 'table' or 'percentiles', not '{ndvi_bounds}'.")
    inputs_given = {
        "NDVI": ndvi,
        "LANDCOVER": landcover,
        "SOLAR_RADIATION": solar_radiation,
        "TEMPERATURE": temperature,
        "PRECIPITATION": precipitation,
        "EVAPOTRANSPIRATION": evapotranspiration,
        "POTENTIAL_ET": potential_et,
        "OPTIMAL_TEMPERATURE": optimal_temperature if isinstance(optimal_temperature, str) else None,
        "CLASS_TABLE": class_table,
        "VEGETATION_TABLE": vegetation_table,
    }
    # output paths first: nothing is read before a wrong output is refused
    check_output_paths(
        [OutputSpec(k, path, [], parameter=param) for k, (path, param) in outs.items() if path], inputs_given
    )
    lookup = _lookup(class_table, vegetation_table)
    with _Inputs() as inp:
        nd = inp.need("ndvi", ndvi, "NDVI", scale=ndvi_scale)
        months = _reference_months(nd)
        grid = nd.grid
        if grid.crs is None:
            cb.warning("NDVI: the raster has no CRS; outputs will have none either.")
        sol = inp.need("sol", solar_radiation, "SOLAR_RADIATION")
        t = inp.need("t", temperature, "TEMPERATURE")
        p = inp.need("p", precipitation, "PRECIPITATION")
        stacks: dict[str, RasterInput | None] = {
            "sol": sol,
            "t": t,
            "p": p,
            "e": inp.open("e", evapotranspiration, "EVAPOTRANSPIRATION"),
            "pet": inp.open("pet", potential_et, "POTENTIAL_ET"),
        }
        for s in stacks.values():
            if s is not None:
                _match_stack(s, months, nd, cb)
        lc = inp.need("lc", landcover, "LANDCOVER", categorical=True, monthly=False)
        if lc.count != 1:
            raise CasaInputError("LANDCOVER", f"must have one band of class codes, not {lc.count}.")
        topt_in, topt_const = _open_topt(inp, optimal_temperature)
        years = group_years(months)
        _check_years(months, years, topt_in, topt_const, stacks["pet"])
        # plausibility on a few blocks of each file before any work; every window is checked again
        plausibility.screen(_quick_look(t), "temperature", "TEMPERATURE")
        plausibility.screen(_quick_look(sol), "solar_radiation", "SOLAR_RADIATION")
        plausibility.screen(_quick_look(p), "precipitation", "PRECIPITATION")
        plausibility.screen(_quick_look(nd), "ndvi", "NDVI", scale=ndvi_scale, nodata_declared=nd.nodata is not None)
        _check_codes(lc, lookup, cb, class_table)
        _attach_npp(grid, nd, lc, topt_in, stacks, cb)
        if ndvi_bounds == "percentiles":
            lookup = _percentile_bounds(nd, lc, lookup, grid, list(years.values()), cb)

        specs = _npp_specs(
            months,
            params,
            {k: v.path for k, v in inp.items.items()},
            output=output,
            fpar=fpar_output,
            lue=lue_output,
            rh=rh_output,
            nep=nep_output,
        )
        task = NppTask(
            nd,
            lc,
            stacks,
            topt_in,
            topt_const,
            lookup,
            params,
            list(years.values()),
            tuple(s.key for s in specs),
            ndvi_scale,
            gap_fill=gap_fill,
            max_gap=int(max_gap),
        )
        n_inputs = 2 + sum(s is not None for s in stacks.values())
        depth = 12 * (n_inputs + len(specs) + 2) + (4 * (12 + 2 * int(max_gap)) if gap_fill == "linear" else 0)
        cb.info(f"NPP for {len(months)} months ({months[0]} .. {months[-1]}) on a {grid.width} x {grid.height} grid.")
        run_chunks(
            grid,
            task,
            specs,
            parts=len(years),
            progress=cb.progress,
            is_cancelled=cb.is_cancelled,
            depth=depth,
            block=_block_of(nd, *stacks.values()),
            threads=threads,
            compress=compress,
            cog=cog,
            finish=lambda stats: _coverage_report(stats, cb, gap_fill, int(max_gap)),
        )
    return {s.key: s.path for s in specs}


def _percentile_bounds(
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

    scan_blocks(grid, visit, is_cancelled=cb.is_cancelled, depth=12, block=_block_of(nd))
    bounds = {}
    for i, key in enumerate(keys):
        lo, hi = casa.histogram_percentile(hist[i], 5), casa.histogram_percentile(hist[i], 95)
        if np.isfinite(lo) and hi > lo:
            bounds[key] = (lo, hi)
            cb.info(f"NDVI bounds of class '{key}' from the input: {lo:.4f} .. {hi:.4f} (5 % / 95 %).")
        else:
            cb.warning(f"NDVI_BOUNDS: class '{key}' has too little NDVI for percentiles; table values kept.")
    return lookup.with_ndvi_bounds(bounds)


def run_rh(
    temperature: str,
    precipitation: str,
    output: str,
    landcover: str | None = None,
    class_table: str | None = None,
    vegetation_table: str | None = None,
    params: ModelParams | None = None,
    callbacks: Callbacks | None = None,
    threads: int | None = None,
    compress: str | None = None,
    cog: bool | None = None,
) -> dict[str, str]:
    """Monthly soil heterotrophic respiration RH (gC m-2 month-1).

    On the land-cover grid when ``landcover`` is given (and masked to classes
    with NPP: no RH over water or ice), otherwise on the temperature grid.
    """
    params = params or ModelParams()
    cb = callbacks or Callbacks()
    check_output_paths(
        [OutputSpec("rh", output, [])],
        {
            "TEMPERATURE": temperature,
            "PRECIPITATION": precipitation,
            "LANDCOVER": landcover,
            "CLASS_TABLE": class_table,
            "VEGETATION_TABLE": vegetation_table,
        },
    )
    lookup = _lookup(class_table, vegetation_table)
    with _Inputs() as inp:
        t = inp.need("t", temperature, "TEMPERATURE")
        months = _reference_months(t)
        p = inp.need("p", precipitation, "PRECIPITATION")
        _match_stack(p, months, t, cb)
        plausibility.screen(_quick_look(t), "temperature", "TEMPERATURE")
        lc = inp.open("lc", landcover, "LANDCOVER", categorical=True, monthly=False) if landcover else None
        if lc is not None:
            if lc.count != 1:
                raise CasaInputError("LANDCOVER", f"must have one band of class codes, not {lc.count}.")
            _check_codes(lc, lookup, cb, class_table)
            grid = lc.grid
        else:
            grid = t.grid
        for s in (t, p):
            s.attach(grid)
            if not s.aligned:
                cb.info(f"{s.parameter}: resampled bilinearly onto the land-cover grid, window by window.")
        if lc is not None:
            lc.attach(grid)
        years = list(group_years(months).values())
        inputs = {k: v.path for k, v in inp.items.items()}
        spec = OutputSpec(
            "rh",
            output,
            months,
            "gC m-2 month-1",
            provenance_tags(
                "RH", "gC m-2 month-1", RH_EQUATION, {"respiration": params.as_dict()["respiration"]}, inputs
            ),
        )
        run_chunks(
            grid,
            RhTask(t, p, lc, lookup, params, years),
            [spec],
            parts=len(years),
            progress=cb.progress,
            is_cancelled=cb.is_cancelled,
            depth=12 * 4,
            block=_block_of(t, p, lc),
            threads=threads,
            compress=compress,
            cog=cog,
        )
    return {"rh": output}


def _open_pair(inp: _Inputs, npp: str, rh: str, cb: Callbacks):
    """NPP and RH monthly stacks with the same months, RH read onto the NPP grid.

    Returns (npp input, rh input, months, grid, band indices per year, partial years).
    """
    n = inp.need("npp", npp, "NPP")
    months = _reference_months(n)
    r = inp.need("rh", rh, "RH")
    _match_stack(r, months, n, cb)
    grid = n.grid
    n.attach(grid)
    r.attach(grid)
    if not r.aligned:
        cb.info("RH: not on the NPP grid; resampled bilinearly onto it, window by window.")
    return n, r, months, grid, group_years(months), _partial_years(months)


def run_nep(
    npp: str,
    rh: str,
    output: str,
    ratio_output: str | None = None,
    callbacks: Callbacks | None = None,
    threads: int | None = None,
    compress: str | None = None,
    cog: bool | None = None,
) -> dict[str, str]:
    """Compute monthly NEP = NPP - RH (gC m-2 month-1) on the NPP grid.

    Optionally also the annual RH/NPP ratio of totals (percent, one band per calendar
    year, nodata where annual NPP <= 0).  RH on another grid is resampled bilinearly.
    """
    cb = callbacks or Callbacks()
    specs_paths = [OutputSpec("nep", output, [])]
    if ratio_output:
        specs_paths.append(OutputSpec("ratio", ratio_output, [], parameter="RATIO_OUTPUT"))
    check_output_paths(specs_paths, {"NPP": npp, "RH": rh})
    with _Inputs() as inp:
        n, r, months, grid, years, partial = _open_pair(inp, npp, rh, cb)
        if ratio_output and partial:
            cb.warning(f"RH/NPP ratio from part of a year for {', '.join(partial)}.")
        inputs = {"npp": npp, "rh": rh}
        specs = [
            OutputSpec(
                "nep",
                output,
                months,
                "gC m-2 month-1",
                provenance_tags("NEP", "gC m-2 month-1", NEP_EQUATION, {}, inputs),
            )
        ]
        if ratio_output:
            specs.append(
                OutputSpec(
                    "ratio",
                    ratio_output,
                    list(years),
                    "percent",
                    provenance_tags(
                        "RH/NPP",
                        "percent",
                        "ratio = 100 * sum_year(RH) / sum_year(NPP); nodata where NPP <= 0",
                        {},
                        inputs,
                    ),
                    parameter="RATIO_OUTPUT",
                    require_valid=False,
                )
            )
        groups = list(years.values())
        run_chunks(
            grid,
            NepTask(n, r, groups, bool(ratio_output)),
            specs,
            parts=len(groups),
            progress=cb.progress,
            is_cancelled=cb.is_cancelled,
            depth=12 * 4,
            block=_block_of(n, r),
            threads=threads,
            compress=compress,
            cog=cog,
        )
    return {s.key: s.path for s in specs}


def run_annual(
    npp: str,
    rh: str,
    npp_output: str | None = None,
    rh_output: str | None = None,
    nep_output: str | None = None,
    ratio_output: str | None = None,
    class_output: str | None = None,
    threshold: float = balance.DEFAULT_WARNING_THRESHOLD,
    callbacks: Callbacks | None = None,
    threads: int | None = None,
    compress: str | None = None,
    cog: bool | None = None,
) -> dict[str, str]:
    """Compute annual NPP, RH, NEP (gC m-2 a-1), RH/NPP (percent) and the sink/warning/source map (1/2/3).

    They come from monthly NPP and RH stacks, one band per calendar year
    (described YYYY).  A year with missing months is summed over the months
    present, with a warning; a cell missing any month of a year is nodata.
    """
    cb = callbacks or Callbacks()
    asked = {"npp": npp_output, "rh": rh_output, "nep": nep_output, "ratio": ratio_output, "class": class_output}
    params = {
        "npp": "NPP_OUTPUT",
        "rh": "RH_OUTPUT",
        "nep": "NEP_OUTPUT",
        "ratio": "RATIO_OUTPUT",
        "class": "CLASS_OUTPUT",
    }
    wanted: dict[str, str] = {k: v for k, v in asked.items() if v}
    if not wanted:
        raise CasaInputError("OUTPUT", "no output was asked for.")
    check_output_paths([OutputSpec(k, v, [], parameter=params[k]) for k, v in wanted.items()], {"NPP": npp, "RH": rh})
    if not (0 < threshold <= 100):
        raise CasaInputError("THRESHOLD", f"must be a percentage in (0, 100], not {threshold}.")
    with _Inputs() as inp:
        n, r, months, grid, years, partial = _open_pair(inp, npp, rh, cb)
        if partial:
            cb.warning(f"annual sums over part of a year for {', '.join(partial)}.")
        groups = list(years.values())
        inputs = {"npp": npp, "rh": rh}
        meta = {
            "npp": ("annual NPP", "gC m-2 a-1", "sum of the monthly NPP of each calendar year"),
            "rh": ("annual RH", "gC m-2 a-1", "sum of the monthly RH of each calendar year"),
            "nep": ("annual NEP", "gC m-2 a-1", "annual NPP - annual RH"),
            "ratio": ("RH/NPP", "percent", "100 * annual RH / annual NPP; nodata where NPP <= 0"),
            "class": (
                "sink/source",
                "class",
                f"1 sink (RH/NPP < {threshold:g} %), 2 warning ({threshold:g} % to "
                "100 %), 3 source (RH/NPP > 100 %, NEP < 0)",
            ),
        }
        specs = []
        for key, path in wanted.items():
            kind, units, eq = meta[key]
            spec = OutputSpec(
                key,
                path,
                list(years),
                units,
                provenance_tags(kind, units, eq, {"threshold_percent": threshold}, inputs),
                parameter=params[key],
                require_valid=key in ("npp", "rh", "nep"),
            )
            if key == "class":
                spec.dtype, spec.nodata = "uint8", 0
            specs.append(spec)
        run_chunks(
            grid,
            AnnualTask(n, r, groups, threshold),
            specs,
            parts=len(groups),
            progress=cb.progress,
            is_cancelled=cb.is_cancelled,
            depth=12 * 3,
            block=_block_of(n, r),
            threads=threads,
            compress=compress,
            cog=cog,
        )
    return {s.key: s.path for s in specs}

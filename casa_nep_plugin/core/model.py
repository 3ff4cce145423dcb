"""Runs of the model over rasters: NPP (CASA), RH (Pei) and NEP.

This module checks inputs, builds the per-window computation from the pure
science functions and hands it to the block engine.  It reads and writes
nothing itself beyond what the engine asks for.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from . import balance, casa, climate, respiration
from .engine import OutputSpec, gdal_cache, metadata_json, run_blocks, scan_blocks
from .errors import CasaInputError
from .grid import ModelGrid
from .params import ModelParams
from .raster import RasterInput
from .tables import ClassLookup, load_code_table, load_vegetation_table

__all__ = ["Callbacks", "run_npp", "run_rh", "run_nep", "group_years"]

#: Above this a "degC" temperature is taken for Kelvin.
KELVIN_SUSPECT = 100.0


@dataclass
class Callbacks:
    """How the core talks back: progress (0-100), cancel check, messages, and
    for multi-step runs the step starting (index from 0, name)."""

    progress: Callable[[float], None] | None = None
    is_cancelled: Callable[[], bool] | None = None
    info: Callable[[str], None] = field(default=lambda msg: None)
    warning: Callable[[str], None] = field(default=lambda msg: None)
    step: Callable[[int, str], None] = field(default=lambda index, name: None)


def group_years(months: list[str]) -> OrderedDict[str, list[int]]:
    """Band indices (0-based) of each calendar year, in the stack's order."""
    years: OrderedDict[str, list[int]] = OrderedDict()
    for i, m in enumerate(months):
        years.setdefault(m[:4], []).append(i)
    return years


def _partial_years(months: list[str]) -> list[str]:
    out = []
    for year, idx in group_years(months).items():
        have = {months[i][5:] for i in idx}
        if len(have) != 12:
            out.append(f"{year} ({len(have)} months)")
    return out


class _Inputs:
    """Opened inputs, closed together; GDAL's block cache is bounded while they are open
    (the plausibility checks read through it too)."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(gdal_cache())
        self.items: dict[str, RasterInput] = {}

    def open(self, key: str, path: str | None, parameter: str, **kw) -> RasterInput | None:
        if not path:
            return None
        inp = RasterInput.open(path, parameter, **kw)
        self._stack.callback(inp.close)
        self.items[key] = inp
        return inp

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
    """Same band count and months as the reference stack."""
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


def _check_temperature_sample(t: RasterInput) -> None:
    sample = t.sample()
    if np.isfinite(sample).any() and np.nanmedian(sample) > KELVIN_SUSPECT:
        _raise_kelvin(t.parameter, float(np.nanmedian(sample)))


def _raise_kelvin(parameter: str, value: float) -> None:
    raise CasaInputError(
        parameter,
        f"values look like Kelvin (typical value {value:.1f}); the model needs degC. "
        "Subtract 273.15, or prepare ERA5 files with casanep:era5land.",
    )


def _raise_ndvi(parameter: str, lo: float, hi: float, scale: float) -> None:
    raise CasaInputError(
        parameter,
        f"NDVI after scaling by NDVI_SCALE={scale:g} spans {lo:g} .. {hi:g}, outside [-1, 1]. "
        "MODIS NDVI stored as integers needs NDVI_SCALE=0.0001.",
    )


def _check_ndvi(values: NDArray, parameter: str, scale: float) -> None:
    if values.size and np.isfinite(values).any():
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        if lo < -1.0 - 1e-6 or hi > 1.0 + 1e-6:
            _raise_ndvi(parameter, lo, hi, scale)


def _check_codes(lc: RasterInput, lookup: ClassLookup, cb: Callbacks, table: str | None) -> None:
    """Every land-cover code present must be in the class table (one pass over the file)."""
    seen: set[int] = set()
    grid = lc.grid
    ds = lc.dataset

    def visit(window: Window) -> None:
        block = ds.read(1, window=window, masked=True)
        vals = np.unique(block.compressed())
        seen.update(int(v) for v in vals)

    scan_blocks(grid, visit, is_cancelled=cb.is_cancelled)
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


def _common_tags(kind: str, units: str, equation: str, params: dict, inputs: dict[str, str | None]) -> dict[str, str]:
    from .. import __version__

    return {
        "casanep_quantity": kind,
        "units": units,
        "casanep_equation": equation,
        "casanep_parameters": metadata_json(params),
        "casanep_inputs": metadata_json({k: v for k, v in inputs.items() if v}),
        "casanep_version": __version__,
    }


def _landcover_codes(block: NDArray) -> NDArray:
    """Float codes (NaN nodata) to int64 codes with -1 for nodata."""
    return np.where(np.isfinite(block), block, -1).astype(np.int64)


NPP_EQUATION = (
    "NPP = SOL * FPAR * 0.5 * Te1 * Te2 * We * eps_max (Potter et al. 1993; Zhu et al. 2006, 2007)"
)
RH_EQUATION = "RH = 0.22 * (exp(0.0913*T) + ln(0.3145*R + 1)) * 30 * 0.465 (Pei et al. 2010)"
NEP_EQUATION = "NEP = NPP - RH"


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
    which saves re-reading the climate and the NPP just written.
    """
    params = params or ModelParams()
    cb = callbacks or Callbacks()
    cp = params.casa
    if not (ndvi_scale > 0):
        raise CasaInputError("NDVI_SCALE", f"must be a positive number, not {ndvi_scale}.")
    outs = {"npp": (output, "OUTPUT"), "fpar": (fpar_output, "FPAR_OUTPUT"), "lue": (lue_output, "LUE_OUTPUT"),
            "rh": (rh_output, "RH_OUTPUT"), "nep": (nep_output, "NEP_OUTPUT")}
    from .engine import check_writable

    for path, param in outs.values():
        if path is not None:
            check_writable(path, param)
    lookup = _lookup(class_table, vegetation_table)
    with _Inputs() as inp:
        nd = inp.open("ndvi", ndvi, "NDVI", scale=ndvi_scale)
        months = _reference_months(nd)
        grid = nd.grid
        if grid.crs is None:
            cb.warning("NDVI: the raster has no CRS; outputs will have none either.")
        stacks = {
            "sol": inp.open("sol", solar_radiation, "SOLAR_RADIATION"),
            "t": inp.open("t", temperature, "TEMPERATURE"),
            "p": inp.open("p", precipitation, "PRECIPITATION"),
            "e": inp.open("e", evapotranspiration, "EVAPOTRANSPIRATION"),
            "pet": inp.open("pet", potential_et, "POTENTIAL_ET"),
        }
        for s in stacks.values():
            if s is not None:
                _match_stack(s, months, nd, cb)
        lc = inp.open("lc", landcover, "LANDCOVER", categorical=True, monthly=False)
        if lc.count != 1:
            raise CasaInputError("LANDCOVER", f"must have one band of class codes, not {lc.count}.")
        topt_in: RasterInput | None = None
        topt_const: float | None = None
        if isinstance(optimal_temperature, (int, float)):
            topt_const = float(optimal_temperature)
        elif optimal_temperature:
            topt_in = inp.open("topt", optimal_temperature, "OPTIMAL_TEMPERATURE", monthly=False)
        years = group_years(months)
        if topt_in is not None and topt_in.count not in (1, len(years)):
            raise CasaInputError(
                "OPTIMAL_TEMPERATURE",
                f"has {topt_in.count} bands; give one band, or one per calendar year ({len(years)}).",
            )
        partial = _partial_years(months)
        need_topt = topt_in is None and topt_const is None
        if partial and (need_topt or stacks["pet"] is None):
            wanted = (("OPTIMAL_TEMPERATURE", need_topt), ("POTENTIAL_ET", stacks["pet"] is None))
            missing = [name for name, need in wanted if need]
            raise CasaInputError(
                "NDVI",
                f"covers part of a calendar year: {', '.join(partial)}. Topt (NDVI-peak month) and "
                "Thornthwaite Ep0 need all 12 months of each year; give whole years or provide "
                f"{' and '.join(missing)}.",
            )
        # plausibility checks on a decimated read, before any work
        _check_temperature_sample(stacks["t"])
        _check_ndvi(nd.sample(), "NDVI", ndvi_scale)
        _check_codes(lc, lookup, cb, class_table)
        for s in stacks.values():
            if s is not None:
                s.attach(grid)
                if not s.grid.aligned_with(grid):
                    cb.info(f"{s.parameter}: resampled bilinearly onto the NDVI grid.")
        nd.attach(grid)
        lc.attach(grid)
        if not lc.grid.aligned_with(grid):
            cb.warning(
                "LANDCOVER: not on the NDVI grid; read by nearest neighbour. For a majority "
                "resampling prepare it with casanep:landcoverclasses."
            )
        if topt_in is not None:
            topt_in.attach(grid)
        if ndvi_bounds == "percentiles":
            lookup = _percentile_bounds(nd, lc, lookup, grid, len(months), cb)
        elif ndvi_bounds != "table":
            raise CasaInputError("NDVI_BOUNDS", f"must be 'table' or 'percentiles', not '{ndvi_bounds}'.")

        def compute(window: Window) -> dict[str, NDArray]:
            n = nd.read(window)
            _check_ndvi(n, "NDVI", ndvi_scale)
            t = stacks["t"].read(window)
            if np.isfinite(t).any() and np.nanmax(t) > KELVIN_SUSPECT:
                _raise_kelvin("TEMPERATURE", float(np.nanmax(t)))
            sol = stacks["sol"].read(window)
            p = stacks["p"].read(window)
            e = stacks["e"].read(window) if stacks["e"] is not None else None
            pet = stacks["pet"].read(window) if stacks["pet"] is not None else None
            codes = _landcover_codes(lc.read(window)[0])
            nmin, nmax, eps_max = lookup.parameters(codes, cp.epsilon_max_override)
            fp = casa.fpar(n, nmin, nmax, cp)
            ep0 = np.empty_like(n) if pet is None else pet
            temp_stress = np.empty_like(n)  # Te1 * Te2
            if topt_in is not None:
                given = topt_in.read(window)
            for yi, idx in enumerate(years.values()):
                if topt_in is not None:
                    topt = given[yi if given.shape[0] > 1 else 0]
                elif topt_const is not None:
                    topt = np.float32(topt_const)
                else:
                    topt = casa.optimal_temperature(n[idx], t[idx])
                # Topt is one value per pixel and year: the stresses broadcast it over the year's months
                temp_stress[idx] = casa.te1(topt, t[idx], cp) * casa.te2(topt, t[idx], cp)
                if pet is None:
                    ep0[idx] = climate.thornthwaite_ep0(t[idx], params.thornthwaite)
            if e is None:
                e = climate.zhou_zhang_et(p, ep0, params.zhou_zhang)
            we = casa.water_stress(e, ep0, cp)
            lue = casa.light_use_efficiency(temp_stress, 1.0, we, eps_max)
            npp = casa.npp(casa.apar(sol, fp, cp), lue)
            valid = np.isfinite(eps_max)
            out = {"npp": npp, "fpar": np.where(valid, fp, np.nan), "lue": lue}
            if rh_output or nep_output:
                rh = respiration.heterotrophic_respiration(t, p, params.respiration)
                rh = np.where(lookup.land_mask(codes)[np.newaxis], rh, np.nan)
                out["rh"] = rh
                out["nep"] = balance.nep(npp, rh)
            return out

        inputs = {k: v.path for k, v in inp.items.items()}
        specs = [
            OutputSpec(
                "npp", output, months, "gC m-2 month-1",
                _common_tags("NPP", "gC m-2 month-1", NPP_EQUATION, params.as_dict(), inputs),
            )
        ]
        if fpar_output:
            specs.append(OutputSpec("fpar", fpar_output, months, "1",
                                    _common_tags("FPAR", "1", "FPAR = alpha*FPAR_ndvi + (1-alpha)*FPAR_sr",
                                                 params.as_dict(), inputs), parameter="FPAR_OUTPUT"))
        if lue_output:
            specs.append(OutputSpec("lue", lue_output, months, "gC MJ-1",
                                    _common_tags("LUE", "gC MJ-1", "eps = Te1*Te2*We*eps_max",
                                                 params.as_dict(), inputs), parameter="LUE_OUTPUT"))
        if rh_output:
            specs.append(OutputSpec("rh", rh_output, months, "gC m-2 month-1",
                                    _common_tags("RH", "gC m-2 month-1", RH_EQUATION,
                                                 {"respiration": params.as_dict()["respiration"]}, inputs),
                                    parameter="RH_OUTPUT"))
        if nep_output:
            specs.append(OutputSpec("nep", nep_output, months, "gC m-2 month-1",
                                    _common_tags("NEP", "gC m-2 month-1", NEP_EQUATION, params.as_dict(), inputs),
                                    parameter="NEP_OUTPUT"))
        depth = len(months) * (6 + len(specs))
        cb.info(f"NPP for {len(months)} months ({months[0]} .. {months[-1]}) on a "
                f"{grid.width} x {grid.height} grid.")
        run_blocks(grid, compute, specs, cb.progress, cb.is_cancelled, depth=depth)
    return {s.key: s.path for s in specs}


def _percentile_bounds(nd: RasterInput, lc: RasterInput, lookup: ClassLookup, grid: ModelGrid, depth: int,
                       cb: Callbacks) -> ClassLookup:
    """Class NDVI bounds as the 5 % / 95 % percentiles of the input NDVI (METHOD.md section 1)."""
    keys = sorted({k for k, has in zip(lookup.class_keys, lookup.has_npp) if has})
    row_of_code = np.array([keys.index(k) if k in keys else -1 for k in lookup.class_keys])
    hist = np.zeros((len(keys), casa.NDVI_BINS), np.int64)

    def visit(window: Window) -> None:
        n = nd.read(window)
        pos, known = lookup.index(_landcover_codes(lc.read(window)[0]))
        cls = np.where(known, row_of_code[pos], -1)
        hist[:] += casa.ndvi_histogram(n, cls[np.newaxis], len(keys))

    scan_blocks(grid, visit, is_cancelled=cb.is_cancelled, depth=depth)
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
) -> dict[str, str]:
    """Monthly soil heterotrophic respiration RH (gC m-2 month-1).

    On the land-cover grid when ``landcover`` is given (and masked to classes
    with NPP: no RH over water or ice), otherwise on the temperature grid.
    """
    params = params or ModelParams()
    cb = callbacks or Callbacks()
    from .engine import check_writable

    check_writable(output, "OUTPUT")
    lookup = _lookup(class_table, vegetation_table) if landcover else None
    with _Inputs() as inp:
        t = inp.open("t", temperature, "TEMPERATURE")
        months = _reference_months(t)
        p = inp.open("p", precipitation, "PRECIPITATION")
        _match_stack(p, months, t, cb)
        _check_temperature_sample(t)
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
        if lc is not None:
            lc.attach(grid)

        def compute(window: Window) -> dict[str, NDArray]:
            tt = t.read(window)
            if np.isfinite(tt).any() and np.nanmax(tt) > KELVIN_SUSPECT:
                _raise_kelvin("TEMPERATURE", float(np.nanmax(tt)))
            rh = respiration.heterotrophic_respiration(tt, p.read(window), params.respiration)
            if lc is not None:
                land = lookup.land_mask(_landcover_codes(lc.read(window)[0]))
                rh = np.where(land[np.newaxis], rh, np.nan)
            return {"rh": rh}

        inputs = {k: v.path for k, v in inp.items.items()}
        spec = OutputSpec("rh", output, months, "gC m-2 month-1",
                          _common_tags("RH", "gC m-2 month-1", RH_EQUATION,
                                       {"respiration": params.as_dict()["respiration"]}, inputs))
        run_blocks(grid, compute, [spec], cb.progress, cb.is_cancelled, depth=len(months) * 4)
    return {"rh": output}


def _open_pair(inp: _Inputs, npp: str, rh: str, cb: Callbacks):
    """NPP and RH monthly stacks with the same months, RH read onto the NPP grid.

    Returns (npp input, rh input, months, grid, band indices per year, partial years)."""
    n = inp.open("npp", npp, "NPP")
    months = _reference_months(n)
    r = inp.open("rh", rh, "RH")
    _match_stack(r, months, n, cb)
    grid = n.grid
    n.attach(grid)
    r.attach(grid)
    return n, r, months, grid, group_years(months), _partial_years(months)


def run_nep(
    npp: str,
    rh: str,
    output: str,
    ratio_output: str | None = None,
    callbacks: Callbacks | None = None,
) -> dict[str, str]:
    """Monthly NEP = NPP - RH (gC m-2 month-1) on the NPP grid, and optionally
    the annual RH/NPP ratio of totals (percent, one band per calendar year,
    nodata where annual NPP <= 0).  RH on another grid is resampled bilinearly."""
    cb = callbacks or Callbacks()
    from .engine import check_writable

    check_writable(output, "OUTPUT")
    if ratio_output:
        check_writable(ratio_output, "RATIO_OUTPUT")
    with _Inputs() as inp:
        n, r, months, grid, years, partial = _open_pair(inp, npp, rh, cb)
        if ratio_output and partial:
            cb.warning(f"RH/NPP ratio from part of a year for {', '.join(partial)}.")

        def compute(window: Window) -> dict[str, NDArray]:
            a = n.read(window)
            b = r.read(window)
            out = {"nep": balance.nep(a, b)}
            if ratio_output:
                ratios = []
                for idx in years.values():
                    ratios.append(balance.respiration_ratio(a[idx].sum(axis=0), b[idx].sum(axis=0)))
                out["ratio"] = np.stack(ratios)
            return out

        inputs = {"npp": npp, "rh": rh}
        specs = [OutputSpec("nep", output, months, "gC m-2 month-1",
                            _common_tags("NEP", "gC m-2 month-1", NEP_EQUATION, {}, inputs))]
        if ratio_output:
            specs.append(OutputSpec("ratio", ratio_output, list(years), "percent",
                                    _common_tags("RH/NPP", "percent",
                                                 "ratio = 100 * sum_year(RH) / sum_year(NPP); nodata where NPP <= 0",
                                                 {}, inputs), parameter="RATIO_OUTPUT"))
        run_blocks(grid, compute, specs, cb.progress, cb.is_cancelled, depth=len(months) * 4)
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
) -> dict[str, str]:
    """Annual NPP, RH, NEP (gC m-2 a-1), RH/NPP (percent) and the sink/warning/source
    map (1/2/3) from monthly NPP and RH stacks, one band per calendar year
    (described YYYY).  A year with missing months is summed over the months
    present, with a warning; a cell missing any month of a year is nodata.
    """
    cb = callbacks or Callbacks()
    wanted = {"npp": npp_output, "rh": rh_output, "nep": nep_output, "ratio": ratio_output, "class": class_output}
    params = {"npp": "NPP_OUTPUT", "rh": "RH_OUTPUT", "nep": "NEP_OUTPUT", "ratio": "RATIO_OUTPUT",
              "class": "CLASS_OUTPUT"}
    from .engine import check_writable

    wanted = {k: v for k, v in wanted.items() if v}
    if not wanted:
        raise CasaInputError("OUTPUT", "no output was asked for.")
    for k, v in wanted.items():
        check_writable(v, params[k])
    if not (0 < threshold <= 100):
        raise CasaInputError("THRESHOLD", f"must be a percentage in (0, 100], not {threshold}.")
    with _Inputs() as inp:
        n, r, months, grid, years, partial = _open_pair(inp, npp, rh, cb)
        if partial:
            cb.warning(f"annual sums over part of a year for {', '.join(partial)}.")
        groups = list(years.values())

        def compute(window: Window) -> dict[str, NDArray]:
            a = balance.annual_sum(n.read(window), groups)
            b = balance.annual_sum(r.read(window), groups)
            return {"npp": a, "rh": b, "nep": balance.nep(a, b), "ratio": balance.respiration_ratio(a, b),
                    "class": balance.sink_source_class(a, b, threshold)}

        inputs = {"npp": npp, "rh": rh}
        meta = {
            "npp": ("annual NPP", "gC m-2 a-1", "sum of the monthly NPP of each calendar year"),
            "rh": ("annual RH", "gC m-2 a-1", "sum of the monthly RH of each calendar year"),
            "nep": ("annual NEP", "gC m-2 a-1", "annual NPP - annual RH"),
            "ratio": ("RH/NPP", "percent", "100 * annual RH / annual NPP; nodata where NPP <= 0"),
            "class": ("sink/source", "class", f"1 sink (RH/NPP < {threshold:g} %), 2 warning ({threshold:g} % to "
                      "100 %), 3 source (RH/NPP > 100 %, NEP < 0)"),
        }
        specs = []
        for key, path in wanted.items():
            kind, units, eq = meta[key]
            spec = OutputSpec(key, path, list(years), units,
                              _common_tags(kind, units, eq, {"threshold_percent": threshold}, inputs),
                              parameter=params[key])
            if key == "class":
                spec.dtype, spec.nodata = "uint8", 0
            specs.append(spec)
        run_blocks(grid, compute, specs, cb.progress, cb.is_cancelled, depth=len(months) * 3)
    return {s.key: s.path for s in specs}

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

from . import balance, gapfill, kernels, plausibility
from .engine import Callbacks, run_chunks
from .errors import CasaInputError
from .inputs import (
    Inputs,
    NppInputs,
    block_of,
    check_codes,
    class_lookup,
    match_stack,
    open_npp_inputs,
    open_pair,
    percentile_bounds,
    quick_look,
    reference_months,
)
from .outputs import OutputSpec, check_output_paths, provenance_tags
from .params import ModelParams
from .raster import group_years
from .tables import ClassLookup
from .tasks import (
    AnnualTask,
    NepTask,
    NppTask,
    RhTask,
    _coverage_report,
)

__all__ = ["run_npp", "run_rh", "run_nep", "run_annual"]


NPP_EQUATION = "NPP = SOL * FPAR * 0.5 * Te1 * Te2 * We * eps_max (Potter et al. 1993; Zhu et al. 2006, 2007)"
RH_EQUATION = "RH = 0.22 * (exp(0.0913*T) + ln(0.3145*R + 1)) * 30 * 0.465 (Pei et al. 2010)"
NEP_EQUATION = "NEP = NPP - RH"


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
    _check_npp_options(ndvi_scale, ndvi_bounds, gap_fill, max_gap)
    outs = {
        "npp": (output, "OUTPUT"),
        "fpar": (fpar_output, "FPAR_OUTPUT"),
        "lue": (lue_output, "LUE_OUTPUT"),
        "rh": (rh_output, "RH_OUTPUT"),
        "nep": (nep_output, "NEP_OUTPUT"),
    }
    paths = {
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
    check_output_paths([OutputSpec(k, path, [], parameter=param) for k, (path, param) in outs.items() if path], paths)
    lookup = class_lookup(class_table, vegetation_table)
    kernels.prepare_in_background()  # numba loads while the inputs are opened and checked
    with Inputs() as inp:
        x = open_npp_inputs(inp, paths, optimal_temperature, ndvi_scale, lookup, cb)
        if ndvi_bounds == "percentiles":
            lookup = percentile_bounds(x.ndvi, x.landcover, lookup, x.grid, list(x.years.values()), cb)
        written = {k: v.path for k, v in inp.items.items()}
        kw = {k: path for k, (path, _) in outs.items()}
        specs = _npp_specs(x.months, params, written, output=output, **{k: kw[k] for k in ("fpar", "lue", "rh", "nep")})
        task = _npp_task(x, lookup, params, specs, ndvi_scale, gap_fill, int(max_gap))
        n_inputs = 2 + sum(s is not None for s in x.stacks.values())
        depth = 12 * (n_inputs + len(specs) + 2) + (4 * (12 + 2 * int(max_gap)) if gap_fill == "linear" else 0)
        cb.info(
            f"NPP for {len(x.months)} months ({x.months[0]} .. {x.months[-1]}) on a {x.grid.width} x "
            f"{x.grid.height} grid."
        )
        run_chunks(
            x.grid,
            task,
            specs,
            parts=len(x.years),
            progress=cb.progress,
            is_cancelled=cb.is_cancelled,
            depth=depth,
            block=block_of(x.ndvi, *x.stacks.values()),
            threads=threads,
            compress=compress,
            cog=cog,
            finish=lambda stats: _coverage_report(stats, cb, gap_fill, int(max_gap)),
        )
    return {s.key: s.path for s in specs}


def _npp_task(
    x: NppInputs,
    lookup: ClassLookup,
    params: ModelParams,
    specs: list[OutputSpec],
    ndvi_scale: float,
    gap_fill: str,
    max_gap: int,
) -> NppTask:
    """Return the NPP window task for the opened inputs and the outputs asked for."""
    return NppTask(
        x.ndvi,
        x.landcover,
        x.stacks,
        x.topt_raster,
        x.topt_const,
        lookup,
        params,
        list(x.years.values()),
        tuple(s.key for s in specs),
        ndvi_scale,
        gap_fill=gap_fill,
        max_gap=max_gap,
    )


def _check_npp_options(ndvi_scale: float, ndvi_bounds: str, gap_fill: str, max_gap: int) -> None:
    """Refuse NDVI_SCALE, NDVI_BOUNDS, GAP_FILL and MAX_GAP values the run cannot take."""
    gapfill.check_gap_fill(gap_fill, max_gap)
    if not (ndvi_scale > 0):
        raise CasaInputError("NDVI_SCALE", f"must be a positive number, not {ndvi_scale}.")
    if ndvi_bounds not in ("table", "percentiles"):
        raise CasaInputError("NDVI_BOUNDS", f"must be 'table' or 'percentiles', not '{ndvi_bounds}'.")


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
    lookup = class_lookup(class_table, vegetation_table)
    with Inputs() as inp:
        t = inp.need("t", temperature, "TEMPERATURE")
        months = reference_months(t)
        p = inp.need("p", precipitation, "PRECIPITATION")
        match_stack(p, months, t, cb)
        plausibility.screen(quick_look(t), "temperature", "TEMPERATURE")
        lc = inp.open("lc", landcover, "LANDCOVER", categorical=True, monthly=False) if landcover else None
        if lc is not None:
            if lc.count != 1:
                raise CasaInputError("LANDCOVER", f"must have one band of class codes, not {lc.count}.")
            check_codes(lc, lookup, cb, class_table)
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
            block=block_of(t, p, lc),
            threads=threads,
            compress=compress,
            cog=cog,
        )
    return {"rh": output}


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
    with Inputs() as inp:
        n, r, months, grid, years, partial = open_pair(inp, npp, rh, cb)
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
            block=block_of(n, r),
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
    with Inputs() as inp:
        n, r, months, grid, years, partial = open_pair(inp, npp, rh, cb)
        if partial:
            cb.warning(f"annual sums over part of a year for {', '.join(partial)}.")
        groups = list(years.values())
        specs = _annual_specs(wanted, params, list(years), threshold, {"npp": npp, "rh": rh})
        run_chunks(
            grid,
            AnnualTask(n, r, groups, threshold),
            specs,
            parts=len(groups),
            progress=cb.progress,
            is_cancelled=cb.is_cancelled,
            depth=12 * 3,
            block=block_of(n, r),
            threads=threads,
            compress=compress,
            cog=cog,
        )
    return {s.key: s.path for s in specs}


def _annual_specs(
    wanted: dict[str, str], params: dict[str, str], years: list[str], threshold: float, inputs: dict[str, str]
) -> list[OutputSpec]:
    """Return the output specs of run_annual: one band per year, units and provenance per quantity."""
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
    return specs

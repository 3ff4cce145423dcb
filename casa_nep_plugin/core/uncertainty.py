"""Parameter uncertainty of annual NPP, RH and NEP: a Monte Carlo ensemble over the model's parameters.

Every member is the whole model (CASA NPP, Pei RH, NEP = NPP - RH) run with its
own draw of the parameters named in a distribution table
(``resources/tables/parameter_uncertainty.csv``, replaceable): eps_max per
class, the class NDVI bounds, FPARmin/FPARmax, the Te2 constant, the
water-stress floor and the Pei coefficients (:mod:`.uncertainty_draws`).  All
member parameters are drawn up front from ``numpy.random.default_rng(seed)`` in
a fixed order, so a seed gives the same ensemble whatever the machine, the
thread count or the windows.

**Speed and memory.**  The run is the block engine's (:func:`.engine.run_chunks`)
over windows x calendar years, like :func:`.model.run_npp`: each task reads its
window's months of one year once and computes every member from that one read,
a chunk of members at a time (:mod:`.uncertainty_task`), so memory follows the
window, not the number of months or members, and the tasks run on the engine's
threads or, with a Dask scheduler configured (:mod:`.cluster`), on its workers.

**Annual values** follow the one definition of annual of the zone tables:
a cell's annual value is the sum of its months of the year and a cell counts
for a year only where every month has a value; zone totals are sums of those
annual values x cell area x weight, zone means the totals over the valid area.
Per cell the run gives the standard deviation, P(NEP > 0) and the mean of annual
NEP over the members; per zone it keeps every member's annual totals (small),
from which the mean, standard deviation and percentiles are taken
(:mod:`.uncertainty_result`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .engine import Callbacks, RunStats, run_chunks
from .errors import CasaInputError
from .gapfill import check_gap_fill
from .grid import ModelGrid
from .inputs import Inputs, NppInputs, block_of, open_npp_inputs
from .outputs import OutputSpec, check_writable, metadata_json
from .params import ModelParams
from .tables import ClassLookup, load_code_table, load_vegetation_table
from .uncertainty_draws import (
    DEFAULT_UNCERTAINTY_TABLE,
    Distribution,
    MemberParams,
    draw_members,
    load_distributions,
)
from .uncertainty_result import UncertaintyResult, chart_intervals, write_uncertainty_report
from .uncertainty_task import EnsembleTask, member_tables

__all__ = [
    "DEFAULT_UNCERTAINTY_TABLE",
    "Distribution",
    "load_distributions",
    "draw_members",
    "MemberParams",
    "run_uncertainty",
    "UncertaintyResult",
    "chart_intervals",
    "write_uncertainty_report",
]

#: The maps: key, units, quantity recorded, parameter.
MAPS = (
    ("sd", "gC m-2 a-1", "standard deviation of annual NEP over the members", "SD_OUTPUT"),
    ("prob", "1", "P(annual NEP > 0): share of members with a net sink", "PROBABILITY_OUTPUT"),
    ("mean", "gC m-2 a-1", "ensemble mean of annual NEP", "MEAN_OUTPUT"),
)


def _check_arguments(
    ndvi_scale: float, confidence: float, gap_fill: str, max_gap: int, outputs: dict[str, str | None]
) -> None:
    """Refuse wrong numbers and unwritable outputs before anything is read."""
    if not (ndvi_scale > 0):
        raise CasaInputError("NDVI_SCALE", f"must be a positive number, not {ndvi_scale}.")
    if not (0 < confidence < 100):
        raise CasaInputError("CONFIDENCE", f"must be a percentage in (0, 100), not {confidence}.")
    check_gap_fill(gap_fill, max_gap)
    for name, path in outputs.items():
        if path:
            check_writable(path, name)
    table = outputs.get("TABLE")
    if table:
        from .tablefile import table_format

        table_format(table, "TABLE")


def _classes(class_table: str | None, vegetation_table: str | None, params: ModelParams):
    """Return (lookup, vegetation keys with NPP, lookup position -> key row, the keys' run values)."""
    cp0 = params.casa
    veg = load_vegetation_table(vegetation_table)
    lookup = load_code_table(class_table, veg)
    keys = [k for k, c in veg.items() if c.has_npp]
    key_index = {k: i for i, k in enumerate(keys)}
    pos_class = np.array([key_index.get(k, -1) for k in lookup.class_keys], np.int64)
    base = {
        "epsilon_max": np.array(
            [cp0.epsilon_max_override if cp0.epsilon_max_override is not None else veg[k].epsilon_max for k in keys]
        ),
        "ndvi_min": np.array([veg[k].ndvi_min for k in keys]),
        "ndvi_max": np.array([veg[k].ndvi_max for k in keys]),
    }
    return lookup, keys, pos_class, base


def _zones(zones, grid: ModelGrid, weighting: str, cb: Callbacks):
    """Return (zones placed on the grid, slimmed for the window task, or None; zone labels)."""
    if zones is None:
        return None, ["all"]
    from .zones import ZoneSet

    zs = ZoneSet.build(zones, grid, weighting, "ZONES", cb.warning)
    labels = list(zs.labels)
    label_col = next((c for c in zs.frame.columns if str(c).lower() in ("name", "name_en", "zone", "city")), None)
    if label_col is not None:
        labels = [str(v) for v in zs.frame[label_col]]
    return replace(zs, frame=None), labels  # the task needs the geometries, not the attribute table


def _output_specs(paths: dict[str, str | None], years: list[str], mp: MemberParams, seed: int) -> list[OutputSpec]:
    """Return the specs of the maps asked for: one band per year, the members, seed and varied parameters recorded."""
    tags = {
        "casanep_members": str(mp.members),
        "casanep_seed": str(seed),
        "casanep_varied": metadata_json(mp.varied),
        "casanep_annual_rule": "annual = sum of the year's months; a cell missing any month is nodata",
    }
    return [
        OutputSpec(key, paths[name] or "", list(years), units, dict(tags, casanep_quantity=what), parameter=name)
        for key, units, what, name in MAPS
        if paths.get(name)
    ]


def _collect(
    stats: RunStats, labels: list[str], years: list[str], confidence: float, mp: MemberParams
) -> UncertaintyResult:
    """Return the zone counters the tasks returned (summed by the engine in window order) as a result."""
    c = stats.counters
    nz, ny = len(labels), len(years)

    def year_stack(prefix: str, shape: tuple) -> np.ndarray:
        return np.stack([c.get(f"{prefix}{y}", np.zeros(shape)) for y in range(ny)], axis=-2)

    totals = year_stack("_totals", (mp.members, nz, 3))
    valid_m2 = year_stack("_valid_m2_", (nz, 3))
    valid_cells = year_stack("_valid_cells", (nz, 3))
    return UncertaintyResult(
        labels, list(years), totals, valid_m2, valid_cells, c.get("_cells", np.zeros(nz)), confidence, mp
    )


def run_uncertainty(
    ndvi: str,
    landcover: str,
    solar_radiation: str,
    temperature: str,
    precipitation: str,
    evapotranspiration: str | None = None,
    potential_et: str | None = None,
    optimal_temperature: str | float | None = None,
    ndvi_scale: float = 1.0,
    class_table: str | None = None,
    vegetation_table: str | None = None,
    params: ModelParams | None = None,
    zones=None,
    weighting: str = "centre",
    uncertainty_table: str | None = None,
    members: int = 100,
    seed: int = 42,
    confidence: float = 90.0,
    table_output: str | None = None,
    sd_output: str | None = None,
    probability_output: str | None = None,
    mean_output: str | None = None,
    chart_output: str | None = None,
    gap_fill: str = "none",
    max_gap: int = 2,
    callbacks: Callbacks | None = None,
    block_values: int | None = None,
    threads: int | None = None,
) -> UncertaintyResult:
    """Run a ``members``-member Monte Carlo ensemble of annual NPP, RH and NEP (see the module doc).

    Inputs as :func:`core.model.run_npp` (monthly stacks described YYYY-MM;
    NDVI unitless after ``ndvi_scale``, SOL MJ m-2 month-1, T degC, P, E, PET
    mm month-1), plus ``zones`` (vector; None: the whole grid as one zone
    "all"), ``uncertainty_table`` (distributions; default the shipped table),
    ``members``, ``seed``, ``confidence`` (percent; the interval's percentiles
    are (100 - C)/2 and 100 - (100 - C)/2).  Outputs: ``table_output`` (CSV or
    GeoPackage, :meth:`UncertaintyResult.summary`), per-year maps of the
    standard deviation of annual NEP (``sd_output``, gC m-2 a-1), of P(NEP > 0)
    (``probability_output``, 0-1) and of the ensemble mean of annual NEP
    (``mean_output``), and ``chart_output`` (PNG of zone totals with intervals).
    ``threads``: the engine's workers (default: the engine settings); with a
    Dask scheduler configured the window tasks go to its workers.
    """
    params = params or ModelParams()
    cb = callbacks or Callbacks()
    outputs = {
        "TABLE": table_output,
        "SD_OUTPUT": sd_output,
        "PROBABILITY_OUTPUT": probability_output,
        "MEAN_OUTPUT": mean_output,
        "CHART": chart_output,
    }
    _check_arguments(ndvi_scale, confidence, gap_fill, max_gap, outputs)
    lookup, keys, pos_class, base = _classes(class_table, vegetation_table, params)
    mp = draw_members(load_distributions(uncertainty_table), keys, base, params, members, seed)
    cb.info(
        f"{members} members (seed {seed}); varied: {', '.join(mp.varied) or 'nothing (every distribution has '}"
        f"{'' if mp.varied else 'zero width)'}."
    )
    paths = {
        "NDVI": ndvi,
        "LANDCOVER": landcover,
        "SOLAR_RADIATION": solar_radiation,
        "TEMPERATURE": temperature,
        "PRECIPITATION": precipitation,
        "EVAPOTRANSPIRATION": evapotranspiration,
        "POTENTIAL_ET": potential_et,
        "CLASS_TABLE": class_table,
    }
    with Inputs() as inp:
        o = open_npp_inputs(inp, paths, optimal_temperature, ndvi_scale, lookup, cb)
        zs, labels = _zones(zones, o.grid, weighting, cb)
        task = _task(o, lookup, pos_class, mp, params, zs, len(labels), gap_fill, max_gap)
        specs = _output_specs(outputs, list(o.years), mp, seed)
        cb.info(
            f"Ensemble of {members} members over {len(o.months)} months ({o.months[0]} .. {o.months[-1]}) "
            f"on a {o.grid.width} x {o.grid.height} grid, {len(labels)} zone(s)."
        )
        stats = run_chunks(
            o.grid,
            task,
            specs,
            parts=len(o.years),
            progress=cb.progress,
            is_cancelled=cb.is_cancelled,
            depth=12 * 16,
            block_values=block_values,
            block=block_of(o.ndvi, *o.stacks.values()),
            threads=threads,
        )
    return _finish(_collect(stats, labels, list(o.years), confidence, mp), table_output, chart_output, specs)


def _finish(
    result: UncertaintyResult, table_output: str | None, chart_output: str | None, specs: list[OutputSpec]
) -> UncertaintyResult:
    """Summarise the result and write the table and chart asked for; record every output's path."""
    result.table = result.summary()
    if table_output:
        from .tablefile import write_table

        write_table(result.table, table_output, "uncertainty", "TABLE")
        result.paths["table"] = table_output
    if chart_output:
        result.paths["chart"] = chart_intervals(result, chart_output)
    for spec in specs:
        result.paths[spec.key] = spec.path
    return result


def _task(
    o: NppInputs,
    lookup: ClassLookup,
    pos_class: np.ndarray,
    mp: MemberParams,
    params: ModelParams,
    zs,
    n_zones: int,
    gap_fill: str,
    max_gap: int,
) -> EnsembleTask:
    """Return the pure, picklable window task of the run."""
    return EnsembleTask(
        o.ndvi,
        o.landcover,
        o.stacks,
        o.topt_raster,
        o.topt_const,
        lookup,
        pos_class,
        member_tables(mp, params),
        params,
        list(o.years.values()),
        zs,
        n_zones,
        o.grid.row_cell_areas(),
        gap_fill,
        int(max_gap),
    )

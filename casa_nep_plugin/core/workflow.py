"""The whole study in one run into one folder.

Model, annual budget, zone tables, land-cover budget, charts and report.

Every file is first written into a hidden staging folder inside the output
folder and moved into place only when every step has succeeded; an error or
a cancellation removes the staging folder, so a run leaves either all of its
outputs or none.  Progress is reported per step: ``callbacks.step(i, name)``
when step ``i`` starts, then ``callbacks.progress`` from 0 to 100 within it.
The last step, the maps, charts and report, is in :mod:`.workflow_report`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

from .balance import DEFAULT_WARNING_THRESHOLD
from .columns import column
from .engine import Callbacks
from .errors import CasaCancelled, CasaInputError
from .explain import disk_full_error, disk_is_full, is_disk_full
from .folderlock import folder_lock
from .gapfill import DEFAULT_MAX_GAP, check_gap_fill, npp_gap_kwargs, run_filled_count
from .model import run_annual, run_npp
from .safety import (
    apply_umask,
    check_output_folder,
    check_output_paths,
    move_into_place,
    new_temp_file,
    signal_cleanup,
    unregister_temp,
)
from .workflow_report import QUANTITIES, report_step

if TYPE_CHECKING:
    from geopandas import GeoDataFrame
    from pandas import DataFrame

#: File names inside the output folder.
FILES = {
    "npp": "npp_monthly.tif",
    "rh": "rh_monthly.tif",
    "nep": "nep_monthly.tif",
    "npp_annual": "npp_annual.tif",
    "rh_annual": "rh_annual.tif",
    "nep_annual": "nep_annual.tif",
    "ratio": "rh_npp_ratio_annual.tif",
    "sink_source": "sink_source_annual.tif",
    "zones": "zone_statistics.gpkg",
    "zones_csv": "zone_statistics.csv",
    "fractions": "landcover_fractions.tif",
    "majority": "landcover_majority.tif",
    "budget": "landcover_budget.csv",
    "zone_budget": "zone_landcover_budget.csv",
    "chart_monthly": "chart_monthly_by_zone.png",
    "chart_annual": "chart_annual_by_zone.png",
    "chart_shares": "chart_landcover_shares.png",
    "map_nep": "map_nep_annual.png",
    "map_npp": "map_npp_annual.png",
    "map_class": "map_sink_source.png",
    "report": "report.html",
    "filled": "ndvi_filled_months.tif",
    "long": "carbon_budget_long.csv",
}


@dataclass
class WorkflowInputs:
    """Inputs of a run.

    Prepared monthly stacks (see :func:`core.model.run_npp`), optional zones
    and fine land cover, and options.
    """

    ndvi: str
    landcover: str
    solar_radiation: str
    temperature: str
    precipitation: str
    evapotranspiration: str | None = None
    potential_et: str | None = None
    optimal_temperature: str | float | None = None
    ndvi_scale: float = 1.0
    class_table: str | None = None
    zones: str | None = None
    zone_field: str | None = None
    weighting: str = "centre"
    fine_landcover: str | None = None
    fine_class_table: str | None = None
    threshold: float = DEFAULT_WARNING_THRESHOLD
    title: str = "casa-nep carbon budget"
    gap_fill: str = "linear"
    max_gap: int = DEFAULT_MAX_GAP
    long_table: bool = True  #: also write carbon_budget_long.csv (core.tidy), with ZONES or FINE_LANDCOVER


def plan(inp: WorkflowInputs) -> list[str]:
    """Return the names of the steps this run will take."""
    return [step.name for step in _steps(inp)]


def run_workflow(inp: WorkflowInputs, out_dir: str, callbacks: Callbacks | None = None) -> dict[str, str]:
    """Run the study into ``out_dir`` (created if missing); returns the written files by key."""
    cb = callbacks or Callbacks()
    check_output_folder(out_dir, "OUTPUT_FOLDER")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error("OUTPUT_FOLDER", out_dir) from None
        raise CasaInputError("OUTPUT_FOLDER", f"cannot create the folder '{out_dir}' ({exc.strerror}).") from None
    if not os.access(out_dir, os.W_OK):
        raise CasaInputError("OUTPUT_FOLDER", f"'{out_dir}' is not writable; choose another folder.")
    _check_targets(inp, out_dir)
    _preflight(inp)
    with signal_cleanup(), folder_lock(out_dir, "casanep:workflow", "OUTPUT_FOLDER"):
        try:
            return _run_locked(inp, out_dir, cb)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error("OUTPUT_FOLDER", out_dir) from None
            raise
        except Exception as exc:
            if is_disk_full(exc):  # GDAL's "No space left on device" arrives as its own error types
                raise disk_full_error("OUTPUT_FOLDER", out_dir) from None
            raise


def _check_targets(inp: WorkflowInputs, out_dir: str) -> None:
    """No input may be one of the files the run writes into ``out_dir`` (moved over at the end)."""
    inputs = {
        f.name.upper(): getattr(inp, f.name)
        for f in fields(inp)
        if f.name in _INPUT_FIELDS and isinstance(getattr(inp, f.name), str)
    }
    targets = {f"OUTPUT_FOLDER ({name})": os.path.join(out_dir, name) for name in FILES.values()}
    try:
        check_output_paths(targets, inputs, extensions=None)
    except CasaInputError as exc:
        raise CasaInputError(
            "OUTPUT_FOLDER", exc.message.replace("Choose another file name.", "Choose another output folder.")
        ) from None


#: WorkflowInputs fields that name input files.
_INPUT_FIELDS = (
    "ndvi",
    "landcover",
    "solar_radiation",
    "temperature",
    "precipitation",
    "evapotranspiration",
    "potential_et",
    "optimal_temperature",
    "class_table",
    "zones",
    "fine_landcover",
    "fine_class_table",
)


class _Run:
    """One run's state: the inputs, the staging folder, the files written into it and the tables for the report."""

    def __init__(self, inp: WorkflowInputs, out_dir: str, callbacks: Callbacks):
        self.inp, self.out_dir, self.callbacks = inp, out_dir, callbacks
        self.steps = _steps(inp)
        self.stage = new_temp_file(out_dir, ".casanep-run-", directory=True)  # registered, signals held
        self.written: dict[str, str] = {}
        self.zone_table: GeoDataFrame | None = None  #: the zone table, with ZONES
        self.budget_table: DataFrame | None = None  #: the region's land-cover budget, annual columns
        self.shares: dict[str, dict[str, float]] | None = None  #: {quantity year: {class: percent}}

    def path(self, key: str) -> str:
        """Return the staged path of output ``key`` (a :data:`FILES` key), noting it as written."""
        self.written[key] = os.path.join(self.stage, FILES[key])
        return self.written[key]

    def public(self, message: str) -> str:
        """Return ``message`` naming the files where they end up, never the staging folder."""
        return message.replace(self.stage, os.path.abspath(self.out_dir)) if isinstance(message, str) else message

    def info(self, message: str) -> None:
        """Pass an information message on, in public terms."""
        self.callbacks.info(self.public(message))

    def warning(self, message: str) -> None:
        """Pass a warning on, in public terms."""
        self.callbacks.warning(self.public(message))

    def for_step(self, i: int) -> Callbacks:
        """Announce step ``i`` and return the callbacks it reports through."""
        name = self.steps[i].name
        sub = self.callbacks.for_step(i, name)
        self.info(f"Step {i + 1}/{len(self.steps)}: {name}")
        return replace(sub, info=self.info, warning=self.warning)

    def fluxes(self) -> dict[str, str | None]:
        """Return the monthly NPP, RH and NEP stacks written by the first step."""
        return {"npp": self.written["npp"], "rh": self.written["rh"], "nep": self.written["nep"]}


def _run_locked(inp: WorkflowInputs, out_dir: str, cb: Callbacks) -> dict[str, str]:
    """Run the steps with the folder locked: staged, then moved into place."""
    run = _Run(inp, out_dir, cb)
    try:
        for i, step in enumerate(run.steps):
            step.run(run, run.for_step(i))
        if cb.is_cancelled is not None and cb.is_cancelled():
            raise CasaCancelled()
        return _move_into_place(run.written, out_dir)
    except Exception as exc:
        public = _public_error(exc, run.stage, out_dir)
        if public is not None:
            raise public from None
        raise
    finally:
        shutil.rmtree(run.stage, ignore_errors=True)
        unregister_temp(run.stage)


def _move_into_place(written: dict[str, str], out_dir: str) -> dict[str, str]:
    """Move the staged files into ``out_dir``; return their final paths by key."""
    final = {}
    for key, p in written.items():
        target = os.path.join(out_dir, os.path.basename(p))
        if os.path.isfile(p):
            apply_umask(p)  # staged GeoTIFFs come from mkstemp (0600)
        move_into_place(p, target)  # a symlink in the folder is written through to its target
        final[key] = target
    return final


def _public_error(exc: Exception, stage: str, out_dir: str) -> Exception | None:
    """Return the error to raise instead of ``exc`` (None: ``exc`` itself).

    A full disk shows up in many guises (a write refused, a GeoTIFF that cannot
    be read back, a PNG cut short): when the folder has no room left, say so
    rather than what broke first.  An error about a staged output names the
    folder the user knows, not its hidden staging.
    """
    about_stage = stage in str(exc) or not isinstance(exc, CasaInputError)
    if is_disk_full(exc) or (about_stage and disk_is_full(out_dir)):
        return disk_full_error("OUTPUT_FOLDER", out_dir)
    if isinstance(exc, CasaInputError) and stage in exc.message:
        return CasaInputError("OUTPUT_FOLDER", exc.message.replace(stage, out_dir))
    return None


def _preflight(inp: WorkflowInputs) -> None:
    """Fail before any work on what can be checked cheaply: zones, field, fine land cover, options."""
    if not (0 < inp.threshold <= 100):
        raise CasaInputError("THRESHOLD", f"must be a percentage in (0, 100], not {inp.threshold}.")
    check_gap_fill(inp.gap_fill, inp.max_gap)
    if inp.zones:
        from .zones import check_weighting, read_zones

        check_weighting(inp.weighting)
        frame = read_zones(inp.zones, "ZONES")
        if inp.zone_field and inp.zone_field not in frame.columns:
            raise CasaInputError(
                "ZONE_FIELD",
                f"the zone layer has no field '{inp.zone_field}' "
                f"(fields: {', '.join(c for c in frame.columns if c != frame.geometry.name)}).",
            )
    if inp.fine_landcover:
        from .raster import RasterInput
        from .tables import load_class_map

        RasterInput.open(inp.fine_landcover, "FINE_LANDCOVER", monthly=False).close()
        load_class_map(inp.fine_class_table or "worldcover", "FINE_CLASS_TABLE")


def _model_step(run: _Run, cb: Callbacks) -> None:
    """Write monthly NPP, RH and NEP; with gap filling and zones, the NDVI months filled per cell and year."""
    inp = run.inp
    gap = npp_gap_kwargs(inp.gap_fill, inp.max_gap)
    run_npp(
        inp.ndvi,
        inp.landcover,
        inp.solar_radiation,
        inp.temperature,
        inp.precipitation,
        run.path("npp"),
        evapotranspiration=inp.evapotranspiration,
        potential_et=inp.potential_et,
        optimal_temperature=inp.optimal_temperature,
        ndvi_scale=inp.ndvi_scale,
        class_table=inp.class_table,
        rh_output=run.path("rh"),
        nep_output=run.path("nep"),
        callbacks=cb,
        **gap,
    )
    if gap and inp.zones:  # the months the NPP run filled, per cell and year, for the zone table's coverage
        run_filled_count(inp.ndvi, run.path("filled"), inp.max_gap, inp.ndvi_scale, cb)


def _annual_step(run: _Run, cb: Callbacks) -> None:
    """Write annual NPP, RH, NEP, RH/NPP and the sink / warning / source map."""
    w = run.written
    run_annual(
        w["npp"],
        w["rh"],
        run.path("npp_annual"),
        run.path("rh_annual"),
        run.path("nep_annual"),
        run.path("ratio"),
        run.path("sink_source"),
        threshold=run.inp.threshold,
        callbacks=cb,
    )


def _zones_step(run: _Run, cb: Callbacks) -> None:
    """Write the zone table, as a GeoPackage with the zones and as CSV."""
    from .tablefile import write_table
    from .zonal import zonal_statistics

    run.zone_table = zonal_statistics(
        run.inp.zones,
        run.fluxes(),
        output=run.path("zones"),
        weighting=run.inp.weighting,
        callbacks=cb,
        filled=run.written.get("filled"),
    )
    write_table(run.zone_table, run.path("zones_csv"))


def _fractions_step(run: _Run, cb: Callbacks) -> None:
    """Write the fractions of the fine land cover on the model grid, and its majority class."""
    from .fractions import landcover_fractions

    inp = run.inp
    assert inp.fine_landcover, "the step runs with FINE_LANDCOVER only"
    landcover_fractions(
        inp.fine_landcover,
        run.path("fractions"),
        class_table=inp.fine_class_table or "worldcover",
        reference=run.written["npp"],
        majority_output=run.path("majority"),
        callbacks=cb,
    )


def _budget_step(run: _Run, cb: Callbacks) -> None:
    """Write the per-class budgets of the region (and zone x class); keep the first year's shares."""
    from .budget import landcover_budget
    from .stacks import stack_periods

    inp, stacks = run.inp, run.fluxes()
    table = landcover_budget(stacks, run.written["fractions"], output=run.path("budget"), callbacks=cb)
    if inp.zones:
        landcover_budget(
            stacks,
            run.written["fractions"],
            output=run.path("zone_budget"),
            zones=inp.zones,
            weighting=inp.weighting,
            callbacks=cb,
        )
    years = stack_periods(run.written["npp"])[1]
    rows = table[~table["class"].isin(["all", "unclassified"])]
    run.shares = {}
    if years:
        for q in QUANTITIES:
            col = column(q, years[0], "share_pct")
            run.shares[f"{q.upper()} {years[0]}"] = {str(c): float(v) for c, v in zip(rows["class"], rows[col])}
    annual = [column(q, y, k) for q in QUANTITIES for y in years for k in ("total_ktC", "share_pct")]
    run.budget_table = table[["class", "area_km2", *annual]]


@dataclass(frozen=True)
class Step:
    """One step of a run: its name (for progress and the report), what it does, and whether the inputs ask for it."""

    name: str
    run: Callable[[_Run, Callbacks], None]
    wanted: Callable[[WorkflowInputs], bool] | None = None  #: None: always


#: The steps, in order.
STEPS = (
    Step("NPP (CASA), soil heterotrophic respiration and NEP", _model_step),
    Step("annual budget and sink/source map", _annual_step),
    Step("zonal statistics", _zones_step, lambda inp: bool(inp.zones)),
    Step("land-cover fractions", _fractions_step, lambda inp: bool(inp.fine_landcover)),
    Step("land-cover budget", _budget_step, lambda inp: bool(inp.fine_landcover)),
    Step("charts and report", report_step),
)


def _steps(inp: WorkflowInputs) -> list[Step]:
    """Return the steps this run takes."""
    return [step for step in STEPS if step.wanted is None or step.wanted(inp)]

"""The whole study in one run: model, annual budget, zone tables, land-cover
budget, charts and report, into one folder.

Every file is first written into a hidden staging folder inside the output
folder and moved into place only when every step has succeeded; an error or
a cancellation removes the staging folder, so a run leaves either all of its
outputs or none.  Progress is reported per step: ``callbacks.step(i, name)``
when step ``i`` starts, then ``callbacks.progress`` from 0 to 100 within it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields

from . import report
from .balance import DEFAULT_WARNING_THRESHOLD
from .errors import CasaInputError
from .gapfill import DEFAULT_MAX_GAP, check_gap_fill, npp_gap_kwargs, run_filled_count
from .model import Callbacks, run_annual, run_npp
from .safety import (
    apply_umask,
    check_output_folder,
    check_output_paths,
    disk_full_error,
    disk_is_full,
    folder_lock,
    is_disk_full,
    move_into_place,
    register_temp,
    signal_cleanup,
    unregister_temp,
)

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
    """Inputs of a run: prepared monthly stacks (see :func:`core.model.run_npp`),
    optional zones and fine land cover, and options."""

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
    """Names of the steps this run will take."""
    steps = ["NPP (CASA), soil heterotrophic respiration and NEP", "annual budget and sink/source map"]
    if inp.zones:
        steps.append("zonal statistics")
    if inp.fine_landcover:
        steps += ["land-cover fractions", "land-cover budget"]
    steps.append("charts and report")
    return steps


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
    inputs = {f.name.upper(): getattr(inp, f.name) for f in fields(inp)
              if f.name in _INPUT_FIELDS and isinstance(getattr(inp, f.name), str)}
    targets = {f"OUTPUT_FOLDER ({name})": os.path.join(out_dir, name) for name in FILES.values()}
    try:
        check_output_paths(targets, inputs, extensions=None)
    except CasaInputError as exc:
        raise CasaInputError("OUTPUT_FOLDER", exc.message.replace("Choose another file name.",
                                                                  "Choose another output folder.")) from None


#: WorkflowInputs fields that name input files.
_INPUT_FIELDS = ("ndvi", "landcover", "solar_radiation", "temperature", "precipitation", "evapotranspiration",
                 "potential_et", "optimal_temperature", "class_table", "zones", "fine_landcover", "fine_class_table")


def _run_locked(inp: WorkflowInputs, out_dir: str, cb: Callbacks) -> dict[str, str]:
    """The run proper, with the folder locked: staged, then moved into place."""
    steps = plan(inp)
    stage = tempfile.mkdtemp(prefix=".casanep-run-", dir=out_dir)
    register_temp(stage)
    written: dict[str, str] = {}

    def path(key: str) -> str:
        written[key] = os.path.join(stage, FILES[key])
        return written[key]

    def public(message: str) -> str:  # log lines name the files where they end up, never the staging folder
        return message.replace(stage, os.path.abspath(out_dir)) if isinstance(message, str) else message

    def info(message: str) -> None:
        cb.info(public(message))

    def warning(message: str) -> None:
        cb.warning(public(message))

    def sub(i: int) -> Callbacks:
        cb.step(i, steps[i])
        info(f"Step {i + 1}/{len(steps)}: {steps[i]}")
        return Callbacks(progress=cb.progress, is_cancelled=cb.is_cancelled, info=info, warning=warning)

    try:
        k = 0
        step = sub(k)
        gap = npp_gap_kwargs(inp.gap_fill, inp.max_gap)
        run_npp(inp.ndvi, inp.landcover, inp.solar_radiation, inp.temperature, inp.precipitation, path("npp"),
                evapotranspiration=inp.evapotranspiration, potential_et=inp.potential_et,
                optimal_temperature=inp.optimal_temperature, ndvi_scale=inp.ndvi_scale,
                class_table=inp.class_table, rh_output=path("rh"), nep_output=path("nep"), callbacks=step, **gap)
        if gap and inp.zones:  # the months the NPP run filled, per cell and year, for the zone table's coverage
            run_filled_count(inp.ndvi, path("filled"), inp.max_gap, inp.ndvi_scale, step)
        k += 1
        run_annual(written["npp"], written["rh"], path("npp_annual"), path("rh_annual"), path("nep_annual"),
                   path("ratio"), path("sink_source"), threshold=inp.threshold, callbacks=sub(k))
        k += 1
        zone_table = None
        if inp.zones:
            from .zonal import write_table, zonal_statistics

            zone_table = zonal_statistics(
                inp.zones, {"npp": written["npp"], "rh": written["rh"], "nep": written["nep"]},
                output=path("zones"), weighting=inp.weighting, callbacks=sub(k), filled=written.get("filled"))
            write_table(zone_table, path("zones_csv"))
            k += 1
        shares = None
        budget_table = None
        if inp.fine_landcover:
            shares, budget_table = _landcover_steps(inp, written, path, sub, k)
            k += 2
        sub(k)
        if inp.long_table and (zone_table is not None or budget_table is not None):
            _long_table(written, zone_table, path("long"))
        _charts_and_report(inp, written, path, zone_table, budget_table, shares, steps)
        if cb.is_cancelled is not None and cb.is_cancelled():
            from .errors import CasaCancelled

            raise CasaCancelled()
        final = {}
        for key, p in written.items():
            target = os.path.join(out_dir, os.path.basename(p))
            if os.path.isfile(p):
                apply_umask(p)  # staged GeoTIFFs come from mkstemp (0600)
            move_into_place(p, target)  # a symlink in the folder is written through to its target
            final[key] = target
        return final
    except Exception as exc:
        # a full disk shows up in many guises (a write refused, a GeoTIFF that cannot be read back, a PNG
        # cut short): when the folder has no room left, say so rather than what broke first
        about_stage = stage in str(exc) or not isinstance(exc, CasaInputError)
        if is_disk_full(exc) or (about_stage and disk_is_full(out_dir)):
            raise disk_full_error("OUTPUT_FOLDER", out_dir) from None
        if isinstance(exc, CasaInputError) and stage in exc.message:
            # about a staged output: the user knows the folder, not its hidden staging
            raise CasaInputError("OUTPUT_FOLDER", exc.message.replace(stage, out_dir)) from None
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        unregister_temp(stage)


def _preflight(inp: WorkflowInputs) -> None:
    """Fail before any work on what can be checked cheaply: zones, field, fine land cover, options."""
    if not (0 < inp.threshold <= 100):
        raise CasaInputError("THRESHOLD", f"must be a percentage in (0, 100], not {inp.threshold}.")
    check_gap_fill(inp.gap_fill, inp.max_gap)
    if inp.zones:
        from .zonal import WEIGHTINGS, read_zones

        if inp.weighting not in WEIGHTINGS:
            raise CasaInputError("WEIGHTING", f"must be one of {', '.join(WEIGHTINGS)}, not '{inp.weighting}'.")
        frame = read_zones(inp.zones, "ZONES")
        if inp.zone_field and inp.zone_field not in frame.columns:
            raise CasaInputError("ZONE_FIELD", f"the zone layer has no field '{inp.zone_field}' "
                                 f"(fields: {', '.join(c for c in frame.columns if c != frame.geometry.name)}).")
    if inp.fine_landcover:
        from .fractions import load_class_map
        from .raster import RasterInput

        RasterInput.open(inp.fine_landcover, "FINE_LANDCOVER", monthly=False).close()
        load_class_map(inp.fine_class_table or "worldcover", "FINE_CLASS_TABLE")


def _landcover_steps(inp, written, path, sub, k):
    """Fractions of the fine land cover on the model grid, then per-class (and zone x class) budgets.

    Returns the shares of the first year ({quantity: {class: percent}}) and the
    region's budget table.
    """
    from .budget import landcover_budget
    from .fractions import landcover_fractions

    landcover_fractions(inp.fine_landcover, path("fractions"), class_table=inp.fine_class_table or "worldcover",
                        reference=written["npp"], majority_output=path("majority"), callbacks=sub(k))
    stacks = {"npp": written["npp"], "rh": written["rh"], "nep": written["nep"]}
    cb = sub(k + 1)
    table = landcover_budget(stacks, written["fractions"], output=path("budget"), callbacks=cb)
    if inp.zones:
        landcover_budget(stacks, written["fractions"], output=path("zone_budget"), zones=inp.zones,
                         weighting=inp.weighting, callbacks=cb)
    rows = table[~table["class"].isin(["all", "unclassified"])]
    years = sorted({c.split("_")[1] for c in table.columns if re.fullmatch(r"npp_\d{4}_share_pct", c)})
    shares = {}
    if years:
        for q in ("npp", "rh", "nep"):
            col = f"{q}_{years[0]}_share_pct"
            shares[f"{q.upper()} {years[0]}"] = {str(c): float(v) for c, v in zip(rows["class"], rows[col])}
    annual = re.compile(r"(npp|rh|nep)_\d{4}_(total_ktC|share_pct)")
    keep = ["class", "area_km2"] + [c for c in table.columns if annual.fullmatch(c)]
    return shares, table[keep]


def _long_table(written: dict[str, str], zone_table, output: str) -> None:
    """One long table of every value: zones x all classes, the region x classes, zones x classes."""
    import pandas as pd

    from .tidy import long_table, sort_long

    parts = []
    if zone_table is not None:
        parts.append(long_table(pd.DataFrame(zone_table), zone="zone"))
    if "budget" in written:
        parts.append(long_table(pd.read_csv(written["budget"]), zone="all", klass="class"))
    if "zone_budget" in written:
        zb = pd.read_csv(written["zone_budget"])
        parts.append(long_table(zb[zb["class"] != "all"], zone="zone", klass="class"))
    sort_long(pd.concat(parts, ignore_index=True)).to_csv(output, index=False)


def _charts_and_report(inp, written, path, zone_table, budget_table, shares, steps) -> None:
    label = inp.zone_field
    if zone_table is not None and (label is None or label not in zone_table.columns):
        label = next((c for c in zone_table.columns if c.lower() in ("name", "name_en", "zone", "city")), None)
    report.map_quicklook(written["nep_annual"], path("map_nep"), title="Annual NEP", units="gC m-2 a-1",
                         cmap="RdBu", centre_zero=True)
    report.map_quicklook(written["npp_annual"], path("map_npp"), title="Annual NPP", units="gC m-2 a-1",
                         cmap="YlGn", vmin=0)
    report.map_quicklook(written["sink_source"], path("map_class"), title="Carbon sink / source",
                         classes={1: (f"sink (RH/NPP < {inp.threshold:g} %)", "#1a9850"),
                                  2: (f"warning ({inp.threshold:g}-100 %)", "#fee08b"),
                                  3: ("source (RH/NPP > 100 %)", "#d73027")})
    sections = [{
        "title": "Maps",
        "text": "Annual NEP (positive: net sink), annual NPP, and the sink / warning / source classes "
                f"(RH/NPP below {inp.threshold:g} %, {inp.threshold:g} to 100 %, above 100 %). First year shown; "
                "the GeoTIFFs hold every year and month.",
        "images": [written["map_nep"], written["map_npp"], written["map_class"]],
        "files": [(os.path.basename(written[k]), written[k]) for k in
                  ("npp", "rh", "nep", "npp_annual", "rh_annual", "nep_annual", "ratio", "sink_source")],
    }]
    if zone_table is not None:
        import pandas as pd

        report.chart_monthly(zone_table, path("chart_monthly"), label)
        report.chart_annual(zone_table, path("chart_annual"), label)
        keep = [c for c in zone_table.columns if c == label or c in ("area_km2", "cells")
                or report.ANNUAL_MEAN.match(c) or c.endswith("_total_ktC") and c.count("_") == 3
                or (c.startswith("rh_npp_") and c.count("_") == 4)
                or report.ANNUAL_COVERAGE.match(c) or c.startswith("filled_cell_months_")]
        sections.append({
            "title": "Zones",
            "text": "Area-weighted means (gC m<sup>-2</sup> a<sup>-1</sup>), totals (ktC a<sup>-1</sup>) and the "
                    f"ratio of totals RH/NPP (%) per zone ({inp.weighting} weighting). Monthly values are in the "
                    "tables. " + report.ANNUAL_RULE + " " + report.gap_fill_note(inp.gap_fill, inp.max_gap),
            "images": [written["chart_monthly"], written["chart_annual"]],
            "table": pd.DataFrame(zone_table[keep]),
            "files": [(os.path.basename(written[k]), written[k]) for k in ("zones", "zones_csv", "long")
                      if k in written],
        })
    if budget_table is not None:
        report.chart_shares(shares, path("chart_shares"), "Shares of the regional totals by land cover")
        sections.append({
            "title": "Land cover",
            "text": "Totals and shares of NPP, RH and NEP by land-cover class, by fractional cover weighting.",
            "images": [written["chart_shares"]],
            "table": budget_table,
            "files": [(os.path.basename(written[k]), written[k]) for k in ("fractions", "majority", "budget",
                                                                           "zone_budget") if k in written],
        })
    params = {k: v for k, v in asdict(inp).items() if v not in (None, "")}
    params["steps"] = ", ".join(steps)
    report.write_report(path("report"), inp.title, params, sections)

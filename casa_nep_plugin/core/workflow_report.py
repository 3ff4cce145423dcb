"""The workflow's report step: the long table, the quick-look maps, the charts and the HTML report.

Reads the state of a :mod:`.workflow` run (the files written into its staging folder and the zone and
land-cover tables) and writes the remaining files there.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import TYPE_CHECKING

from . import report
from .columns import column, filled_column, ratio_column
from .engine import Callbacks

if TYPE_CHECKING:
    from geopandas import GeoDataFrame
    from pandas import DataFrame

    from .workflow import _Run

__all__ = ["QUANTITIES", "report_step"]

#: The flux stacks of the tables.
QUANTITIES = ("npp", "rh", "nep")


def report_step(run: _Run, cb: Callbacks) -> None:
    """Write the long table, the charts and the HTML report."""
    if run.inp.long_table and (run.zone_table is not None or run.budget_table is not None):
        _long_table(run.written, run.zone_table, run.path("long"))
    _charts_and_report(run)


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


def _zone_columns(run: _Run, label: str | None) -> list[str]:
    """Return the zone table's columns shown in the report: the label, area, cells and the annual columns."""
    from .stacks import stack_periods

    years = stack_periods(run.written["npp"])[1]
    filled = stack_periods(run.written["filled"])[0] if "filled" in run.written else []
    return [
        *([label] if label is not None else []),
        "area_km2",
        "cells",
        *[column(q, y, k) for q in QUANTITIES for y in years for k in ("mean", "total_ktC")],
        *[ratio_column(y) for y in years],
        *[column(q, y, "coverage_pct") for q in QUANTITIES for y in years],
        *[filled_column(y) for y in filled],
    ]


def _maps_section(run: _Run) -> dict:
    """Draw the quick-look maps; return the report's section on them."""
    inp, written, path = run.inp, run.written, run.path
    report.map_quicklook(
        written["nep_annual"], path("map_nep"), title="Annual NEP", units="gC m-2 a-1", cmap="RdBu", centre_zero=True
    )
    report.map_quicklook(
        written["npp_annual"], path("map_npp"), title="Annual NPP", units="gC m-2 a-1", cmap="YlGn", vmin=0
    )
    report.map_quicklook(
        written["sink_source"],
        path("map_class"),
        title="Carbon sink / source",
        classes={
            1: (f"sink (RH/NPP < {inp.threshold:g} %)", "#1a9850"),
            2: (f"warning ({inp.threshold:g}-100 %)", "#fee08b"),
            3: ("source (RH/NPP > 100 %)", "#d73027"),
        },
    )
    return {
        "title": "Maps",
        "text": "Annual NEP (positive: net sink), annual NPP, and the sink / warning / source classes "
        f"(RH/NPP below {inp.threshold:g} %, {inp.threshold:g} to 100 %, above 100 %). First year shown; "
        "the GeoTIFFs hold every year and month.",
        "images": [written["map_nep"], written["map_npp"], written["map_class"]],
        "files": [
            (os.path.basename(written[k]), written[k])
            for k in ("npp", "rh", "nep", "npp_annual", "rh_annual", "nep_annual", "ratio", "sink_source")
        ],
    }


def _zones_section(run: _Run, table: GeoDataFrame) -> dict:
    """Draw the zone charts; return the report's section on the zones (``table``)."""
    import pandas as pd

    inp, written = run.inp, run.written
    label = inp.zone_field
    if label is None or label not in table.columns:
        label = next((c for c in table.columns if c.lower() in ("name", "name_en", "zone", "city")), None)
    report.chart_monthly(table, run.path("chart_monthly"), label)
    report.chart_annual(table, run.path("chart_annual"), label)
    return {
        "title": "Zones",
        "text": "Area-weighted means (gC m<sup>-2</sup> a<sup>-1</sup>), totals (ktC a<sup>-1</sup>) and the "
        f"ratio of totals RH/NPP (%) per zone ({inp.weighting} weighting). Monthly values are in the "
        "tables. " + report.ANNUAL_RULE + " " + report.gap_fill_note(inp.gap_fill, inp.max_gap),
        "images": [written["chart_monthly"], written["chart_annual"]],
        "table": pd.DataFrame(table[_zone_columns(run, label)]),
        "files": [(os.path.basename(written[k]), written[k]) for k in ("zones", "zones_csv", "long") if k in written],
    }


def _landcover_section(run: _Run, table: DataFrame, shares: dict[str, dict[str, float]]) -> dict:
    """Draw the land-cover shares chart; return the report's section on land cover (``table``)."""
    written = run.written
    report.chart_shares(shares, run.path("chart_shares"), "Shares of the regional totals by land cover")
    return {
        "title": "Land cover",
        "text": "Totals and shares of NPP, RH and NEP by land-cover class, by fractional cover weighting.",
        "images": [written["chart_shares"]],
        "table": table,
        "files": [
            (os.path.basename(written[k]), written[k])
            for k in ("fractions", "majority", "budget", "zone_budget")
            if k in written
        ],
    }


def _charts_and_report(run: _Run) -> None:
    """Draw the maps and charts and write the HTML report."""
    sections = [_maps_section(run)]
    if run.zone_table is not None:
        sections.append(_zones_section(run, run.zone_table))
    if run.budget_table is not None and run.shares is not None:
        sections.append(_landcover_section(run, run.budget_table, run.shares))
    params = {k: v for k, v in asdict(run.inp).items() if v not in (None, "")}
    params["steps"] = ", ".join(step.name for step in run.steps)
    report.write_report(run.path("report"), run.inp.title, params, sections)

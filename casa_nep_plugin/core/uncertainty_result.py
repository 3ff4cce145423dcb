"""What casanep:uncertainty gives back: every member's zone totals, their summary table, chart and report."""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .uncertainty_draws import MemberParams

__all__ = ["QUANTITIES", "UncertaintyResult", "chart_intervals", "write_uncertainty_report"]

QUANTITIES = ("npp", "rh", "nep")


@dataclass
class UncertaintyResult:
    """Per zone, year and quantity: every member's annual total (gC) and the valid area (m2)."""

    labels: list[str]
    years: list[str]
    totals_g: NDArray  # (members, zones, years, 3)
    valid_m2: NDArray  # (zones, years, 3)
    valid_cells: NDArray  # (zones, years, 3)
    cells: NDArray  # (zones,)
    confidence: float
    members: MemberParams
    table: Any = None  # a pandas DataFrame once built (pandas is untyped here)
    paths: dict[str, str] = field(default_factory=dict)

    def summary(self):
        """Return the zone table as a DataFrame.

        Per zone, for each quantity and year: mean, sd and percentiles of the annual
        total (ktC) and of the annual mean (gC m-2 a-1), the coverage, and P(zone NEP > 0).
        """
        import pandas as pd

        lo = (100.0 - self.confidence) / 2.0
        hi = 100.0 - lo
        names: list[tuple[str, float]] = [("mean", 0.0), ("sd", 0.0), (f"p{lo:g}", lo), ("p50", 50.0), (f"p{hi:g}", hi)]
        cols: OrderedDict[str, object] = OrderedDict()
        cols["zone"] = self.labels
        cols["cells"] = self.cells
        with np.errstate(invalid="ignore", divide="ignore"):
            for yi, year in enumerate(self.years):
                for qi, q in enumerate(QUANTITIES):
                    tot = self.totals_g[:, :, yi, qi]  # (members, zones)
                    area = self.valid_m2[:, yi, qi]
                    has = area > 0
                    per = {
                        "total_ktC": np.where(has, tot / 1e9, np.nan),
                        "per_m2": np.where(has, tot / np.where(has, area, 1), np.nan),
                    }
                    for kind, v in per.items():
                        for stat, pct in names:
                            if stat == "mean":
                                x = v.mean(axis=0)
                            elif stat == "sd":
                                x = v.std(axis=0, ddof=1) if v.shape[0] > 1 else np.zeros(v.shape[1])
                            else:
                                x = np.percentile(v, pct, axis=0)
                            cols[f"{q}_{year}_{kind}_{stat}"] = x
                    cols[f"{q}_{year}_valid_cells"] = self.valid_cells[:, yi, qi]
                    cols[f"{q}_{year}_coverage_pct"] = np.where(
                        self.cells > 0,
                        100.0 * self.valid_cells[:, yi, qi] / np.where(self.cells > 0, self.cells, 1),
                        np.nan,
                    )
                nep = self.totals_g[:, :, yi, 2]
                cols[f"nep_{year}_p_sink"] = np.where(self.valid_m2[:, yi, 2] > 0, (nep > 0).mean(axis=0), np.nan)
        return pd.DataFrame(cols)


def chart_intervals(result: UncertaintyResult, path: str) -> str:
    """PNG: per year, the zone totals (ktC a-1) of NPP, RH and NEP with their ensemble intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo = (100.0 - result.confidence) / 2.0
    hi = 100.0 - lo
    ny = len(result.years)
    nz = len(result.labels)
    fig, axes = plt.subplots(ny, 1, figsize=(max(6.0, 1.2 * nz + 3), 3.2 * ny), dpi=110, squeeze=False)
    colours = {"npp": "#2e7d32", "rh": "#e65100", "nep": "#1565c0"}
    try:
        x = np.arange(nz)
        for yi, year in enumerate(result.years):
            ax = axes[yi, 0]
            for qi, q in enumerate(QUANTITIES):
                v = result.totals_g[:, :, yi, qi] / 1e9
                mid = np.percentile(v, 50, axis=0)
                err = np.vstack([mid - np.percentile(v, lo, axis=0), np.percentile(v, hi, axis=0) - mid])
                ax.bar(x + (qi - 1) * 0.27, mid, 0.27, color=colours[q], alpha=0.8, label=q.upper())
                ax.errorbar(x + (qi - 1) * 0.27, mid, yerr=err, fmt="none", ecolor="k", capsize=3, lw=1)
            ax.axhline(0, color="k", lw=0.6)
            ax.set_xticks(x)
            ax.set_xticklabels(result.labels, fontsize=8)
            ax.set_ylabel("ktC a$^{-1}$")
            ax.set_title(
                f"{year}: zone totals, median and {result.confidence:g} % interval ({result.members.members} members)",
                fontsize=9,
            )
            ax.legend(fontsize=8, ncol=3)
        fig.tight_layout()
        from .outputs import atomic_path

        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return path


def write_uncertainty_report(
    result: UncertaintyResult, path: str, title: str = "casa-nep parameter uncertainty"
) -> str:
    """Write the HTML report; return its path.

    What was varied (with the sources of the distributions), the chart of zone totals
    with their intervals, and the table of annual totals.
    """
    import pandas as pd

    from . import report

    folder = os.path.dirname(os.path.abspath(path))
    chart = result.paths.get("chart")
    if chart is None:
        stem = os.path.splitext(os.path.basename(path))[0]
        chart = chart_intervals(result, os.path.join(folder, stem + "_chart.png"))
    lo = (100.0 - result.confidence) / 2.0
    hi = 100.0 - lo
    keep = ["zone", "cells"] + [
        c
        for c in result.table.columns
        if re.fullmatch(
            rf"(npp|rh|nep)_\d{{4}}_total_ktC_(mean|sd|p{lo:g}|p{hi:g})|nep_\d{{4}}_p_sink|(npp|rh|nep)_\d{{4}}_coverage_pct",
            c,
        )
    ]
    mp = result.members
    params = {
        "members": mp.members,
        "confidence (%)": result.confidence,
        "varied parameters": ", ".join(mp.varied) or "none",
    }
    text = (
        f"Annual totals per zone (ktC a<sup>-1</sup>): ensemble mean, standard deviation and the {lo:g} / {hi:g} "
        f"percentiles over {mp.members} members; P(sink) is the share of members in which the zone's annual NEP "
        "is positive. " + report.ANNUAL_RULE + " The intervals cover the parameters listed, not the errors of the "
        "inputs or of the model's structure."
    )
    return report.write_report(
        path,
        title,
        params,
        [
            {
                "title": "Zone totals with intervals",
                "text": text,
                "images": [chart],
                "table": pd.DataFrame(result.table[keep]),
            }
        ],
    )

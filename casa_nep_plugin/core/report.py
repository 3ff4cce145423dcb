"""Charts (PNG) and a readable HTML report of a casa-nep run.

Pure presentation: reads the zone and land-cover tables the aggregation steps
wrote (column names documented in :mod:`.zonal` and :mod:`.budget`) and the
annual rasters, draws with matplotlib (Agg, no display), and writes files
atomically.  No science here.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
import re
from collections.abc import Sequence

import numpy as np

from .outputs import atomic_path

MONTHLY_MEAN = re.compile(r"^(npp|rh|nep)_(\d{4})_(\d{2})_mean$")
ANNUAL_MEAN = re.compile(r"^(npp|rh|nep)_(\d{4})_mean$")
ANNUAL_COVERAGE = re.compile(r"^(npp|rh|nep)_(\d{4})_coverage_pct$")
#: The rule behind every annual number of the zone tables (zonal.py), in the report's words.
ANNUAL_RULE = (
    "<b>One definition of annual</b>: a zone's annual mean and total are those of the annual map over the zone. "
    "A cell's annual value is the sum of its twelve months, and a cell counts for a year only where every month "
    "has data; the coverage columns give the share of the zone's cells that count (100 % = every cell)."
)


def gap_fill_note(method: str, max_gap: int) -> str:
    """One sentence on how NDVI gaps were treated (for the report)."""
    if method == "linear":
        return (
            f"NDVI gaps of up to {max_gap} month(s) were filled by linear interpolation in time between the "
            "nearest valid months; longer gaps, and gaps at the start or end of the record, stay nodata. The "
            "filled NDVI cell-months per zone and year are in the table where counted."
        )
    return "NDVI gaps were not filled: a cell missing NDVI in any month of a year is left out of that year."


COLOURS = {"npp": "#2e7d32", "rh": "#e65100", "nep": "#1565c0"}
LABELS = {"npp": "NPP", "rh": "RH", "nep": "NEP"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str) -> str:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, bbox_inches="tight", format="png")
    return path


def monthly_series(table, quantity: str) -> tuple[list[str], np.ndarray]:
    """Months (YYYY-MM) and the (zones, months) matrix of ``quantity``'s monthly means (gC m-2 month-1)."""
    cols = sorted(
        (m.group(2), m.group(3), c) for c in table.columns if (m := MONTHLY_MEAN.match(c)) and m.group(1) == quantity
    )
    months = [f"{y}-{mo}" for y, mo, _ in cols]
    if not cols:
        return months, np.empty((len(table), 0))
    return months, np.column_stack([table[c].astype(float).to_numpy() for _, _, c in cols])


def annual_series(table, quantity: str) -> tuple[list[str], np.ndarray]:
    """Years and the (zones, years) matrix of ``quantity``'s annual means (gC m-2 a-1)."""
    cols = sorted((m.group(2), c) for c in table.columns if (m := ANNUAL_MEAN.match(c)) and m.group(1) == quantity)
    years = [y for y, _ in cols]
    if not cols:
        return years, np.empty((len(table), 0))
    return years, np.column_stack([table[c].astype(float).to_numpy() for _, c in cols])


def zone_names(table, label_field: str | None) -> list[str]:
    """Return a readable name per zone: ``label_field`` if present, else the zone index."""
    if label_field and label_field in table.columns:
        return [str(v) for v in table[label_field]]
    return [f"zone {i}" for i in table.get("zone_index", range(1, len(table) + 1))]


def chart_monthly(
    table, path: str, label_field: str | None = None, zones: Sequence[str] | None = None, max_zones: int = 3
) -> str:
    """Monthly NPP, RH and NEP (gC m-2 month-1) per zone, one panel per zone (the study's three-city figure)."""
    plt = _plt()
    names = zone_names(table, label_field)
    picks = [names.index(z) for z in zones if z in names] if zones else list(range(min(max_zones, len(names))))
    fig, axes = plt.subplots(
        1, max(1, len(picks)), figsize=(4.2 * max(1, len(picks)), 3.4), dpi=110, sharey=True, squeeze=False
    )
    try:
        for ax, i in zip(axes[0], picks):
            for q in ("npp", "rh", "nep"):
                months, vals = monthly_series(table, q)
                if months:
                    ax.plot(range(len(months)), vals[i], marker="o", ms=2.5, lw=1.4, color=COLOURS[q], label=LABELS[q])
            ax.axhline(0, color="0.6", lw=0.6)
            ticks = [k for k, m in enumerate(months) if m.endswith(("-01", "-07"))]
            ax.set_xticks(ticks)
            ax.set_xticklabels([months[k] for k in ticks], rotation=45, fontsize=7)
            ax.set_title(names[i], fontsize=10)
        axes[0][0].set_ylabel("gC m$^{-2}$ month$^{-1}$")
        axes[0][0].legend(fontsize=8, loc="upper left")
        fig.suptitle("Monthly NPP, RH and NEP (zone means)", fontsize=11)
        return _save(fig, path)
    finally:
        plt.close(fig)


def chart_annual(table, path: str, label_field: str | None = None) -> str:
    """Annual NPP, RH and NEP (gC m-2 a-1) per zone and year, grouped bars."""
    plt = _plt()
    names = zone_names(table, label_field)
    years, _ = annual_series(table, "npp")
    fig, axes = plt.subplots(
        1,
        max(1, len(years)),
        figsize=(max(5, 0.9 * len(names) + 2) * max(1, len(years)), 3.8),
        dpi=110,
        squeeze=False,
        sharey=True,
    )
    try:
        x = np.arange(len(names))
        for ax, (k, year) in zip(axes[0], enumerate(years)):
            for j, q in enumerate(("npp", "rh", "nep")):
                _, vals = annual_series(table, q)
                if vals.shape[1] > k:
                    ax.bar(x + (j - 1) * 0.27, vals[:, k], width=0.27, color=COLOURS[q], label=LABELS[q])
            ax.axhline(0, color="0.4", lw=0.6)
            ax.set_xticks(x)
            ax.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
            ax.set_title(year, fontsize=10)
        axes[0][0].set_ylabel("gC m$^{-2}$ a$^{-1}$")
        axes[0][0].legend(fontsize=8)
        fig.suptitle("Annual NPP, RH and NEP per zone", fontsize=11)
        return _save(fig, path)
    finally:
        plt.close(fig)


def chart_shares(shares: dict[str, dict[str, float]], path: str, title: str = "Land-cover shares") -> str:
    """Shares (percent) of each class in each quantity: {quantity: {class: percent}}, stacked bars."""
    plt = _plt()
    quantities = list(shares)
    classes = sorted({c for d in shares.values() for c in d})
    palette = {
        "forest": "#1b5e20",
        "cropland": "#f9a825",
        "grassland": "#9ccc65",
        "water": "#1e88e5",
        "built-up": "#c62828",
        "bare": "#8d6e63",
    }
    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=110)
    try:
        up = np.zeros(len(quantities))  # positive shares stack upwards, negative (net sources of NEP) downwards
        down = np.zeros(len(quantities))
        for c in classes:
            vals = np.nan_to_num(np.array([shares[q].get(c, 0.0) for q in quantities], dtype=float))
            bottom = np.where(vals >= 0, up, down)
            ax.bar(quantities, vals, bottom=bottom, label=c, color=palette.get(c))
            for k, v in enumerate(vals):
                if abs(v) >= 6:
                    ax.text(k, bottom[k] + v / 2, f"{v:.0f} %", ha="center", va="center", fontsize=7, color="white")
            up += np.where(vals >= 0, vals, 0)
            down += np.where(vals < 0, vals, 0)
        ax.axhline(0, color="0.3", lw=0.6)
        ax.set_ylabel("share of the regional total (%)")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
        return _save(fig, path)
    finally:
        plt.close(fig)


def map_quicklook(
    raster: str,
    path: str,
    band: int = 1,
    title: str = "",
    units: str = "",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    centre_zero: bool = False,
    max_side: int = 800,
    classes: dict[int, tuple[str, str]] | None = None,
) -> str:
    """Draw one band as a PNG picture (decimated to ``max_side`` cells).

    With a colour bar, or with a legend when ``classes`` ({value: (label, colour)}) describes a
    class raster.
    """
    import rasterio
    from rasterio.enums import Resampling

    plt = _plt()
    with rasterio.open(raster) as ds:
        f = max(1, int(np.ceil(max(ds.width, ds.height) / max_side)))
        data = (
            ds.read(
                band,
                out_shape=(max(1, ds.height // f), max(1, ds.width // f)),
                masked=True,
                resampling=Resampling.nearest,
            )
            .astype(float)
            .filled(np.nan)
        )
        label = ds.descriptions[band - 1] or f"band {band}"
    if centre_zero:  # symmetric around zero, at the 98th percentile of |value| so outliers do not wash it out
        m = float(np.nanpercentile(np.abs(data), 98)) if np.isfinite(data).any() else 1.0
        vmin, vmax = -(m or 1.0), (m or 1.0)
    fig, ax = plt.subplots(figsize=(5.2, 4.2), dpi=110)
    try:
        ax.set_axis_off()
        ax.set_title(f"{title} {label}".strip(), fontsize=10)
        if classes:
            from matplotlib.colors import BoundaryNorm, ListedColormap
            from matplotlib.patches import Patch

            values = sorted(classes)
            colours = ListedColormap([classes[v][1] for v in values])
            norm = BoundaryNorm([v - 0.5 for v in values] + [values[-1] + 0.5], len(values))
            ax.imshow(data, cmap=colours, norm=norm, interpolation="nearest")
            ax.legend(
                handles=[Patch(color=classes[v][1], label=classes[v][0]) for v in values],
                fontsize=7,
                loc="upper left",
                bbox_to_anchor=(1.01, 1),
            )
        else:
            im = ax.imshow(data, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            cb = fig.colorbar(im, ax=ax, shrink=0.8)
            cb.set_label(units)
        return _save(fig, path)
    finally:
        plt.close(fig)


_HEADERS = [
    (re.compile(r"^(npp|rh|nep)_(\d{4})_mean$"), lambda m: f"{LABELS[m[1]]} {m[2]} mean (gC m-2 a-1)"),
    (re.compile(r"^(npp|rh|nep)_(\d{4})_total_ktC$"), lambda m: f"{LABELS[m[1]]} {m[2]} total (ktC)"),
    (re.compile(r"^(npp|rh|nep)_(\d{4})_share_pct$"), lambda m: f"{LABELS[m[1]]} {m[2]} share (%)"),
    (re.compile(r"^rh_npp_(\d{4})_ratio_pct$"), lambda m: f"RH/NPP {m[1]} (%)"),
    (ANNUAL_COVERAGE, lambda m: f"{LABELS[m[1]]} {m[2]} coverage (% of cells)"),
    (re.compile(r"^filled_cell_months_(\d{4})$"), lambda m: f"NDVI cell-months filled {m[1]}"),
    (re.compile(r"^area_km2$"), lambda m: "area (km2)"),
]


def readable(column: str) -> str:
    """Return a column name as a planner reads it, e.g. npp_2021_mean -> 'NPP 2021 mean (gC m-2 a-1)'."""
    for pattern, fmt in _HEADERS:
        m = pattern.match(column)
        if m:
            return fmt(m)
    return column


def _table_html(frame, max_rows: int = 60) -> str:
    frame = frame.rename(columns=readable)
    body = frame.head(max_rows).to_html(
        index=False, float_format=lambda v: f"{v:,.1f}", na_rep="", border=0, classes="t"
    )
    return f"<div class='tw'>{body}</div>"


def write_report(path: str, title: str, parameters: dict[str, object], sections: list[dict]) -> str:
    """Write an HTML report: what was run with which parameters, then sections.

    Each section: ``{"title": str, "text": str, "images": [png paths],
    "table": DataFrame | None, "files": [(label, path)]}``.  Image and file
    links are written relative to the report's folder.
    """
    folder = os.path.dirname(os.path.abspath(path))

    def rel(p: str) -> str:
        return html.escape(os.path.relpath(p, folder))

    from .. import __version__

    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;"
        "color:#222}} h1{{color:#1b5e20}} table.t{{border-collapse:collapse;font-size:12px}} "
        "table.t td,table.t th{{padding:2px 6px;border-bottom:1px solid #ddd;text-align:right}} "
        "img{{max-width:100%;margin:6px 0}} .tw{{overflow-x:auto}} "
        ".p td{{padding:1px 8px}} code{{background:#f3f3f3}}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>casa-nep {html.escape(__version__)}, {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}. "
        "NPP by the CASA light-use-efficiency model, soil heterotrophic respiration RH by Pei et al. (2010), "
        "NEP = NPP - RH (positive: net carbon sink). Units: gC m<sup>-2</sup> per month or year; totals in tC "
        "and ktC.</p>",
        "<h2>What was run</h2><table class='p'>",
    ]
    for k, v in parameters.items():
        parts.append(f"<tr><td><b>{html.escape(str(k))}</b></td><td><code>{html.escape(str(v))}</code></td></tr>")
    parts.append("</table>")
    for sec in sections:
        parts.append(f"<h2>{html.escape(sec['title'])}</h2>")
        if sec.get("text"):
            parts.append(f"<p>{sec['text']}</p>")
        for img in sec.get("images", []):
            parts.append(f"<img src='{rel(img)}' alt='{html.escape(os.path.basename(img))}'>")
        if sec.get("table") is not None:
            parts.append(_table_html(sec["table"]))
        files = sec.get("files") or []
        if files:
            parts.append(
                "<ul>" + "".join(f"<li><a href='{rel(p)}'>{html.escape(lbl)}</a></li>" for lbl, p in files) + "</ul>"
            )
    parts.append("</body></html>")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts))
    return path

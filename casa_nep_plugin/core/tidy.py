"""Wide zone and land-cover tables to one long ("tidy") table.

The wide tables have one column per quantity, period and statistic (266 and 679
columns for two years); no attribute table or chart tool handles that.  The long
table has one row per value:

    zone, class, year, month, quantity, statistic, value, unit

``quantity`` npp, rh, nep, rh/npp or area; ``statistic`` mean (area-weighted mean,
gC m-2 month-1 for a month, gC m-2 a-1 for a year), total (tC), share (% of the
regional total of that class's quantity), ratio (RH/NPP of totals, %), area (km2);
``_majority`` in the wide name (the budget by majority class instead of fractions)
becomes a statistic suffix " (majority class)".  ``month`` is empty for annual
values, ``year`` and ``month`` for areas.  The kilotonne totals (total_ktC) repeat
the tonne totals and are left out.
"""

from __future__ import annotations

import re

import pandas as pd

LONG_COLUMNS = ["zone", "class", "year", "month", "quantity", "statistic", "value", "unit"]
_VALUE = re.compile(r"^(npp|rh|nep)_(\d{4})(?:_(\d{2}))?_(mean|total_tC|share_pct)(_majority)?$")
_RATIO = re.compile(r"^rh_npp_(\d{4})(?:_(\d{2}))?_ratio_pct(_majority)?$")
_AREA = re.compile(r"^area_km2(_majority)?$")
_STAT = {"mean": "mean", "total_tC": "total", "share_pct": "share"}


def _unit(statistic: str, monthly: bool) -> str:
    if statistic == "mean":
        return "gC m-2 month-1" if monthly else "gC m-2 a-1"
    return {"total": "tC", "share": "%", "ratio": "%", "area": "km2"}[statistic]


def _parse(column: str) -> tuple[str, int | None, int | None, str, str] | None:
    """(quantity, year, month, statistic, unit) of a wide column, or None for other columns."""
    m = _VALUE.match(column)
    if m:
        q, y, mo, stat, maj = m.groups()
        s = _STAT[stat]
        return q, int(y), int(mo) if mo else None, s + (" (majority class)" if maj else ""), _unit(s, bool(mo))
    m = _RATIO.match(column)
    if m:
        y, mo, maj = m.groups()
        return "rh/npp", int(y), int(mo) if mo else None, "ratio" + (" (majority class)" if maj else ""), "%"
    m = _AREA.match(column)
    if m:
        return "area", None, None, "area" + (" (majority class)" if m.group(1) else ""), "km2"
    return None


def long_table(wide: pd.DataFrame, zone: str | pd.Series = "all", klass: str | pd.Series = "all") -> pd.DataFrame:
    """Return the long form of one wide table.

    ``zone`` / ``klass``: a column name of ``wide`` holding the zone / class of
    each row, or a constant for all rows (e.g. ``"all"`` for the whole region or
    all classes).
    """
    zones = wide[zone] if isinstance(zone, str) and zone in wide.columns else pd.Series(zone, index=wide.index)
    classes = wide[klass] if isinstance(klass, str) and klass in wide.columns else pd.Series(klass, index=wide.index)
    parts = []
    for column in wide.columns:
        parsed = _parse(str(column))
        if parsed is None:
            continue
        q, y, mo, stat, unit = parsed
        parts.append(
            pd.DataFrame(
                {
                    "zone": zones.astype(str).to_numpy(),
                    "class": classes.astype(str).to_numpy(),
                    "year": pd.array([y] * len(wide), dtype="Int64"),
                    "month": pd.array([mo] * len(wide), dtype="Int64"),
                    "quantity": q,
                    "statistic": stat,
                    "value": pd.to_numeric(wide[column], errors="coerce").to_numpy(),
                    "unit": unit,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=LONG_COLUMNS)
    return pd.concat(parts, ignore_index=True)[LONG_COLUMNS]


def sort_long(table: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered by zone, class, quantity, statistic, year, month (annual after its months)."""
    key = table.assign(_m=table["month"].fillna(13))
    order = key.sort_values(["zone", "class", "quantity", "statistic", "year", "_m"], kind="stable").index
    return table.loc[order].reset_index(drop=True)

"""The time axis of an ERA5(-Land) file: CF times decoded, steps classified and grouped into months.

Each step belongs to the month holding ``t + min(step/2, 12 h)`` (robust to
stamps at 23:00 of the day before, as some tools write daily means).  Monthly
files pass through.  Hourly and daily files are refused with the name of the
product to download, unless aggregation is asked for: the steps are then
grouped into months and the days each month's steps cover are kept.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from .errors import CasaInputError

__all__ = [
    "MONTHLY_PRODUCT",
    "MONTHLY_PRODUCT_TYPE",
    "days_in_month",
    "days_per_month",
    "decode_cf_times",
    "TimeAxis",
    "time_axis",
]

MONTHLY_PRODUCT = "ERA5-Land monthly averaged data from 1950 to present"
MONTHLY_PRODUCT_TYPE = "monthly_averaged_reanalysis"
SECONDS_PER_DAY = 86400.0


def days_in_month(month: str) -> int:
    """Days in a ``YYYY-MM`` month (proleptic Gregorian: February 2020 has 29)."""
    year, mon = int(month[:4]), int(month[5:7])
    return calendar.monthrange(year, mon)[1]


def days_per_month(months: list[str]) -> NDArray:
    """N for each ``YYYY-MM`` label, as float64."""
    return np.array([days_in_month(m) for m in months], dtype=np.float64)


_CF_TIME = re.compile(r"^\s*(\w+)\s+since\s+(.+?)\s*$", re.IGNORECASE)
_CF_DATE = re.compile(
    r"^(-?\d{1,4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?)?\s*(?:Z|UTC|GMT|[+-]00:?00)?$",
    re.IGNORECASE,
)
_UNIT_SECONDS = {
    "seconds": 1.0,
    "second": 1.0,
    "secs": 1.0,
    "sec": 1.0,
    "s": 1.0,
    "minutes": 60.0,
    "minute": 60.0,
    "mins": 60.0,
    "min": 60.0,
    "hours": 3600.0,
    "hour": 3600.0,
    "hrs": 3600.0,
    "hr": 3600.0,
    "h": 3600.0,
    "days": 86400.0,
    "day": 86400.0,
    "d": 86400.0,
}
_CALENDARS = {"", "standard", "gregorian", "proleptic_gregorian"}


def decode_cf_times(values: list[float], units: str, calendar_name: str | None, where: str) -> list[datetime]:
    """CF ``<unit> since <date>`` values to UTC datetimes (Gregorian calendars only)."""
    m = _CF_TIME.match(units or "")
    if not m or m.group(1).lower() not in _UNIT_SECONDS:
        raise CasaInputError("INPUT", f"{where}: time units '{units}' are not '<seconds|hours|days> since <date>'.")
    d = _CF_DATE.match(m.group(2).strip())
    if not d:
        raise CasaInputError("INPUT", f"{where}: cannot read the reference date of time units '{units}'.")
    if (calendar_name or "").strip().lower() not in _CALENDARS:
        raise CasaInputError(
            "INPUT", f"{where}: calendar '{calendar_name}' is not supported (ERA5 uses the Gregorian)."
        )
    sec = float(d.group(6) or 0)
    ref = datetime(
        int(d.group(1)),
        int(d.group(2)),
        int(d.group(3)),
        int(d.group(4) or 0),
        int(d.group(5) or 0),
        int(sec),
        int(round((sec % 1) * 1e6)),
    )
    step = _UNIT_SECONDS[m.group(1).lower()]
    return [ref + timedelta(seconds=float(v) * step) for v in values]


@dataclass
class TimeAxis:
    """The months a variable's time steps fall in and which steps make each month."""

    kind: str  #: monthly | daily | hourly | sub-daily
    step_days: float  #: 1 for monthly (ERA5 monthly means hold per-day accumulations)
    months: list[str]
    groups: list[list[int]]  #: step indices per month
    covered_days: list[float]


def _label(t: datetime) -> str:
    return f"{t.year:04d}-{t.month:02d}"


def _describe_step(days: float) -> str:
    if days >= 1:
        return f"{days:g} day{'s' if days != 1 else ''}"
    return f"{days * 24:g} hour{'s' if days * 24 != 1 else ''}"


def time_axis(times: list[datetime], aggregate: bool, where: str) -> TimeAxis:
    """Classify the steps (monthly or finer) and group them into months; refuses what it cannot use."""
    n = len(times)
    if n == 0:
        raise CasaInputError(
            "INPUT", f"{where} has no time axis (time or valid_time); the month of each field cannot be known."
        )
    secs = np.array([t.replace(tzinfo=UTC).timestamp() for t in times])
    if np.any(np.diff(secs) <= 0):
        raise CasaInputError("INPUT", f"{where}: time steps are not in increasing order or repeat.")
    if n == 1:
        return _one_step(times[0], where)
    step_days = float(np.median(np.diff(secs))) / SECONDS_PER_DAY
    if step_days > 31.5:
        raise CasaInputError("INPUT", f"{where}: time steps are {step_days:.0f} days apart; monthly means are needed.")
    if step_days >= 27.5:
        return _monthly_steps(times, where)
    return _finer_steps(times, step_days, aggregate, where)


def _one_step(t: datetime, where: str) -> TimeAxis:
    """Return the axis of a file with one step: a monthly mean when the step is the start of a month."""
    start = datetime(t.year, t.month, 1)
    nxt = datetime(t.year + (t.month == 12), t.month % 12 + 1, 1)
    if abs((t - start).total_seconds()) <= 43200 or abs((nxt - t).total_seconds()) <= 43200:
        lab = _label(t + timedelta(hours=12))
        return TimeAxis("monthly", 1.0, [lab], [[0]], [float(days_in_month(lab))])
    raise CasaInputError(
        "INPUT",
        f"{where} has one time step ({t:%Y-%m-%d %H:%M}) not at the start of a month, so it is not a monthly "
        f'mean. Download "{MONTHLY_PRODUCT}" (product type {MONTHLY_PRODUCT_TYPE}).',
    )


def _monthly_steps(times: list[datetime], where: str) -> TimeAxis:
    """Return the axis of monthly steps: one field per month."""
    labels = [_label(t + timedelta(hours=12)) for t in times]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise CasaInputError("INPUT", f"{where}: several monthly fields fall in {', '.join(dup[:4])}.")
    return TimeAxis("monthly", 1.0, labels, [[i] for i in range(len(times))], [float(days_in_month(x)) for x in labels])


def _finer_steps(times: list[datetime], step_days: float, aggregate: bool, where: str) -> TimeAxis:
    """Return the axis of hourly or daily steps grouped into months; refuse them unless ``aggregate``."""
    n = len(times)
    if abs(step_days * 24 - 1) < 1e-6:
        kind = "hourly"
    elif abs(step_days - 1) < 1e-6:
        kind = "daily"
    else:
        kind = "sub-daily" if step_days < 1 else f"{_describe_step(step_days)}"
    shift = timedelta(days=min(step_days / 2, 0.5))
    labels = [_label(t + shift) for t in times]
    months = sorted(set(labels))
    days: dict[str, set[date]] = {_label(t + shift): set() for t in times}
    for t in times:
        days[_label(t + shift)].add((t + shift).date())
    if len(months) > 1 and all(len(d) == 1 for d in days.values()) and step_days < 1:
        raise CasaInputError(
            "INPUT",
            f"{where} holds one day of hourly fields per month (the 'monthly averaged reanalysis by hour of day' "
            f'product?). Download "{MONTHLY_PRODUCT}" with product type {MONTHLY_PRODUCT_TYPE}.',
        )
    if not aggregate:
        raise CasaInputError(
            "INPUT",
            f"{where} holds {kind} data ({n} steps of {_describe_step(step_days)}, {times[0]:%Y-%m-%d %H:%M} .. "
            f'{times[-1]:%Y-%m-%d %H:%M}); casanep:era5land expects monthly means. Download "{MONTHLY_PRODUCT}" '
            f"(product type {MONTHLY_PRODUCT_TYPE}) from the Copernicus Climate Data Store, or set AGGREGATION to "
            "'mean' to average these steps into months (accumulated variables summed over the days covered).",
        )
    groups = [[i for i, x in enumerate(labels) if x == m] for m in months]
    return TimeAxis(kind, step_days, months, groups, [len(g) * step_days for g in groups])

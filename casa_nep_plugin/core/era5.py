"""ERA5-Land / ERA5 monthly means to the model's monthly climate stacks (METHOD.md section 6).

Pure conversions first (numpy only), then the reader.

ERA5-Land "monthly averaged reanalysis" stores accumulated variables as the
mean *daily* accumulation of the month, so with N the number of days in the
month (from the file's own time axis: 28 or 29 for February)::

    SOL (MJ m-2 month-1) = ssrd (J m-2 day-1) * N / 1e6
    T   (degC)           = t2m (K) - 273.15
    P   (mm month-1)     = tp (m day-1) * 1000 * N
    E   (mm month-1)     = -e (m day-1) * 1000 * N      ECMWF: downward positive, evaporation < 0
    PET (mm month-1)     = -pev (m day-1) * 1000 * N    likewise

E keeps its sign (dew gives E < 0); the NPP model sets negative E to 0.

The reader takes NetCDF (``time`` or the new-style ``valid_time`` axis, packed
int16 with ``scale_factor``/``add_offset``, an ``expver`` dimension merged) and
GRIB where GDAL reads it, through GDAL (rasterio) only.  A file without a CRS is
EPSG:4326 (the CDS writes none on its regular lon/lat grid).  Output is kept on
the native grid (clipped to an extent when given) or resampled bilinearly onto a
model grid, one band per month described ``YYYY-MM``.

Time steps.  Each step belongs to the month holding ``t + min(step/2, 12 h)``
(robust to stamps at 23:00 of the day before, as some tools write daily means).
Monthly files pass through.  Hourly and daily files are refused with the name
of the product to download, unless ``aggregation="mean"``: state variables
(t2m) are then averaged over the month's steps, and accumulated variables are
taken as accumulated *over each step* (ERA5 hourly single levels, daily sums),
turned into a mean daily accumulation (sum / days covered) and converted as
above.  ERA5-Land *hourly* accumulations run from 00 UTC through the day and
cannot be aggregated this way: use the monthly product.  Months the steps only
partly cover are reported.
"""

from __future__ import annotations

import calendar
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import rasterio
from numpy.typing import ArrayLike, NDArray
from rasterio.errors import RasterioIOError
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from .engine import OutputSpec, metadata_json, run_blocks
from .errors import CasaInputError
from .grid import GEOGRAPHIC_DEFAULT, ModelGrid, as_crs, cut_grid, window_of_bounds
from .model import Callbacks
from .raster import open_raster
from .resample import onto_window, source_window

__all__ = [
    "days_in_month",
    "days_per_month",
    "solar_radiation_mj",
    "kelvin_to_celsius",
    "water_mm",
    "evaporation_mm",
    "VARIABLES",
    "Era5File",
    "run_era5land",
]

MONTHLY_PRODUCT = "ERA5-Land monthly averaged data from 1950 to present"
MONTHLY_PRODUCT_TYPE = "monthly_averaged_reanalysis"
SECONDS_PER_DAY = 86400.0

# -- pure conversions ---------------------------------------------------------------------


def days_in_month(month: str) -> int:
    """Days in a ``YYYY-MM`` month (proleptic Gregorian: February 2020 has 29)."""
    year, mon = int(month[:4]), int(month[5:7])
    return calendar.monthrange(year, mon)[1]


def days_per_month(months: list[str]) -> NDArray:
    """N for each ``YYYY-MM`` label, as float64."""
    return np.array([days_in_month(m) for m in months], dtype=np.float64)


def _per_month(days: ArrayLike, like: NDArray) -> NDArray:
    """``days`` shaped to broadcast over the leading (month) axis of ``like``."""
    d = np.asarray(days, dtype=np.float64)
    if d.ndim == 0:
        return d
    return d.reshape(d.shape + (1,) * (np.ndim(like) - 1))


def solar_radiation_mj(ssrd: ArrayLike, days: ArrayLike) -> NDArray:
    """SOL (MJ m-2 month-1) = ssrd (J m-2 day-1, mean daily accumulation) * N / 1e6."""
    s = np.asarray(ssrd, dtype=np.float64)
    return s * _per_month(days, s) / 1e6


def kelvin_to_celsius(t: ArrayLike) -> NDArray:
    """T (degC) = t2m (K) - 273.15."""
    return np.asarray(t, dtype=np.float64) - 273.15


def water_mm(depth: ArrayLike, days: ArrayLike) -> NDArray:
    """P (mm month-1) = tp (m day-1) * 1000 * N."""
    d = np.asarray(depth, dtype=np.float64)
    return d * 1000.0 * _per_month(days, d)


def evaporation_mm(e: ArrayLike, days: ArrayLike) -> NDArray:
    """E (mm month-1) = -e (m day-1) * 1000 * N: ECMWF counts downward fluxes positive,
    so evaporation is negative in the file and positive here; dew stays negative."""
    return -water_mm(e, days)


# -- what the file may hold -----------------------------------------------------------------


@dataclass(frozen=True)
class Era5Variable:
    """One output stack and the ERA5 variable it comes from."""

    key: str  #: output key: SOL, T, P, E, PET
    quantity: str
    names: tuple[str, ...]  #: NetCDF variable names (ERA5 short names, CDS long names)
    grib: tuple[str, ...]  #: GDAL GRIB_ELEMENT values
    kind: str  #: temperature | radiation | water
    sign: float  #: -1 for ECMWF's downward-positive evaporation
    units: str  #: output units
    equation: str


VARIABLES: tuple[Era5Variable, ...] = (
    Era5Variable("SOL", "solar radiation", ("ssrd", "surface_solar_radiation_downwards"), ("SSRD",),
                 "radiation", 1.0, "MJ m-2 month-1", "SOL = ssrd * N / 1e6"),
    Era5Variable("T", "mean air temperature", ("t2m", "2t", "2m_temperature"), ("2T",),
                 "temperature", 1.0, "degC", "T = t2m - 273.15"),
    Era5Variable("P", "precipitation", ("tp", "total_precipitation"), ("TP",),
                 "water", 1.0, "mm month-1", "P = tp * 1000 * N"),
    Era5Variable("E", "actual evapotranspiration", ("e", "total_evaporation", "evaporation"), ("E",),
                 "water", -1.0, "mm month-1", "E = -e * 1000 * N"),
    Era5Variable("PET", "potential evapotranspiration", ("pev", "potential_evaporation"), ("PEV",),
                 "water", -1.0, "mm month-1", "PET = -pev * 1000 * N"),
)
BY_KEY = {v.key: v for v in VARIABLES}

_BASE_UNITS = {"temperature": "K", "radiation": "J m-2", "water": "m"}


def _normalise_units(units: str) -> str:
    u = units.strip().lower().replace("of water equivalent", "")
    for ch in "[]() _":
        u = u.replace(ch, "")
    u = u.replace("**", "").replace("^", "").replace("°", "deg")
    return u.replace("/m2", "m-2").replace("/(m2)", "m-2")


#: normalised units -> (kind, factor, offset, rate): value * factor + offset in
#: degC | J m-2 | m; ``rate`` marks per-second fluxes (times 86400 for a day).
_UNITS = {
    "k": ("temperature", 1.0, -273.15, False),
    "kelvin": ("temperature", 1.0, -273.15, False),
    "degk": ("temperature", 1.0, -273.15, False),
    "c": ("temperature", 1.0, 0.0, False),
    "degc": ("temperature", 1.0, 0.0, False),
    "celsius": ("temperature", 1.0, 0.0, False),
    "degreesc": ("temperature", 1.0, 0.0, False),
    "degreescelsius": ("temperature", 1.0, 0.0, False),
    "jm-2": ("radiation", 1.0, 0.0, False),
    "j/m2": ("radiation", 1.0, 0.0, False),
    "wm-2": ("radiation", 1.0, 0.0, True),
    "w/m2": ("radiation", 1.0, 0.0, True),
    "m": ("water", 1.0, 0.0, False),
    "metre": ("water", 1.0, 0.0, False),
    "metres": ("water", 1.0, 0.0, False),
    "meter": ("water", 1.0, 0.0, False),
    "mm": ("water", 0.001, 0.0, False),
    "kgm-2": ("water", 0.001, 0.0, False),
    "kg/m2": ("water", 0.001, 0.0, False),
}


def parse_units(units: str | None, var: Era5Variable, name: str, path: str) -> tuple[float, float, bool]:
    """(factor, offset, rate) for a variable's units; raises on units that do not fit it."""
    if not units or not units.strip():
        units = _BASE_UNITS[var.kind]
    found = _UNITS.get(_normalise_units(units))
    if found is None or found[0] != var.kind:
        expected = {"temperature": "K or degC", "radiation": "J m-2 (or W m-2)", "water": "m (or mm, kg m-2)"}
        raise CasaInputError(
            "INPUT",
            f"variable '{name}' in '{os.path.basename(path)}' has units '{units}', which casanep:era5land "
            f"does not know for {var.quantity}; expected {expected[var.kind]}.",
        )
    return found[1], found[2], found[3]


# -- time ---------------------------------------------------------------------------------

_CF_TIME = re.compile(r"^\s*(\w+)\s+since\s+(.+?)\s*$", re.IGNORECASE)
_CF_DATE = re.compile(
    r"^(-?\d{1,4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?)?\s*(?:Z|UTC|GMT|[+-]00:?00)?$",
    re.IGNORECASE,
)
_UNIT_SECONDS = {
    "seconds": 1.0, "second": 1.0, "secs": 1.0, "sec": 1.0, "s": 1.0,
    "minutes": 60.0, "minute": 60.0, "mins": 60.0, "min": 60.0,
    "hours": 3600.0, "hour": 3600.0, "hrs": 3600.0, "hr": 3600.0, "h": 3600.0,
    "days": 86400.0, "day": 86400.0, "d": 86400.0,
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
        raise CasaInputError("INPUT", f"{where}: calendar '{calendar_name}' is not supported "
                             "(ERA5 uses the Gregorian).")
    sec = float(d.group(6) or 0)
    ref = datetime(int(d.group(1)), int(d.group(2)), int(d.group(3)), int(d.group(4) or 0), int(d.group(5) or 0),
                   int(sec), int(round((sec % 1) * 1e6)))
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
        raise CasaInputError("INPUT", f"{where} has no time axis (time or valid_time); the month of each field "
                             "cannot be known.")
    secs = np.array([t.replace(tzinfo=UTC).timestamp() for t in times])
    if np.any(np.diff(secs) <= 0):
        raise CasaInputError("INPUT", f"{where}: time steps are not in increasing order or repeat.")
    if n == 1:
        t = times[0]
        start = datetime(t.year, t.month, 1)
        nxt = datetime(t.year + (t.month == 12), t.month % 12 + 1, 1)
        if abs((t - start).total_seconds()) <= 43200 or abs((nxt - t).total_seconds()) <= 43200:
            lab = _label(t + timedelta(hours=12))
            return TimeAxis("monthly", 1.0, [lab], [[0]], [float(days_in_month(lab))])
        raise CasaInputError(
            "INPUT",
            f"{where} has one time step ({t:%Y-%m-%d %H:%M}) not at the start of a month, so it is not a monthly "
            f"mean. Download \"{MONTHLY_PRODUCT}\" (product type {MONTHLY_PRODUCT_TYPE}).",
        )
    step_days = float(np.median(np.diff(secs))) / SECONDS_PER_DAY
    if step_days > 31.5:
        raise CasaInputError("INPUT", f"{where}: time steps are {step_days:.0f} days apart; monthly means are needed.")
    if step_days >= 27.5:
        labels = [_label(t + timedelta(hours=12)) for t in times]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise CasaInputError("INPUT", f"{where}: several monthly fields fall in {', '.join(dup[:4])}.")
        return TimeAxis("monthly", 1.0, labels, [[i] for i in range(n)], [float(days_in_month(x)) for x in labels])
    if abs(step_days * 24 - 1) < 1e-6:
        kind = "hourly"
    elif abs(step_days - 1) < 1e-6:
        kind = "daily"
    else:
        kind = "sub-daily" if step_days < 1 else f"{_describe_step(step_days)}"
    shift = timedelta(days=min(step_days / 2, 0.5))
    labels = [_label(t + shift) for t in times]
    months = sorted(set(labels))
    days = {_label(t + shift): set() for t in times}
    for t in times:
        days[_label(t + shift)].add((t + shift).date())
    if len(months) > 1 and all(len(d) == 1 for d in days.values()) and step_days < 1:
        raise CasaInputError(
            "INPUT",
            f"{where} holds one day of hourly fields per month (the 'monthly averaged reanalysis by hour of day' "
            f"product?). Download \"{MONTHLY_PRODUCT}\" with product type {MONTHLY_PRODUCT_TYPE}.",
        )
    if not aggregate:
        raise CasaInputError(
            "INPUT",
            f"{where} holds {kind} data ({n} steps of {_describe_step(step_days)}, {times[0]:%Y-%m-%d %H:%M} .. "
            f"{times[-1]:%Y-%m-%d %H:%M}); casanep:era5land expects monthly means. Download \"{MONTHLY_PRODUCT}\" "
            f"(product type {MONTHLY_PRODUCT_TYPE}) from the Copernicus Climate Data Store, or set AGGREGATION to "
            "'mean' to average these steps into months (accumulated variables summed over the days covered).",
        )
    groups = [[i for i, x in enumerate(labels) if x == m] for m in months]
    return TimeAxis(kind, step_days, months, groups, [len(g) * step_days for g in groups])


# -- the file -------------------------------------------------------------------------------


@dataclass
class _Source:
    """One ERA5 variable in the file: where its fields are and what they mean."""

    var: Era5Variable
    name: str
    dataset: object = field(repr=False)
    units: str = ""
    times: list[datetime] = field(default_factory=list)
    bands: list[list[int]] = field(default_factory=list)  #: 1-based bands per step (several: expver)
    axis: TimeAxis | None = None
    factor: float = 1.0
    offset: float = 0.0
    rate: bool = False


def _netcdf_diagnosis(path: str) -> str | None:
    """Why a NetCDF holds no grid GDAL can use (point series), from its dimensions; None if unknown."""
    try:
        from osgeo import gdal
    except ImportError:  # pragma: no cover - QGIS always ships the bindings
        return None
    try:
        with_exc = gdal.GetUseExceptions()
        gdal.UseExceptions()
        try:
            ds = gdal.OpenEx(path, gdal.OF_MULTIDIM_RASTER)
            root = ds.GetRootGroup()
            arrays = {n: [d.GetName() for d in root.OpenMDArray(n).GetDimensions()] for n in root.GetMDArrayNames()}
        finally:
            if not with_exc:
                gdal.DontUseExceptions()
    except Exception:  # noqa: BLE001 - not readable as multidimensional either
        return None
    geo = re.compile(r"^(lat|latitude|lon|longitude|x|y|rlat|rlon)$", re.IGNORECASE)
    fields = {n: dims for n, dims in arrays.items() if len(dims) >= 1 and n not in dims}
    if fields and not any(sum(bool(geo.match(d)) for d in dims) >= 2 for dims in fields.values()):
        shown = "; ".join(f"{n}({', '.join(d)})" for n, d in list(fields.items())[:4])
        return f"holds point or station series, not a latitude/longitude grid: {shown}"
    return None


def _point_error(path: str, detail: str) -> CasaInputError:
    return CasaInputError(
        "INPUT",
        f"'{os.path.basename(path)}' {detail}. casanep:era5land needs gridded fields: download \"{MONTHLY_PRODUCT}\" "
        f"(product type {MONTHLY_PRODUCT_TYPE}) for your area from the Copernicus Climate Data Store.",
    )


def _first_int(text: str | None) -> int | None:
    m = re.search(r"-?\d+", text or "")
    return int(m.group(0)) if m else None


class Era5File:
    """An ERA5(-Land) NetCDF or GRIB file opened for reading monthly fields.

    ``sources`` maps output keys (SOL, T, P, E, PET) to the variables found;
    ``grid`` is the native grid (EPSG:4326 when the file names no CRS).
    """

    def __init__(self, path: str, aggregate: bool = False, callbacks: Callbacks | None = None) -> None:
        self.path = path
        self.cb = callbacks or Callbacks()
        self.sources: dict[str, _Source] = {}
        self._open: list = []
        self.crs_assumed = False
        if not path or not os.path.exists(path):
            raise CasaInputError("INPUT", f"the file '{path}' does not exist.")
        try:
            ds = open_raster(path)
        except (RasterioIOError, OSError) as exc:
            detail = _netcdf_diagnosis(path)
            if detail:
                raise _point_error(path, detail) from exc
            raise CasaInputError("INPUT", f"cannot open '{os.path.basename(path)}' as NetCDF or GRIB ({exc}).") from exc
        self._open.append(ds)
        try:
            if ds.driver == "netCDF":
                self._scan_netcdf(ds)
            elif ds.driver == "GRIB":
                self._scan_grib(ds)
            else:
                raise CasaInputError("INPUT", f"'{os.path.basename(path)}' is a {ds.driver} raster, "
                                     "not NetCDF or GRIB.")
            for src in self.sources.values():
                src.axis = time_axis(src.times, aggregate, f"'{os.path.basename(path)}' ({src.name})")
                src.factor, src.offset, src.rate = parse_units(src.units, src.var, src.name, path)
                if not src.units:
                    self.cb.warning(f"INPUT: '{src.name}' has no units; taken as {_BASE_UNITS[src.var.kind]}.")
            self.grid = self._native_grid()
        except BaseException:
            self.close()
            raise

    # -- scanning ------------------------------------------------------------------------
    def _scan_netcdf(self, ds) -> None:
        base = os.path.basename(self.path)
        paths = [s for s in ds.subdatasets] or [self.path]
        wanted = {n.lower(): v for v in VARIABLES for n in v.names}
        names, georeferenced = [], False
        for sds in paths:
            label = sds.rsplit(":", 1)[-1].strip('"') if sds != self.path else None
            if label is None:
                label = ds.tags(1).get("NETCDF_VARNAME", "") if ds.count else ""
            names.append(label)
            var = wanted.get(label.lower())
            sub = ds if sds == self.path else None
            if var is None or var.key in self.sources:
                if not georeferenced:
                    if sub is not None:
                        georeferenced = sub.transform != rasterio.Affine.identity()
                    else:
                        with open_raster(sds) as probe:
                            georeferenced = probe.transform != rasterio.Affine.identity()
                continue
            if sub is None:
                sub = open_raster(sds)
                self._open.append(sub)
            if sub.transform == rasterio.Affine.identity() and sub.crs is None:
                raise _point_error(self.path, _netcdf_diagnosis(self.path) or
                                   f"has no regular latitude/longitude grid for '{label}'")
            georeferenced = True
            self.sources[var.key] = self._netcdf_source(sub, var, label)
        if not self.sources:
            if not georeferenced:
                raise _point_error(self.path, _netcdf_diagnosis(self.path) or "holds no latitude/longitude grid")
            expected = ", ".join(f"{v.names[0]} ({v.key})" for v in VARIABLES)
            raise CasaInputError(
                "INPUT",
                f"'{base}' holds none of the ERA5 variables casanep:era5land reads; it has "
                f"{', '.join(n for n in names if n) or 'no variables'}; expected any of {expected} "
                "(or the CDS long names such as 2m_temperature).",
            )

    def _netcdf_source(self, sub, var: Era5Variable, label: str) -> _Source:
        base = os.path.basename(self.path)
        tags = sub.tags()
        extra = [d for d in tags.get("NETCDF_DIM_EXTRA", "").strip("{}").split(",") if d]
        time_dims = [d for d in extra if d in ("time", "valid_time")] or [
            d for d in extra if tags.get(f"{d}#standard_name") == "time" or tags.get(f"{d}#axis") == "T"
        ]
        if not time_dims:
            raise CasaInputError("INPUT", f"'{base}' ({label}) has no time axis (time or valid_time); the month of "
                                 "each field cannot be known.")
        tdim = time_dims[0]
        others = [d for d in extra if d != tdim]
        for d in others:
            values = tags.get(f"NETCDF_DIM_{d}_VALUES", "{}").strip("{}").split(",")
            if d != "expver" and len([v for v in values if v]) > 1:
                raise CasaInputError(
                    "INPUT",
                    f"'{base}' ({label}) has a further dimension '{d}' with {len(values)} values; keep one "
                    "(e.g. cdo sellevidx or ncks -d) and try again.",
                )
        raw: dict[float, list[int]] = {}
        for b in range(1, sub.count + 1):
            value = sub.tags(b).get(f"NETCDF_DIM_{tdim}")
            if value is None:
                raise CasaInputError("INPUT", f"'{base}' ({label}): band {b} has no {tdim} value.")
            raw.setdefault(float(value), []).append(b)
        values = sorted(raw)
        times = decode_cf_times(values, tags.get(f"{tdim}#units", ""), tags.get(f"{tdim}#calendar"),
                                f"'{base}' ({label})")
        units = sub.tags(1).get("units", "") or (sub.units[0] or "")
        return _Source(var, label, sub, units, times, [raw[v] for v in values])

    def _scan_grib(self, ds) -> None:
        base = os.path.basename(self.path)
        by_element: dict[str, dict[int, list[int]]] = {}
        units: dict[str, str] = {}
        for b in range(1, ds.count + 1):
            t = ds.tags(b)
            el = (t.get("GRIB_ELEMENT") or "").strip()
            vt = _first_int(t.get("GRIB_VALID_TIME"))
            if not el or vt is None:
                continue
            by_element.setdefault(el, {}).setdefault(vt, []).append(b)
            units.setdefault(el, t.get("GRIB_UNIT", ""))
        wanted = {g: v for v in VARIABLES for g in v.grib}
        for el, steps in by_element.items():
            var = wanted.get(el.upper())
            if var is None or var.key in self.sources:
                continue
            many = [vt for vt, bands in steps.items() if len(bands) > 1]
            if many:
                raise CasaInputError("INPUT", f"'{base}': {el} has several fields per time step (levels or ensemble "
                                     "members?); keep one per time step.")
            order = sorted(steps)
            times = [datetime(1970, 1, 1) + timedelta(seconds=v) for v in order]
            self.sources[var.key] = _Source(var, el, ds, units.get(el, ""), times, [steps[v] for v in order])
        if not self.sources:
            expected = ", ".join(g for v in VARIABLES for g in v.grib)
            have = ", ".join(sorted(by_element)) or "none GDAL recognises"
            raise CasaInputError("INPUT", f"'{base}' holds none of the ERA5 fields casanep:era5land reads; it has "
                                 f"{have}; expected any of {expected}.")

    def _native_grid(self) -> ModelGrid:
        grids = {}
        for key, src in self.sources.items():
            g = ModelGrid.of(src.dataset)
            if g.crs is None:
                g = ModelGrid(GEOGRAPHIC_DEFAULT, g.transform, g.width, g.height)
                self.crs_assumed = True
            grids[key] = g
        first = next(iter(grids.values()))
        for key, g in grids.items():
            if not g.aligned_with(first):
                raise CasaInputError("INPUT", f"'{os.path.basename(self.path)}': the variables lie on different grids "
                                     f"({self.sources[key].name}); split them into one file per grid.")
        if first.transform.b or first.transform.d:
            raise CasaInputError("INPUT", f"'{os.path.basename(self.path)}' is not on a north-up lon/lat grid.")
        return first

    # -- reading -------------------------------------------------------------------------
    def months(self, key: str) -> list[str]:
        """The months (``YYYY-MM``) of an output."""
        return self.sources[key].axis.months

    def monthly_block(self, key: str, window: Window, max_values: int = 1 << 22) -> NDArray:
        """(months, rows, cols) in output units for ``window`` of the native grid; NaN for gaps."""
        src = self.sources[key]
        ax = src.axis
        ds = src.dataset
        h, w = int(window.height), int(window.width)
        days = np.asarray(days_per_month(ax.months))
        out = np.full((len(ax.months), h, w), np.nan, dtype=np.float64)
        per_read = max(1, max_values // max(1, h * w))
        step_factor = SECONDS_PER_DAY if src.rate else 1.0 / ax.step_days
        for mi, steps in enumerate(ax.groups):
            total = np.zeros((h, w))
            count = np.zeros((h, w))
            for lo in range(0, len(steps), per_read):
                chunk = steps[lo:lo + per_read]
                bands = [b for s in chunk for b in src.bands[s]]
                data = ds.read(bands, window=window, masked=True).astype(np.float64).filled(np.nan)
                scales = np.array([ds.scales[b - 1] for b in bands])[:, None, None]
                offsets = np.array([ds.offsets[b - 1] for b in bands])[:, None, None]
                data = data * scales + offsets
                i = 0
                for s in chunk:
                    k = len(src.bands[s])
                    field_ = data[i]
                    for j in range(1, k):  # expver: the first valid of ERA5 and ERA5T
                        field_ = np.where(np.isfinite(field_), field_, data[i + j])
                    i += k
                    ok = np.isfinite(field_)
                    total += np.where(ok, field_, 0.0)
                    count += ok
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
            value = mean * src.factor + src.offset
            if src.var.kind == "temperature":
                out[mi] = value
                continue
            daily = value * step_factor  # per-day accumulation (J m-2 day-1 or m day-1)
            if src.var.kind == "radiation":
                out[mi] = solar_radiation_mj(daily, days[mi])
            else:
                out[mi] = src.var.sign * water_mm(daily, days[mi])
        return out

    def close(self) -> None:
        """Close every dataset opened."""
        for ds in self._open:
            try:
                ds.close()
            except Exception:  # noqa: BLE001 - closing twice is harmless
                pass
        self._open = []


def _lon_shift(native: ModelGrid, request: tuple[float, float, float, float]) -> float:
    """-360 where a file in 0..360 longitudes meets ``request`` (bounds in its CRS, -180..180) better
    shifted west; else 0."""
    if not native.crs.is_geographic:
        return 0.0
    left, _, right, _ = native.bounds

    def overlap(shift: float) -> float:
        return max(0.0, min(right + shift, request[2]) - max(left + shift, request[0]))

    return -360.0 if right > 180.0 and overlap(-360.0) > overlap(0.0) else 0.0


def _shifted(grid: ModelGrid, shift: float) -> ModelGrid:
    if not shift:
        return grid
    t = grid.transform
    return ModelGrid(grid.crs, rasterio.Affine(t.a, t.b, t.c + shift, t.d, t.e, t.f), grid.width, grid.height)


def run_era5land(
    path: str,
    outputs: dict[str, str],
    grid: ModelGrid | None = None,
    extent=None,
    extent_crs=None,
    aggregation: str = "none",
    callbacks: Callbacks | None = None,
) -> dict[str, str]:
    """Monthly SOL, T, P, E and PET stacks from an ERA5(-Land) file; returns the written paths.

    ``outputs`` maps keys (SOL, T, P, E, PET) to destination GeoTIFFs; a key
    whose variable the file lacks is skipped with a warning (an error when no
    requested variable is present).  ``grid``: the model grid (bilinear), or
    None to keep the native grid, cut to ``extent`` (in ``extent_crs``,
    default the file's lon/lat) when given.  ``aggregation``: ``"none"`` (monthly files
    only) or ``"mean"`` (hourly/daily steps averaged into months).
    """
    cb = callbacks or Callbacks()
    if aggregation not in ("none", "mean"):
        raise CasaInputError("AGGREGATION", f"must be 'none' or 'mean', not '{aggregation}'.")
    unknown = [k for k in outputs if k not in BY_KEY]
    if unknown:
        raise ValueError(f"unknown outputs {unknown}; known: {list(BY_KEY)}")
    requested = {k: p for k, p in outputs.items() if p}
    if not requested:
        raise CasaInputError("OUTPUT", "no output was requested.")
    f = Era5File(path, aggregate=aggregation == "mean", callbacks=cb)
    try:
        base = os.path.basename(path)
        present = {k: p for k, p in requested.items() if k in f.sources}
        for k in requested:
            if k not in present:
                cb.warning(f"{BY_KEY[k].key}: '{base}' has no {'/'.join(BY_KEY[k].names[:1])} "
                           f"({BY_KEY[k].quantity}); that output is not written.")
        if not present:
            found = ", ".join(f"{s.name} ({k})" for k, s in f.sources.items())
            raise CasaInputError("INPUT", f"'{base}' holds {found} but none of the requested outputs "
                                 f"({', '.join(requested)}).")
        if f.crs_assumed:
            cb.info(f"INPUT: '{base}' names no CRS; its regular lon/lat grid is taken as EPSG:4326.")
        native = f.grid
        if grid is not None:
            if grid.crs is None:
                raise CasaInputError("GRID_CRS", "the model grid has no CRS.")
            req = transform_bounds(grid.crs, native.crs, *grid.bounds, densify_pts=21)
            native_s = _shifted(native, _lon_shift(native, req))
            if window_of_bounds(native_s, grid.bounds, grid.crs) is None:
                raise CasaInputError("INPUT", f"'{base}' (lon {native.bounds[0]:g}..{native.bounds[2]:g}, lat "
                                     f"{native.bounds[1]:g}..{native.bounds[3]:g}) does not overlap the model grid.")
            out_grid = grid
        else:
            native_s = native
            if extent is not None:
                ecrs = as_crs(extent_crs, "EXTENT") if extent_crs is not None else native.crs
                req = extent if ecrs == native.crs else transform_bounds(ecrs, native.crs, *extent, densify_pts=21)
                native_s = _shifted(native, _lon_shift(native, req))
                out_grid = cut_grid(native_s, extent, ecrs, f"'{base}'")
            else:
                out_grid = native
        keys = list(present)
        for k in keys:
            ax = f.sources[k].axis
            if ax.kind != "monthly":
                short = [f"{m} ({c:g} of {days_in_month(m)} days)" for m, c in zip(ax.months, ax.covered_days)
                         if c < days_in_month(m) - 1e-6]
                cb.info(f"{k}: {ax.kind} steps averaged into {len(ax.months)} month(s).")
                if short:
                    cb.warning(f"{k}: months only partly covered by the file: {', '.join(short[:6])}"
                               f"{' ...' if len(short) > 6 else ''}; their values extrapolate the days present.")

        def compute(window: Window) -> dict[str, NDArray]:
            sw = source_window(native_s, out_grid, window, margin=2)
            result = {}
            for k in keys:
                n = len(f.sources[k].axis.months)
                if sw is None:
                    result[k] = np.full((n, int(window.height), int(window.width)), np.nan, np.float32)
                    continue
                block = f.monthly_block(k, sw).astype(np.float32)
                result[k] = onto_window(block, sw, native_s, out_grid, window)
            return result

        from .. import __version__

        specs = []
        for k in keys:
            var, src = BY_KEY[k], f.sources[k]
            tags = {
                "casanep_quantity": k,
                "units": var.units,
                "casanep_equation": var.equation + ("  (N = days in the month)" if "N" in var.equation else ""),
                "casanep_days_per_month": metadata_json([int(d) for d in days_per_month(src.axis.months)]),
                "casanep_inputs": metadata_json({"file": path, "variable": src.name, "units": src.units}),
                "casanep_parameters": metadata_json({"aggregation": aggregation, "time_steps": src.axis.kind,
                                                     "grid": "model" if grid is not None else "native"}),
                "casanep_version": __version__,
            }
            specs.append(OutputSpec(k, present[k], src.axis.months, var.units, tags, parameter=f"OUTPUT_{k}"))
        depth = sum(len(f.sources[k].axis.months) for k in keys) * 3
        cb.info(f"{', '.join(keys)} for {len(f.sources[keys[0]].axis.months)} month(s) on a "
                f"{out_grid.width} x {out_grid.height} grid ({'model grid, bilinear' if grid else 'native grid'}).")
        run_blocks(out_grid, compute, specs, cb.progress, cb.is_cancelled, depth=depth)
    finally:
        f.close()
    return {s.key: s.path for s in specs}


"""An ERA5(-Land) NetCDF or GRIB file opened for reading monthly fields.

Through GDAL (rasterio) only: NetCDF (``time`` or the new-style ``valid_time``
axis, packed int16 with ``scale_factor``/``add_offset``, an ``expver`` dimension
merged) and GRIB where GDAL reads it.  A file without a CRS is EPSG:4326 (the
CDS writes none on its regular lon/lat grid).  :class:`Era5File` finds the
variables (:mod:`.era5_units`), their time axes (:mod:`.era5_time`) and the
native grid, and reads any window of a variable as monthly values in output
units.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from .containers import open_raster
from .engine import Callbacks
from .era5_time import (
    MONTHLY_PRODUCT,
    MONTHLY_PRODUCT_TYPE,
    SECONDS_PER_DAY,
    TimeAxis,
    days_per_month,
    decode_cf_times,
    time_axis,
)
from .era5_units import BASE_UNITS, VARIABLES, Era5Variable, parse_units
from .errors import CasaInputError
from .grid import GEOGRAPHIC_DEFAULT, ModelGrid

__all__ = ["Era5File", "check_aggregation"]


@dataclass
class _Source:
    """One ERA5 variable in the file: where its fields are and what they mean."""

    var: Era5Variable
    name: str
    dataset: Any = field(repr=False)
    units: str = ""
    times: list[datetime] = field(default_factory=list)
    bands: list[list[int]] = field(default_factory=list)  #: 1-based bands per step (several: expver)
    axis: TimeAxis = field(default_factory=lambda: TimeAxis("unknown", 1.0, [], [], []))  #: set on opening
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
                raise CasaInputError(
                    "INPUT", f"'{os.path.basename(path)}' is a {ds.driver} raster, not NetCDF or GRIB."
                )
            for src in self.sources.values():
                src.axis = time_axis(src.times, aggregate, f"'{os.path.basename(path)}' ({src.name})")
                src.factor, src.offset, src.rate = parse_units(src.units, src.var, src.name, path)
                if not src.units:
                    self.cb.warning(f"INPUT: '{src.name}' has no units; taken as {BASE_UNITS[src.var.kind]}.")
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
                raise _point_error(
                    self.path, _netcdf_diagnosis(self.path) or f"has no regular latitude/longitude grid for '{label}'"
                )
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
            raise CasaInputError(
                "INPUT",
                f"'{base}' ({label}) has no time axis (time or valid_time); the month of each field cannot be known.",
            )
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
        times = decode_cf_times(
            values, tags.get(f"{tdim}#units", ""), tags.get(f"{tdim}#calendar"), f"'{base}' ({label})"
        )
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
                raise CasaInputError(
                    "INPUT",
                    f"'{base}': {el} has several fields per time step (levels or ensemble "
                    "members?); keep one per time step.",
                )
            order = sorted(steps)
            times = [datetime(1970, 1, 1) + timedelta(seconds=v) for v in order]
            self.sources[var.key] = _Source(var, el, ds, units.get(el, ""), times, [steps[v] for v in order])
        if not self.sources:
            expected = ", ".join(g for v in VARIABLES for g in v.grib)
            have = ", ".join(sorted(by_element)) or "none GDAL recognises"
            raise CasaInputError(
                "INPUT",
                f"'{base}' holds none of the ERA5 fields casanep:era5land reads; it has "
                f"{have}; expected any of {expected}.",
            )

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
                raise CasaInputError(
                    "INPUT",
                    f"'{os.path.basename(self.path)}': the variables lie on different grids "
                    f"({self.sources[key].name}); split them into one file per grid.",
                )
        if first.transform.b or first.transform.d:
            raise CasaInputError("INPUT", f"'{os.path.basename(self.path)}' is not on a north-up lon/lat grid.")
        return first

    # -- reading -------------------------------------------------------------------------
    def months(self, key: str) -> list[str]:
        """Return the months (``YYYY-MM``) of an output."""
        return self.sources[key].axis.months

    def monthly_block(self, key: str, window: Window, max_values: int = 1 << 22) -> NDArray:
        """(months, rows, cols) in output units for ``window`` of the native grid; NaN for gaps."""
        src = self.sources[key]
        ax = src.axis
        h, w = int(window.height), int(window.width)
        days = np.asarray(days_per_month(ax.months))
        out = np.full((len(ax.months), h, w), np.nan, dtype=np.float64)
        per_read = max(1, max_values // max(1, h * w))
        per_day = SECONDS_PER_DAY if src.rate else 1.0 / ax.step_days
        for mi, steps in enumerate(ax.groups):
            mean = _month_mean(src, steps, window, per_read)
            out[mi] = src.var.monthly(mean * src.factor + src.offset, per_day, days[mi])
        return out

    def close(self) -> None:
        """Close every dataset opened."""
        for ds in self._open:
            try:
                ds.close()
            except Exception:  # noqa: BLE001 - closing twice is harmless
                pass
        self._open = []


def _month_mean(src: _Source, steps: list[int], window: Window, per_read: int) -> NDArray:
    """Mean of a month's steps (file units) over ``window``, ``per_read`` steps per read; NaN where none is valid."""
    ds = src.dataset
    h, w = int(window.height), int(window.width)
    total = np.zeros((h, w))
    count = np.zeros((h, w))
    for lo in range(0, len(steps), per_read):
        chunk = steps[lo : lo + per_read]
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
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def check_aggregation(aggregation: str) -> None:
    """Raise unless ``aggregation`` is ``none`` (monthly files only) or ``mean`` (finer steps averaged)."""
    if aggregation not in ("none", "mean"):
        raise CasaInputError("AGGREGATION", f"must be 'none' or 'mean', not '{aggregation}'.")

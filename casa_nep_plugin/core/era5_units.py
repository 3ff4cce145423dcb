"""ERA5 variables and their units: what a file may hold and how each becomes an output stack.

ERA5-Land "monthly averaged reanalysis" stores accumulated variables as the
mean *daily* accumulation of the month, so with N the number of days in the
month (from the file's own time axis: 28 or 29 for February)::

    SOL (MJ m-2 month-1) = ssrd (J m-2 day-1) * N / 1e6
    T   (degC)           = t2m (K) - 273.15
    P   (mm month-1)     = tp (m day-1) * 1000 * N
    E   (mm month-1)     = -e (m day-1) * 1000 * N      ECMWF: downward positive, evaporation < 0
    PET (mm month-1)     = -pev (m day-1) * 1000 * N    likewise

E keeps its sign (dew gives E < 0); the NPP model sets negative E to 0.  The
file's units are read first (:func:`parse_units`): temperatures in K or degC
become degC, radiation in J m-2 (or W m-2) J m-2, water in m (or mm, kg m-2) m.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import CasaInputError

__all__ = [
    "solar_radiation_mj",
    "water_mm",
    "evaporation_mm",
    "Era5Variable",
    "VARIABLES",
    "BY_KEY",
    "BASE_UNITS",
    "parse_units",
]


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


def water_mm(depth: ArrayLike, days: ArrayLike) -> NDArray:
    """P (mm month-1) = tp (m day-1) * 1000 * N."""
    d = np.asarray(depth, dtype=np.float64)
    return d * 1000.0 * _per_month(days, d)


def evaporation_mm(e: ArrayLike, days: ArrayLike) -> NDArray:
    """E (mm month-1) = -e (m day-1) * 1000 * N.

    ECMWF counts downward fluxes positive, so evaporation is negative in the
    file and positive here; dew stays negative.  PET the same from pev.
    """
    return -water_mm(e, days)


@dataclass(frozen=True)
class Era5Variable:
    """One output stack and the ERA5 variable it comes from."""

    key: str  #: output key: SOL, T, P, E, PET
    quantity: str
    names: tuple[str, ...]  #: NetCDF variable names (ERA5 short names, CDS long names)
    grib: tuple[str, ...]  #: GDAL GRIB_ELEMENT values
    kind: str  #: temperature | radiation | water
    #: (per-day accumulation in J m-2 day-1 or m day-1, days in the month) -> output units;
    #: None for temperature, a state that the units table already gives in degC
    convert: Callable[[ArrayLike, ArrayLike], NDArray] | None
    units: str  #: output units
    equation: str

    def monthly(self, value: NDArray, per_day: float, days: ArrayLike) -> NDArray:
        """Return a month's mean in base units (degC, J m-2 or m per step) in output units.

        ``per_day`` turns an accumulation per step (or a rate per second) into one per day.
        """
        if self.convert is None:
            return value
        return self.convert(value * per_day, days)


VARIABLES: tuple[Era5Variable, ...] = (
    Era5Variable(
        "SOL",
        "solar radiation",
        ("ssrd", "surface_solar_radiation_downwards"),
        ("SSRD",),
        "radiation",
        solar_radiation_mj,
        "MJ m-2 month-1",
        "SOL = ssrd * N / 1e6",
    ),
    Era5Variable(
        "T",
        "mean air temperature",
        ("t2m", "2t", "2m_temperature"),
        ("2T",),
        "temperature",
        None,
        "degC",
        "T = t2m - 273.15",
    ),
    Era5Variable(
        "P",
        "precipitation",
        ("tp", "total_precipitation"),
        ("TP",),
        "water",
        water_mm,
        "mm month-1",
        "P = tp * 1000 * N",
    ),
    Era5Variable(
        "E",
        "actual evapotranspiration",
        ("e", "total_evaporation", "evaporation"),
        ("E",),
        "water",
        evaporation_mm,
        "mm month-1",
        "E = -e * 1000 * N",
    ),
    Era5Variable(
        "PET",
        "potential evapotranspiration",
        ("pev", "potential_evaporation"),
        ("PEV",),
        "water",
        evaporation_mm,
        "mm month-1",
        "PET = -pev * 1000 * N",
    ),
)
BY_KEY = {v.key: v for v in VARIABLES}

BASE_UNITS = {"temperature": "K", "radiation": "J m-2", "water": "m"}


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
        units = BASE_UNITS[var.kind]
    found = _UNITS.get(_normalise_units(units))
    if found is None or found[0] != var.kind:
        expected = {"temperature": "K or degC", "radiation": "J m-2 (or W m-2)", "water": "m (or mm, kg m-2)"}
        raise CasaInputError(
            "INPUT",
            f"variable '{name}' in '{os.path.basename(path)}' has units '{units}', which casanep:era5land "
            f"does not know for {var.quantity}; expected {expected[var.kind]}.",
        )
    return found[1], found[2], found[3]

"""Parameter distributions of casanep:uncertainty and every member's draw of them.

The distribution table (``resources/tables/parameter_uncertainty.csv``, replaceable)
names, per parameter, a ``fixed``, ``normal`` or ``uniform`` distribution around
the run's own value; :func:`draw_members` draws all members' parameters up front
from ``numpy.random.default_rng(seed)`` in a fixed order (classes in the
vegetation table's order, then the scalar parameters), so a seed gives the same
ensemble whatever the machine, the thread count or the windows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .errors import CasaInputError
from .params import ModelParams
from .tables import TABLES_DIR, read_csv_rows

__all__ = [
    "DEFAULT_UNCERTAINTY_TABLE",
    "CLASS_PARAMETERS",
    "SCALAR_PARAMETERS",
    "Distribution",
    "load_distributions",
    "MemberParams",
    "draw_members",
]

DEFAULT_UNCERTAINTY_TABLE = TABLES_DIR / "parameter_uncertainty.csv"
CLASS_PARAMETERS = ("epsilon_max", "ndvi_min", "ndvi_max")
SCALAR_PARAMETERS = (
    "fpar_min",
    "fpar_max",
    "te2_scale",
    "water_stress_min",
    "respiration_a",
    "respiration_b",
    "respiration_c",
)


@dataclass(frozen=True)
class Distribution:
    """One parameter's distribution around a centre value: ``fixed``, ``normal`` or ``uniform``."""

    kind: str
    args: dict[str, float]
    source: str = ""

    def draw(self, centre: float, n: int, rng: np.random.Generator) -> NDArray:
        """``n`` values around ``centre`` (the run's own value)."""
        a = self.args
        if self.kind == "fixed":
            return np.full(n, a.get("value", centre), np.float64)
        if self.kind == "normal":
            mean = a.get("mean", centre)
            sd = a["sd"] if "sd" in a else a.get("rel_sd", 0.0) * abs(mean)
            return mean + sd * rng.standard_normal(n)
        if "low" in a or "high" in a:
            lo, hi = a.get("low", centre), a.get("high", centre)
        else:
            half = a.get("rel_half_width", 0.0) * abs(centre)
            lo, hi = centre - half, centre + half
        return lo + (hi - lo) * rng.random(n)


def _parse_args(text: str, parameter: str, row: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in re.split(r"[;\s]+", text.strip()):
        if not part:
            continue
        key, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError as exc:
            raise CasaInputError(
                parameter, f"row '{row}': arguments must be key=value pairs separated by ';', not '{text}'."
            ) from exc
    return out


_KNOWN_ARGS = {"fixed": {"value"}, "normal": {"mean", "sd", "rel_sd"}, "uniform": {"low", "high", "rel_half_width"}}


def load_distributions(path: str | Path | None = None, parameter: str = "UNCERTAINTY_TABLE") -> dict[str, Distribution]:
    """Distributions by parameter name (``epsilon_max:*``, ``epsilon_max:ebf``, ``fpar_max``, ...)."""
    path = path or DEFAULT_UNCERTAINTY_TABLE
    rows = read_csv_rows(path, parameter, ["parameter", "distribution", "arguments", "source"])
    known = set(SCALAR_PARAMETERS)
    out: dict[str, Distribution] = {}
    for row in rows:
        name, kind = row["parameter"], row["distribution"].lower()
        base = name.split(":")[0]
        if not ((base in CLASS_PARAMETERS and ":" in name) or name in known):
            raise CasaInputError(
                parameter,
                f"unknown parameter '{name}'; known: "
                f"{', '.join(p + ':<class or *>' for p in CLASS_PARAMETERS)}, "
                f"{', '.join(SCALAR_PARAMETERS)}.",
            )
        if kind not in _KNOWN_ARGS:
            raise CasaInputError(
                parameter, f"row '{name}': distribution must be fixed, normal or uniform, not '{kind}'."
            )
        args = _parse_args(row["arguments"], parameter, name)
        bad = set(args) - _KNOWN_ARGS[kind]
        if bad:
            raise CasaInputError(
                parameter,
                f"row '{name}': {kind} takes {', '.join(sorted(_KNOWN_ARGS[kind]))}, not {', '.join(sorted(bad))}.",
            )
        if any(args.get(k, 0) < 0 for k in ("sd", "rel_sd", "rel_half_width")) or (
            "low" in args and "high" in args and args["high"] < args["low"]
        ):
            raise CasaInputError(parameter, f"row '{name}': a negative spread or low > high.")
        out[name] = Distribution(kind, args, row["source"])
    return out


@dataclass
class MemberParams:
    """The parameters of every member: class arrays (classes, members), scalars (members)."""

    keys: list[str]
    epsilon_max: NDArray
    ndvi_min: NDArray
    ndvi_max: NDArray
    scalars: dict[str, NDArray]
    varied: list[str] = field(default_factory=list)

    @property
    def members(self) -> int:
        """Number of members."""
        return self.epsilon_max.shape[1]


def _centres(params: ModelParams) -> dict[str, float]:
    c, r = params.casa, params.respiration
    return {
        "fpar_min": c.fpar_min,
        "fpar_max": c.fpar_max,
        "te2_scale": c.te2_scale,
        "water_stress_min": c.water_stress_min,
        "respiration_a": r.a,
        "respiration_b": r.b,
        "respiration_c": r.c,
    }


def draw_members(
    distributions: dict[str, Distribution],
    keys: list[str],
    base: dict[str, NDArray],
    params: ModelParams,
    members: int,
    seed: int,
) -> MemberParams:
    """Draw every member's parameters up front, in a fixed order, from ``default_rng(seed)``.

    ``keys``: vegetation classes with NPP; ``base``: their run values (``epsilon_max``,
    ``ndvi_min``, ``ndvi_max``, arrays over ``keys``).  Draws are clipped to valid ranges:
    eps_max >= 1e-6 gC MJ-1; -1 <= NDVImin <= NDVImax - 0.01; NDVImax <= 0.999;
    0 <= FPARmin < FPARmax <= 1; Te2 constant > 0; 0 <= water-stress floor <= 0.99;
    Pei a >= 0 and c >= 0.
    """
    if members < 1:
        raise CasaInputError("MEMBERS", f"must be at least 1, not {members}.")
    rng = np.random.default_rng(seed)
    k = len(keys)
    cls = {p: np.empty((k, members)) for p in CLASS_PARAMETERS}
    varied = []
    for i, key in enumerate(keys):
        for p in CLASS_PARAMETERS:
            dist = distributions.get(f"{p}:{key}") or distributions.get(f"{p}:*") or Distribution("fixed", {})
            cls[p][i] = dist.draw(float(base[p][i]), members, rng)
            if np.ptp(cls[p][i]) > 0 or cls[p][i][0] != base[p][i]:
                varied.append(f"{p}:{key}")
    centre = _centres(params)
    sc = {}
    for p in SCALAR_PARAMETERS:
        sc[p] = (distributions.get(p) or Distribution("fixed", {})).draw(centre[p], members, rng)
        if np.ptp(sc[p]) > 0 or sc[p][0] != centre[p]:
            varied.append(p)
    cls["epsilon_max"] = np.maximum(cls["epsilon_max"], 1e-6)
    cls["ndvi_max"] = np.clip(cls["ndvi_max"], -0.99, 0.999)
    cls["ndvi_min"] = np.clip(cls["ndvi_min"], -1.0, cls["ndvi_max"] - 0.01)
    sc["fpar_max"] = np.clip(sc["fpar_max"], 1e-3, 1.0)
    sc["fpar_min"] = np.clip(sc["fpar_min"], 0.0, sc["fpar_max"] - 1e-4)
    sc["te2_scale"] = np.maximum(sc["te2_scale"], 1e-6)
    sc["water_stress_min"] = np.clip(sc["water_stress_min"], 0.0, 0.99)
    sc["respiration_a"] = np.maximum(sc["respiration_a"], 0.0)
    sc["respiration_c"] = np.maximum(sc["respiration_c"], 0.0)
    return MemberParams(list(keys), cls["epsilon_max"], cls["ndvi_min"], cls["ndvi_max"], sc, varied)

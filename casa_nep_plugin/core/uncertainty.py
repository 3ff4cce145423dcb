"""Parameter uncertainty of annual NPP, RH and NEP: a Monte Carlo ensemble over the model's parameters.

Every member is the whole model (CASA NPP, Pei RH, NEP = NPP - RH) run with its
own draw of the parameters named in a distribution table
(``resources/tables/parameter_uncertainty.csv``, replaceable): eps_max per
class, the class NDVI bounds, FPARmin/FPARmax, the Te2 constant, the
water-stress floor and the Pei coefficients.  All member parameters are drawn
up front from ``numpy.random.default_rng(seed)`` in a fixed order (classes in
the vegetation table's order, then the scalar parameters), so a seed gives the
same ensemble whatever the machine or the thread count.

**Speed.**  Members share every read: each window is read once and all members
are computed from it in one pass, looping over the members inside the window
(memory bounded by the window, not by the number of members).  What does not
depend on the varied parameters is computed once per window: Topt (NDVI and T
only), Te1, Te2 at the base constant, the water-balance ratio r = clip(E/EP, 0, 1)
and A = SOL * 0.5 * Te1 * Te2.  A member then needs

    NPP = FPAR_m * (w_m * A + (1 - w_m) * A * r) * eps_max,m(class) * s_m / s_0

which is the CASA equation rearranged: We = w + (1 - w) r equals
clip(w + (1 - w) E/EP, w, 1) (We = 1 where EP <= 0 gives r = 1), and Te2 is
proportional to its constant s (Te2raw and its halved edge value both are).
FPAR is computed per member by :func:`core.casa.fpar`, RH by
:func:`core.respiration.heterotrophic_respiration`.

**Annual values** follow the one definition of annual of the zone tables:
a cell's annual value is the sum of its months of the year and a cell counts
for a year only where every month has a value; zone totals are sums of those
annual values x cell area x weight, zone means the totals over the valid area.
Per cell the run accumulates, over members, the sum and sum of squares of annual
NEP and the count of NEP > 0 (maps of the standard deviation of annual NEP and
of P(NEP > 0)); per zone it keeps every member's annual totals (small), from
which the mean, standard deviation and percentiles are taken.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from . import casa, climate, plausibility, respiration
from .engine import OutputSpec, check_writable, metadata_json, run_blocks
from .errors import CasaInputError
from .gapfill import check_gap_fill, fill_linear
from .model import (
    Callbacks,
    _check_years,
    _Inputs,
    _match_stack,
    _open_topt,
    _quick_look,
    _reference_months,
    group_years,
)
from .params import CasaParams, ModelParams
from .tables import TABLES_DIR, load_code_table, load_vegetation_table, read_csv_rows

__all__ = ["DEFAULT_UNCERTAINTY_TABLE", "Distribution", "load_distributions", "draw_members", "MemberParams",
           "run_uncertainty", "UncertaintyResult", "chart_intervals"]

DEFAULT_UNCERTAINTY_TABLE = TABLES_DIR / "parameter_uncertainty.csv"
CLASS_PARAMETERS = ("epsilon_max", "ndvi_min", "ndvi_max")
SCALAR_PARAMETERS = ("fpar_min", "fpar_max", "te2_scale", "water_stress_min", "respiration_a", "respiration_b",
                     "respiration_c")
QUANTITIES = ("npp", "rh", "nep")


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
            raise CasaInputError(parameter, f"row '{row}': arguments must be key=value pairs separated by ';', "
                                 f"not '{text}'.") from exc
    return out


_KNOWN_ARGS = {"fixed": {"value"}, "normal": {"mean", "sd", "rel_sd"},
               "uniform": {"low", "high", "rel_half_width"}}


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
            raise CasaInputError(parameter, f"unknown parameter '{name}'; known: "
                                 f"{', '.join(p + ':<class or *>' for p in CLASS_PARAMETERS)}, "
                                 f"{', '.join(SCALAR_PARAMETERS)}.")
        if kind not in _KNOWN_ARGS:
            raise CasaInputError(parameter, f"row '{name}': distribution must be fixed, normal or uniform, "
                                 f"not '{kind}'.")
        args = _parse_args(row["arguments"], parameter, name)
        bad = set(args) - _KNOWN_ARGS[kind]
        if bad:
            raise CasaInputError(parameter, f"row '{name}': {kind} takes {', '.join(sorted(_KNOWN_ARGS[kind]))}, "
                                 f"not {', '.join(sorted(bad))}.")
        if any(args.get(k, 0) < 0 for k in ("sd", "rel_sd", "rel_half_width")) or (
                "low" in args and "high" in args and args["high"] < args["low"]):
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
    return {"fpar_min": c.fpar_min, "fpar_max": c.fpar_max, "te2_scale": c.te2_scale,
            "water_stress_min": c.water_stress_min, "respiration_a": r.a, "respiration_b": r.b,
            "respiration_c": r.c}


def draw_members(distributions: dict[str, Distribution], keys: list[str], base: dict[str, NDArray],
                 params: ModelParams, members: int, seed: int) -> MemberParams:
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
    table: object = None
    paths: dict[str, str] = field(default_factory=dict)

    def summary(self):
        """A DataFrame: per zone, for each quantity and year, mean, sd and percentiles of the annual total
        (ktC) and of the annual mean (gC m-2 a-1), the coverage, and P(zone NEP > 0)."""
        import pandas as pd

        lo = (100.0 - self.confidence) / 2.0
        hi = 100.0 - lo
        names = [("mean", None), ("sd", None), (f"p{lo:g}", lo), ("p50", 50.0), (f"p{hi:g}", hi)]
        cols: OrderedDict[str, object] = OrderedDict()
        cols["zone"] = self.labels
        cols["cells"] = self.cells
        with np.errstate(invalid="ignore", divide="ignore"):
            for yi, year in enumerate(self.years):
                for qi, q in enumerate(QUANTITIES):
                    tot = self.totals_g[:, :, yi, qi]  # (members, zones)
                    area = self.valid_m2[:, yi, qi]
                    has = area > 0
                    per = {"total_ktC": np.where(has, tot / 1e9, np.nan),
                           "per_m2": np.where(has, tot / np.where(has, area, 1), np.nan)}
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
                    cols[f"{q}_{year}_coverage_pct"] = np.where(self.cells > 0, 100.0 * self.valid_cells[:, yi, qi]
                                                                / np.where(self.cells > 0, self.cells, 1), np.nan)
                nep = self.totals_g[:, :, yi, 2]
                cols[f"nep_{year}_p_sink"] = np.where(self.valid_m2[:, yi, 2] > 0, (nep > 0).mean(axis=0), np.nan)
        return pd.DataFrame(cols)


def run_uncertainty(
    ndvi: str,
    landcover: str,
    solar_radiation: str,
    temperature: str,
    precipitation: str,
    evapotranspiration: str | None = None,
    potential_et: str | None = None,
    optimal_temperature: str | float | None = None,
    ndvi_scale: float = 1.0,
    class_table: str | None = None,
    vegetation_table: str | None = None,
    params: ModelParams | None = None,
    zones=None,
    weighting: str = "centre",
    uncertainty_table: str | None = None,
    members: int = 100,
    seed: int = 42,
    confidence: float = 90.0,
    table_output: str | None = None,
    sd_output: str | None = None,
    probability_output: str | None = None,
    mean_output: str | None = None,
    chart_output: str | None = None,
    gap_fill: str = "none",
    max_gap: int = 2,
    callbacks: Callbacks | None = None,
    block_values: int | None = None,
) -> UncertaintyResult:
    """A ``members``-member Monte Carlo ensemble of annual NPP, RH and NEP (see the module doc).

    Inputs as :func:`core.model.run_npp` (monthly stacks described YYYY-MM;
    NDVI unitless after ``ndvi_scale``, SOL MJ m-2 month-1, T degC, P, E, PET
    mm month-1), plus ``zones`` (vector; None: the whole grid as one zone
    "all"), ``uncertainty_table`` (distributions; default the shipped table),
    ``members``, ``seed``, ``confidence`` (percent; the interval's percentiles
    are (100 - C)/2 and 100 - (100 - C)/2).  Outputs: ``table_output`` (CSV or
    GeoPackage, :meth:`UncertaintyResult.summary`), per-year maps of the
    standard deviation of annual NEP (``sd_output``, gC m-2 a-1), of P(NEP > 0)
    (``probability_output``, 0-1) and of the ensemble mean of annual NEP
    (``mean_output``), and ``chart_output`` (PNG of zone totals with intervals).
    """
    params = params or ModelParams()
    cb = callbacks or Callbacks()
    cp0 = params.casa
    if not (ndvi_scale > 0):
        raise CasaInputError("NDVI_SCALE", f"must be a positive number, not {ndvi_scale}.")
    if not (0 < confidence < 100):
        raise CasaInputError("CONFIDENCE", f"must be a percentage in (0, 100), not {confidence}.")
    check_gap_fill(gap_fill, max_gap)
    outputs = {"TABLE": table_output, "SD_OUTPUT": sd_output, "PROBABILITY_OUTPUT": probability_output,
               "MEAN_OUTPUT": mean_output, "CHART": chart_output}
    for name, path in outputs.items():
        if path:
            check_writable(path, name)
    if table_output:
        from .zonal import table_format

        table_format(table_output, "TABLE")
    veg = load_vegetation_table(vegetation_table)
    lookup = load_code_table(class_table, veg)
    keys = [k for k, c in veg.items() if c.has_npp]
    key_index = {k: i for i, k in enumerate(keys)}
    pos_class = np.array([key_index.get(k, -1) for k in lookup.class_keys], np.int64)
    base = {
        "epsilon_max": np.array([cp0.epsilon_max_override if cp0.epsilon_max_override is not None
                                 else veg[k].epsilon_max for k in keys]),
        "ndvi_min": np.array([veg[k].ndvi_min for k in keys]),
        "ndvi_max": np.array([veg[k].ndvi_max for k in keys]),
    }
    dists = load_distributions(uncertainty_table)
    mp = draw_members(dists, keys, base, params, members, seed)
    cb.info(f"{members} members (seed {seed}); varied: {', '.join(mp.varied) or 'nothing (every distribution has '}"
            f"{'' if mp.varied else 'zero width)'}.")
    with _Inputs() as inp:
        nd = inp.open("ndvi", ndvi, "NDVI", scale=ndvi_scale)
        months = _reference_months(nd)
        grid = nd.grid
        stacks = {k: inp.open(k, path, name) for k, path, name in (
            ("sol", solar_radiation, "SOLAR_RADIATION"), ("t", temperature, "TEMPERATURE"),
            ("p", precipitation, "PRECIPITATION"), ("e", evapotranspiration, "EVAPOTRANSPIRATION"),
            ("pet", potential_et, "POTENTIAL_ET"))}
        for s in stacks.values():
            if s is not None:
                _match_stack(s, months, nd, cb)
        lc = inp.open("lc", landcover, "LANDCOVER", categorical=True, monthly=False)
        if lc.count != 1:
            raise CasaInputError("LANDCOVER", f"must have one band of class codes, not {lc.count}.")
        topt_in, topt_const = _open_topt(inp, optimal_temperature)
        years = group_years(months)
        _check_years(months, years, topt_in, topt_const, stacks["pet"])
        # months are strictly increasing (parse_months), so each year is a run of consecutive bands
        spans = [(idx[0], idx[-1] + 1) for idx in years.values()]
        plausibility.screen(_quick_look(stacks["t"]), "temperature", "TEMPERATURE")
        for s in [*stacks.values(), lc, topt_in]:
            if s is not None:
                s.attach(grid)
        from .zonal import ZoneSet

        zs = ZoneSet.build(zones, grid, weighting, "ZONES", cb.warning) if zones is not None else None
        labels = list(zs.labels) if zs is not None else ["all"]
        if zs is not None:
            label_col = next((c for c in zs.frame.columns if str(c).lower() in ("name", "name_en", "zone", "city")),
                             None)
            if label_col is not None:
                labels = [str(v) for v in zs.frame[label_col]]
        nz, ny, m_count = len(labels), len(years), members
        totals = np.zeros((m_count, nz, ny, 3))
        valid_m2 = np.zeros((nz, ny, 3))
        valid_cells = np.zeros((nz, ny, 3))
        cells = np.zeros(nz)
        row_area = grid.row_cell_areas()
        ratio_s = (mp.scalars["te2_scale"] / cp0.te2_scale).astype(np.float32)
        wmin = mp.scalars["water_stress_min"].astype(np.float32)
        cp_members = [replace(cp0, fpar_min=float(a), fpar_max=float(b))
                      for a, b in zip(mp.scalars["fpar_min"], mp.scalars["fpar_max"])]
        rp_members = [replace(params.respiration, a=float(a), b=float(b), c=float(c))
                      for a, b, c in zip(mp.scalars["respiration_a"], mp.scalars["respiration_b"],
                                         mp.scalars["respiration_c"])]
        eps32, nmin32, nmax32 = (np.vstack([x, np.full((1, m_count), np.nan)]).astype(np.float32)
                                 for x in (mp.epsilon_max, mp.ndvi_min, mp.ndvi_max))  # row -1: no class

        def hits_of(window: Window):
            if zs is not None:
                return list(zs.cells(window))
            h, w = int(window.height), int(window.width)
            rr, cc = np.divmod(np.arange(h * w), w)
            return [(0, rr, cc, None)]

        def compute(window: Window) -> dict[str, NDArray]:
            n = plausibility.screen(nd.read(window), "ndvi", "NDVI", nd.months, scale=ndvi_scale,
                                    nodata_declared=nd.nodata is not None)[0]
            if gap_fill == "linear":
                n, _ = fill_linear(n, max_gap)
            t = plausibility.screen(stacks["t"].read(window), "temperature", "TEMPERATURE")[0]
            sol = plausibility.screen(stacks["sol"].read(window), "solar_radiation", "SOLAR_RADIATION")[0]
            p = plausibility.screen(stacks["p"].read(window), "precipitation", "PRECIPITATION")[0]
            e = stacks["e"].read(window) if stacks["e"] is not None else None
            pet = stacks["pet"].read(window) if stacks["pet"] is not None else None
            raw = lc.read(window)[0]
            has = np.isfinite(raw)
            codes = np.where(has, raw, -1).astype(np.int64)
            pos, known = lookup.index(codes)
            if (has & ~known).any():
                shown = ", ".join(str(int(c)) for c in np.unique(codes[has & ~known])[:30])
                raise CasaInputError("LANDCOVER", f"codes {shown} are not in the class table; pass the CLASS_TABLE "
                                     "that lists them.")
            cls = np.where(known, pos_class[pos], -1)  # -1: no NPP (water, ice, nodata)
            land = cls >= 0
            # member-independent parts (as core.model.run_npp computes them)
            ep0 = np.empty_like(n) if pet is None else pet
            temp = np.empty_like(n)
            given = topt_in.read(window) if topt_in is not None else None
            for yi, (a, b) in enumerate(spans):
                if given is not None:
                    topt = given[yi if given.shape[0] > 1 else 0]
                elif topt_const is not None:
                    topt = np.float32(topt_const)
                else:
                    topt = casa.optimal_temperature(n[a:b], t[a:b])
                temp[a:b] = casa.te1(topt, t[a:b], cp0) * casa.te2(topt, t[a:b], cp0)
                if pet is None:
                    ep0[a:b] = climate.thornthwaite_ep0(t[a:b], params.thornthwaite)
            if e is None:
                e = climate.zhou_zhang_et(p, ep0, params.zhou_zhang)
            r = casa.water_stress(e, ep0, CasaParams(water_stress_min=0.0))  # clip(E/EP, 0, 1); 1 where EP <= 0
            big_a = casa.apar(sol, temp, cp0)  # SOL * 0.5 * Te1 * Te2(s0)
            big_b = big_a * r
            hits = hits_of(window)
            wr0, ww = int(window.row_off), int(window.width)
            weights = []
            for z, rr, cc, wt in hits:
                a = row_area[rr + wr0]
                weights.append((z, rr * ww + cc, a if wt is None else a * wt, np.ones(len(rr)) if wt is None else wt))
                cells[z] += len(rr) if wt is None else wt.sum()
            shape = (ny,) + n.shape[1:]
            s1 = np.zeros(shape)
            s2 = np.zeros(shape)
            pos_count = np.zeros(shape)
            valid_ann = None
            rh_cache: list = [None, None]
            w_buf = np.empty_like(big_a)
            for m in range(m_count):
                fp = casa.fpar(n, nmin32[cls, m], nmax32[cls, m], cp_members[m])
                np.multiply(big_a, wmin[m], out=w_buf)
                w_buf += big_b * (np.float32(1.0) - wmin[m])
                fp *= w_buf
                fp *= (eps32[cls, m] * ratio_s[m])[np.newaxis]
                npp_a = np.stack([fp[a:b].sum(axis=0) for a, b in spans])
                if rh_cache[0] != rp_members[m]:  # RH depends on the Pei coefficients only
                    rh = respiration.heterotrophic_respiration(t, p, rp_members[m])
                    rh_a = np.stack([rh[a:b].sum(axis=0) for a, b in spans])
                    rh_a[:, ~land] = np.nan
                    rh_cache[:] = [rp_members[m], rh_a]
                rh_a = rh_cache[1]
                nep_a = npp_a - rh_a
                if valid_ann is None:
                    valid_ann = [np.isfinite(x) for x in (npp_a, rh_a, nep_a)]
                    for qi, ok in enumerate(valid_ann):
                        flat_ok = ok.reshape(ny, -1)
                        for z, idx, wa, w in weights:
                            valid_m2[z, :, qi] += flat_ok[:, idx] @ wa
                            valid_cells[z, :, qi] += flat_ok[:, idx] @ w
                for qi, x in enumerate((npp_a, rh_a, nep_a)):
                    flat = np.nan_to_num(x.reshape(ny, -1), nan=0.0)
                    for z, idx, wa, _ in weights:
                        totals[m, z, :, qi] += flat[:, idx] @ wa
                nep64 = np.nan_to_num(nep_a.astype(np.float64))
                s1 += nep64
                s2 += nep64 * nep64
                pos_count += nep_a > 0
            ok = valid_ann[2]
            mean = s1 / m_count
            var = np.maximum(s2 / m_count - mean * mean, 0.0) * (m_count / (m_count - 1) if m_count > 1 else 0.0)
            return {"sd": np.where(ok, np.sqrt(var), np.nan), "prob": np.where(ok, pos_count / m_count, np.nan),
                    "mean": np.where(ok, mean, np.nan)}

        tags = {"casanep_members": str(members), "casanep_seed": str(seed),
                "casanep_varied": metadata_json(mp.varied),
                "casanep_annual_rule": "annual = sum of the year's months; a cell missing any month is nodata"}
        specs = []
        for key, path, units, what, name in (
                ("sd", sd_output, "gC m-2 a-1", "standard deviation of annual NEP over the members", "SD_OUTPUT"),
                ("prob", probability_output, "1", "P(annual NEP > 0): share of members with a net sink",
                 "PROBABILITY_OUTPUT"),
                ("mean", mean_output, "gC m-2 a-1", "ensemble mean of annual NEP", "MEAN_OUTPUT")):
            if path:
                specs.append(OutputSpec(key, path, list(years), units, dict(tags, casanep_quantity=what),
                                        parameter=name))
        depth = len(months) * 16
        cb.info(f"Ensemble of {members} members over {len(months)} months ({months[0]} .. {months[-1]}) on a "
                f"{grid.width} x {grid.height} grid, {nz} zone(s).")
        if specs:
            run_blocks(grid, compute, specs, cb.progress, cb.is_cancelled, depth=depth, block_values=block_values)
        else:
            from .engine import scan_blocks

            scan_blocks(grid, lambda w: compute(w), cb.progress, cb.is_cancelled, depth=depth,
                        block_values=block_values)
    result = UncertaintyResult(labels, list(years), totals, valid_m2, valid_cells, cells, confidence, mp)
    result.table = result.summary()
    if table_output:
        from .zonal import write_table

        write_table(result.table, table_output, "uncertainty", "TABLE")
        result.paths["table"] = table_output
    if chart_output:
        result.paths["chart"] = chart_intervals(result, chart_output)
    for key, spec in zip([s.key for s in specs], specs):
        result.paths[key] = spec.path
    return result


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
            ax.set_title(f"{year}: zone totals, median and {result.confidence:g} % interval "
                         f"({result.members.members} members)", fontsize=9)
            ax.legend(fontsize=8, ncol=3)
        fig.tight_layout()
        from .engine import atomic_path

        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return path



def write_uncertainty_report(result: UncertaintyResult, path: str,
                             title: str = "casa-nep parameter uncertainty") -> str:
    """An HTML report: what was varied (with the sources of the distributions), the chart of zone totals with
    their intervals, and the table of annual totals."""
    import pandas as pd

    from . import report

    folder = os.path.dirname(os.path.abspath(path))
    chart = result.paths.get("chart")
    if chart is None:
        stem = os.path.splitext(os.path.basename(path))[0]
        chart = chart_intervals(result, os.path.join(folder, stem + "_chart.png"))
    lo = (100.0 - result.confidence) / 2.0
    hi = 100.0 - lo
    keep = ["zone", "cells"] + [c for c in result.table.columns if re.fullmatch(
        rf"(npp|rh|nep)_\d{{4}}_total_ktC_(mean|sd|p{lo:g}|p{hi:g})|nep_\d{{4}}_p_sink|(npp|rh|nep)_\d{{4}}_coverage_pct",
        c)]
    mp = result.members
    params = {"members": mp.members, "confidence (%)": result.confidence,
              "varied parameters": ", ".join(mp.varied) or "none"}
    text = (f"Annual totals per zone (ktC a<sup>-1</sup>): ensemble mean, standard deviation and the {lo:g} / {hi:g} "
            f"percentiles over {mp.members} members; P(sink) is the share of members in which the zone's annual NEP "
            "is positive. " + report.ANNUAL_RULE + " The intervals cover the parameters listed, not the errors of the "
            "inputs or of the model's structure.")
    return report.write_report(path, title, params, [{"title": "Zone totals with intervals", "text": text,
                                                      "images": [chart], "table": pd.DataFrame(result.table[keep])}])

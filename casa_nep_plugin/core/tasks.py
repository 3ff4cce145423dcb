"""The window tasks of the model runs: pure, picklable callables.

``task(window, year_index)`` reads its inputs' window for the months of one
calendar year, checks them, computes (:mod:`.chain`, :mod:`.respiration`,
:mod:`.balance`) and returns output arrays with the bands they fill, plus
counters the engine sums.  They hold opened :class:`~.raster.RasterInput`
objects, which pickle (handles are reopened where a task lands), so the same
task runs on the engine's threads or on a Dask worker.  No file is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from . import balance, chain, gapfill, plausibility, respiration
from .engine import Callbacks, RunStats
from .errors import CasaInputError
from .outputs import metadata_json
from .params import ModelParams
from .raster import RasterInput
from .tables import ClassLookup

#: Below this share of computable cell-months a run warns (issue 9).
COVERAGE_WARNING = 0.95


def _landcover_codes(block: NDArray) -> NDArray:
    """Float codes (NaN nodata) to int64 codes with -1 for nodata."""
    return np.where(np.isfinite(block), block, -1).astype(np.int64)


#: Coverage counters of the NPP task: NDVI-valid cell-months on classes with NPP, those
#: computed, and those lost to each climate input (in this order).
_LIMITS = ("SOLAR_RADIATION", "TEMPERATURE", "PRECIPITATION", "EVAPOTRANSPIRATION", "POTENTIAL_ET")
#: Inputs whose Inf cells the NPP task counts (read as nodata, one warning each after the run).
_INF_INPUTS = ("NDVI", *_LIMITS)


@dataclass
class NppTask:
    """The NPP window task: ``task(window, year_index)`` -> that year's outputs.

    Output arrays for the months of that year (bands 1-based), plus coverage
    counters.

    Pure and picklable: it holds the opened inputs (reopened where it lands), the
    class lookup and the parameters, and writes nothing.
    """

    ndvi: RasterInput
    landcover: RasterInput
    stacks: dict[str, RasterInput | None]
    topt_raster: RasterInput | None
    topt_const: float | None
    lookup: ClassLookup
    params: ModelParams
    years: list[list[int]]
    want: tuple[str, ...]
    ndvi_scale: float = 1.0
    fused: bool = True
    gap_fill: str = "none"
    max_gap: int = 0

    def _ndvi(self, window: Window, idx: list[int], infs: NDArray) -> tuple[NDArray, int]:
        """Read the NDVI of the year's months, gaps filled.

        Gaps are filled from up to ``max_gap`` months either side (the stack's
        neighbouring years included): the same values as filling the whole stack.
        """
        if self.gap_fill != "linear" or self.max_gap <= 0:
            n = self._screen(self.ndvi.read(window, [i + 1 for i in idx]), "ndvi", self.ndvi, idx, infs)
            return n, 0
        lo = max(0, idx[0] - self.max_gap)
        hi = min(self.ndvi.count, idx[-1] + 1 + self.max_gap)
        halo = self._screen(
            self.ndvi.read(window, list(range(lo + 1, hi + 1))), "ndvi", self.ndvi, list(range(lo, hi)), infs
        )
        filled, _ = gapfill.fill_linear(halo, self.max_gap)
        n = filled[idx[0] - lo : idx[-1] + 1 - lo]
        before = halo[idx[0] - lo : idx[-1] + 1 - lo]
        return n, int(np.count_nonzero(np.isfinite(n) & ~np.isfinite(before)))

    @staticmethod
    def _screen(block: NDArray, kind: str, inp: RasterInput, idx: list[int], infs: NDArray) -> NDArray:
        """Inf to nodata (counted in ``infs``) and the check of ``kind`` (core.plausibility.screen)."""
        months = [inp.months[i] for i in idx] if inp.months else None
        block, k = plausibility.screen(
            block, kind, inp.parameter, months, scale=inp.scale, nodata_declared=inp.nodata is not None
        )
        if k:
            infs[_INF_INPUTS.index(inp.parameter)] += k
        return block

    def __call__(self, window: Window, part: int) -> dict[str, object]:
        """Compute the outputs of one window and part (a calendar year)."""
        idx = self.years[part]
        bands = [i + 1 for i in idx]
        infs = np.zeros(len(_INF_INPUTS), dtype=np.int64)  # per call: tasks run on several threads
        n, filled = self._ndvi(window, idx, infs)
        kinds = {"t": "temperature", "sol": "solar_radiation", "p": "precipitation", "e": "other", "pet": "other"}
        got: dict[str, NDArray | None] = {}
        for key, kind in kinds.items():
            inp = self.stacks[key]
            got[key] = None if inp is None else self._screen(inp.read(window, bands), kind, inp, idx, infs)
        t, sol, p, e, pet = (got[k] for k in kinds)
        if t is None or sol is None or p is None:
            raise RuntimeError("NppTask: TEMPERATURE, SOLAR_RADIATION and PRECIPITATION are required")
        codes = _landcover_codes(self.landcover.read(window)[0])
        nmin, nmax, eps = self.lookup.parameters(codes, self.params.casa.epsilon_max_override)
        if self.topt_raster is not None:
            given = self.topt_raster.read(window, [part + 1 if self.topt_raster.count > 1 else 1])[0]
        elif self.topt_const is not None:
            given = np.full(n.shape[1:], self.topt_const, np.float32)
        else:
            given = None
        land = self.lookup.land_mask(codes)
        x = chain.YearInputs(n, sol, t, p, e, pet, given, nmin, nmax, eps, land)
        arrays = chain.compute_year(x, self.params, self.want, self.fused)
        out: dict[str, object] = {k: (v, bands) for k, v in arrays.items()}
        out["_coverage"] = self._coverage(n, np.isfinite(eps), arrays["npp"], (sol, t, p, e, pet))
        out["_filled"] = np.array([filled], dtype=np.int64)
        out["_inf"] = infs
        return out

    @staticmethod
    def _coverage(n: NDArray, has_npp: NDArray, npp: NDArray, climate: tuple) -> NDArray:
        """[NDVI-valid cell-months on NPP classes, NPP-valid cell-months, lost to each climate input]."""
        wanted = np.isfinite(n) & has_npp[np.newaxis]
        total = int(np.count_nonzero(wanted))
        got = int(np.count_nonzero(np.isfinite(npp)))
        lost = [0] * len(_LIMITS)
        if got < total:
            for i, c in enumerate(climate):
                if c is not None:
                    lost[i] = int(np.count_nonzero(wanted & ~np.isfinite(c)))
        return np.array([total, got, *lost], dtype=np.int64)


def _coverage_report(stats: RunStats, cb: Callbacks, gap_fill: str = "none", max_gap: int = 0) -> dict[str, str]:
    """Log the share of NDVI-valid cell-months the run computed.

    Warn below 95 % naming the input that limits it; refuse a run that computed
    nothing.  With gap filling, the filled NDVI cell-months are logged and recorded
    too.
    """
    for name, k in zip(_INF_INPUTS, stats.counters.get("_inf", [])):
        if k:
            cb.warning(plausibility.INF_WARNING.format(parameter=name, count=int(k)))
    c = stats.counters.get("_coverage")
    if c is None:
        return {}
    tags = {}
    if gap_fill == "linear":
        filled = int(stats.counters.get("_filled", np.zeros(1))[0])
        cb.info(f"GAP_FILL linear (MAX_GAP {max_gap}): {filled} NDVI cell-months filled.")
        tags["casanep_gap_fill"] = metadata_json(
            {"method": "linear", "max_gap": int(max_gap), "filled_cell_months": filled}
        )
    total, got = int(c[0]), int(c[1])
    lost = {name: int(v) for name, v in zip(_LIMITS, c[2:]) if v}
    share = got / total if total else 0.0
    worst = max(lost, key=lambda k: lost[k]) if lost else None
    if total == 0:
        raise CasaInputError(
            "NDVI",
            "has no valid cell on a land-cover class with NPP: nothing could be computed. "
            "Check NDVI_SCALE, the NDVI nodata value and that NDVI and LANDCOVER overlap.",
        )
    if got == 0:
        raise CasaInputError(
            worst or "NDVI",
            "does not overlap the NDVI cells: no NPP could be computed. Check the "
            "extent and CRS of the climate inputs.",
        )
    text = (
        f"coverage: NPP computed for {got} of {total} NDVI-valid cell-months on classes with NPP "
        f"({100.0 * share:.1f} %)."
    )
    cb.info(text)
    if share < COVERAGE_WARNING:
        cb.warning(
            f"{worst or 'NDVI'}: only {100.0 * share:.1f} % of the NDVI-valid cell-months could be computed "
            f"({lost.get(worst, total - got) if worst else total - got} lost to {worst or 'the inputs'}); "
            "zone totals will be too low. Extend that input to cover the NDVI grid."
        )
    tags["casanep_coverage"] = metadata_json(
        {"cell_months_ndvi_valid": total, "cell_months_computed": got, "share": round(share, 6), "lost_to": lost}
    )
    return tags


@dataclass
class RhTask:
    """The RH window task: ``task(window, year_index)`` -> RH of that year's months."""

    t: RasterInput
    p: RasterInput
    landcover: RasterInput | None
    lookup: ClassLookup | None
    params: ModelParams
    years: list[list[int]]

    def __call__(self, window: Window, part: int) -> dict[str, object]:
        """Compute the outputs of one window and part (a calendar year)."""
        bands = [i + 1 for i in self.years[part]]
        tt = plausibility.screen(self.t.read(window, bands), "temperature", "TEMPERATURE")[0]
        pp = plausibility.screen(self.p.read(window, bands), "precipitation", "PRECIPITATION")[0]
        rh = respiration.heterotrophic_respiration(tt, pp, self.params.respiration)
        if self.landcover is not None and self.lookup is not None:
            land = self.lookup.land_mask(_landcover_codes(self.landcover.read(window)[0]))
            rh = np.where(land[np.newaxis], rh, np.float32(np.nan))
        return {"rh": (rh, bands)}


@dataclass
class NepTask:
    """The NEP window task: ``task(window, year_index)`` -> that year's NEP.

    NEP of the year's months and, if asked, the year's RH/NPP ratio.
    """

    npp: RasterInput
    rh: RasterInput
    years: list[list[int]]
    ratio: bool

    def __call__(self, window: Window, part: int) -> dict[str, object]:
        """Compute the outputs of one window and part (a calendar year)."""
        bands = [i + 1 for i in self.years[part]]
        a = self.npp.read(window, bands)
        b = self.rh.read(window, bands)
        out: dict[str, object] = {"nep": (balance.nep(a, b), bands)}
        if self.ratio:
            out["ratio"] = (
                balance.respiration_ratio(a.sum(axis=0), b.sum(axis=0))[np.newaxis].astype(np.float32),
                [part + 1],
            )
        return out


@dataclass
class AnnualTask:
    """The annual window task: ``task(window, year_index)`` -> the year's totals.

    The year's NPP, RH, NEP, RH/NPP and sink/source class (one band each).
    """

    npp: RasterInput
    rh: RasterInput
    years: list[list[int]]
    threshold: float

    def __call__(self, window: Window, part: int) -> dict[str, object]:
        """Compute the outputs of one window and part (a calendar year)."""
        bands = [i + 1 for i in self.years[part]]
        a = balance.annual_sum(self.npp.read(window, bands), [list(range(len(bands)))])
        b = balance.annual_sum(self.rh.read(window, bands), [list(range(len(bands)))])
        out = {
            "npp": a,
            "rh": b,
            "nep": balance.nep(a, b),
            "ratio": balance.respiration_ratio(a, b),
            "class": balance.sink_source_class(a, b, self.threshold),
        }
        return {k: (v, [part + 1]) for k, v in out.items()}

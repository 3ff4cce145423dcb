"""The window task of casanep:uncertainty: all members of one window and one calendar year in one pass.

``EnsembleTask(window, year_index)`` reads the window's inputs for the months of
one year once, computes what does not depend on the varied parameters once
(Topt, Te1, Te2 at the base constant, Ep0, E, the water-balance ratio
r = clip(E/EP, 0, 1), the simple ratio SR of the NDVI), then every member from
them, chunks of :data:`MEMBER_CHUNK` members at a time broadcast over a member
axis in float32, on blocks of :data:`CELL_BLOCK` land cells (so the member
arrays stay in the CPU cache).  A member's annual NPP is

    NPP = eps_max,m(class) * s_m / s_0 * sum_t FPAR_m,t * (B_t + w_m * D_t),
    B = A * r,  D = A * (1 - r),  A = SOL * 0.5 * Te1 * Te2(s_0)

which is the CASA equation rearranged: We = w + (1 - w) r equals
clip(w + (1 - w) E/EP, w, 1) (We = 1 where EP <= 0 gives r = 1), and Te2 is
proportional to its constant s.  FPAR clips the NDVI and its simple ratio to the
member's class bounds (SR is monotone, so clipping SR(NDVI) equals SR of the
clipped NDVI, and SR is computed once).  Annual RH is
a_m * 30 * 0.465 * sum_t (exp(b_m T_t) + ln(1 + c_m P_t)), exponentials and
logarithms in float64 (:mod:`.fmath`'s rule, so every machine gets the same
numbers); with a, b, c fixed it is :func:`.respiration.heterotrophic_respiration`.

Per cell it returns the standard deviation, P(NEP > 0) and the mean of annual
NEP over the members (the year's band), and per zone, as counters the engine
sums in window order, every member's annual totals and the valid area.  Memory
follows the window and the member chunk, not the number of months or members.
The task is pure and picklable (opened :class:`~.raster.RasterInput` objects
reopen where it lands), so the same task runs on the engine's threads or on a
Dask worker; per cell the arithmetic does not depend on the window, the thread
or the worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from . import casa, climate, gapfill, plausibility, respiration
from .errors import CasaInputError
from .params import CasaParams, ModelParams
from .raster import RasterInput
from .tables import ClassLookup
from .tasks import _landcover_codes
from .uncertainty_draws import MemberParams
from .zones import ZoneSet

__all__ = ["MEMBER_CHUNK", "CELL_BLOCK", "MemberTables", "member_tables", "EnsembleTask"]

#: Members computed together (fixed, so a cell's numbers do not depend on the window size).
MEMBER_CHUNK = 10
#: Land cells per block of the member arrays (MEMBER_CHUNK x 12 x CELL_BLOCK float32: about 1 MB).
CELL_BLOCK = 2048
F32 = np.float32


def _dot(values: NDArray, weights: NDArray) -> NDArray:
    """Return the sum of ``values * weights`` over the last axis in float64.

    numpy's pairwise sum: the same bits on every machine (BLAS dot products depend on memory alignment and
    threads).
    """
    return np.multiply(values, weights, dtype=np.float64).sum(axis=-1)


@dataclass
class MemberTables:
    """Every member's parameters as the window task uses them.

    Class tables are (members, classes) float32: the NDVI bounds and their simple
    ratios, FPAR's per-class linear coefficients (as :func:`.casa.fpar` forms
    them) and eps_max * s_m / s_0 (gC MJ-1).  Per member: FPAR bounds and the
    water-stress floor (float32), Pei's a * 30 * 0.465 (float64) and b, c (float32).
    """

    lo: NDArray
    hi: NDArray
    sr_lo: NDArray
    sr_hi: NDArray
    k_ndvi: NDArray
    k_sr: NDArray
    base: NDArray
    eps: NDArray
    fpar_min: NDArray
    fpar_max: NDArray
    floor: NDArray
    rh_a: NDArray
    rh_b: NDArray
    rh_c: NDArray
    #: a, b, c the same in every member: RH as the deterministic run computes it
    rh_fixed: bool = False
    varied_b: bool = True
    varied_c: bool = True

    @property
    def members(self) -> int:
        """Number of members."""
        return self.eps.shape[0]


def member_tables(mp: MemberParams, params: ModelParams) -> MemberTables:
    """Return the float32 tables of :class:`MemberTables` from the drawn parameters."""
    cp0, rp0 = params.casa, params.respiration
    sc = mp.scalars
    lo, hi = mp.ndvi_min.T.astype(F32), mp.ndvi_max.T.astype(F32)  # (members, classes)
    fmin, fmax = sc["fpar_min"], sc["fpar_max"]
    span = (fmax - fmin)[:, None]
    sr_lo, sr_hi = casa.simple_ratio(lo), casa.simple_ratio(hi)
    with np.errstate(divide="ignore", invalid="ignore"):  # as casa.fpar: Python numbers meet float32 arrays
        k_ndvi = (cp0.alpha * span).astype(F32) / (hi - lo)
        k_sr = ((1.0 - cp0.alpha) * span).astype(F32) / (sr_hi - sr_lo)
    base = (fmin[:, None].astype(F32) - k_ndvi * lo) - k_sr * sr_lo
    ratio = (sc["te2_scale"] / cp0.te2_scale).astype(F32)
    eps = mp.epsilon_max.T.astype(F32) * ratio[:, None]
    a, b, c = sc["respiration_a"], sc["respiration_b"], sc["respiration_c"]
    fixed = bool(np.all(a == rp0.a) and np.all(b == rp0.b) and np.all(c == rp0.c))
    return MemberTables(
        lo,
        hi,
        sr_lo,
        sr_hi,
        k_ndvi,
        k_sr,
        base,
        eps,
        fmin.astype(F32),
        fmax.astype(F32),
        sc["water_stress_min"].astype(F32),
        a * (rp0.days * rp0.carbon_fraction),
        b.astype(F32),
        c.astype(F32),
        fixed,
        bool(np.ptp(b) > 0),
        bool(np.ptp(c) > 0),
    )


@dataclass
class _Year:
    """One window's member-independent values for one year, on its land cells only (months, cells)."""

    cells: NDArray  # flat window index of each land cell
    cls: NDArray  # row of the class tables
    n: NDArray
    sr: NDArray
    b: NDArray
    d: NDArray
    t: NDArray
    p: NDArray
    rh: NDArray | None = None  # annual RH when a, b, c are fixed
    exp_bt: NDArray | None = None  # sum_t exp(b T) when b is fixed (float64)
    log_cp: NDArray | None = None  # sum_t ln(1 + c P) when c is fixed (float64)


@dataclass
class EnsembleTask:
    """``task(window, year_index)`` -> the maps' band of that year and the zone counters (see the module doc)."""

    ndvi: RasterInput
    landcover: RasterInput
    stacks: dict[str, RasterInput | None]
    topt_raster: RasterInput | None
    topt_const: float | None
    lookup: ClassLookup
    pos_class: NDArray  # lookup position -> class row (-1: no NPP)
    tables: MemberTables
    params: ModelParams
    years: list[list[int]]
    zones: ZoneSet | None  # without its attribute frame; None: the whole grid
    n_zones: int
    row_area: NDArray  # m2 per grid row
    gap_fill: str = "none"
    max_gap: int = 0
    member_chunk: int = MEMBER_CHUNK
    cell_block: int = CELL_BLOCK
    _buffers: dict = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        """Pickle without the per-thread scratch buffers."""
        state = dict(self.__dict__)
        state["_buffers"] = {}
        return state

    # -- reading -------------------------------------------------------------------------
    def _read(self, inp: RasterInput, window: Window, idx: list[int], kind: str) -> NDArray:
        months = [inp.months[i] for i in idx] if inp.months else None
        return plausibility.screen(
            inp.read(window, [i + 1 for i in idx]),
            kind,
            inp.parameter,
            months,
            scale=inp.scale,
            nodata_declared=inp.nodata is not None,
        )[0]

    def _ndvi(self, window: Window, idx: list[int]) -> NDArray:
        """Return the year's NDVI, gaps filled from up to ``max_gap`` months either side (as ``tasks.NppTask``)."""
        if self.gap_fill != "linear" or self.max_gap <= 0:
            return self._read(self.ndvi, window, idx, "ndvi")
        lo = max(0, idx[0] - self.max_gap)
        hi = min(self.ndvi.count, idx[-1] + 1 + self.max_gap)
        filled, _ = gapfill.fill_linear(self._read(self.ndvi, window, list(range(lo, hi)), "ndvi"), self.max_gap)
        return filled[idx[0] - lo : idx[-1] + 1 - lo]

    def _classes(self, window: Window) -> NDArray:
        """Return the class row per cell of the window (-1: no NPP: water, ice, nodata); refuse unknown codes."""
        raw = self.landcover.read(window)[0]
        codes = _landcover_codes(raw)
        pos, known = self.lookup.index(codes)
        has = np.isfinite(raw)
        if (has & ~known).any():
            shown = ", ".join(str(int(c)) for c in np.unique(codes[has & ~known])[:30])
            raise CasaInputError(
                "LANDCOVER", f"codes {shown} are not in the class table; pass the CLASS_TABLE that lists them."
            )
        return np.where(known, self.pos_class[pos], -1)

    def _year(self, window: Window, part: int) -> _Year:
        """Read the year once and compute everything that does not depend on the members."""
        idx = self.years[part]
        cls = self._classes(window).ravel()
        cells = np.flatnonzero(cls >= 0)
        s = self.stacks

        def land(block: NDArray) -> NDArray:
            return np.ascontiguousarray(block.reshape(block.shape[0], -1)[:, cells])

        n = land(self._ndvi(window, idx))
        t_in, sol_in, p_in = s["t"], s["sol"], s["p"]
        if t_in is None or sol_in is None or p_in is None:
            raise RuntimeError("EnsembleTask: TEMPERATURE, SOLAR_RADIATION and PRECIPITATION are required")
        t = land(self._read(t_in, window, idx, "temperature"))
        sol = land(self._read(sol_in, window, idx, "solar_radiation"))
        p = land(self._read(p_in, window, idx, "precipitation"))
        e = land(self._read(s["e"], window, idx, "other")) if s["e"] is not None else None
        ep0 = land(self._read(s["pet"], window, idx, "other")) if s["pet"] is not None else None
        cp0 = self.params.casa
        if self.topt_raster is not None:
            topt = land(self.topt_raster.read(window, [part + 1 if self.topt_raster.count > 1 else 1]))[0]
        elif self.topt_const is not None:
            topt = F32(self.topt_const)
        else:
            topt = casa.optimal_temperature(n, t)
        if ep0 is None:
            ep0 = climate.thornthwaite_ep0(t, self.params.thornthwaite)
        if e is None:
            e = climate.zhou_zhang_et(p, ep0, self.params.zhou_zhang)
        r = casa.water_stress(e, ep0, CasaParams(water_stress_min=0.0))  # clip(E/EP, 0, 1); 1 where EP <= 0
        a = casa.apar(sol, casa.te1(topt, t, cp0) * casa.te2(topt, t, cp0), cp0)  # SOL * 0.5 * Te1 * Te2(s0)
        b = a * r
        a -= b
        y = _Year(cells, cls[cells], n, casa.simple_ratio(n), b, a, t, np.maximum(p, F32(0.0)))
        tb = self.tables
        if tb.rh_fixed:
            y.rh = respiration.heterotrophic_respiration(t, p, self.params.respiration).sum(axis=0)
        else:
            if not tb.varied_b:
                y.exp_bt = np.exp(t * F32(tb.rh_b[0]), dtype=np.float64).sum(axis=0)
            if not tb.varied_c:
                y.log_cp = np.log1p(y.p * F32(tb.rh_c[0]), dtype=np.float64).sum(axis=0)
        return y

    # -- members -------------------------------------------------------------------------
    def _buffer(self, name: str, shape: tuple, dtype=F32) -> NDArray:
        """Return a scratch array of at least ``shape`` (one set per thread: tasks run on several)."""
        import threading

        key = (threading.get_ident(), name)
        buf = self._buffers.get(key)
        size = int(np.prod(shape))
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self._buffers[key] = np.empty(size, dtype)
        return buf[:size].reshape(shape)

    def _npp(self, y: _Year, cs: slice, ms: slice) -> NDArray:
        """Return annual NPP (members, cells) of members ``ms`` on land cells ``cs`` (gC m-2 a-1)."""
        tb = self.tables
        cls = y.cls[cs]

        def per_cell(table: NDArray) -> NDArray:
            return np.take(table[ms], cls, axis=1)[:, None, :]  # (members, 1, cells)

        n, sr = y.n[:, cs], y.sr[:, cs]
        shape = (ms.stop - ms.start,) + n.shape
        x = np.maximum(n[None], per_cell(tb.lo), out=self._buffer("x", shape))
        np.minimum(x, per_cell(tb.hi), out=x)
        x *= per_cell(tb.k_ndvi)
        z = np.maximum(sr[None], per_cell(tb.sr_lo), out=self._buffer("z", shape))
        np.minimum(z, per_cell(tb.sr_hi), out=z)
        z *= per_cell(tb.k_sr)
        x += z
        x += per_cell(tb.base)
        np.maximum(x, tb.fpar_min[ms, None, None], out=x)  # FPAR within its bounds, as casa.fpar
        np.minimum(x, tb.fpar_max[ms, None, None], out=x)
        np.multiply(x, y.d[:, cs][None], out=z)
        dry = z.sum(axis=1)
        x *= y.b[:, cs][None]
        npp = x.sum(axis=1)
        dry *= tb.floor[ms, None]
        npp += dry
        npp *= per_cell(tb.eps)[:, 0]
        return npp

    def _rh(self, y: _Year, cs: slice, ms: slice) -> NDArray:
        """Return annual RH (members, cells) of members ``ms`` on land cells ``cs`` (gC m-2 a-1)."""
        tb = self.tables
        m = ms.stop - ms.start
        if y.rh is not None:
            return np.broadcast_to(y.rh[cs], (m, y.rh[cs].shape[0]))
        t, p = y.t[:, cs], y.p[:, cs]
        shape = (m,) + t.shape
        if y.exp_bt is not None:
            eb = y.exp_bt[cs]
        else:
            x = np.multiply(t[None], tb.rh_b[ms, None, None], out=self._buffer("x", shape))
            eb = np.exp(x, out=self._buffer("e64", shape, np.float64), dtype=np.float64).sum(axis=1)
        if y.log_cp is not None:
            lc = y.log_cp[cs]
        else:
            x = np.multiply(p[None], tb.rh_c[ms, None, None], out=self._buffer("x", shape))
            lc = np.log1p(x, out=self._buffer("e64", shape, np.float64), dtype=np.float64).sum(axis=1)
        out = eb + lc
        out *= tb.rh_a[ms, None]
        return out.astype(F32)

    # -- the task -----------------------------------------------------------------------------
    def _hits(self, window: Window) -> list[tuple[int, NDArray, NDArray]]:
        """Return (zone, flat window index, weight) of each zone touching ``window`` (one zone: every cell)."""
        h, w = int(window.height), int(window.width)
        if self.zones is None:
            return [(0, np.arange(h * w), np.ones(h * w))]
        return [(z, rr * w + cc, np.ones(len(rr)) if wt is None else wt) for z, rr, cc, wt in self.zones.cells(window)]

    def __call__(self, window: Window, part: int) -> dict[str, object]:
        """Compute every member's annual maps and zone sums for one window and calendar year."""
        y = self._year(window, part)
        h, w = int(window.height), int(window.width)
        members, nz, n_cells = self.tables.members, self.n_zones, len(y.cells)
        where = np.full(h * w, -1, np.int64)  # window cell -> land cell
        where[y.cells] = np.arange(n_cells)
        zones = []
        cells = np.zeros(nz)
        for z, flat, wt in self._hits(window):
            cells[z] += wt.sum()
            at = where[flat]
            keep = at >= 0
            area = self.row_area[flat[keep] // w + int(window.row_off)] * wt[keep]
            zones.append((z, at[keep], area, wt[keep]))
        totals = np.zeros((members, nz, 3))
        s1, s2, above = np.zeros(n_cells), np.zeros(n_cells), np.zeros(n_cells)
        valid = None
        for m0 in range(0, members, self.member_chunk):
            ms = slice(m0, min(members, m0 + self.member_chunk))
            npp = np.empty((ms.stop - m0, n_cells), F32)
            rh = np.empty_like(npp)
            for c0 in range(0, n_cells, self.cell_block):
                cs = slice(c0, min(n_cells, c0 + self.cell_block))
                npp[:, cs] = self._npp(y, cs, ms)
                rh[:, cs] = self._rh(y, cs, ms)
            nep = npp - rh
            if valid is None:  # a cell is valid in every member or in none (NaN comes from the inputs)
                valid = [np.isfinite(q[0]) for q in (npp, rh, nep)]
            for qi, q in enumerate((npp, rh, nep)):
                q[:, ~valid[qi]] = 0.0
                for z, at, area, _ in zones:
                    totals[ms, z, qi] += _dot(q[:, at], area)
            nep64 = nep.astype(np.float64)
            s1 += nep64.sum(axis=0)
            s2 += np.square(nep64).sum(axis=0)
            above += (nep > 0).sum(axis=0)
        valid_m2, valid_cells = np.zeros((nz, 3)), np.zeros((nz, 3))
        for qi in range(3):
            ok = valid[qi].astype(np.float64) if valid is not None else np.zeros(0)
            for z, at, area, wt in zones:
                valid_m2[z, qi] += _dot(ok[at], area)
                valid_cells[z, qi] += _dot(ok[at], wt)
        out: dict[str, object] = {
            f"_totals{part}": totals,
            f"_valid_m2_{part}": valid_m2,
            f"_valid_cells{part}": valid_cells,
        }
        if part == 0:
            out["_cells"] = cells
        out.update({k: (v, [part + 1]) for k, v in self._maps(s1, s2, above, valid, y.cells, (h, w)).items()})
        return out

    def _maps(self, s1: NDArray, s2: NDArray, above: NDArray, valid, cells: NDArray, shape) -> dict[str, NDArray]:
        """Return sd, P(NEP > 0) and mean of annual NEP over the members, (1, rows, cols) float32 with NaN."""
        m = self.tables.members
        mean = s1 / m
        var = np.maximum(s2 / m - mean * mean, 0.0) * (m / (m - 1) if m > 1 else 0.0)
        ok = valid[2] if valid is not None else np.zeros(0, bool)
        out = {}
        for key, v in (("sd", np.sqrt(var)), ("prob", above / m), ("mean", mean)):
            full = np.full(shape[0] * shape[1], np.nan, F32)
            full[cells[ok]] = v[ok]
            out[key] = full.reshape((1,) + shape)
        return out

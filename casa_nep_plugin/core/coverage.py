"""Exact cell coverage: the fraction of each grid cell's area inside a polygon.

Analytic area coverage, as font rasterizers compute anti-aliased coverage:
every polygon edge is cut at the grid lines, each piece adds the signed area
it encloses to its cell and to its row's remaining cells (a cumulative sum
along the row).  Cells inside get 1, cells outside 0, cells the boundary
crosses their exact fraction (to rounding); a polygon covering half of a cell
gives 0.5 whatever its shape.  The ``exact`` cell weighting of the zone tables
(:class:`.zones.ZoneSet`) uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["COVERAGE_EPS", "Segments", "pixel_rings", "cell_coverage"]

#: Coverage fractions below this are rounding noise.
COVERAGE_EPS = 1e-10


def pixel_rings(geom, inverse) -> list[NDArray]:
    """Return the closed rings of a polygon in pixel coordinates (col, row).

    Exteriors come out with a positive and holes with a negative shoelace area
    (the orientation :func:`cell_coverage` needs).  ``inverse`` is the inverse
    of the grid's affine transform.
    """
    polys = getattr(geom, "geoms", [geom])
    rings = []
    a, b, c, d, e, f = inverse.a, inverse.b, inverse.c, inverse.d, inverse.e, inverse.f
    for p in polys:
        for k, r in enumerate([p.exterior, *p.interiors]):
            xy = np.asarray(r.coords, dtype=np.float64)[:, :2]
            if len(xy) < 4:
                continue
            px = a * xy[:, 0] + b * xy[:, 1] + c
            py = d * xy[:, 0] + e * xy[:, 1] + f
            s = np.sum(px[:-1] * py[1:] - px[1:] * py[:-1])
            if (s < 0) == (k == 0):  # exterior must be positive, holes negative
                px, py = px[::-1], py[::-1]
            rings.append(np.column_stack([px, py]))
    return rings


@dataclass
class Segments:
    """Polygon edges in pixel coordinates."""

    x0: NDArray
    y0: NDArray
    x1: NDArray
    y1: NDArray

    @classmethod
    def of(cls, rings: list[NDArray]) -> Segments:
        """Return the edges of ``rings`` (from :func:`pixel_rings`), horizontal edges left out."""
        if not rings:
            z = np.zeros(0)
            return cls(z, z, z, z)
        a = np.concatenate([r[:-1] for r in rings])
        b = np.concatenate([r[1:] for r in rings])
        keep = a[:, 1] != b[:, 1]  # horizontal edges enclose no area in a row
        return cls(a[keep, 0], a[keep, 1], b[keep, 0], b[keep, 1])


def _crossings(
    seg: NDArray,
    lo: NDArray,
    hi: NDArray,
    limit: int,
    start: NDArray,
    delta: NDArray,
) -> tuple[NDArray, NDArray]:
    """Return (segment, parameter t) of every crossing of a segment with the grid lines 0..``limit``."""
    k0 = np.maximum(np.ceil(lo), 0)
    k1 = np.minimum(np.floor(hi), limit)
    n = np.where((delta != 0) & (k1 >= k0), k1 - k0 + 1, 0).astype(np.int64)
    total = int(n.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    ids = np.repeat(seg, n)
    k = np.repeat(k0, n) + (np.arange(total) - np.repeat(np.cumsum(n) - n, n))
    return ids, (k - start[ids]) / delta[ids]


def _pieces(x0: NDArray, y0: NDArray, x1: NDArray, y1: NDArray, height: int, width: int):
    """Return the edges cut at every grid line: (x start, x end, y start, y end) of each piece.

    x is clamped to [0, ``width``]: edges left of the window lie on its left border.
    """
    ns = len(x0)
    dx, dy = x1 - x0, y1 - y0
    seg = np.arange(ns)
    xs_id, xs_t = _crossings(seg, np.minimum(x0, x1), np.maximum(x0, x1), width, x0, dx)
    ys_id, ys_t = _crossings(seg, np.minimum(y0, y1), np.maximum(y0, y1), height, y0, dy)
    ids = np.concatenate([seg, seg, xs_id, ys_id])
    ts = np.concatenate([np.zeros(ns), np.ones(ns), xs_t, ys_t])
    order = np.lexsort((ts, ids))
    ids, ts = ids[order], ts[order]
    px = x0[ids] + ts * dx[ids]
    py = y0[ids] + ts * dy[ids]
    same = ids[1:] == ids[:-1]
    xa, xb = np.clip(px[:-1][same], 0, width), np.clip(px[1:][same], 0, width)
    return xa, xb, py[:-1][same], py[1:][same]


def cell_coverage(segs: Segments, row0: int, col0: int, height: int, width: int) -> NDArray:
    """Return the fraction (0..1) of each cell of a grid window covered by the polygon.

    ``segs`` are the polygon's edges in pixel coordinates of the whole grid
    (from :func:`pixel_rings`); the window starts at (``row0``, ``col0``).
    Exact up to floating-point rounding: each edge is cut at every grid line,
    each piece lies in one cell, adds the area of that cell to its right within
    its row band, ``dy * (1 - f)`` (``f`` the piece's mean offset in the cell),
    and ``dy * f`` to the next cell; a cumulative sum along the row carries the
    full band to the cells further right.  Edges left of the window are clamped
    onto its left border (which keeps the area inside the window), edges right
    of it fall off the end.
    """
    out_w = width + 2
    x0, y0 = segs.x0 - col0, segs.y0 - row0
    x1, y1 = segs.x1 - col0, segs.y1 - row0
    keep = (np.maximum(y0, y1) > 0) & (np.minimum(y0, y1) < height)
    if not keep.any():
        return np.zeros((height, width))
    xa, xb, ya, yb = _pieces(x0[keep], y0[keep], x1[keep], y1[keep], height, width)
    ym = 0.5 * (ya + yb)
    row = np.floor(ym).astype(np.int64)
    ok = (row >= 0) & (row < height) & (yb != ya)
    xm = 0.5 * (xa[ok] + xb[ok])
    row = row[ok]
    h = yb[ok] - ya[ok]
    col = np.minimum(np.floor(xm).astype(np.int64), width)
    frac = xm - col
    flat = row * out_w + col
    size = height * out_w
    acc = np.bincount(flat, weights=h * (1.0 - frac), minlength=size)
    acc += np.bincount(flat + 1, weights=h * frac, minlength=size)
    cov = -np.cumsum(acc.reshape(height, out_w), axis=1)[:, :width]
    np.clip(cov, 0.0, 1.0, out=cov)
    cov[cov < COVERAGE_EPS] = 0.0
    return cov

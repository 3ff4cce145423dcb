"""Zonal statistics of monthly flux stacks per polygon zone (cities, districts).

For every zone: its area, its cell count and, for every band of every stack
(NPP, RH, NEP, ...), the area-weighted mean and the total; for monthly stacks
also every calendar year; and the RH/NPP ratio of totals when both stacks are
given.  All bands of all stacks are read in one pass over the raster, window
by window (memory is bounded by the window, not by the raster).

Zones come from any vector source geopandas reads; they are reprojected to the
raster's CRS (edges densified first, so a straight edge in degrees stays the
right curve in metres).  A layer without a CRS is an error, never a silent
mismatch.  Invalid geometries are repaired (``make_valid``); multipart zones
(islands) and overlapping zones are handled: every zone is placed on the grid
on its own, so a cell may belong to several zones.

Cell weighting
--------------
``centre``
    A cell belongs to a zone when its centre is inside (as ArcGIS and QGIS
    zonal statistics do): each zone is rasterized with GDAL
    (``all_touched=False``) over its bounding box.  Weight 1.
``exact``
    Each cell is weighted by the fraction of its area inside the polygon,
    computed exactly (to rounding) by analytic area coverage: every polygon
    edge is cut at the grid lines, each piece adds the signed area it encloses
    to its cell and its row's remaining cells (a cumulative sum along the row),
    as font rasterizers compute anti-aliased coverage.  Cells inside get 1,
    cells outside 0, cells the boundary crosses their exact fraction; a
    polygon covering half of a cell gives 0.5 whatever its shape.

Cell areas come from the grid (:meth:`ModelGrid.row_cell_areas`): planar in a
projected CRS, the true ellipsoidal area of each row's cells in a geographic CRS.

Output columns (one row per zone, in the layer's order)
--------------------------------------------------------
- the zone's attribute fields (all, or those chosen), then
- ``zone_index``: 1-based position of the zone in the layer;
- ``zone_area_km2``: the polygon's true (geodesic, WGS 84 ellipsoid) area;
- ``area_km2``: area of the cells counted, sum of cell area x weight (the part
  of the zone on the raster; in ``exact`` mode the polygon's area on the grid);
- ``cells``: cells counted (``centre``: an integer; ``exact``: the sum of the
  coverage fractions);
- for each stack ``s`` (``npp``, ``rh``, ``nep``) and each month ``YYYY_MM``:
  ``s_YYYY_MM_mean`` (area-weighted mean over cells with data, gC m-2 month-1),
  ``s_YYYY_MM_total_tC`` and ``s_YYYY_MM_total_ktC`` (sum of value x cell area
  x weight; 1 tC = 1e6 gC, 1 ktC = 1e9 gC);
- for each calendar year ``YYYY``: ``s_YYYY_mean`` (gC m-2 a-1),
  ``s_YYYY_total_tC``, ``s_YYYY_total_ktC``, by **one definition of annual**:
  those of the annual map over the zone.  A cell's annual value is the sum of
  its months of the year, and a cell counts for a year only where all of them
  have data (as :func:`core.model.run_annual` writes the annual map); the
  year's mean is the area-weighted mean of those annual values and its total
  their sum x area.  So a cell with a cloud gap is left out of the year, not
  added in for the months it has.  A year with fewer than 12 months in the
  stack is summed over the months present (with a warning);
- with NPP and RH: ``rh_npp_YYYY_MM_ratio_pct`` and ``rh_npp_YYYY_ratio_pct``,
  100 x total RH / total NPP over the cells where both have data (RH is summed
  again where NPP has a value, so a cloud gap in NPP does not inflate the
  ratio); empty where total NPP <= 0; the yearly ratio from the annual totals;
- coverage, for each stack and period (month or year): ``s_<period>_valid_cells``
  (cells with data in that period, by the zone's cell weighting: whole cells in
  ``centre``, coverage fractions in ``exact``) and ``s_<period>_coverage_pct``
  (100 x valid cells / ``cells``); with a fill-count raster (``filled``: the
  filled months per cell and year, as ``casanep:ndvicomposite`` FILLED_OUTPUT
  writes it) also ``filled_cell_months_YYYY``, the NDVI cell-months of the
  zone that were filled by interpolation.

Bands not described as months (``YYYY-MM``) are labelled by their description
(``2021`` for the annual ratio raster) or ``b1``, ``b2``, ... and get no
yearly columns.  Means and totals are empty (NULL) where a zone has no cell
with data; a zone that misses the raster has ``cells`` 0 and a warning.
"""

from __future__ import annotations

import math
import os
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from .affine_ops import matmul
from .engine import DEFAULT_BLOCK_VALUES, atomic_path, check_writable, gdal_cache, scan_blocks
from .errors import CasaCancelled, CasaInputError
from .grid import ModelGrid
from .raster import MONTH_RE, RasterInput

__all__ = [
    "WEIGHTINGS",
    "read_zones",
    "ZoneSet",
    "Stack",
    "open_stacks",
    "zonal_statistics",
    "write_table",
    "cell_coverage",
]

WEIGHTINGS = ("centre", "exact")
#: grams per tonne and per kilotonne of carbon.
G_PER_T = 1e6
G_PER_KT = 1e9
#: Coverage fractions below this are rounding noise.
COVERAGE_EPS = 1e-10
#: Table formats by file extension.
TABLE_FORMATS = {".gpkg": "GPKG", ".csv": "CSV"}
BASE_COLUMNS = ("zone_index", "zone_area_km2", "area_km2", "cells")
#: Threads reading (decompressing) windows ahead of the one being summed.
READ_THREADS = 2


def _noop(msg: str) -> None:
    return None


# ---------------------------------------------------------------------------
# zones
# ---------------------------------------------------------------------------
def split_layer_path(source: str) -> tuple[str, str | None]:
    """``path|layername=x`` (as QGIS writes it) to (path, layer)."""
    parts = source.split("|")
    path, layer = parts[0], None
    for p in parts[1:]:
        key, _, value = p.partition("=")
        if key.strip().lower() == "layername" and value:
            layer = value
        elif key.strip().lower() == "layerid" and value and layer is None:
            layer = int(value)  # type: ignore[assignment]
    return path, layer


def read_zones(source, parameter: str = "ZONES"):
    """A GeoDataFrame of polygon zones from a path (any OGR source) or a GeoDataFrame.

    Raises a clear error for an unreadable source, an empty layer, a layer
    without CRS or geometries that are not polygons.
    """
    import geopandas as gpd

    if isinstance(source, gpd.GeoDataFrame):
        frame = source.copy()
        name = "the zone layer"
    else:
        if not source:
            raise CasaInputError(parameter, "no zone layer was given.")
        path, layer = split_layer_path(str(source))
        name = f"'{os.path.basename(path)}'" + (f" (layer {layer})" if layer is not None else "")
        try:
            frame = gpd.read_file(path, layer=layer) if layer is not None else gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - fiona/GDAL say why
            raise CasaInputError(parameter, f"cannot read {name} as a vector layer ({exc}).") from exc
    if len(frame) == 0:
        raise CasaInputError(parameter, f"{name} has no features; give a layer with at least one polygon.")
    if frame.crs is None:
        raise CasaInputError(
            parameter,
            f"{name} has no coordinate reference system, so it cannot be placed on the raster. "
            "Assign one (QGIS: Layer Properties > Source, or 'Assign projection'; ogr2ogr -a_srs EPSG:...).",
        )
    kinds = {t for t in frame.geometry.geom_type.dropna().unique()}
    bad = sorted(kinds - {"Polygon", "MultiPolygon", "GeometryCollection"})
    if bad:
        raise CasaInputError(parameter, f"{name} must hold polygons; it has {', '.join(bad)} geometries.")
    return frame


def _zone_labels(frame) -> list[str]:
    """A readable name for each zone (for messages)."""
    cols = [c for c in frame.columns if c != frame.geometry.name]
    names = ("name_en", "name", "nom", "city", "city_name", "zone", "id")
    prefer = sorted((c for c in cols if c.lower() in names), key=lambda c: names.index(c.lower()))
    obj = [c for c in cols if frame[c].dtype == object]
    col = (prefer or obj or [None])[0]
    out = []
    for i in range(len(frame)):
        v = frame[col].iloc[i] if col is not None else None
        out.append(f"zone {i + 1}" + (f" ({v})" if v is not None and str(v) != "nan" else ""))
    return out


def _polygonal(geom):
    """The polygonal part of a geometry (after repair), or None."""
    from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        try:
            from shapely.validation import make_valid

            geom = make_valid(geom)
        except ImportError:  # pragma: no cover - shapely < 1.8
            geom = geom.buffer(0)
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom if not geom.is_empty else None
    if isinstance(geom, GeometryCollection):
        polys = []
        for g in geom.geoms:
            if isinstance(g, Polygon):
                polys.append(g)
            elif isinstance(g, MultiPolygon):
                polys.extend(g.geoms)
        polys = [p for p in polys if not p.is_empty and p.area > 0]
        return MultiPolygon(polys) if polys else None
    return None


def _densify_ring(coords: NDArray, max_len: float) -> NDArray:
    """Insert vertices so no segment is longer than ``max_len``."""
    d = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    n = np.maximum(1, np.ceil(d / max_len).astype(np.int64)) if max_len > 0 else np.ones(len(d), np.int64)
    if (n == 1).all():
        return coords
    seg = np.repeat(np.arange(len(d)), n)
    t = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
    a, b = coords[:-1][seg], coords[1:][seg]
    out = a + (b - a) * t[:, None]
    return np.vstack([out, coords[-1:]])


def _reproject(geom, transformer, max_len: float):
    """``geom`` through a pyproj transformer, edges densified to ``max_len`` first."""
    from shapely.geometry import MultiPolygon, Polygon

    def ring(r):
        c = _densify_ring(np.asarray(r.coords, dtype=np.float64)[:, :2], max_len)
        x, y = transformer.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    def poly(p):
        return Polygon(ring(p.exterior), [ring(i) for i in p.interiors])

    if isinstance(geom, Polygon):
        return poly(geom)
    return MultiPolygon([poly(p) for p in geom.geoms])


def _geodesic_area_km2(geoms_lonlat: list) -> list[float]:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    out = []
    for g in geoms_lonlat:
        if g is None or g.is_empty:
            out.append(0.0)
        else:
            out.append(abs(geod.geometry_area_perimeter(g)[0]) / 1e6)
    return out


def _to_pixel_rings(geom, inverse) -> list[NDArray]:
    """Closed rings in pixel coordinates (col, row): exteriors with positive and
    holes with negative shoelace area (the orientation :func:`cell_coverage` needs)."""
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
class _Segments:
    """Polygon edges in pixel coordinates."""

    x0: NDArray
    y0: NDArray
    x1: NDArray
    y1: NDArray

    @classmethod
    def of(cls, rings: list[NDArray]) -> _Segments:
        if not rings:
            z = np.zeros(0)
            return cls(z, z, z, z)
        a = np.concatenate([r[:-1] for r in rings])
        b = np.concatenate([r[1:] for r in rings])
        keep = a[:, 1] != b[:, 1]  # horizontal edges enclose no area in a row
        return cls(a[keep, 0], a[keep, 1], b[keep, 0], b[keep, 1])


def cell_coverage(segs: _Segments, row0: int, col0: int, height: int, width: int) -> NDArray:
    """Fraction (0..1) of each cell of a grid window covered by the polygon.

    ``segs`` are the polygon's edges in pixel coordinates of the whole grid
    (from :func:`_to_pixel_rings`); the window starts at (``row0``, ``col0``).
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
    x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
    ns = len(x0)
    if ns == 0:
        return np.zeros((height, width))
    dx, dy = x1 - x0, y1 - y0
    seg = np.arange(ns)

    def crossings(lo, hi, limit, start, delta):
        k0 = np.maximum(np.ceil(lo), 0)
        k1 = np.minimum(np.floor(hi), limit)
        n = np.where((delta != 0) & (k1 >= k0), k1 - k0 + 1, 0).astype(np.int64)
        total = int(n.sum())
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0)
        ids = np.repeat(seg, n)
        k = np.repeat(k0, n) + (np.arange(total) - np.repeat(np.cumsum(n) - n, n))
        return ids, (k - start[ids]) / delta[ids]

    xs_id, xs_t = crossings(np.minimum(x0, x1), np.maximum(x0, x1), width, x0, dx)
    ys_id, ys_t = crossings(np.minimum(y0, y1), np.maximum(y0, y1), height, y0, dy)
    ids = np.concatenate([seg, seg, xs_id, ys_id])
    ts = np.concatenate([np.zeros(ns), np.ones(ns), xs_t, ys_t])
    order = np.lexsort((ts, ids))
    ids, ts = ids[order], ts[order]
    px = x0[ids] + ts * dx[ids]
    py = y0[ids] + ts * dy[ids]
    same = ids[1:] == ids[:-1]
    xa, xb = np.clip(px[:-1][same], 0, width), np.clip(px[1:][same], 0, width)
    ya, yb = py[:-1][same], py[1:][same]
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


@dataclass
class ZoneSet:
    """Zones placed on a grid: which cells each covers, and with what weight."""

    frame: object  # GeoDataFrame: attributes and original geometries
    grid: ModelGrid
    weighting: str
    geoms: list  # in the grid's CRS (None: no usable geometry)
    labels: list[str]
    zone_area_km2: list[float]
    boxes: NDArray  # (n, 4) row0, row1, col0, col1 on the grid (empty: row0 >= row1)
    _mappings: list = field(default_factory=list, repr=False)
    _segments: list = field(default_factory=list, repr=False)

    @classmethod
    def build(
        cls, zones, grid: ModelGrid, weighting: str = "centre", parameter: str = "ZONES", warning=_noop
    ) -> ZoneSet:
        """Read (if a path), check, repair and reproject ``zones`` onto ``grid``."""
        from pyproj import CRS as PCRS
        from pyproj import Transformer
        from shapely.geometry import box, mapping

        if weighting not in WEIGHTINGS:
            raise CasaInputError("WEIGHTING", f"must be one of {', '.join(WEIGHTINGS)}, not '{weighting}'.")
        frame = read_zones(zones, parameter)
        labels = _zone_labels(frame)
        src = PCRS.from_user_input(frame.crs)
        if grid.crs is None:
            raise CasaInputError(parameter, "the raster has no CRS, so the zones cannot be placed on it.")
        dst = PCRS.from_user_input(grid.crs.to_wkt())
        repaired = [_polygonal(g) for g in frame.geometry]
        fixed = [i for i, (g, r) in enumerate(zip(frame.geometry, repaired)) if g is not None and not g.is_empty
                 and not g.is_valid]
        if fixed:
            warning(f"{parameter}: repaired invalid geometries of {', '.join(labels[i] for i in fixed[:5])}"
                    f"{' ...' if len(fixed) > 5 else ''} (make_valid).")
        for i, g in enumerate(repaired):
            if g is None:
                warning(f"{parameter}: {labels[i]} has no polygon geometry; its row has cells 0.")
        # true areas on the WGS 84 ellipsoid
        if src.is_geographic:
            lonlat = repaired
        else:
            to_ll = Transformer.from_crs(src, PCRS.from_epsg(4326), always_xy=True)
            lonlat = [None if g is None else _reproject(g, to_ll, 0) for g in repaired]
        zone_area = _geodesic_area_km2(lonlat)
        # onto the grid's CRS, densified so edges follow the projection
        if src.equals(dst) or src == dst:
            geoms = repaired
        else:
            tr = Transformer.from_crs(src, dst, always_xy=True)
            cell = min(abs(grid.transform.a), abs(grid.transform.e)) or 1.0
            max_len = _source_step(repaired, tr, cell)
            geoms = []
            for i, g in enumerate(repaired):
                if g is None:
                    geoms.append(None)
                    continue
                try:
                    r = _reproject(g, tr, max_len)
                except Exception:  # noqa: BLE001 - outside the projection's domain
                    r = None
                if r is not None and (r.is_empty or not np.all(np.isfinite(r.bounds))):
                    r = None
                if r is None:
                    warning(f"{parameter}: {labels[i]} cannot be projected to the raster's CRS; its row has cells 0.")
                elif not r.is_valid:
                    r = _polygonal(r)
                geoms.append(r)
        boxes = np.zeros((len(geoms), 4), np.int64)
        inv = ~grid.transform
        extent = box(*grid.bounds)
        for i, g in enumerate(geoms):
            if g is None:
                continue
            x0, y0, x1, y1 = g.bounds
            corners = [matmul(inv, (x, y)) for x in (x0, x1) for y in (y0, y1)]
            cs = [c for c, _ in corners]
            rs = [r for _, r in corners]
            boxes[i] = (
                max(0, math.floor(min(rs))), min(grid.height, math.ceil(max(rs))),
                max(0, math.floor(min(cs))), min(grid.width, math.ceil(max(cs))),
            )
            inside = g.intersection(extent).area if g.intersects(extent) else 0.0
            if inside <= 0:
                warning(f"{parameter}: {labels[i]} lies outside the raster; its row has cells 0.")
            elif inside < 0.999 * g.area:
                warning(f"{parameter}: {100 * (1 - inside / g.area):.1f} % of {labels[i]} lies outside the raster; "
                        "its totals cover only the part on the raster.")
        zs = cls(frame, grid, weighting, geoms, labels, zone_area, boxes)
        zs._mappings = [None if g is None else mapping(g) for g in geoms]
        if weighting == "exact":
            zs._segments = [None if g is None else _Segments.of(_to_pixel_rings(g, inv)) for g in geoms]
        return zs

    def __len__(self) -> int:
        return len(self.geoms)

    def cells(self, window: Window) -> Iterator[tuple[int, NDArray, NDArray, NDArray | None]]:
        """For each zone touching ``window``: (zone, rows, cols, weight).

        ``rows``/``cols`` are window-relative cell indices, ``weight`` the
        coverage fraction (None in ``centre`` mode: weight 1).
        """
        from affine import Affine
        from rasterio.features import rasterize

        wr0, wc0 = int(window.row_off), int(window.col_off)
        wr1, wc1 = wr0 + int(window.height), wc0 + int(window.width)
        for z, (r0, r1, c0, c1) in enumerate(self.boxes):
            if self.geoms[z] is None:
                continue
            r0, r1, c0, c1 = max(r0, wr0), min(r1, wr1), max(c0, wc0), min(c1, wc1)
            if r0 >= r1 or c0 >= c1:
                continue
            h, w = int(r1 - r0), int(c1 - c0)
            if self.weighting == "centre":
                mask = rasterize(
                    [(self._mappings[z], 1)], out_shape=(h, w), fill=0, all_touched=False, dtype="uint8",
                    transform=matmul(self.grid.transform, Affine.translation(c0, r0)),
                )
                rr, cc = np.nonzero(mask)
                weight = None
            else:
                cov = cell_coverage(self._segments[z], int(r0), int(c0), h, w)
                rr, cc = np.nonzero(cov)
                weight = cov[rr, cc]
            if len(rr):
                yield z, rr + (r0 - wr0), cc + (c0 - wc0), weight


def _source_step(geoms: list, transformer, cell: float) -> float:
    """Longest edge (zone CRS units) kept straight when reprojecting: about half a cell."""
    from shapely.ops import unary_union

    real = [g for g in geoms if g is not None]
    if not real:
        return 0.0
    x0, y0, x1, y1 = unary_union([g.envelope for g in real]).bounds
    xs = np.array([x0, x1, x0, x1, 0.5 * (x0 + x1)])
    ys = np.array([y0, y0, y1, y1, 0.5 * (y0 + y1)])
    try:
        tx, ty = transformer.transform(xs, ys)
        src_d = math.hypot(x1 - x0, y1 - y0)
        dst_d = math.hypot(np.ptp(tx), np.ptp(ty))
        if not (src_d > 0 and dst_d > 0 and math.isfinite(dst_d)):
            return 0.0
        return 0.5 * cell * src_d / dst_d
    except Exception:  # noqa: BLE001 - cannot tell: do not densify
        return 0.0


# ---------------------------------------------------------------------------
# stacks
# ---------------------------------------------------------------------------
@dataclass
class Stack:
    """One input stack: name (column prefix), raster and band labels."""

    name: str
    raster: RasterInput
    labels: list[str]  # per band: 2021_01 / 2021 / b1
    months: list[str] | None  # YYYY-MM per band, when every band is a month
    aligned: bool = True

    @property
    def years(self) -> OrderedDict[str, list[int]]:
        """Band indices of each calendar year (empty without months)."""
        out: OrderedDict[str, list[int]] = OrderedDict()
        for i, m in enumerate(self.months or []):
            out.setdefault(m[:4], []).append(i)
        return out

    def read(self, window: Window, dataset=None) -> NDArray:
        """All bands of ``window`` as float32 (bands, rows, cols), NaN for nodata.

        ``dataset``: another open handle of the same file (one per thread).
        """
        inp = self.raster
        if not self.aligned:
            return inp.read(window)
        ds = dataset if dataset is not None else inp.dataset
        data = ds.read(window=window, out_dtype="float32")
        nod = ds.nodata
        if nod is not None and not math.isnan(nod):
            data[data == np.float32(nod)] = np.nan
        scales, offsets = np.asarray(ds.scales, np.float32), np.asarray(ds.offsets, np.float32)
        if (scales != 1).any() or (offsets != 0).any():
            data = data * scales[:, None, None] + offsets[:, None, None]
        if inp.scale != 1.0:
            data *= np.float32(inp.scale)
        return data


def _band_labels(descriptions: list[str | None]) -> tuple[list[str], list[str] | None]:
    texts = [(d or "").strip() for d in descriptions]
    if texts and all(MONTH_RE.match(t) for t in texts) and len(set(texts)) == len(texts):
        return [t.replace("-", "_") for t in texts], texts
    labels = []
    for i, t in enumerate(texts):
        s = re.sub(r"[^0-9A-Za-z]+", "_", t).strip("_").lower()
        labels.append(s if s else f"b{i + 1}")
    if len(set(labels)) != len(labels):
        labels = [f"b{i + 1}" for i in range(len(texts))]
    return labels, None


def open_stacks(stacks: dict[str, str | None], warning=_noop, info=_noop, same_grid: bool = False):
    """Open the named stacks (name -> path; None skipped) on the first one's grid.

    Returns (grid, [Stack]).  Parameter names in errors are the upper-case
    stack names.  ``same_grid``: a stack on another grid is an error instead
    of being resampled (bilinearly) onto the first one's grid.
    """
    given = [(n, p) for n, p in stacks.items() if p]
    if not given:
        raise CasaInputError(
            "/".join(n.upper() for n in stacks), "give at least one raster stack (NPP, RH or NEP)."
        )
    out: list[Stack] = []
    grid = None
    try:
        for name, path in given:
            inp = RasterInput.open(path, name.upper(), monthly=False)
            labels, months = _band_labels(list(inp.dataset.descriptions))
            st = Stack(name, inp, labels, months)
            out.append(st)
            if grid is None:
                grid = inp.grid
                if grid.crs is None:
                    raise CasaInputError(
                        name.upper(), f"'{os.path.basename(path)}' has no CRS; zones and cell areas need one."
                    )
            if not inp.grid.aligned_with(grid):
                if same_grid:
                    raise CasaInputError(
                        name.upper(),
                        f"'{os.path.basename(path)}' is not on the grid of {out[0].name.upper()} "
                        f"({inp.grid.width} x {inp.grid.height} vs {grid.width} x {grid.height}, or another "
                        "origin, cell size or CRS); give stacks on one grid.",
                    )
                inp.attach(grid)
                st.aligned = False
                warning(f"{name.upper()}: not on the grid of {out[0].name.upper()}; resampled bilinearly onto it.")
            if months is None:
                info(f"{name.upper()}: bands are not described as months (YYYY-MM); columns use "
                     f"{', '.join(labels[:3])}{' ...' if len(labels) > 3 else ''} and no yearly sums are made.")
            else:
                for year, idx in st.years.items():
                    if len(idx) != 12:
                        warning(f"{name.upper()}: {year} has {len(idx)} months; its yearly columns sum those.")
        from .plausibility import check_same_periods

        check_same_periods([(st.name.upper(), st.raster.path, [(d or "").strip() for d in
                                                              st.raster.dataset.descriptions])
                            for st in out if st.name in ("npp", "rh", "nep")])  # the flux stacks only
    except BaseException:
        for st in out:
            st.raster.close()
        raise
    return grid, out


def scan_stacks(
    grid: ModelGrid,
    stacks: list[Stack],
    visit,
    callbacks,
    block_values: int = DEFAULT_BLOCK_VALUES,
    threads: int = READ_THREADS,
    extra: int = 0,
) -> None:
    """Read every window of ``grid`` from all ``stacks`` and call ``visit(window, arrays)``.

    ``arrays`` holds each stack's float32 block (NaN nodata), in order.  With
    ``threads`` > 1 the next windows are read (and decompressed) by worker
    threads, each with its own file handles, while the current one is
    processed; windows are still visited in order.  ``extra``: further bands
    per cell the caller reads itself (sizes the windows).
    """
    import threading
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import rasterio

    depth = sum(len(st.labels) for st in stacks) + extra
    windows = list(grid.windows(block_values, depth))
    progress, cancelled = callbacks.progress, callbacks.is_cancelled
    threads = max(1, min(threads, len(windows)))
    if threads == 1 or not all(st.aligned for st in stacks):

        def one(window: Window) -> None:
            visit(window, [st.read(window) for st in stacks])

        scan_blocks(grid, one, progress, cancelled, depth=depth, block_values=block_values)
        return
    local = threading.local()
    opened: list = []
    lock = threading.Lock()

    def load(window: Window) -> list[NDArray]:
        handles = getattr(local, "handles", None)
        if handles is None:
            handles = [rasterio.open(st.raster.path) for st in stacks]
            local.handles = handles
            with lock:
                opened.extend(handles)
        return [st.read(window, h) for st, h in zip(stacks, handles)]

    with gdal_cache():
        try:
            with ThreadPoolExecutor(threads) as pool:
                queue: deque = deque()
                todo = iter(windows)
                for w in todo:
                    queue.append((w, pool.submit(load, w)))
                    if len(queue) > threads:
                        break
                done = 0
                while queue:
                    if cancelled is not None and cancelled():
                        for _, f in queue:
                            f.cancel()
                        raise CasaCancelled()
                    w, fut = queue.popleft()
                    arrays = fut.result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        queue.append((nxt, pool.submit(load, nxt)))
                    visit(w, arrays)
                    done += 1
                    if progress is not None:
                        progress(100.0 * done / len(windows))
        finally:
            for h in opened:
                h.close()


def close_stacks(stacks: list[Stack]) -> None:
    """Close every stack's raster."""
    for st in stacks:
        st.raster.close()


# ---------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------
def table_format(path: str, parameter: str = "OUTPUT") -> str:
    """'GPKG' or 'CSV' from the file extension (a clear error otherwise)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in TABLE_FORMATS:
        raise CasaInputError(
            parameter, f"write the table as a GeoPackage (.gpkg) or CSV (.csv), not '{ext or path}'."
        )
    return TABLE_FORMATS[ext]


def check_field_clash(fields: list[str], columns: list[str], parameter: str) -> None:
    """Error when a carried zone field has the name of a computed column."""
    computed = {c.lower() for c in columns}
    clash = [f for f in fields if f.lower() in computed]
    if clash:
        raise CasaInputError(
            parameter,
            f"the zone field(s) {', '.join(clash)} clash with computed column names; rename them, or leave "
            "them out of the fields to keep.",
        )
    lower = [f.lower() for f in fields]
    dup = sorted({f for f in fields if lower.count(f.lower()) > 1})
    if dup:
        raise CasaInputError(parameter, f"the zone fields {', '.join(dup)} differ only in case; rename one.")


def write_table(frame, path: str, layer: str | None = None, parameter: str = "OUTPUT") -> str:
    """Write a (Geo)DataFrame as CSV (no geometry) or a GeoPackage layer, atomically.

    A GeoDataFrame keeps its geometry in a GeoPackage (as MultiPolygon); a
    plain DataFrame becomes an attribute table.  Returns ``path``.
    """
    import geopandas as gpd
    import pandas as pd

    fmt = table_format(path, parameter)
    check_writable(path, parameter)
    with atomic_path(path) as tmp:
        if fmt == "CSV":
            plain = pd.DataFrame(frame.drop(columns=frame.geometry.name)) if isinstance(
                frame, gpd.GeoDataFrame) else pd.DataFrame(frame)
            plain.to_csv(tmp, index=False)
        else:
            layer = layer or os.path.splitext(os.path.basename(path))[0]
            if isinstance(frame, gpd.GeoDataFrame):
                from shapely.geometry import MultiPolygon, Polygon

                out = frame.copy()
                out[out.geometry.name] = [
                    MultiPolygon([g]) if isinstance(g, Polygon) else g for g in out.geometry
                ]
                out.to_file(tmp, layer=layer, driver="GPKG")
            else:
                _write_gpkg_table(pd.DataFrame(frame), tmp, layer)
    return path


def _write_gpkg_table(frame, path: str, layer: str) -> None:
    """A GeoPackage attribute table (no geometry) through OGR."""
    from osgeo import ogr

    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(path)
    try:
        lyr = ds.CreateLayer(layer, geom_type=ogr.wkbNone)
        kinds = {}
        for col in frame.columns:
            s = frame[col]
            if s.dtype.kind in "iub":
                t = ogr.OFTInteger64
            elif s.dtype.kind == "f":
                t = ogr.OFTReal
            else:
                t = ogr.OFTString
            kinds[col] = t
            lyr.CreateField(ogr.FieldDefn(str(col), t))
        lyr.StartTransaction()
        defn = lyr.GetLayerDefn()
        for row in frame.itertuples(index=False):
            feat = ogr.Feature(defn)
            for i, (col, v) in enumerate(zip(frame.columns, row)):
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    feat.SetFieldNull(i)
                elif kinds[col] == ogr.OFTReal:
                    feat.SetField(i, float(v))
                elif kinds[col] == ogr.OFTInteger64:
                    feat.SetField(i, int(v))
                else:
                    feat.SetField(i, str(v))
            lyr.CreateFeature(feat)
        lyr.CommitTransaction()
    finally:
        ds = None  # noqa: F841 - closes the file


def period_columns(st: Stack, kinds: tuple[str, ...] = ("mean", "total_tC", "total_ktC")) -> list[str]:
    """Column names for one stack, bands (months) then years."""
    return [f"{st.name}_{lab}_{k}" for lab in [*st.labels, *st.years] for k in kinds]


def ratio_periods(stacks: list[Stack]) -> list[tuple[str, int | list[int], int | list[int]]]:
    """(label, RH band(s), NPP band(s)) of the periods both RH and NPP cover."""
    by = {s.name: s for s in stacks}
    if "npp" not in by or "rh" not in by:
        return []
    npp, rh = by["npp"], by["rh"]
    out: list = []
    for i, lab in enumerate(rh.labels):
        if lab in npp.labels:
            out.append((lab, i, npp.labels.index(lab)))
    ny = npp.years
    for y, idx in rh.years.items():
        if y in ny and [rh.months[i] for i in idx] == [npp.months[j] for j in ny[y]]:
            out.append((y, idx, ny[y]))
    return out


def period_sums(st: Stack, total_g: NDArray, valid_m2: NDArray, annual_g: NDArray | None = None,
                annual_m2: NDArray | None = None) -> tuple[list[str], NDArray, NDArray]:
    """Per period (each band, then each calendar year): labels, mean and total.

    ``total_g`` and ``valid_m2`` are (rows, bands): the sum of value x area x
    weight (gC) and of area x weight over cells with data (m2).  The mean of a
    band is ``total / valid`` (gC m-2).  With ``annual_g`` and ``annual_m2``
    (rows, years: the same sums of each cell's annual value over the cells with
    data in every month of the year) a year's mean and total are those of the
    annual map; without them, the sum of the monthly means and of the monthly
    totals.  NaN where no cell had data.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        has = valid_m2 > 0
        mean = np.where(has, total_g / np.where(has, valid_m2, 1), np.nan)
        tot = np.where(has, total_g, np.nan)
    labels = list(st.labels)
    means, tots = [mean], [tot]
    if annual_g is not None and annual_m2 is not None and st.years:
        with np.errstate(invalid="ignore", divide="ignore"):
            yhas = annual_m2 > 0
            means.append(np.where(yhas, annual_g / np.where(yhas, annual_m2, 1), np.nan))
            tots.append(np.where(yhas, annual_g, np.nan))
        return labels + list(st.years), np.hstack(means), np.hstack(tots)
    for y, idx in st.years.items():
        anyv = has[:, idx].any(axis=1)
        means.append(np.where(anyv, np.nansum(mean[:, idx], axis=1), np.nan)[:, None])
        tots.append(np.where(anyv, np.nansum(tot[:, idx], axis=1), np.nan)[:, None])
        labels.append(y)
    return labels, np.hstack(means), np.hstack(tots)


def flux_columns(
    st: Stack, total_g: NDArray, valid_m2: NDArray, suffix: str = "",
    kinds: tuple[str, ...] = ("mean", "total_tC", "total_ktC"),
    annual_g: NDArray | None = None, annual_m2: NDArray | None = None,
) -> OrderedDict[str, NDArray]:
    """Mean and total columns of one stack from per-band sums (see :func:`period_sums`)."""
    labels, mean, tot = period_sums(st, total_g, valid_m2, annual_g, annual_m2)
    per = {"mean": mean, "total_tC": tot / G_PER_T, "total_ktC": tot / G_PER_KT}
    cols: OrderedDict[str, NDArray] = OrderedDict()
    for p, lab in enumerate(labels):
        for k in kinds:
            cols[f"{st.name}_{lab}_{k}{suffix}"] = per[k][:, p]
    return cols


def ratio_columns(stacks: list[Stack], totals: dict[str, NDArray], suffix: str = "",
                  annual: dict[str, NDArray] | None = None) -> OrderedDict[str, NDArray]:
    """``rh_npp_<period>_ratio_pct``: 100 x total RH / total NPP (empty where NPP <= 0).

    ``annual``: per stack, (rows, years) totals of the annual map (see
    :func:`period_sums`); a year's ratio then comes from them."""
    cols: OrderedDict[str, NDArray] = OrderedDict()
    by = {st.name: st for st in stacks}
    for lab, ri, ni in ratio_periods(stacks):
        if isinstance(ri, list) and annual is not None and "rh" in annual and "npp" in annual:
            r = annual["rh"][:, list(by["rh"].years).index(lab)]
            n = annual["npp"][:, list(by["npp"].years).index(lab)]
        elif isinstance(ri, list):
            r, n = np.nansum(totals["rh"][:, ri], axis=1), np.nansum(totals["npp"][:, ni], axis=1)
        else:
            r, n = totals["rh"][:, ri], totals["npp"][:, ni]
        with np.errstate(invalid="ignore", divide="ignore"):
            cols[f"rh_npp_{lab}_ratio_pct{suffix}"] = np.where(n > 0, 100.0 * r / np.where(n > 0, n, 1), np.nan)
    return cols


def ratio_column_names(stacks: list[Stack], suffix: str = "") -> list[str]:
    """Names :func:`ratio_columns` makes."""
    return [f"rh_npp_{lab}_ratio_pct{suffix}" for lab, _, _ in ratio_periods(stacks)]


def coverage_columns(st: Stack, valid_cells: NDArray, annual_cells: NDArray | None, cells: NDArray,
                     suffix: str = "") -> OrderedDict[str, NDArray]:
    """``s_<period>_valid_cells`` and ``s_<period>_coverage_pct`` (100 x valid / zone cells) per band and year."""
    labels = list(st.labels)
    counts = [valid_cells]
    if annual_cells is not None and st.years:
        labels += list(st.years)
        counts.append(annual_cells)
    valid = np.hstack(counts)
    cols: OrderedDict[str, NDArray] = OrderedDict()
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(cells[:, None] > 0, 100.0 * valid / np.where(cells > 0, cells, 1)[:, None], np.nan)
    for p, lab in enumerate(labels):
        cols[f"{st.name}_{lab}_valid_cells{suffix}"] = valid[:, p]
        cols[f"{st.name}_{lab}_coverage_pct{suffix}"] = pct[:, p]
    return cols


def coverage_column_names(st: Stack, suffix: str = "") -> list[str]:
    """Names :func:`coverage_columns` makes (with annual columns where the stack has years)."""
    return [f"{st.name}_{lab}_{k}{suffix}" for lab in [*st.labels, *st.years] for k in ("valid_cells",
                                                                                      "coverage_pct")]


def annual_cell_sums(data: NDArray, years: OrderedDict[str, list[int]]) -> NDArray:
    """Each cell's annual sum (years, rows, cols): NaN where any month of the year is NaN (as run_annual)."""
    return np.stack([data[idx].sum(axis=0) for idx in years.values()])


# ---------------------------------------------------------------------------
# zonal statistics
# ---------------------------------------------------------------------------
def zonal_statistics(
    zones,
    stacks: dict[str, str | None],
    output: str | None = None,
    weighting: str = "centre",
    fields: list[str] | None = None,
    callbacks=None,
    block_values: int = DEFAULT_BLOCK_VALUES,
    layer: str | None = None,
    threads: int = READ_THREADS,
    filled: str | None = None,
):
    """Zonal statistics of ``stacks`` (name -> raster path) per polygon of ``zones``.

    ``zones``: a vector path (``path|layername=x`` accepted) or GeoDataFrame.
    ``weighting``: ``centre`` or ``exact``.  ``fields``: zone attributes to
    carry into the table (default all).  ``output``: a ``.gpkg`` (layer with
    the zone geometry) or ``.csv`` path, written atomically; None writes nothing.
    ``filled``: a raster of NDVI months filled per cell and year (bands described
    YYYY) for the ``filled_cell_months_YYYY`` coverage columns.
    Returns the table as a GeoDataFrame (columns documented in this module).
    """
    import geopandas as gpd
    import pandas as pd

    from .model import Callbacks

    cb = callbacks or Callbacks()
    if weighting not in WEIGHTINGS:
        raise CasaInputError("WEIGHTING", f"must be one of {', '.join(WEIGHTINGS)}, not '{weighting}'.")
    if output:
        table_format(output)
        check_writable(output, "OUTPUT")
    if filled and "filled" in stacks:
        raise CasaInputError("FILLED", "'filled' is taken by the fill-count raster; name the stack otherwise.")
    grid, sts = open_stacks({**stacks, **({"filled": filled} if filled else {})}, cb.warning, cb.info)
    fill_st = next((st for st in sts if filled and st.name == "filled"), None)
    flux = [st for st in sts if st is not fill_st]
    try:
        zs = ZoneSet.build(zones, grid, weighting, "ZONES", cb.warning)
        frame = zs.frame
        attr = [c for c in frame.columns if c != frame.geometry.name]
        if fields:
            missing = [f for f in fields if f not in attr]
            if missing:
                raise CasaInputError("FIELDS", f"the zone layer has no field(s) {', '.join(missing)}.")
            attr = list(fields)
        computed = list(BASE_COLUMNS) + [c for st in flux for c in period_columns(st)] + ratio_column_names(flux)
        computed += [c for st in flux for c in coverage_column_names(st)]
        computed += [f"filled_cell_months_{lab}" for lab in (fill_st.labels if fill_st else [])]
        check_field_clash(attr, computed, "ZONES")
        n = len(zs)
        cells = np.zeros(n)
        area = np.zeros(n)
        total = {st.name: np.zeros((n, len(st.labels))) for st in sts}
        valid = {st.name: np.zeros((n, len(st.labels))) for st in sts}
        vcells = {st.name: np.zeros((n, len(st.labels))) for st in sts}
        ytotal = {st.name: np.zeros((n, len(st.years))) for st in flux}
        yvalid = {st.name: np.zeros((n, len(st.years))) for st in flux}
        ycells = {st.name: np.zeros((n, len(st.years))) for st in flux}
        by = {st.name: st for st in flux}
        # RH/NPP over the cells where both have data: RH summed again where NPP has data
        common = "npp" in by and "rh" in by and by["npp"].months is not None and by["npp"].months == by["rh"].months
        if common:
            rh_common = np.zeros((n, len(by["rh"].labels)))
            rh_common_y = np.zeros((n, len(by["rh"].years)))
            scratch = {k: np.zeros_like(v) for k, v in (("m", rh_common), ("y", rh_common_y))}
        row_area = grid.row_cell_areas()
        depth = sum(len(st.labels) for st in sts)
        cb.info(f"Zonal statistics ({weighting}) of {n} zones over {', '.join(s.name.upper() for s in flux)} "
                f"({depth} bands) on a {grid.width} x {grid.height} grid.")

        def add(data: NDArray, hits, wr0: int, ww: int, tot: NDArray, val_m2: NDArray, val_cells: NDArray) -> None:
            flat = data.reshape(data.shape[0], -1)
            for z, rr, cc, wt in hits:
                a = row_area[rr + wr0]
                wa = a if wt is None else a * wt
                w = np.ones(len(rr)) if wt is None else wt
                v = flat[:, rr * ww + cc]
                nan = np.isnan(v)
                if nan.any():
                    val_m2[z] += wa.sum() - nan @ wa
                    val_cells[z] += w.sum() - nan @ w
                    v = np.where(nan, 0.0, v)
                else:
                    val_m2[z] += wa.sum()
                    val_cells[z] += w.sum()
                tot[z] += v @ wa

        def visit(window: Window, arrays: list[NDArray]) -> None:
            hits = list(zs.cells(window))
            if not hits:
                return
            wr0 = int(window.row_off)
            ww = int(window.width)
            for z, rr, _cc, wt in hits:
                a = row_area[rr + wr0]
                wa = a if wt is None else a * wt
                cells[z] += len(rr) if wt is None else wt.sum()
                area[z] += wa.sum()
            for st, data in zip(sts, arrays):
                if st is fill_st:  # filled months x cell weight (not area)
                    flat = data.reshape(data.shape[0], -1)
                    for z, rr, cc, wt in hits:
                        v = np.nan_to_num(flat[:, rr * ww + cc])
                        total[st.name][z] += v.sum(axis=1) if wt is None else v @ wt
                    continue
                add(data, hits, wr0, ww, total[st.name], valid[st.name], vcells[st.name])
                if st.years:
                    add(annual_cell_sums(data, st.years), hits, wr0, ww, ytotal[st.name], yvalid[st.name],
                        ycells[st.name])
            if common:
                a_npp, a_rh = (arrays[sts.index(by[k])] for k in ("npp", "rh"))
                rh_m = np.where(np.isnan(a_npp), np.nan, a_rh)
                add(rh_m, hits, wr0, ww, rh_common, scratch["m"], scratch["m"])
                add(np.where(np.isnan(annual_cell_sums(a_npp, by["npp"].years)), np.nan,
                             annual_cell_sums(a_rh, by["rh"].years)), hits, wr0, ww, rh_common_y, scratch["y"],
                    scratch["y"])

        scan_stacks(grid, sts, visit, cb, block_values, threads)
    finally:
        close_stacks(sts)
    for i in np.flatnonzero(cells == 0):
        if zs.geoms[i] is not None and zs.boxes[i][0] < zs.boxes[i][1] and zs.boxes[i][2] < zs.boxes[i][3]:
            cb.warning(f"ZONES: {zs.labels[i]} covers no cell {'centre' if weighting == 'centre' else ''} of the "
                       "raster; its row has cells 0.".replace("  ", " "))
    cols: OrderedDict[str, object] = OrderedDict()
    for c in attr:
        cols[c] = frame[c].to_numpy()
    cols["zone_index"] = np.arange(1, n + 1)
    cols["zone_area_km2"] = np.asarray(zs.zone_area_km2)
    cols["area_km2"] = area / 1e6
    cols["cells"] = cells.astype(np.int64) if weighting == "centre" else cells
    for st in flux:
        cols.update(flux_columns(st, total[st.name], valid[st.name], annual_g=ytotal[st.name],
                                 annual_m2=yvalid[st.name]))
    if common:
        cols.update(ratio_columns(flux, {**total, "rh": rh_common}, annual={**ytotal, "rh": rh_common_y}))
    else:
        cols.update(ratio_columns(flux, total, annual=ytotal))
    for st in flux:
        cols.update(coverage_columns(st, vcells[st.name], ycells[st.name], cells))
    if fill_st is not None:
        for i, lab in enumerate(fill_st.labels):
            cols[f"filled_cell_months_{lab}"] = total["filled"][:, i]
    table = gpd.GeoDataFrame(pd.DataFrame(cols), geometry=frame.geometry.to_numpy(), crs=frame.crs)
    if output:
        write_table(table, output, layer, "OUTPUT")
        cb.info(f"Wrote {len(table)} zones x {len(table.columns) - 1} columns to {output}.")
    return table

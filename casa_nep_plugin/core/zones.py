"""Polygon zones (cities, districts) read, repaired and placed on a raster grid.

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
    computed exactly (to rounding) by analytic area coverage
    (:func:`.coverage.cell_coverage`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from .affine_ops import matmul
from .choices import WEIGHTINGS
from .coverage import Segments, cell_coverage, pixel_rings
from .errors import CasaInputError
from .grid import ModelGrid

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

__all__ = ["check_weighting", "split_layer_path", "read_zones", "ZoneSet"]


def _noop(msg: str) -> None:
    return None


def check_weighting(weighting: str) -> None:
    """Raise a WEIGHTING error unless ``weighting`` is one of :data:`WEIGHTINGS`."""
    if weighting not in WEIGHTINGS:
        raise CasaInputError("WEIGHTING", f"must be one of {', '.join(WEIGHTINGS)}, not '{weighting}'.")


def split_layer_path(source: str) -> tuple[str, str | None]:
    """Return (path, layer) of ``path|layername=x`` (as QGIS writes it)."""
    parts = source.split("|")
    path, layer = parts[0], None
    for p in parts[1:]:
        key, _, value = p.partition("=")
        if key.strip().lower() == "layername" and value:
            layer = value
        elif key.strip().lower() == "layerid" and value and layer is None:
            layer = int(value)  # type: ignore[assignment]
    return path, layer


def read_zones(source: str | GeoDataFrame, parameter: str = "ZONES") -> GeoDataFrame:
    """Return a GeoDataFrame of polygon zones from a path (any OGR source) or a GeoDataFrame.

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
        except Exception as exc:  # fiona/GDAL say why
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
    """Return a readable name for each zone (for messages)."""
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
    """Return the polygonal part of a geometry (after repair), or None."""
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
    """Return ``geom`` through a pyproj transformer, edges densified to ``max_len`` first."""
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
    """Return the area (km2) of each geometry in longitude/latitude on the WGS 84 ellipsoid."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    out = []
    for g in geoms_lonlat:
        if g is None or g.is_empty:
            out.append(0.0)
        else:
            out.append(abs(geod.geometry_area_perimeter(g)[0]) / 1e6)
    return out


def _source_step(geoms: list, transformer, cell: float) -> float:
    """Return the longest edge (zone CRS units) kept straight when reprojecting: about half a cell."""
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


def _repair(frame, labels: list[str], parameter: str, warning: Callable[[str], None]) -> list:
    """Return the polygonal, valid geometry of each zone (None where it has none), warning of repairs."""
    repaired = [_polygonal(g) for g in frame.geometry]
    fixed = [
        i
        for i, (g, r) in enumerate(zip(frame.geometry, repaired))
        if g is not None and not g.is_empty and not g.is_valid
    ]
    if fixed:
        warning(
            f"{parameter}: repaired invalid geometries of {', '.join(labels[i] for i in fixed[:5])}"
            f"{' ...' if len(fixed) > 5 else ''} (make_valid)."
        )
    for i, g in enumerate(repaired):
        if g is None:
            warning(f"{parameter}: {labels[i]} has no polygon geometry; its row has cells 0.")
    return repaired


def _zone_areas(repaired: list, src) -> list[float]:
    """Return each zone's true area (km2) on the WGS 84 ellipsoid."""
    from pyproj import CRS as PCRS
    from pyproj import Transformer

    if src.is_geographic:
        lonlat = repaired
    else:
        to_ll = Transformer.from_crs(src, PCRS.from_epsg(4326), always_xy=True)
        lonlat = [None if g is None else _reproject(g, to_ll, 0) for g in repaired]
    return _geodesic_area_km2(lonlat)


def _to_grid_crs(
    repaired: list, src, dst, grid: ModelGrid, labels: list[str], parameter: str, warning: Callable[[str], None]
) -> list:
    """Return the zones in the grid's CRS, densified so edges follow the projection (None: cannot)."""
    from pyproj import Transformer

    if src.equals(dst) or src == dst:
        return repaired
    tr = Transformer.from_crs(src, dst, always_xy=True)
    cell = min(abs(grid.transform.a), abs(grid.transform.e)) or 1.0
    max_len = _source_step(repaired, tr, cell)
    geoms: list = []
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
    return geoms


def _grid_boxes(
    geoms: list, grid: ModelGrid, labels: list[str], parameter: str, warning: Callable[[str], None]
) -> NDArray:
    """Return each zone's (row0, row1, col0, col1) box on the grid, warning of zones (partly) outside it."""
    from shapely.geometry import box

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
            max(0, math.floor(min(rs))),
            min(grid.height, math.ceil(max(rs))),
            max(0, math.floor(min(cs))),
            min(grid.width, math.ceil(max(cs))),
        )
        inside = g.intersection(extent).area if g.intersects(extent) else 0.0
        if inside <= 0:
            warning(f"{parameter}: {labels[i]} lies outside the raster; its row has cells 0.")
        elif inside < 0.999 * g.area:
            warning(
                f"{parameter}: {100 * (1 - inside / g.area):.1f} % of {labels[i]} lies outside the raster; "
                "its totals cover only the part on the raster."
            )
    return boxes


@dataclass
class ZoneSet:
    """Zones placed on a grid: which cells each covers, and with what weight."""

    frame: GeoDataFrame  # attributes and original geometries
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
        cls,
        zones: str | GeoDataFrame,
        grid: ModelGrid,
        weighting: str = "centre",
        parameter: str = "ZONES",
        warning: Callable[[str], None] = _noop,
    ) -> ZoneSet:
        """Read (if a path), check, repair and reproject ``zones`` onto ``grid``."""
        from pyproj import CRS as PCRS
        from shapely.geometry import mapping

        check_weighting(weighting)
        frame = read_zones(zones, parameter)
        labels = _zone_labels(frame)
        src = PCRS.from_user_input(frame.crs)
        if grid.crs is None:
            raise CasaInputError(parameter, "the raster has no CRS, so the zones cannot be placed on it.")
        dst = PCRS.from_user_input(grid.crs.to_wkt())
        repaired = _repair(frame, labels, parameter, warning)
        zone_area = _zone_areas(repaired, src)
        geoms = _to_grid_crs(repaired, src, dst, grid, labels, parameter, warning)
        boxes = _grid_boxes(geoms, grid, labels, parameter, warning)
        zs = cls(frame, grid, weighting, geoms, labels, zone_area, boxes)
        zs._mappings = [None if g is None else mapping(g) for g in geoms]
        if weighting == "exact":
            inv = ~grid.transform
            zs._segments = [None if g is None else Segments.of(pixel_rings(g, inv)) for g in geoms]
        return zs

    def __len__(self) -> int:
        """Return the number of zones."""
        return len(self.geoms)

    def cells(self, window: Window) -> Iterator[tuple[int, NDArray, NDArray, NDArray | None]]:
        """Yield (zone, rows, cols, weight) for each zone touching ``window``.

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
                    [(self._mappings[z], 1)],
                    out_shape=(h, w),
                    fill=0,
                    all_touched=False,
                    dtype="uint8",
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

    def empty_zones(self, cells: NDArray) -> list[int]:
        """Return the zones with a box on the grid that got no cell (``cells`` per zone)."""
        return [
            int(i)
            for i in np.flatnonzero(cells == 0)
            if self.geoms[i] is not None and self.boxes[i][0] < self.boxes[i][1] and self.boxes[i][2] < self.boxes[i][3]
        ]

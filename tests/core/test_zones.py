"""Zones placed on a grid: layer paths, reading checks, which cells each zone covers and with what weight."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from rasterio.crs import CRS
from rasterio.transform import from_origin
from rasterio.windows import Window
from shapely.geometry import LineString, Polygon, box

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import ModelGrid
from casa_nep_plugin.core.zones import ZoneSet, check_weighting, read_zones, split_layer_path
from tests.rasters import UTM

X0, Y0, CELL = 500000.0, 2500000.0, 100.0
GRID = ModelGrid(CRS.from_string(UTM), from_origin(X0, Y0, CELL, CELL), 6, 4)


def cells_box(r0: float, c0: float, r1: float, c1: float) -> Polygon:
    """Rows ``r0``..``r1`` and columns ``c0``..``c1`` of GRID (grid units) as a UTM polygon."""
    return box(X0 + c0 * CELL, Y0 - r1 * CELL, X0 + c1 * CELL, Y0 - r0 * CELL)


def zones(*geoms, crs=UTM, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(cols), geometry=list(geoms), crs=crs)


def placed(zs: ZoneSet, window: Window) -> dict[int, dict[tuple[int, int], float]]:
    """{zone: {(row, col): weight}} of the cells in ``window`` (grid rows and columns)."""
    out: dict[int, dict[tuple[int, int], float]] = {}
    for z, rr, cc, wt in zs.cells(window):
        w = np.ones(len(rr)) if wt is None else wt
        out[z] = {(int(r + window.row_off), int(c + window.col_off)): float(x) for r, c, x in zip(rr, cc, w)}
    return out


def test_split_layer_path():
    assert split_layer_path("/d/z.gpkg|layername=cities") == ("/d/z.gpkg", "cities")
    assert split_layer_path("/d/z.gpkg|layerid=2") == ("/d/z.gpkg", 2)
    assert split_layer_path("/d/z.gpkg|layername=a|layerid=2") == ("/d/z.gpkg", "a")
    assert split_layer_path("/d/z.shp") == ("/d/z.shp", None)


def test_read_zones_refuses_what_cannot_be_placed(tmp_path):
    with pytest.raises(CasaInputError, match="no zone layer"):
        read_zones("")
    with pytest.raises(CasaInputError, match="no features"):
        read_zones(zones())
    with pytest.raises(CasaInputError, match="no coordinate reference system"):
        read_zones(zones(cells_box(0, 0, 1, 1), crs=None))
    with pytest.raises(CasaInputError, match="LineString") as err:
        read_zones(zones(LineString([(X0, Y0), (X0 + 1, Y0)])), "AREAS")
    assert err.value.parameter == "AREAS"
    with pytest.raises(CasaInputError, match="cannot read"):
        read_zones(str(tmp_path / "missing.gpkg"))
    with pytest.raises(CasaInputError, match="WEIGHTING"):
        check_weighting("area")


def test_centre_weighting_takes_the_cells_whose_centre_is_inside():
    # rows 1-2, columns 1.6-3.6: the centres of columns 2 and 3 are inside, that of column 1 is not
    zs = ZoneSet.build(zones(cells_box(1, 1.6, 3, 3.6)), GRID, "centre")
    assert zs.boxes.tolist() == [[1, 3, 1, 4]]
    assert placed(zs, Window(0, 0, 6, 4)) == {0: {(1, 2): 1.0, (1, 3): 1.0, (2, 2): 1.0, (2, 3): 1.0}}
    # a window holding part of the zone gives that part, in grid rows and columns
    assert placed(zs, Window(3, 2, 3, 2)) == {0: {(2, 3): 1.0}}
    assert zs.zone_area_km2[0] == pytest.approx(0.2 * 0.2, rel=2e-3)  # geodesic vs the UTM plane


def test_exact_weighting_gives_the_covered_fraction_of_each_cell():
    zs = ZoneSet.build(zones(cells_box(1, 1.6, 3, 3.6)), GRID, "exact")
    got = placed(zs, Window(0, 0, 6, 4))[0]
    want = {(r, c): f for r in (1, 2) for c, f in ((1, 0.4), (2, 1.0), (3, 0.6))}
    assert got.keys() == want.keys()
    assert [got[k] for k in sorted(got)] == pytest.approx([want[k] for k in sorted(want)], abs=1e-12)


def test_zones_off_the_grid_are_empty_with_a_warning():
    warnings: list[str] = []
    outside = cells_box(10, 10, 11, 11)
    half = cells_box(3, 5, 5, 7)  # a quarter of it (one cell) lies on the grid
    zs = ZoneSet.build(zones(outside, half, name=["far", "corner"]), GRID, "centre", warning=warnings.append)
    assert any("zone 1 (far) lies outside the raster" in w for w in warnings)
    assert any("75.0 % of zone 2 (corner) lies outside" in w for w in warnings)
    assert placed(zs, Window(0, 0, 6, 4)) == {1: {(3, 5): 1.0}}
    assert zs.empty_zones(np.array([0.0, 1.0])) == []  # zone 1's box is empty on the grid: no extra warning
    assert zs.empty_zones(np.array([0.0, 0.0])) == [1]


def test_zones_in_degrees_are_reprojected_onto_the_grid():
    from pyproj import Transformer

    to_ll = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    x0, y0 = to_ll.transform(X0 + 100, Y0 - 300)
    x1, y1 = to_ll.transform(X0 + 300, Y0 - 100)
    zs = ZoneSet.build(zones(box(x0, y0, x1, y1), crs="EPSG:4326"), GRID, "exact")
    got = placed(zs, Window(0, 0, 6, 4))[0]
    assert {k for k, v in got.items() if v > 0.99} == {(1, 1), (1, 2), (2, 1), (2, 2)}
    assert sum(got.values()) == pytest.approx(4.0, rel=1e-3)  # the same 4 cells, to the curvature of the edges

"""Zonal statistics: hand-made zones with known answers, CRS handling, the real PRD cities, bad input."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod, Transformer
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.ops import transform as shp_transform

from casa_nep_plugin.core.engine import Callbacks
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.zonal import zonal_statistics
from tests.conftest import shared_file
from tests.rasters import UTM, months_of, write

X0, Y0, CELL = 500000.0, 2500000.0, 100.0
T = from_origin(X0, Y0, CELL, CELL)


def cell_box(row: float, col: float, r1: float | None = None, c1: float | None = None) -> Polygon:
    """A rectangle in grid units (rows down, columns right) as a UTM polygon."""
    r1 = row + 1 if r1 is None else r1
    c1 = col + 1 if c1 is None else c1
    return box(X0 + col * CELL, Y0 - r1 * CELL, X0 + c1 * CELL, Y0 - row * CELL)


def frame(geoms, crs=UTM, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(cols), geometry=list(geoms), crs=crs)


@pytest.fixture
def grid4(tmp_path):
    """4 x 4 cells of 100 m, two months; values 1..16 and 10x that."""
    v = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    return write(tmp_path / "npp.tif", np.stack([v, 10 * v]), ["2021-01", "2021-02"], transform=T)


class Messages(Callbacks):
    def __init__(self):
        self.warnings: list[str] = []
        self.infos: list[str] = []
        super().__init__(info=self.infos.append, warning=self.warnings.append)


# -- hand-made cases with known answers ------------------------------------------------------------
def test_polygon_covering_exactly_half_a_cell(grid4):
    # left half of the cell at row 1, column 2 (value 7): the centre lies on its edge
    half = cell_box(1, 2, 2, 2.5)
    tri = Polygon([(X0 + 2 * CELL, Y0 - CELL), (X0 + 3 * CELL, Y0 - CELL), (X0 + 2 * CELL, Y0 - 2 * CELL)])
    strip = cell_box(1, 2.25, 2, 2.75)  # half of the cell, around its centre
    ex = zonal_statistics(
        frame([half, tri, strip], name=["half", "triangle", "strip"]), {"npp": grid4}, weighting="exact"
    )
    np.testing.assert_allclose(ex["cells"], [0.5, 0.5, 0.5], rtol=1e-12)
    np.testing.assert_allclose(ex["area_km2"], 0.005, rtol=1e-12)
    np.testing.assert_allclose(ex["npp_2021_01_mean"], 7.0, rtol=1e-6)
    np.testing.assert_allclose(ex["npp_2021_02_mean"], 70.0, rtol=1e-6)
    np.testing.assert_allclose(ex["npp_2021_01_total_tC"], 7.0 * 5000 / 1e6, rtol=1e-9)
    np.testing.assert_allclose(ex["npp_2021_total_tC"], 77.0 * 5000 / 1e6, rtol=1e-9)
    np.testing.assert_allclose(ex["npp_2021_mean"], 77.0, rtol=1e-6)
    np.testing.assert_allclose(ex["zone_area_km2"], 0.005, rtol=2e-3)  # geodesic vs UTM plane
    ce = zonal_statistics(frame([strip]), {"npp": grid4}, weighting="centre")
    assert ce["cells"].tolist() == [1]  # the centre is inside: the whole cell counts
    np.testing.assert_allclose(ce["area_km2"], 0.01)
    np.testing.assert_allclose(ce["npp_2021_01_total_tC"], 7.0 * 10000 / 1e6)


def test_cell_split_between_two_polygons(grid4):
    # column 1 of row 2 (value 10) split at 0.3 of its width; each polygon also holds one whole cell
    west = cell_box(2, 0, 3, 1.3)
    east = cell_box(2, 1.3, 3, 3)
    ex = zonal_statistics(frame([west, east], name=["west", "east"]), {"npp": grid4}, weighting="exact")
    np.testing.assert_allclose(ex["cells"], [1.3, 1.7], rtol=1e-12)
    np.testing.assert_allclose(ex["npp_2021_01_total_tC"], [(9 + 0.3 * 10) * 1e4 / 1e6, (0.7 * 10 + 11) * 1e4 / 1e6])
    np.testing.assert_allclose(ex["npp_2021_01_mean"], [(9 + 3) / 1.3, (7 + 11) / 1.7], rtol=1e-6)
    # the split cell's total is shared, not doubled
    np.testing.assert_allclose(ex["npp_2021_01_total_tC"].sum(), (9 + 10 + 11) * 1e4 / 1e6)
    ce = zonal_statistics(frame([west, east]), {"npp": grid4}, weighting="centre")
    assert ce["cells"].tolist() == [1, 2]  # the centre (x = 1.5) lies in the east polygon
    np.testing.assert_allclose(ce["npp_2021_01_mean"], [9, 10.5], rtol=1e-6)


def test_overlapping_and_multipart_zones(grid4):
    islands = MultiPolygon([cell_box(0, 0), cell_box(3, 3)])  # values 1 and 16
    over = cell_box(0, 0, 2, 2)  # overlaps the first island; values 1, 2, 5, 6
    for mode in ("centre", "exact"):
        t = zonal_statistics(frame([islands, over]), {"npp": grid4}, weighting=mode)
        np.testing.assert_allclose(t["cells"], [2, 4])
        np.testing.assert_allclose(t["npp_2021_01_total_tC"], [17 * 0.01, 14 * 0.01], rtol=1e-9)
        np.testing.assert_allclose(t["npp_2021_01_mean"], [8.5, 3.5], rtol=1e-6)


def test_nodata_cells_are_left_out_of_means_and_totals(tmp_path):
    v = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    v[0, 0] = -9999
    npp = write(tmp_path / "npp.tif", v, ["2021-01"], transform=T)
    t = zonal_statistics(frame([cell_box(0, 0, 2, 2)]), {"npp": npp}, weighting="exact")
    assert t["cells"].iloc[0] == pytest.approx(4)  # cells counted whatever their data
    assert t["npp_2021_01_mean"].iloc[0] == pytest.approx((2 + 5 + 6) / 3)
    assert t["npp_2021_01_total_tC"].iloc[0] == pytest.approx(13 * 0.01)


def test_zone_that_misses_the_raster_has_count_zero_and_a_warning(grid4):
    msgs = Messages()
    far = cell_box(100, 100)
    t = zonal_statistics(frame([cell_box(0, 0), far], name=["in", "far"]), {"npp": grid4}, callbacks=msgs)
    assert t["cells"].tolist() == [1, 0]
    assert math.isnan(t["npp_2021_01_mean"].iloc[1]) and math.isnan(t["npp_2021_total_tC"].iloc[1])
    assert any("far" in w and "outside the raster" in w for w in msgs.warnings)
    part = cell_box(-1, -1, 1, 1)  # a quarter on the raster
    msgs = Messages()
    t = zonal_statistics(frame([part], name=["edge"]), {"npp": grid4}, weighting="exact", callbacks=msgs)
    assert t["cells"].iloc[0] == pytest.approx(1)
    assert any("75.0 %" in w and "edge" in w for w in msgs.warnings)


def test_zone_in_epsg4326_over_a_projected_raster(tmp_path):
    # a 2 km square grid in UTM 49N; the zone is a lon/lat quadrilateral inside it
    t = from_origin(X0, Y0, 100, 100)
    data = np.full((1, 30, 30), 5.0, np.float32)
    npp = write(tmp_path / "npp.tif", data, ["2021-01"], transform=t)
    to_ll = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(X0 + 300, Y0 - 2700)
    ll = Polygon([(lon0, lat0), (lon0 + 0.02, lat0 + 0.003), (lon0 + 0.017, lat0 + 0.022), (lon0 - 0.002, lat0 + 0.02)])
    ex = zonal_statistics(frame([ll], crs="EPSG:4326"), {"npp": npp}, weighting="exact")
    # expected: the zone's area in the raster's plane, edges densified (they curve in UTM)
    to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    dense = Polygon(np.array([ll.exterior.interpolate(d, normalized=True).coords[0] for d in np.linspace(0, 1, 4001)]))
    utm = shp_transform(to_utm.transform, dense)
    assert ex["area_km2"].iloc[0] == pytest.approx(utm.area / 1e6, rel=1e-6)
    assert ex["npp_2021_01_total_tC"].iloc[0] == pytest.approx(5.0 * utm.area / 1e6, rel=1e-6)
    geod_area = abs(Geod(ellps="WGS84").geometry_area_perimeter(ll)[0])
    assert ex["zone_area_km2"].iloc[0] == pytest.approx(geod_area / 1e6, rel=1e-9)
    # centre: the cells whose centres the projected zone contains
    ce = zonal_statistics(frame([ll], crs="EPSG:4326"), {"npp": npp}, weighting="centre")
    centres = [Point(X0 + 100 * (c + 0.5), Y0 - 100 * (r + 0.5)) for r in range(30) for c in range(30)]
    assert ce["cells"].iloc[0] == sum(utm.contains(p) for p in centres)


def test_totals_in_a_geographic_crs_match_an_equal_area_projection(tmp_path):
    """The same smooth field on a lon/lat grid (ellipsoidal cell areas) and on an Albers grid."""

    def field(lon, lat):
        return 100.0 + 30.0 * np.sin(np.radians(lat) * 40) + 10.0 * np.cos(np.radians(lon) * 25)

    # lon/lat grid: 0.005 degree over 112.9-113.5 E, 22.6-23.2 N
    tg = from_origin(112.9, 23.2, 0.005, 0.005)
    rows, cols = np.mgrid[0:120, 0:120]
    lon, lat = tg * (cols + 0.5, rows + 0.5)
    geo = write(
        tmp_path / "geo.tif", field(lon, lat).astype(np.float32)[None], ["2021-01"], crs="EPSG:4326", transform=tg
    )
    # Albers equal-area grid of 250 m over the same region
    aea = "+proj=aea +lat_1=18 +lat_2=26 +lat_0=22 +lon_0=113 +datum=WGS84 +units=m +no_defs"
    fwd = Transformer.from_crs("EPSG:4326", aea, always_xy=True)
    x0, y1 = fwd.transform(112.85, 23.25)
    ta = from_origin(math.floor(x0 / 250) * 250 - 5000, math.ceil(y1 / 250) * 250 + 5000, 250, 250)
    rows, cols = np.mgrid[0:330, 0:330]
    xs, ys = ta * (cols + 0.5, rows + 0.5)
    alon, alat = Transformer.from_crs(aea, "EPSG:4326", always_xy=True).transform(xs, ys)
    alb = write(tmp_path / "aea.tif", field(alon, alat).astype(np.float32)[None], ["2021-01"], crs=aea, transform=ta)
    zone = Polygon([(113.0, 22.7), (113.4, 22.75), (113.35, 23.1), (113.05, 23.05)])
    zones = frame([zone, box(113.1, 22.8, 113.3, 23.0)], crs="EPSG:4326")
    a = zonal_statistics(zones, {"npp": geo}, weighting="exact")
    b = zonal_statistics(zones, {"npp": alb}, weighting="exact")
    true_area = np.array([abs(Geod(ellps="WGS84").geometry_area_perimeter(z)[0]) for z in zones.geometry]) / 1e6
    # areas: ellipsoidal cells of the lon/lat grid and the equal-area plane both give the true area
    np.testing.assert_allclose(a["area_km2"], true_area, rtol=2e-4)
    np.testing.assert_allclose(b["area_km2"], true_area, rtol=2e-4)
    np.testing.assert_allclose(a["npp_2021_01_total_tC"], b["npp_2021_01_total_tC"], rtol=2e-3)
    np.testing.assert_allclose(a["npp_2021_01_mean"], b["npp_2021_01_mean"], rtol=2e-3)
    # a naive degrees-squared area would be far off: the ellipsoidal area is what makes them agree
    assert abs(a["area_km2"].iloc[1] - 0.2 * 0.2 * 111.32**2) > 0.05 * a["area_km2"].iloc[1]


def test_months_years_and_the_rh_npp_ratio(tmp_path):
    months = months_of([2021, 2022])
    rng = np.random.default_rng(3)
    npp = rng.uniform(10, 80, (24, 6, 6)).astype(np.float32)
    rh = rng.uniform(10, 60, (24, 6, 6)).astype(np.float32)
    p_npp = write(tmp_path / "npp.tif", npp, months, transform=T)
    p_rh = write(tmp_path / "rh.tif", rh, months, transform=T)
    p_nep = write(tmp_path / "nep.tif", npp - rh, months, transform=T)
    zone = cell_box(1, 1, 5, 4)
    t = zonal_statistics(frame([zone], name=["z"]), {"npp": p_npp, "rh": p_rh, "nep": p_nep})
    sel = (slice(None), slice(1, 5), slice(1, 4))
    area = 12 * 1e4
    np.testing.assert_allclose(t["npp_2021_03_mean"], npp[2][sel[1:]].mean(), rtol=1e-6)
    y21 = npp[:12][sel].sum(axis=0).mean()
    np.testing.assert_allclose(t["npp_2021_mean"], y21, rtol=1e-6)
    np.testing.assert_allclose(t["npp_2021_total_tC"], y21 * area / 1e6, rtol=1e-6)
    np.testing.assert_allclose(t["npp_2021_total_ktC"], y21 * area / 1e9, rtol=1e-6)
    ratio = 100 * rh[12:][sel].sum() / npp[12:][sel].sum()
    np.testing.assert_allclose(t["rh_npp_2022_ratio_pct"], ratio, rtol=1e-6)
    np.testing.assert_allclose(
        t["rh_npp_2022_07_ratio_pct"], 100 * rh[18][sel[1:]].sum() / npp[18][sel[1:]].sum(), rtol=1e-6
    )
    np.testing.assert_allclose(t["nep_2022_mean"], t["npp_2022_mean"] - t["rh_2022_mean"], rtol=1e-5)
    assert list(t.columns[:5]) == ["name", "zone_index", "zone_area_km2", "area_km2", "cells"]
    assert "nep_2021_total_ktC" in t.columns and "rh_2021_12_total_tC" in t.columns


def test_small_blocks_give_the_same_table(tmp_path):
    rng = np.random.default_rng(5)
    data = rng.uniform(0, 100, (3, 300, 300)).astype(np.float32)
    npp = write(tmp_path / "npp.tif", data, ["2021-01", "2021-02", "2021-03"], transform=T)
    zones = frame([Point(X0 + 15000, Y0 - 15000).buffer(9000), Point(X0 + 5000, Y0 - 25000).buffer(7000)])
    for mode in ("centre", "exact"):
        big = zonal_statistics(zones, {"npp": npp}, weighting=mode, threads=1)
        small = zonal_statistics(zones, {"npp": npp}, weighting=mode, block_values=1 << 12, threads=2)
        pd.testing.assert_frame_equal(
            pd.DataFrame(big.drop(columns="geometry")), pd.DataFrame(small.drop(columns="geometry")), rtol=1e-10
        )


def test_annual_ratio_raster_without_months(tmp_path):
    ratio = write(tmp_path / "ratio.tif", np.full((2, 4, 4), 80, np.float32), ["2021", "2022"], transform=T)
    msgs = Messages()
    t = zonal_statistics(frame([cell_box(0, 0, 2, 2)]), {"ratio": ratio}, callbacks=msgs)
    assert t["ratio_2021_mean"].iloc[0] == pytest.approx(80)
    assert "ratio_2022_total_tC" in t.columns
    assert any("not described as months" in m for m in msgs.infos)


# -- output files ---------------------------------------------------------------------------------
def test_geopackage_and_csv_outputs(grid4, tmp_path):
    zones = frame([cell_box(0, 0, 2, 2), MultiPolygon([cell_box(3, 3), cell_box(3, 0)])], name=["a", "b"])
    gpkg = tmp_path / "zones.gpkg"
    t = zonal_statistics(zones, {"npp": grid4}, output=str(gpkg))
    back = gpd.read_file(gpkg)
    assert back.crs == zones.crs and len(back) == 2
    assert set(back.geom_type) == {"MultiPolygon"}
    np.testing.assert_allclose(back["npp_2021_01_total_tC"], t["npp_2021_01_total_tC"])
    csv = tmp_path / "zones.csv"
    zonal_statistics(zones, {"npp": grid4}, output=str(csv))
    c = pd.read_csv(csv)
    assert "geometry" not in c.columns and c["name"].tolist() == ["a", "b"]
    np.testing.assert_allclose(c["npp_2021_mean"], t["npp_2021_mean"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_zones_from_a_file_with_a_layer_name(grid4, tmp_path):
    path = tmp_path / "z.gpkg"
    frame([cell_box(0, 0)], name=["one"]).to_file(path, layer="cities", driver="GPKG")
    frame([cell_box(1, 1)], name=["other"]).to_file(path, layer="other", driver="GPKG")
    t = zonal_statistics(f"{path}|layername=cities", {"npp": grid4})
    assert t["name"].tolist() == ["one"] and t["npp_2021_01_mean"].iloc[0] == pytest.approx(1)


# -- bad input ------------------------------------------------------------------------------------
def test_zone_layer_without_crs_is_an_error(grid4, tmp_path):
    path = tmp_path / "nocrs.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}'
    )
    no_crs = gpd.GeoDataFrame(geometry=[cell_box(0, 0)], crs=None)
    with pytest.raises(CasaInputError, match="no coordinate reference system"):
        zonal_statistics(no_crs, {"npp": grid4})
    # (a GeoJSON file is WGS 84 by definition: that one is fine)
    assert zonal_statistics(str(path), {"npp": grid4})["cells"].iloc[0] == 0


def test_clashing_field_name_is_an_error(grid4):
    zones = frame([cell_box(0, 0)], name=["a"], Cells=[1])
    with pytest.raises(CasaInputError, match="Cells.*clash"):
        zonal_statistics(zones, {"npp": grid4})
    zones = frame([cell_box(0, 0)], npp_2021_01_mean=[1.0])
    with pytest.raises(CasaInputError, match="npp_2021_01_mean"):
        zonal_statistics(zones, {"npp": grid4})
    # leaving the field out resolves it
    t = zonal_statistics(frame([cell_box(0, 0)], name=["a"], cells=[1]), {"npp": grid4}, fields=["name"])
    assert t["cells"].iloc[0] == 1


def test_empty_layer_non_polygons_and_other_bad_input(grid4, tmp_path):
    with pytest.raises(CasaInputError, match="no features"):
        zonal_statistics(frame([]), {"npp": grid4})
    with pytest.raises(CasaInputError, match="polygons"):
        zonal_statistics(frame([Point(X0, Y0)]), {"npp": grid4})
    with pytest.raises(CasaInputError, match="at least one raster"):
        zonal_statistics(frame([cell_box(0, 0)]), {"npp": None, "rh": None})
    with pytest.raises(CasaInputError, match="WEIGHTING"):
        zonal_statistics(frame([cell_box(0, 0)]), {"npp": grid4}, weighting="area")
    with pytest.raises(CasaInputError, match="GeoPackage"):
        zonal_statistics(frame([cell_box(0, 0)]), {"npp": grid4}, output=str(tmp_path / "x.shp"))
    with pytest.raises(CasaInputError, match="cannot read"):
        zonal_statistics(str(tmp_path / "missing.gpkg"), {"npp": grid4})
    with pytest.raises(CasaInputError, match="FIELDS"):
        zonal_statistics(frame([cell_box(0, 0)], name=["a"]), {"npp": grid4}, fields=["nom"])


def test_invalid_geometry_is_repaired_with_a_warning(grid4):
    bowtie = Polygon([(X0, Y0), (X0 + 200, Y0 - 200), (X0 + 200, Y0), (X0, Y0 - 200)])
    msgs = Messages()
    t = zonal_statistics(frame([bowtie]), {"npp": grid4}, weighting="exact", callbacks=msgs)
    assert t["area_km2"].iloc[0] == pytest.approx(0.02)  # two triangles of 200 m x 100 m
    assert any("repaired" in w for w in msgs.warnings)


# -- the real Pearl River Delta cities ---------------------------------------------------------------
@pytest.fixture(scope="module")
def prd(tmp_path_factory):
    cities = shared_file("boundaries", "prd9_cities_amap_wgs84.geojson")
    folder = tmp_path_factory.mktemp("prd")
    # 250 m UTM 49N grid over the delta; its west edge cuts Zhaoqing (as a clipped study raster would)
    t = from_origin(600000, 2700000, 250, 250)
    rows, cols = np.mgrid[0:1220, 0:1400].astype(np.float32)
    base = 40 + 20 * np.sin(cols / 50) + 10 * np.cos(rows / 70)
    stack = np.stack([base + m for m in range(3)]).astype(np.float32)
    npp = write(folder / "npp.tif", stack, ["2021-01", "2021-02", "2021-03"], transform=t)
    return str(cities), npp


def test_prd_cities_over_a_250m_raster(prd):
    cities, npp = prd
    gdf = gpd.read_file(cities)
    zhuhai = gdf.geometry[gdf["name_en"] == "Zhuhai"].iloc[0]
    assert len(zhuhai.geoms) == 70
    msgs = Messages()
    ex = zonal_statistics(cities, {"npp": npp}, weighting="exact", fields=["name_en"], callbacks=msgs)
    ce = zonal_statistics(cities, {"npp": npp}, weighting="centre", fields=["name_en"])
    ex, ce = ex.set_index("name_en"), ce.set_index("name_en")
    assert any("Zhaoqing" in w and "outside the raster" in w for w in msgs.warnings)
    utm = gdf.to_crs(UTM).set_index("name_en")
    on_raster = utm.intersection(box(600000, 2700000 - 1220 * 250, 600000 + 1400 * 250, 2700000))
    inside = [c for c in ex.index if c not in ("Zhaoqing", "Jiangmen")]
    # exact: the cells add up to the polygons' areas on the raster, in its plane (islands and all)
    np.testing.assert_allclose(ex["area_km2"], on_raster.area / 1e6, rtol=2e-6)
    # centre: close to exact for cities of thousands of cells; Zhuhai's islands cost the most
    np.testing.assert_allclose(ce.loc[inside, "area_km2"], ex.loc[inside, "area_km2"], rtol=0.01)
    np.testing.assert_allclose(ce["npp_2021_01_mean"], ex["npp_2021_01_mean"], rtol=0.01)
    assert ex.loc["Zhaoqing", "area_km2"] < 0.8 * ex.loc["Zhaoqing", "zone_area_km2"]
    # neighbours share their boundary cells: the sum over cities equals the union's total
    union = gdf.to_crs(UTM).unary_union
    whole = zonal_statistics(frame([union]), {"npp": npp}, weighting="exact")
    assert ex["npp_2021_01_total_tC"].sum() == pytest.approx(whole["npp_2021_01_total_tC"].iloc[0], rel=1e-6)
    assert (ce["cells"] > 20000).all()


# -- one definition of annual -----------------------------------------------------------------------
def test_annual_columns_equal_the_annual_map_over_the_zone(tmp_path):
    """A zone's annual mean and total are those of run_annual's map over the zone (cells with a gap in any
    month of the year are left out of that year), checked by numpy on the written annual map."""
    from casa_nep_plugin.core.model import run_annual
    from tests.rasters import read

    months = months_of([2021, 2022])
    rng = np.random.default_rng(11)
    npp = rng.uniform(10, 80, (24, 6, 6)).astype(np.float32)
    rh = rng.uniform(10, 60, (24, 6, 6)).astype(np.float32)
    gaps = rng.uniform(size=npp.shape) < 0.04  # cloud gaps in NPP: NEP has them too
    npp[gaps] = -9999
    nep = np.where(gaps, -9999, npp - rh).astype(np.float32)
    p = {k: write(tmp_path / f"{k}.tif", v, months, transform=T) for k, v in (("npp", npp), ("rh", rh), ("nep", nep))}
    run_annual(p["npp"], p["rh"], str(tmp_path / "an.tif"), str(tmp_path / "ar.tif"), str(tmp_path / "ae.tif"))
    maps = {"npp": read(tmp_path / "an.tif"), "rh": read(tmp_path / "ar.tif"), "nep": read(tmp_path / "ae.tif")}
    fill = write(tmp_path / "filled.tif", rng.integers(0, 3, (2, 6, 6)).astype(np.int16), ["2021", "2022"], transform=T)
    zone = cell_box(1, 1, 5, 4)  # rows 1-4, columns 1-3: 12 whole cells of 1 ha
    rows, cols = slice(1, 5), slice(1, 4)
    assert np.isnan(maps["npp"][:, rows, cols]).any()  # the test needs cells with gaps in the zone
    for mode in ("centre", "exact"):
        t = zonal_statistics(frame([zone]), p, weighting=mode, filled=fill)
        for q in ("npp", "rh", "nep"):
            for yi, year in enumerate(("2021", "2022")):
                cell_values = maps[q][yi, rows, cols]
                ok = np.isfinite(cell_values)
                assert t[f"{q}_{year}_mean"].iloc[0] == pytest.approx(cell_values[ok].mean(), rel=1e-6)
                assert t[f"{q}_{year}_total_tC"].iloc[0] == pytest.approx(cell_values[ok].sum() * 1e4 / 1e6, rel=1e-6)
                assert t[f"{q}_{year}_valid_cells"].iloc[0] == ok.sum()
                assert t[f"{q}_{year}_coverage_pct"].iloc[0] == pytest.approx(100 * ok.sum() / 12)
        ratio = (
            100
            * np.nansum(np.where(np.isfinite(maps["npp"][1]), maps["rh"][1], np.nan)[rows, cols])
            / np.nansum(maps["npp"][1, rows, cols])
        )
        assert t["rh_npp_2022_ratio_pct"].iloc[0] == pytest.approx(ratio, rel=1e-6)
        month = np.where(gaps[4], np.nan, npp[4])[rows, cols]
        assert t["npp_2021_05_valid_cells"].iloc[0] == np.isfinite(month).sum()
        assert t["npp_2021_05_mean"].iloc[0] == pytest.approx(np.nanmean(month), rel=1e-6)
        assert t["filled_cell_months_2022"].iloc[0] == read(fill)[1, rows, cols].sum()

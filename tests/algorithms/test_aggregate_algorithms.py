"""casanep:zonalstatistics, landcoverfractions and landcoverbudget through processing.run:
against the core, against QGIS's own native:zonalstatisticsfb, and with bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from casa_nep_plugin.core.budget import landcover_budget
from casa_nep_plugin.core.zonal import zonal_statistics
from tests.conftest import shared_file
from tests.rasters import UTM, months_of, read, write

X0, Y0 = 600000.0, 2700000.0


def _stack(path, width=300, height=240, bands=3, cell=250.0, seed=0, nodata_box=True):
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    data = np.stack(
        [
            40 + 20 * np.sin(cols / 25 + b) + 10 * np.cos(rows / 35) + rng.normal(0, 2, (height, width))
            for b in range(bands)
        ]
    ).astype(np.float32)
    if nodata_box:
        data[:, :10, :10] = -9999
    return write(path, data, months_of([2021])[:bands], transform=from_origin(X0, Y0, cell, cell))


@pytest.fixture(scope="module")
def rasters(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agg")
    npp = _stack(folder / "npp.tif", seed=1)
    rh = _stack(folder / "rh.tif", seed=2)
    # zones in EPSG:4326 over the UTM raster: a city-like blob with an island, and an overlapping one
    from pyproj import Transformer

    to_ll = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    main = Point(X0 + 30000, Y0 - 30000).buffer(18000, 64)
    island = Point(X0 + 60000, Y0 - 50000).buffer(4000, 32)
    other = Point(X0 + 45000, Y0 - 35000).buffer(12000, 64)
    from shapely.ops import transform

    geoms = [transform(to_ll.transform, main.union(island)), transform(to_ll.transform, other)]
    zones = folder / "zones.gpkg"
    gpd.GeoDataFrame({"name": ["Blob", "Other"]}, geometry=geoms, crs="EPSG:4326").to_file(zones, driver="GPKG")
    return {"npp": npp, "rh": rh, "zones": str(zones), "folder": folder}


def test_provider_lists_the_aggregation_algorithms(casanep_provider):
    algs = {a.id(): a for a in casanep_provider.algorithms()}
    for name in ("zonalstatistics", "landcoverfractions", "landcoverbudget"):
        alg = algs[f"casanep:{name}"]
        assert alg.groupId() == "aggregate" and alg.group() == "Aggregation"
        assert len(alg.shortHelpString()) > 300
    weighting = algs["casanep:zonalstatistics"].parameterDefinition("WEIGHTING")
    assert weighting.usesStaticStrings() and weighting.options() == ["centre", "exact"]


@pytest.mark.parametrize("weighting", ["centre", "exact"])
def test_zonal_statistics_through_processing_equals_core(casanep_provider, rasters, tmp_path, weighting):
    import processing
    from qgis.core import QgsVectorLayer

    out = tmp_path / "zones.gpkg"
    res = processing.run(
        "casanep:zonalstatistics",
        {
            "ZONES": rasters["zones"],
            "NPP": rasters["npp"],
            "RH": rasters["rh"],
            "WEIGHTING": weighting,
            "OUTPUT": str(out),
        },
    )
    assert res["OUTPUT"] == str(out)
    layer = QgsVectorLayer(str(out), "z", "ogr")
    assert layer.isValid() and layer.featureCount() == 2 and layer.crs().authid() == "EPSG:4326"
    table = gpd.read_file(out)
    core = zonal_statistics(rasters["zones"], {"npp": rasters["npp"], "rh": rasters["rh"]}, weighting=weighting)
    for col in ("cells", "area_km2", "npp_2021_02_mean", "rh_2021_total_ktC", "rh_npp_2021_ratio_pct"):
        np.testing.assert_allclose(table[col], core[col], rtol=1e-12)
    # overlapping zones: the overlap counts in both
    assert (
        table["area_km2"].sum()
        > 1.01
        * zonal_statistics(
            gpd.GeoDataFrame(geometry=[gpd.read_file(rasters["zones"]).unary_union], crs="EPSG:4326"),
            {"npp": rasters["npp"]},
            weighting=weighting,
        )["area_km2"].iloc[0]
    )


def test_csv_output_and_selected_fields(casanep_provider, rasters, tmp_path):
    import processing

    out = tmp_path / "zones.csv"
    processing.run(
        "casanep:zonalstatistics",
        {"ZONES": rasters["zones"], "NEP": rasters["npp"], "FIELDS": ["name"], "OUTPUT": str(out)},
    )
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["name", "zone_index", "zone_area_km2"]
    assert "nep_2021_01_total_tC" in table.columns and "geometry" not in table.columns


def _native(raster, zones, band):
    import processing

    res = processing.run(
        "native:zonalstatisticsfb",
        {
            "INPUT": zones,
            "INPUT_RASTER": raster,
            "RASTER_BAND": band,
            "COLUMN_PREFIX": "q_",
            "STATISTICS": [0, 1, 2],
            "OUTPUT": "TEMPORARY_OUTPUT",
        },
    )
    feats = list(res["OUTPUT"].getFeatures())
    return (np.array([f["q_count"] for f in feats], float), np.array([f["q_mean"] for f in feats], float))


def _compare_with_native(raster, zones, bands):
    ours = zonal_statistics(zones, {"npp": raster}, weighting="centre")
    months = months_of([2021])
    for band in bands:
        count, mean = _native(raster, zones, band)
        col = f"npp_{months[band - 1].replace('-', '_')}_mean"
        # QGIS counts cells with data; ours counts every cell: equal where the zones hold no nodata
        np.testing.assert_array_equal(ours["cells"].to_numpy(dtype=float), count)
        np.testing.assert_allclose(ours[col], mean, rtol=1e-9)  # equal-area UTM cells: same means
    return ours


def test_centre_weighting_matches_native_zonalstatisticsfb(casanep_provider, rasters):
    ours = _compare_with_native(rasters["npp"], rasters["zones"], [1, 3])
    assert (ours["cells"] > 1000).all()


def test_prd_cities_match_native_zonalstatisticsfb(casanep_provider, tmp_path):
    cities = shared_file("boundaries", "prd9_cities_amap_wgs84.geojson")
    # a 250 m UTM grid over the delta; its west edge cuts Zhaoqing (QGIS and ours ignore the cells outside)
    npp = _stack(tmp_path / "npp.tif", width=1400, height=1220, bands=2, nodata_box=False)
    ours = _compare_with_native(npp, str(cities), [1, 2])
    zhuhai = ours[ours["name_en"] == "Zhuhai"].iloc[0]
    assert len(gpd.read_file(cities).set_index("name_en").geometry["Zhuhai"].geoms) == 70
    assert zhuhai["cells"] > 25000


def test_zone_layer_without_crs_is_an_error(casanep_provider, rasters):
    import processing
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsFeature,
        QgsGeometry,
        QgsProcessingException,
        QgsVectorLayer,
    )

    layer = QgsVectorLayer("Polygon?field=name:string", "no crs", "memory")
    layer.setCrs(QgsCoordinateReferenceSystem())  # QGIS may give new layers a default CRS
    f = QgsFeature(layer.fields())
    f.setGeometry(QgsGeometry.fromWkt(box(X0, Y0 - 5000, X0 + 5000, Y0).wkt))
    f["name"] = "a"
    layer.dataProvider().addFeatures([f])
    assert not layer.crs().isValid()
    with pytest.raises(QgsProcessingException, match="ZONES: .*no coordinate reference system"):
        processing.run("casanep:zonalstatistics", {"ZONES": layer, "NPP": rasters["npp"], "OUTPUT": "TEMPORARY_OUTPUT"})


def test_bad_zone_input_through_processing(casanep_provider, rasters, tmp_path):
    import processing
    from qgis.core import QgsProcessingException, QgsVectorLayer

    empty = QgsVectorLayer("Polygon?crs=EPSG:32649&field=name:string", "empty", "memory")
    with pytest.raises(QgsProcessingException, match="no features"):
        processing.run(
            "casanep:zonalstatistics", {"ZONES": empty, "NPP": rasters["npp"], "OUTPUT": str(tmp_path / "z.gpkg")}
        )
    clash = tmp_path / "clash.gpkg"
    gpd.GeoDataFrame({"area_km2": [1.0]}, geometry=[box(X0, Y0 - 5000, X0 + 5000, Y0)], crs=UTM).to_file(clash)
    with pytest.raises(QgsProcessingException, match="area_km2.*clash"):
        processing.run(
            "casanep:zonalstatistics", {"ZONES": str(clash), "NPP": rasters["npp"], "OUTPUT": str(tmp_path / "z.gpkg")}
        )
    with pytest.raises(QgsProcessingException, match="at least one raster"):
        processing.run("casanep:zonalstatistics", {"ZONES": rasters["zones"], "OUTPUT": str(tmp_path / "z.gpkg")})
    assert not (tmp_path / "z.gpkg").exists()


def test_fractions_and_budget_through_processing(casanep_provider, rasters, tmp_path):
    import processing
    from qgis.core import QgsProcessingException, QgsVectorLayer

    rng = np.random.default_rng(3)
    # a 50 m land-cover map over the flux grid (5 x 5 fine cells per flux cell)
    codes = rng.choice(np.array([10, 40, 30, 80, 50, 60], np.uint8), (240 * 5, 300 * 5))
    lc = write(tmp_path / "lc.tif", codes, crs=UTM, transform=from_origin(X0, Y0, 50, 50), nodata=0)
    frac, maj = tmp_path / "frac.tif", tmp_path / "maj.tif"
    res = processing.run(
        "casanep:landcoverfractions",
        {
            "LANDCOVER": lc,
            "CLASS_TABLE": "worldcover",
            "REFERENCE": rasters["npp"],
            "OUTPUT": str(frac),
            "MAJORITY_OUTPUT": str(maj),
        },
    )
    assert res["OUTPUT"] == str(frac) and res["MAJORITY_OUTPUT"] == str(maj)
    f = read(frac)
    assert f.shape == (6, 240, 300)
    np.testing.assert_allclose(f.sum(axis=0), 1, atol=1e-6)
    # by cell size instead of a reference: the same grid here
    frac2 = tmp_path / "frac2.tif"
    processing.run(
        "casanep:landcoverfractions",
        {"LANDCOVER": lc, "CELL_SIZE": 250, "OUTPUT": str(frac2), "MAJORITY_OUTPUT": "TEMPORARY_OUTPUT"},
    )
    np.testing.assert_array_equal(read(frac2), f)
    with pytest.raises(QgsProcessingException, match="reference raster .* or a positive cell size"):
        processing.run("casanep:landcoverfractions", {"LANDCOVER": lc, "OUTPUT": str(tmp_path / "x.tif")})

    out = tmp_path / "budget.gpkg"
    res = processing.run(
        "casanep:landcoverbudget",
        {
            "NPP": rasters["npp"],
            "RH": rasters["rh"],
            "FRACTIONS": str(frac),
            "ZONES": rasters["zones"],
            "FIELDS": ["name"],
            "WEIGHTING": "exact",
            "OUTPUT": str(out),
        },
    )
    layer = QgsVectorLayer(str(out), "b", "ogr")
    assert layer.isValid() and layer.featureCount() == 2 * 7  # 6 classes and "all" per zone
    table = gpd.read_file(out)
    core = landcover_budget(
        {"npp": rasters["npp"], "rh": rasters["rh"]},
        str(frac),
        zones=rasters["zones"],
        weighting="exact",
        fields=["name"],
    )
    for col in ("npp_2021_total_tC", "npp_2021_share_pct_majority", "rh_npp_2021_ratio_pct"):
        np.testing.assert_allclose(table[col].astype(float), core[col].astype(float), rtol=1e-12)
    # fractions on another grid: a clear error
    with pytest.raises(QgsProcessingException, match="FRACTIONS: .*not on the grid"):
        processing.run(
            "casanep:landcoverbudget", {"NPP": rasters["npp"], "FRACTIONS": lc, "OUTPUT": str(tmp_path / "b2.csv")}
        )

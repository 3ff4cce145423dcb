"""Land-cover products to CASA classes (GLC_FCS30 codes) by majority on the model grid, feeding casanep:npp."""

from __future__ import annotations

import os

import numpy as np
import pytest
import rasterio
from affine import Affine

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import grid_from_extent, grid_from_reference
from casa_nep_plugin.core.landcover import class_encoding, run_landcover_classes
from casa_nep_plugin.core.model import run_npp
from casa_nep_plugin.core.products import PRODUCT_NAMES
from casa_nep_plugin.core.tables import load_code_table
from tests.conftest import shared_file
from tests.rasters import read, write

#: The output code of each CASA class: the smallest GLC_FCS30 code of that class (glc_fcs30_codes.csv).
GLC = {
    "crop": 10,
    "ebf": 51,
    "dbf": 61,
    "enf": 71,
    "dnf": 81,
    "mf": 91,
    "shrub": 120,
    "grass": 130,
    "other": 140,
    "water": 210,
    "ice": 220,
}
#: IGBP codes -> class, as modis_igbp_casa.csv documents them.
IGBP = {
    0: "water",
    1: "enf",
    2: "ebf",
    3: "dnf",
    4: "dbf",
    5: "mf",
    6: "shrub",
    7: "shrub",
    8: "shrub",
    9: "grass",
    10: "grass",
    11: "other",
    12: "crop",
    13: "other",
    14: "crop",
    15: "ice",
    16: "other",
    17: "water",
}
WORLDCOVER = {
    10: "mf",
    20: "shrub",
    30: "grass",
    40: "crop",
    50: "other",
    60: "other",
    70: "ice",
    80: "water",
    90: "other",
    95: "ebf",
    100: "other",
}


def expected_codes(raw, mapping, nodata):
    out = np.zeros(raw.shape, np.int64)
    for code, key in mapping.items():
        out[raw == code] = GLC[key]
    out[raw == nodata] = 0
    return out


def numpy_majority(classes, k):
    """Mode of each k x k block (0 = nodata does not vote); -1 where the top count is tied or nothing votes."""
    h, w = classes.shape[0] // k, classes.shape[1] // k
    blocks = classes[: h * k, : w * k].reshape(h, k, w, k).transpose(0, 2, 1, 3).reshape(h, w, k * k)
    out = np.full((h, w), -1, np.int64)
    for i in range(h):
        for j in range(w):
            vals, counts = np.unique(blocks[i, j][blocks[i, j] > 0], return_counts=True)
            if len(vals) and (counts == counts.max()).sum() == 1:
                out[i, j] = vals[np.argmax(counts)]
    return out


def test_shipped_lookups_and_the_output_codes_round_trip_through_npps_table():
    default = load_code_table()  # what casanep:npp reads with no CLASS_TABLE
    for product in PRODUCT_NAMES:
        enc = class_encoding(product)
        for key, code in zip(enc.keys, enc.codes[1:]):
            pos = int(np.searchsorted(default.codes, code))
            assert default.codes[pos] == code and default.class_keys[pos] == key, (product, key, code)
    enc = class_encoding("modis_igbp")
    idx = enc.classify(np.array(list(IGBP) + [255], dtype=np.uint8))
    assert [enc.keys[i - 1] for i in idx[:-1]] == list(IGBP.values()) and idx[-1] == 0
    enc = class_encoding("esa_worldcover")
    idx = enc.classify(np.array(list(WORLDCOVER) + [0], dtype=np.uint8))
    assert [enc.keys[i - 1] for i in idx[:-1]] == list(WORLDCOVER.values()) and idx[-1] == 0
    # casanep:landcoverfractions' name for the same product (an alias)
    alias = class_encoding("worldcover")
    assert alias.keys == enc.keys and (alias.product_codes == enc.product_codes).all()
    assert (alias.product_index == enc.product_index).all()


def test_own_lookup_and_an_output_table_lacking_a_class(tmp_path):
    lk = tmp_path / "lk.csv"
    lk.write_text("# my product\ncode,class\n1,ebf\n2,water\n9,nodata\n")
    enc = class_encoding(str(lk))
    assert enc.keys == ("ebf", "water") and list(enc.codes) == [0, 51, 210]
    table = tmp_path / "t.csv"
    table.write_text("code,class\n5,ebf\n")
    with pytest.raises(CasaInputError, match="water of the lookup have no code in the output class table"):
        class_encoding(str(lk), output_table=str(table))
    bad = tmp_path / "bad.csv"
    bad.write_text("code,class\n1,rainforest\n")
    with pytest.raises(CasaInputError, match="'rainforest', which is not in the vegetation table"):
        class_encoding(str(bad))


def test_real_igbp_prd_clip_on_its_own_grid_maps_cell_for_cell(tmp_path):
    path = shared_file("landcover", "derived", "MCD12C1_2019_IGBP_PRD_clip_111.3-115.5E_21.4-24.4N.tif")
    run_landcover_classes(str(path), str(tmp_path / "c.tif"), "modis_igbp")
    raw = rasterio.open(path).read(1)
    got = rasterio.open(tmp_path / "c.tif").read(1)
    np.testing.assert_array_equal(got, expected_codes(raw, IGBP, 255))
    assert {51, 130, 210} <= set(np.unique(got))  # evergreen broadleaf hills, savanna, the estuary


def test_real_igbp_majority_onto_a_coarser_grid(tmp_path):
    path = shared_file("landcover", "derived", "MCD12C1_2019_IGBP_PRD_clip_111.3-115.5E_21.4-24.4N.tif")
    # 3 x 3 source cells per cell: a lattice anchored at the clip's corner (from 0, 0.15 would not meet 24.4)
    grid = grid_from_extent((111.3, 21.4, 115.5, 24.4), "EPSG:4326", 0.15, origin=(111.3, 24.4))
    assert (grid.width, grid.height) == (28, 20)
    run_landcover_classes(str(path), str(tmp_path / "c.tif"), "modis_igbp", grid=grid)
    raw = rasterio.open(path).read(1)
    codes = expected_codes(raw, IGBP, 255)
    expected = numpy_majority(codes, 3)
    got = read(tmp_path / "c.tif")[0]
    untied = expected > 0
    assert untied.mean() > 0.7
    np.testing.assert_array_equal(got[untied], expected[untied])


def test_real_worldcover_clip_majority_of_900_cells(tmp_path):
    path = shared_file("landcover", "derived", "ESA_WorldCover_10m_2021_v200_SaoTome_clip.tif")
    with rasterio.open(path) as ds:
        raw = ds.read(1)
        left, top = ds.transform.c, ds.transform.f
    # 0.0025 degree cells are exactly 30 x 30 WorldCover cells (1/12000 degree) from the clip's corner
    grid = grid_from_extent((left, top - 5160 / 12000, left + 4080 / 12000, top), "EPSG:4326", 0.0025)
    assert (grid.width, grid.height) == (136, 172) and grid.transform.c == pytest.approx(left)
    run_landcover_classes(str(path), str(tmp_path / "c.tif"), "esa_worldcover", grid=grid)
    expected = numpy_majority(expected_codes(raw, WORLDCOVER, 0), 30)
    got = read(tmp_path / "c.tif")[0]
    untied = expected > 0
    np.testing.assert_array_equal(got[untied], expected[untied])
    assert untied.mean() > 0.99 and (got[untied] == 91).mean() > 0.3  # few ties; mostly tree cover


def test_real_worldcover_tile_read_in_windows(tmp_path):
    path = shared_file("landcover", "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif")
    grid = grid_from_extent((6.45, 0.0, 6.75, 0.4), "EPSG:32632", 250, extent_crs="EPSG:4326")
    run_landcover_classes(str(path), str(tmp_path / "c.tif"), "esa_worldcover", grid=grid)
    got = read(tmp_path / "c.tif")[0]
    assert set(np.unique(got[np.isfinite(got)])) <= {91.0, 120.0, 130.0, 10.0, 140.0, 210.0, 51.0, 220.0}
    assert (got == 210).mean() > 0.05 and (got == 91).mean() > 0.3  # sea around Sao Tome; forest on it


def test_real_mcd12q1_hdf_layer_equals_its_geotiff(tmp_path):
    hdf = shared_file("landcover", "MCD12Q1.A2001001.h00v08.006.2018142182903.hdf")
    tif = shared_file("landcover", "MCD12Q1.A2001001.h00v08.006.2018142182903_LC_Type1.tif")
    with rasterio.Env() as env:
        if "HDF4" not in env.drivers():
            pytest.skip("GDAL without HDF4")
    run_landcover_classes(str(hdf), str(tmp_path / "h.tif"), "modis_igbp")  # LC_Type1 picked by default
    run_landcover_classes(str(tif), str(tmp_path / "t.tif"), "modis_igbp")
    np.testing.assert_array_equal(read(tmp_path / "h.tif"), read(tmp_path / "t.tif"))
    with pytest.raises(CasaInputError, match="holds no 'LC_Type9' layer"):
        run_landcover_classes(str(hdf), str(tmp_path / "x.tif"), "modis_igbp", layer="LC_Type9")


def test_unknown_codes_stop_the_run_with_their_list(tmp_path):
    src = write(
        tmp_path / "lc.tif",
        np.array([[10, 40, 77], [10, 99, 40]], np.uint8),
        crs="EPSG:4326",
        transform=Affine(0.001, 0, 113, 0, -0.001, 23),
        nodata=0,
    )
    with pytest.raises(CasaInputError, match="codes 77, 99 that the lookup table does not list"):
        run_landcover_classes(src, str(tmp_path / "c.tif"), "esa_worldcover")
    assert sorted(os.listdir(tmp_path)) == ["lc.tif"]


def test_the_output_feeds_casanep_npp_directly(tmp_path, sample_dir):
    """A WorldCover-like 0.001 degree map onto the sample's 250 m UTM grid, then NPP with its default class table."""
    s = {
        k: str(sample_dir / f"{v}_2021_2022.tif")
        for k, v in (("ndvi", "ndvi"), ("sol", "solar_radiation"), ("t", "temperature"), ("p", "precipitation"))
    }
    grid = grid_from_reference(s["ndvi"])
    from rasterio.warp import transform_bounds

    w, so, e, n = transform_bounds(grid.crs, "EPSG:4326", *grid.bounds)
    cols, rows = int((e - w) / 0.001) + 4, int((n - so) / 0.001) + 4
    wc = np.full((rows, cols), 10, np.uint8)  # tree cover
    wc[:, cols // 2 :] = 40  # cropland in the east
    wc[rows // 3 : rows // 3 + 20, :] = 80  # a river 20 cells (about 2 km) wide
    lc = write(
        tmp_path / "wc.tif", wc, crs="EPSG:4326", transform=Affine(0.001, 0, w - 0.002, 0, -0.001, n + 0.002), nodata=0
    )
    classes = str(tmp_path / "classes.tif")
    run_landcover_classes(lc, classes, "esa_worldcover", grid=grid)
    with rasterio.open(classes) as ds:
        assert ds.transform == grid.transform and ds.crs == grid.crs
        got = ds.read(1)
    assert set(np.unique(got)) == {10, 91, 210}
    npp = str(tmp_path / "npp.tif")
    run_npp(s["ndvi"], classes, s["sol"], s["t"], s["p"], npp, ndvi_scale=0.0001)
    values = read(npp)
    water = got == 210
    assert np.isnan(values[:, water]).all()
    assert np.isfinite(values[:, ~water]).mean() > 0.9


def test_an_extent_alone_cuts_the_products_own_grid(tmp_path):
    path = shared_file("landcover", "derived", "MCD12C1_2019_IGBP_PRD_clip_111.3-115.5E_21.4-24.4N.tif")
    run_landcover_classes(str(path), str(tmp_path / "all.tif"), "modis_igbp")
    run_landcover_classes(
        str(path), str(tmp_path / "cut.tif"), "modis_igbp", extent=(113.0, 22.0, 114.0, 23.0), extent_crs="EPSG:4326"
    )
    with rasterio.open(tmp_path / "cut.tif") as ds:
        assert (ds.width, ds.height) == (20, 20)
        assert ds.transform.c == pytest.approx(113.0) and ds.transform.f == pytest.approx(23.0)
    # columns (113.0 - 111.3) / 0.05 = 34 .. 54, rows (24.4 - 23.0) / 0.05 = 28 .. 48 of the whole
    np.testing.assert_array_equal(read(tmp_path / "cut.tif")[0], read(tmp_path / "all.tif")[0, 28:48, 34:54])
    with pytest.raises(CasaInputError, match="does not overlap"):
        run_landcover_classes(
            str(path), str(tmp_path / "x.tif"), "modis_igbp", extent=(0, 0, 1, 1), extent_crs="EPSG:4326"
        )

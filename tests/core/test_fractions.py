"""Land-cover fractions: class tables, counting against a direct count, grids, overviews, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling
from rasterio.transform import from_origin

from casa_nep_plugin import __version__
from casa_nep_plugin.core.classcount import count_classes
from casa_nep_plugin.core.engine import Callbacks
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.fractions import landcover_fractions
from casa_nep_plugin.core.products import FRACTION_TABLE_OPTIONS, find_product
from casa_nep_plugin.core.tables import load_class_map
from tests.conftest import shared_file
from tests.rasters import UTM, read, write

SIX = ("forest", "cropland", "grassland", "water", "built-up", "bare")
WORLDCOVER = {10: "forest", 20: "forest", 95: "forest", 40: "cropland", 30: "grassland", 100: "grassland",
              80: "water", 90: "water", 70: "water", 50: "built-up", 60: "bare"}


class Messages(Callbacks):
    def __init__(self):
        self.warnings: list[str] = []
        self.infos: list[str] = []
        super().__init__(info=self.infos.append, warning=self.warnings.append)


def direct_fractions(codes: np.ndarray, k: int, mapping: dict[int, str], classes=SIX, nodata=(0,)):
    """Reference: pad to whole cells, count each class per k x k block with plain numpy."""
    h, w = -(-codes.shape[0] // k), -(-codes.shape[1] // k)
    pad = np.full((h * k, w * k), nodata[0], codes.dtype)
    pad[: codes.shape[0], : codes.shape[1]] = codes
    counts = np.zeros((len(classes), h, w))
    for i, c in enumerate(classes):
        mask = np.isin(pad, [code for code, cl in mapping.items() if cl == c])
        counts[i] = mask.reshape(h, k, w, k).sum(axis=(1, 3))
    total = counts.sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(total > 0, counts / np.maximum(total, 1), np.nan), counts


# -- class tables ----------------------------------------------------------------------------------
@pytest.mark.parametrize("key", FRACTION_TABLE_OPTIONS)
def test_shipped_tables_map_to_the_study_six_classes(key):
    cm = load_class_map(key)
    assert cm.classes == SIX
    text = find_product(key).study_table.read_text()
    assert "Liu Jiyuan" in text and "#" in text  # sources in comments


def test_worldcover_table_content():
    cm = load_class_map("worldcover")
    for code, cls in WORLDCOVER.items():
        assert cm.classes[cm.mapping[code]] == cls
    assert cm.mapping[0] == -1


def test_own_table_and_its_errors(tmp_path):
    own = tmp_path / "own.csv"
    own.write_text("# my classes\ncode,class\n1,trees\n2,other\n3,trees\n9,nodata\n")
    cm = load_class_map(str(own))
    assert cm.classes == ("trees", "other") and cm.mapping == {1: 0, 2: 1, 3: 0, 9: -1}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,class\n1,a\n1,b\n")
    with pytest.raises(CasaInputError, match="twice"):
        load_class_map(str(bad))
    bad.write_text("value,name\n1,a\n")
    with pytest.raises(CasaInputError, match="code, class"):
        load_class_map(str(bad))
    bad.write_text("code,class\n1.5,a\n")
    with pytest.raises(CasaInputError, match="not an integer"):
        load_class_map(str(bad))
    with pytest.raises(CasaInputError, match="cannot read"):
        load_class_map(str(tmp_path / "missing.csv"))
    bad.write_text("code,class\n1,\n")
    with pytest.raises(CasaInputError, match="code 1 in .* has no class") as err:
        load_class_map(str(bad), "FINE_CLASS_TABLE")
    assert err.value.parameter == "FINE_CLASS_TABLE"
    bad.write_text("code,class\n0,NoData\n")
    with pytest.raises(CasaInputError, match="maps no code to a class"):
        load_class_map(str(bad))


def test_worldcover_is_one_product_by_either_name():
    # casanep:landcoverfractions says worldcover, casanep:landcoverclasses esa_worldcover: the same product
    assert load_class_map("esa_worldcover") == load_class_map("worldcover")
    assert load_class_map("WorldCover").path.endswith("worldcover_study6.csv")
    assert {find_product(k).name for k in FRACTION_TABLE_OPTIONS} == {"glc_fcs30", "esa_worldcover", "modis_igbp"}


# -- counting --------------------------------------------------------------------------------------
@pytest.mark.parametrize("pattern", ["uniform", "blocks", "mixed", "noise"])
def test_count_classes_equals_a_direct_count(pattern):
    rng = np.random.default_rng(1)
    codes = np.array(list(WORLDCOVER) + [0], np.uint8)
    k = 5
    if pattern == "uniform":
        a = np.full((40, 60), 80, np.uint8)
    elif pattern == "blocks":  # every model cell homogeneous
        a = np.repeat(np.repeat(rng.choice(codes, (8, 12)), k, 0), k, 1)
    elif pattern == "mixed":  # a few mixed cells among homogeneous ones (the cell-by-cell path)
        a = np.repeat(np.repeat(rng.choice(codes, (8, 12)), k, 0), k, 1)
        a[7:9, 3:30] = 50
    else:  # every cell mixed (the whole-chunk path)
        a = rng.choice(codes, (40, 60))
    cm = load_class_map("worldcover")
    got = count_classes(a, k, k, cm, nodata=0)
    _, want = direct_fractions(a, k, WORLDCOVER)
    np.testing.assert_array_equal(got[: cm.n], want)
    np.testing.assert_array_equal(got[cm.n], (a == 0).reshape(8, k, 12, k).sum(axis=(1, 3)))
    assert got.sum() == a.size


def test_unknown_codes_are_counted_apart():
    cm = load_class_map("worldcover")
    a = np.array([[10, 10], [77, 0]], np.uint8)
    got = count_classes(a, 2, 2, cm, nodata=0)[:, 0, 0]
    assert got[0] == 2 and got[cm.n] == 1 and got[cm.n + 1] == 1


def test_signed_16_bit_codes(tmp_path):
    own = tmp_path / "t.csv"
    own.write_text("code,class\n-5,a\n300,b\n-1,nodata\n")
    cm = load_class_map(str(own))
    a = np.array([[-5, 300], [300, -1]], np.int16)
    got = count_classes(a, 2, 2, cm)[:, 0, 0]
    assert got.tolist() == [1, 2, 1, 0]


# -- rasters ---------------------------------------------------------------------------------------
@pytest.fixture
def small_map(tmp_path):
    rng = np.random.default_rng(2)
    codes = np.array(list(WORLDCOVER) + [0], np.uint8)
    a = np.repeat(np.repeat(rng.choice(codes, (23, 31)), 3, 0), 3, 1)
    a[::7, ::5] = 40  # some mixed cells
    t = from_origin(700000, 2500000, 10, 10)
    return write(tmp_path / "lc.tif", a, crs=UTM, transform=t, nodata=0), a


def test_fractions_of_a_small_map_with_partial_edge_cells(small_map, tmp_path):
    path, a = small_map  # 69 x 93 fine cells of 10 m, to 50 m cells (the last row and column partial)
    out, maj = tmp_path / "f.tif", tmp_path / "m.tif"
    msgs = Messages()
    landcover_fractions(path, str(out), "worldcover", cell_size=50, majority_output=str(maj), callbacks=msgs)
    want, counts = direct_fractions(a, 5, WORLDCOVER)
    got = read(out)
    assert got.shape == (6, 14, 19)
    np.testing.assert_allclose(got, want, atol=1e-6)
    with rasterio.open(out) as ds:
        assert ds.descriptions == SIX
        tags = ds.tags()
        assert json.loads(tags["casanep_parameters"]) == {"classes": list(SIX), "class_table": "worldcover_study6.csv"}
        assert tags["casanep_quantity"] == "cover fraction" and tags["casanep_version"] == __version__
        assert json.loads(tags["casanep_inputs"]) == {"landcover": "lc.tif"}
        assert ds.transform == from_origin(700000, 2500000, 50, 50) and ds.crs == rasterio.crs.CRS.from_string(UTM)
    m = read(maj)[0]
    valid = counts.sum(axis=0) > 0
    np.testing.assert_array_equal(m[valid], np.argmax(counts, axis=0)[valid] + 1)  # ties: first class
    assert np.isnan(m[~valid]).all()
    with rasterio.open(maj) as ds:
        assert ds.colormap(1)[1][:3] == (0, 100, 0)
        tags = ds.tags()
        assert json.loads(tags["casanep_class_numbers"]) == {str(i + 1): c for i, c in enumerate(SIX)}
        assert tags["casanep_quantity"] == "majority class" and tags["casanep_version"] == __version__
    assert any("aligned, exact" in i for i in msgs.infos)


def test_reference_grid_offset_on_the_fine_grid(small_map, tmp_path):
    path, a = small_map
    # model grid of 30 m starting 2 fine cells in and 1 fine cell above the map
    ref = write(tmp_path / "ref.tif", np.zeros((1, 25, 32), np.float32), ["2021-01"],
                transform=from_origin(700020, 2500010, 30, 30))
    out = tmp_path / "f.tif"
    landcover_fractions(path, str(out), "worldcover", reference=ref)
    pad = np.zeros((75, 96), np.uint8)
    pad[1:70, :91] = a[:, 2:]
    want, _ = direct_fractions(pad, 3, WORLDCOVER)
    np.testing.assert_allclose(read(out), want, atol=1e-6)


def test_reference_grid_in_another_crs_is_sampled(tmp_path):
    # big homogeneous blocks in UTM, read onto a lon/lat grid: fractions sum to 1 and are close
    a = np.full((600, 600), 10, np.uint8)
    a[:, 300:] = 80
    lc = write(tmp_path / "lc.tif", a, crs=UTM, transform=from_origin(700000, 2500000, 10, 10), nodata=0)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform(702800, 2499000)
    ref = write(tmp_path / "ref.tif", np.zeros((1, 8, 8), np.float32), crs="EPSG:4326",
                transform=from_origin(lon, lat, 0.0005, 0.0005))
    out = tmp_path / "f.tif"
    msgs = Messages()
    landcover_fractions(lc, str(out), "worldcover", reference=ref, callbacks=msgs)
    f = read(out)
    np.testing.assert_allclose(np.nansum(f, axis=0), 1.0, atol=1e-6)
    assert any("nearest neighbour" in w for w in msgs.warnings)
    forest, water = f[0], f[3]
    assert (forest[:, :2] > 0.99).all() and (water[:, -2:] > 0.99).all()


def test_overviews_are_never_read(tmp_path):
    # overviews built from one map, then the full-resolution data replaced: fractions follow the data
    path = tmp_path / "lc.tif"
    with rasterio.open(path, "w", driver="GTiff", width=400, height=400, count=1, dtype="uint8", crs=UTM,
                       transform=from_origin(700000, 2500000, 10, 10), nodata=0, tiled=True) as ds:
        ds.write(np.full((400, 400), 10, np.uint8), 1)
        ds.build_overviews([2, 4, 8, 16], Resampling.nearest)
    with rasterio.open(path, "r+") as ds:
        ds.write(np.full((400, 400), 80, np.uint8), 1)
    out = tmp_path / "f.tif"
    landcover_fractions(str(path), str(out), "worldcover", cell_size=250)
    f = read(out)
    assert (f[3] == 1).all() and (f[0] == 0).all()


def test_unknown_codes_warn(tmp_path):
    a = np.full((20, 20), 10, np.uint8)
    a[0, 0] = 77
    lc = write(tmp_path / "lc.tif", a, crs=UTM, transform=from_origin(700000, 2500000, 10, 10), nodata=0)
    msgs = Messages()
    landcover_fractions(lc, str(tmp_path / "f.tif"), "worldcover", cell_size=100, callbacks=msgs)
    assert any("77" in w and "class table lacks" in w for w in msgs.warnings)


def test_bad_input(tmp_path, small_map):
    path, _ = small_map
    out = str(tmp_path / "f.tif")
    with pytest.raises(CasaInputError, match="reference raster .* or a positive cell size"):
        landcover_fractions(path, out, "worldcover")
    with pytest.raises(CasaInputError, match="finer"):
        landcover_fractions(path, out, "worldcover", cell_size=5)
    flt = write(tmp_path / "flt.tif", np.ones((10, 10), np.float32), crs=UTM)
    with pytest.raises(CasaInputError, match="integer class codes"):
        landcover_fractions(flt, out, "worldcover", cell_size=1000)
    two = write(tmp_path / "two.tif", np.ones((2, 10, 10), np.uint8), crs=UTM, nodata=0)
    with pytest.raises(CasaInputError, match="one band"):
        landcover_fractions(two, out, "worldcover", cell_size=1000)
    with pytest.raises(CasaInputError, match="class table"):
        landcover_fractions(path, out, None, cell_size=50)
    with pytest.raises(CasaInputError, match="cannot open"):
        landcover_fractions(str(tmp_path / "none.tif"), out, "worldcover", cell_size=50)


# -- the real WorldCover clip --------------------------------------------------------------------------
def test_worldcover_clip_against_a_direct_count(tmp_path):
    clip = shared_file("landcover", "derived", "ESA_WorldCover_10m_2021_v200_SaoTome_clip.tif")
    out, maj = tmp_path / "f.tif", tmp_path / "m.tif"
    landcover_fractions(str(clip), str(out), "worldcover", cell_size=1 / 480, majority_output=str(maj),
                        chunk_cells=1 << 20)
    with rasterio.open(clip) as ds:
        a = ds.read(1)
    want, counts = direct_fractions(a, 25, WORLDCOVER)
    got = read(out)
    assert got.shape == want.shape == (6, 207, 164)
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(np.nansum(got, axis=0)[counts.sum(axis=0) > 0], 1.0, atol=1e-5)
    assert np.nanmean(got[0]) > 0.3 and np.nanmean(got[3]) > 0.3  # the island's forest, the ocean
    m = read(maj)[0]
    ok = counts.sum(axis=0) > 0
    np.testing.assert_array_equal(m[ok], np.argmax(counts, axis=0)[ok] + 1)

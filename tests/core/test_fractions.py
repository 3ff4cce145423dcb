"""Land-cover fractions: rasters against a direct count, grids, overviews, provenance, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling
from rasterio.transform import from_origin

from casa_nep_plugin import __version__
from casa_nep_plugin.core.engine import Callbacks
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.fractions import landcover_fractions
from tests.conftest import shared_file
from tests.core.landcover_reference import SIX, WORLDCOVER, direct_fractions
from tests.rasters import UTM, read, write


class Messages(Callbacks):
    def __init__(self):
        self.warnings: list[str] = []
        self.infos: list[str] = []
        super().__init__(info=self.infos.append, warning=self.warnings.append)


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
    ref = write(
        tmp_path / "ref.tif",
        np.zeros((1, 25, 32), np.float32),
        ["2021-01"],
        transform=from_origin(700020, 2500010, 30, 30),
    )
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
    ref = write(
        tmp_path / "ref.tif",
        np.zeros((1, 8, 8), np.float32),
        crs="EPSG:4326",
        transform=from_origin(lon, lat, 0.0005, 0.0005),
    )
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
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=400,
        height=400,
        count=1,
        dtype="uint8",
        crs=UTM,
        transform=from_origin(700000, 2500000, 10, 10),
        nodata=0,
        tiled=True,
    ) as ds:
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
    landcover_fractions(
        str(clip), str(out), "worldcover", cell_size=1 / 480, majority_output=str(maj), chunk_cells=1 << 20
    )
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

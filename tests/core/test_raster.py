"""Reading inputs: nodata values, internal masks, scales, months; per-thread handles, containers, writing."""

from __future__ import annotations

import os

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.transform import from_origin

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import ModelGrid
from casa_nep_plugin.core.raster import RasterInput, write_stack
from tests.rasters import read, write

UTM = CRS.from_epsg(32649)


def test_nodata_value_and_scale(tmp_path):
    data = np.array([[[1000, -3000], [5000, 2]]], np.int16)
    path = write(tmp_path / "a.tif", data, ["2021-01"], nodata=-3000)
    inp = RasterInput.open(path, "NDVI", scale=0.0001)
    inp.attach(inp.grid)
    got = inp.read(rasterio.windows.Window(0, 0, 2, 2))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got[0], [[0.1, np.nan], [0.5, 0.0002]], rtol=1e-6)
    inp.close()


def test_internal_mask_is_honoured(tmp_path):
    path = tmp_path / "m.tif"
    profile = dict(
        driver="GTiff",
        count=1,
        height=2,
        width=2,
        dtype="float32",
        crs="EPSG:32649",
        transform=from_origin(0, 0, 250, 250),
    )
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(path, "w", **profile) as ds:
        ds.write(np.array([[[1.0, 2.0], [3.0, 4.0]]], np.float32))
        ds.write_mask(np.array([[255, 0], [255, 255]], np.uint8))
        ds.set_band_description(1, "2021-01")
    inp = RasterInput.open(str(path), "T")
    inp.attach(inp.grid)
    got = inp.read(rasterio.windows.Window(0, 0, 2, 2))[0]
    assert np.isnan(got[0, 1]) and got[1, 1] == 4.0
    inp.close()


def test_warped_read_marks_outside_as_nodata(tmp_path):
    path = write(
        tmp_path / "g.tif",
        np.full((1, 2, 2), 5.0, np.float32),
        ["2021-01"],
        crs="EPSG:4326",
        transform=from_origin(113.0, 23.0, 0.001, 0.001),
    )
    inp = RasterInput.open(path, "T")
    # a UTM grid straddling the file's east edge: cells beyond it are NaN, cells inside are 5
    from rasterio.warp import transform

    x, y = transform("EPSG:4326", "EPSG:32649", [113.0], [23.0])
    grid = ModelGrid(rasterio.crs.CRS.from_epsg(32649), from_origin(x[0] + 50, y[0] - 50, 50, 50), 8, 2)
    inp.attach(grid)
    got = inp.read(rasterio.windows.Window(0, 0, 8, 2))[0]
    assert np.isnan(got[:, -1]).all() and (got[np.isfinite(got)] == pytest.approx(5.0))
    inp.close()


def test_unreadable_and_not_monthly(tmp_path):
    with pytest.raises(CasaInputError, match="cannot open"):
        RasterInput.open(str(tmp_path / "none.tif"), "NDVI")
    path = write(tmp_path / "b.tif", np.zeros((2, 2, 2), np.float32), ["2021-01", "2021-01"])
    with pytest.raises(CasaInputError, match="same month"):
        RasterInput.open(path, "NDVI")


def test_write_stack_roundtrip_and_no_leftovers(tmp_path):
    g = ModelGrid(UTM, Affine(250, 0, 730000, 0, -250, 2565000), 300, 270)  # more than one 256 tile
    data = np.random.default_rng(1).random((3, 270, 300)).astype(np.float32)
    data[1, 5, 7] = np.nan
    out = write_stack(str(tmp_path / "s.tif"), g, data, ["2021-01", "2021-02", "2021-03"], units="degC")
    with rasterio.open(out) as ds:
        assert ds.descriptions == ("2021-01", "2021-02", "2021-03")
        assert ds.tags()["units"] == "degC" and ds.crs == UTM and ds.transform == g.transform
    np.testing.assert_array_equal(read(out), data)
    assert sorted(os.listdir(tmp_path)) == ["s.tif"]


def test_thread_local_datasets_one_handle_per_thread_closed_and_reopened_after_pickling(tmp_path):
    import pickle
    import threading

    from casa_nep_plugin.core.raster import ThreadLocalDatasets

    path = write(tmp_path / "a.tif", np.arange(4, dtype=np.float32).reshape(1, 2, 2), ["2021-01"])
    files = ThreadLocalDatasets()
    mine = files.get(path)
    assert files.get(path) is mine  # the same thread gets the same handle
    other = []
    t = threading.Thread(target=lambda: other.append(files.get(path)))
    t.start()
    t.join()
    assert other[0] is not mine and not other[0].closed
    copy = pickle.loads(pickle.dumps(files))  # the handles stay behind; the copy opens its own
    theirs = copy.get(path)
    assert theirs is not mine and theirs.read(1)[1, 1] == 3.0
    scratch = files.get(("counter", path), lambda _key: [0])  # a per-thread object without close(): dropped
    assert files.get(("counter", path)) is scratch
    files.close()
    assert mine.closed and other[0].closed and not theirs.closed
    copy.close()
    assert theirs.closed


def test_raster_input_reads_after_pickling(tmp_path):
    import pickle

    path = write(tmp_path / "a.tif", np.arange(4, dtype=np.float32).reshape(1, 2, 2), ["2021-01"])
    inp = RasterInput.open(path, "T")
    inp.attach(inp.grid)
    copy = pickle.loads(pickle.dumps(inp))
    assert copy.dataset is None and copy.months == ["2021-01"]
    w = rasterio.windows.Window(0, 0, 2, 2)
    np.testing.assert_array_equal(copy.read(w), inp.read(w))
    copy.close()
    inp.close()

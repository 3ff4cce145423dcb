"""Reading inputs: nodata values, internal masks, scales, months."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import ModelGrid
from casa_nep_plugin.core.raster import RasterInput
from tests.rasters import write


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
    profile = dict(driver="GTiff", count=1, height=2, width=2, dtype="float32", crs="EPSG:32649",
                   transform=from_origin(0, 0, 250, 250))
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
    path = write(tmp_path / "g.tif", np.full((1, 2, 2), 5.0, np.float32), ["2021-01"], crs="EPSG:4326",
                 transform=from_origin(113.0, 23.0, 0.001, 0.001))
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

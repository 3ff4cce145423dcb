"""Window resampling: sources on a shared lattice are copied, others warped window by window."""

from __future__ import annotations

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject
from rasterio.windows import Window

from casa_nep_plugin.core.grid import ModelGrid, grid_from_extent, subgrid
from casa_nep_plugin.core.resample import onto_window, source_window

UTM = CRS.from_epsg(32649)


def test_source_window_and_onto_window_copy_a_shared_lattice_exactly():
    src = ModelGrid(UTM, Affine(250, 0, 730000, 0, -250, 2565000), 80, 60)
    model = subgrid(src, Window(10, 5, 30, 20))
    data = np.arange(60 * 80, dtype=np.float32).reshape(1, 60, 80)
    w = Window(0, 0, 30, 20)
    sw = source_window(src, model, w)
    assert (sw.col_off, sw.row_off, sw.width, sw.height) == (10, 5, 30, 20)
    out = onto_window(data[:, 5:25, 10:40], sw, src, model, w)
    np.testing.assert_array_equal(out, data[:, 5:25, 10:40])
    # a model grid reaching past the source: the part outside is nodata, not 0
    wide = ModelGrid(UTM, Affine(250, 0, 729500, 0, -250, 2565000), 10, 3)
    sw = source_window(src, wide, Window(0, 0, 10, 3))
    out = onto_window(data[:, :3, :8], sw, src, wide, Window(0, 0, 10, 3))
    assert np.isnan(out[0, :, :2]).all()
    np.testing.assert_array_equal(out[0, :, 2:], data[0, :3, :8])


def test_windowed_resampling_equals_resampling_the_whole():
    # a smooth 0.1 degree field onto a 1 km UTM grid, window by window, against one GDAL reproject of it all
    src = ModelGrid(CRS.from_epsg(4326), Affine(0.1, 0, 112.0, 0, -0.1, 24.5), 40, 30)
    yy, xx = np.mgrid[0:30, 0:40]
    data = (np.sin(xx / 5.0) + yy / 10.0).astype(np.float32)[None]
    data[0, 10:12, 10:12] = np.nan  # gaps must stay gaps (or be re-weighted), never zeros
    model = grid_from_extent((112.5, 22.5, 114.5, 24.0), "EPSG:32649", 1000, extent_crs="EPSG:4326")
    whole = np.full((1, model.height, model.width), np.nan, np.float32)
    reproject(
        data,
        whole,
        src_transform=src.transform,
        src_crs=src.crs,
        src_nodata=np.nan,
        dst_transform=model.transform,
        dst_crs=model.crs,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    pieced = np.full_like(whole, np.nan)
    for w in model.windows(64 * 64, 1):
        sw = source_window(src, model, w, margin=2)
        block = data[:, sw.row_off : sw.row_off + sw.height, sw.col_off : sw.col_off + sw.width]
        r, c = w.row_off, w.col_off
        pieced[:, r : r + w.height, c : c + w.width] = onto_window(block, sw, src, model, w)
    np.testing.assert_allclose(pieced, whole, atol=1e-5, equal_nan=True)
    assert np.isfinite(pieced).mean() > 0.9

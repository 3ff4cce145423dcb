"""The model grid: from a reference raster or from extent + CRS + cell size, snapping, windowed resampling."""

from __future__ import annotations

import os

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject
from rasterio.windows import Window

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import ModelGrid
from casa_nep_plugin.core.modelgrid import (
    grid_from_extent,
    grid_from_reference,
    lattice_offset,
    onto_window,
    pick_subdataset,
    source_window,
    subgrid,
    write_stack,
)
from tests.rasters import read, write

UTM = CRS.from_epsg(32649)


def test_extent_snaps_outward_to_multiples_of_the_cell():
    # x: 730010 -> floor(2920.04)*250 = 730000; 740020 -> ceil(2960.08)*250 = 740250 (41 cells)
    # y: 2550100 -> 2550000; 2565000 lies on the lattice and stays (60 cells)
    g = grid_from_extent((730010, 2550100, 740020, 2565000), "EPSG:32649", 250)
    assert g.transform == Affine(250, 0, 730000, 0, -250, 2565000)
    assert (g.width, g.height) == (41, 60)
    assert g.crs == UTM


def test_edges_within_float_noise_of_the_lattice_add_no_sliver():
    g = grid_from_extent((113.0 + 1e-12, 22.5, 113.5 - 1e-12, 23.0), "EPSG:4326", 0.0025)
    assert (g.width, g.height) == (200, 200)
    assert g.transform.c == pytest.approx(113.0) and g.transform.f == pytest.approx(23.0)


def test_grids_from_different_extents_line_up_cell_for_cell():
    a = grid_from_extent((730123, 2550321, 741000, 2566000), "EPSG:32649", 250)
    b = grid_from_extent((701777, 2500001, 733333, 2555555), "EPSG:32649", 250)
    off = lattice_offset(a, b)
    assert off is not None
    # the shared lattice: b's origin is a whole number of cells from a's
    assert (b.transform.c - a.transform.c) / 250 == off[0]


def test_extent_in_another_crs_is_covered():
    ext = (112.95, 22.45, 113.6, 23.1)  # lon/lat
    g = grid_from_extent(ext, "EPSG:32649", 250, extent_crs="EPSG:4326")
    from rasterio.warp import transform

    xs, ys = transform("EPSG:4326", "EPSG:32649", [ext[0], ext[2], ext[0], ext[2]], [ext[1], ext[1], ext[3], ext[3]])
    left, bottom, right, top = g.bounds
    assert all(left <= x <= right for x in xs) and all(bottom <= y <= top for y in ys)
    assert g.transform.c % 250 == 0 and g.transform.f % 250 == 0


@pytest.mark.parametrize(
    "crs, cell, match",
    [("EPSG:4326", 250, "looks like metres"), ("EPSG:32649", 0.0025, "looks like degrees"),
     ("EPSG:32649", 0, "positive"), ("EPSG:32649", -5, "positive")],
)
def test_cell_size_in_the_wrong_unit_is_refused(crs, cell, match):
    with pytest.raises(CasaInputError, match=match):
        grid_from_extent((113, 22, 114, 23), crs, cell, extent_crs="EPSG:4326")


def test_unknown_crs_and_empty_extent():
    with pytest.raises(CasaInputError, match="GRID_CRS"):
        grid_from_extent((0, 0, 1, 1), "EPSG:99999999", 250)
    with pytest.raises(CasaInputError, match="empty"):
        grid_from_extent((5, 5, 5, 9), "EPSG:32649", 250)


def test_reference_grid_and_its_subgrid(tmp_path):
    ref = write(tmp_path / "ref.tif", np.zeros((60, 80), np.float32))  # 250 m at (730000, 2565000)
    g = grid_from_reference(ref)
    assert (g.width, g.height, g.transform.c, g.transform.f) == (80, 60, 730000, 2565000)
    # an extent cut: whole cells of the reference touching it
    sub = grid_from_reference(ref, extent=(731100, 2551000, 735000, 2560100))
    assert lattice_offset(g, sub) == (4, 19)  # 731100 -> col floor(4.4) = 4; 2560100 -> row floor(19.6) = 19
    assert (sub.width, sub.height) == (16, 37)
    with pytest.raises(CasaInputError, match="does not overlap"):
        grid_from_reference(ref, extent=(0, 0, 10, 10))


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
    reproject(data, whole, src_transform=src.transform, src_crs=src.crs, src_nodata=np.nan,
              dst_transform=model.transform, dst_crs=model.crs, dst_nodata=np.nan, resampling=Resampling.bilinear)
    pieced = np.full_like(whole, np.nan)
    for w in model.windows(64 * 64, 1):
        sw = source_window(src, model, w, margin=2)
        block = data[:, sw.row_off:sw.row_off + sw.height, sw.col_off:sw.col_off + sw.width]
        r, c = w.row_off, w.col_off
        pieced[:, r:r + w.height, c:c + w.width] = onto_window(block, sw, src, model, w)
    np.testing.assert_allclose(pieced, whole, atol=1e-5, equal_nan=True)
    assert np.isfinite(pieced).mean() > 0.9


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


def test_pick_subdataset_prefers_the_first_pattern():
    f = "MOD13Q1.A2021017.h28v06.061.2021035023433.hdf"
    subs = [f'HDF4_EOS:EOS_GRID:"{f}":MODIS_Grid_16DAY_250m_500m_VI:"250m 16 days {n}"' for n in
            ("NDVI", "EVI", "VI Quality", "pixel reliability", "composite day of the year")]
    assert pick_subdataset(f, subs, [r"\bNDVI\b"], "INPUT", "NDVI").endswith('"250m 16 days NDVI"')
    assert pick_subdataset(f, subs, [r"pixel.?reliability"], "INPUT", "r").endswith('pixel reliability"')
    with pytest.raises(CasaInputError, match="holds no LAI layer; its layers are: 250m 16 days NDVI"):
        pick_subdataset(f, subs, ["LAI"], "INPUT", "LAI")

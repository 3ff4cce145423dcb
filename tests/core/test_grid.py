"""The model grid: cell areas, windows, and building one from a reference raster or from extent + CRS + cell size."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import ModelGrid, grid_from_extent, grid_from_reference
from casa_nep_plugin.core.resample import lattice_offset
from tests.rasters import write

UTM = CRS.from_epsg(32649)


def test_cell_area_geographic_matches_geodesic():
    from pyproj import Geod

    # a 1/480 degree grid at 23 N: each row's area against pyproj's geodesic polygon area
    t = Affine(1 / 480, 0, 113.0, 0, -1 / 480, 23.5)
    g = ModelGrid(CRS.from_epsg(4326), t, 10, 300)
    areas = g.row_cell_areas()
    geod = Geod(ellps="WGS84")
    for row in (0, 150, 299):
        top, bot = 23.5 - row / 480, 23.5 - (row + 1) / 480
        a, _ = geod.polygon_area_perimeter([113, 113 + 1 / 480, 113 + 1 / 480, 113], [top, top, bot, bot])
        assert areas[row] == pytest.approx(abs(a), rel=1e-6)
    # about 213 m x 231 m at 23 N: far from (1/480 deg)^2 treated as metres
    assert 45000 < areas[0] < 55000


def test_cell_area_projected():
    g = ModelGrid(CRS.from_epsg(32649), Affine(250, 0, 0, 0, -250, 0), 4, 3)
    np.testing.assert_array_equal(g.row_cell_areas(), [62500.0] * 3)


def test_windows_cover_grid_once():
    g = ModelGrid(CRS.from_epsg(32649), Affine(250, 0, 0, 0, -250, 0), 1000, 700)
    cover = np.zeros((700, 1000), int)
    for w in g.windows(256 * 256 * 2, 1):
        cover[w.row_off : w.row_off + w.height, w.col_off : w.col_off + w.width] += 1
    assert (cover == 1).all()


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
    [
        ("EPSG:4326", 250, "looks like metres"),
        ("EPSG:32649", 0.0025, "looks like degrees"),
        ("EPSG:32649", 0, "positive"),
        ("EPSG:32649", -5, "positive"),
    ],
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

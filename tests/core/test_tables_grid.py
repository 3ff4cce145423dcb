"""Class tables and grid geometry."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import ModelGrid
from casa_nep_plugin.core.tables import load_code_table, load_vegetation_table


def test_shipped_vegetation_table_matches_method():
    v = load_vegetation_table()
    # METHOD.md table (Zhu et al. 2006)
    assert (v["ebf"].ndvi_max, v["ebf"].epsilon_max) == (0.676, 0.985)
    assert (v["enf"].ndvi_max, v["enf"].epsilon_max) == (0.647, 0.389)
    assert (v["dnf"].ndvi_max, v["dnf"].epsilon_max) == (0.738, 0.485)
    assert (v["dbf"].ndvi_max, v["dbf"].epsilon_max) == (0.747, 0.692)
    assert (v["mf"].ndvi_max, v["mf"].epsilon_max) == (0.702, 0.475)
    assert (v["shrub"].ndvi_max, v["shrub"].epsilon_max) == (0.636, 0.429)
    assert all(c.ndvi_min == 0.023 for c in v.values() if c.has_npp)
    assert not v["water"].has_npp and not v["ice"].has_npp


def test_glc_fcs30_codes():
    lk = load_code_table()
    codes = np.array([10, 20, 51, 62, 71, 82, 92, 121, 130, 185, 190, 202, 210, 220, 250])
    nmin, nmax, eps = lk.parameters(codes)
    # cropland 0.542; ebf 0.985; dbf 0.692; enf 0.389; dnf 0.485; mf 0.475; shrub 0.429; grass, wetland,
    # impervious, bare 0.542; water, ice, fill -> no NPP
    expected = [0.542, 0.542, 0.985, 0.692, 0.389, 0.485, 0.475, 0.429, 0.542, 0.542, 0.542, 0.542]
    np.testing.assert_allclose(eps[:12], expected, rtol=1e-6)
    assert np.isnan(eps[12:]).all()
    assert lk.missing_codes(np.array([10, 11, 99, 255])) == [99, 255]


def test_bad_vegetation_table(tmp_path):
    p = tmp_path / "veg.csv"
    p.write_text("key,name,ndvi_min,ndvi_max,epsilon_max,npp\nx,X,0.7,0.2,0.5,yes\n")
    with pytest.raises(CasaInputError, match="ndvi_min < ndvi_max"):
        load_vegetation_table(p)
    p.write_text("key,name\nx,X\n")
    with pytest.raises(CasaInputError, match="lacks the column"):
        load_vegetation_table(p)


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
        cover[w.row_off:w.row_off + w.height, w.col_off:w.col_off + w.width] += 1
    assert (cover == 1).all()

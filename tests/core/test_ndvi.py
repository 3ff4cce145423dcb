"""MODIS 16-day VI composites to monthly maximum NDVI on the model grid."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject

from casa_nep_plugin.core.composites import find_composites
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import ModelGrid, grid_from_extent
from casa_nep_plugin.core.model import Callbacks
from casa_nep_plugin.core.ndvi import VIScaling, run_ndvi_composite
from tests.conftest import shared_file
from tests.rasters import read, write

#: The MODIS sinusoidal projection (sphere of radius 6371007.181 m) and tile h28v06's corner.
SINU = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
CELL = 231.656358263889
H28V06 = (-20015109.354 + 28 * 1111950.5197, 10007554.677 - 6 * 1111950.5197)


class Log(Callbacks):
    def __init__(self):
        self.infos, self.warnings = [], []
        super().__init__(info=self.infos.append, warning=self.warnings.append)


def tile(path, data, origin=H28V06, nodata=-3000, dtype="int16"):
    transform = Affine(CELL, 0, origin[0], 0, -CELL, origin[1])
    return write(path, np.asarray(data).astype(dtype), crs=SINU, transform=transform, nodata=nodata)


def numpy_monthly_max(stack, months, scale=0.0001, fill=-3000, lo=-2000, hi=10000):
    """The method written out: mask, scale, maximum of each month's composites, count."""
    labels = sorted(set(months))
    out, count = [], []
    for m in labels:
        sel = stack[[i for i, x in enumerate(months) if x == m]].astype(float)
        ok = np.isfinite(sel) & (sel != fill) & (sel >= lo) & (sel <= hi)
        v = np.where(ok, sel * scale, -np.inf).max(axis=0)
        out.append(np.where(ok.any(axis=0), v, np.nan))
        count.append(ok.sum(axis=0))
    return labels, np.array(out), np.array(count)


# -- real files ---------------------------------------------------------------------------------


def test_real_sinop_23_dates_against_numpy(tmp_path):
    folder = shared_file("modis_ndvi", "mod13q1_sinop_brazil_50px_2013-2014")
    files = sorted(glob.glob(str(folder / "*.tif")))
    assert len(files) == 23
    stack = np.stack([rasterio.open(f).read(1) for f in files])
    months = [os.path.basename(f)[-14:-7] for f in files]
    labels, expected, count = numpy_monthly_max(stack, months)
    out, cnt = tmp_path / "ndvi.tif", tmp_path / "count.tif"
    run_ndvi_composite([str(folder)], str(out), count_output=str(cnt))
    assert labels == [f"2013-{m:02d}" for m in range(9, 13)] + [f"2014-{m:02d}" for m in range(1, 9)]
    with rasterio.open(out) as ds, rasterio.open(files[0]) as src:
        assert ds.descriptions == tuple(labels)
        assert ds.transform == src.transform and ds.crs == src.crs
    np.testing.assert_allclose(read(out), expected, rtol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(read(cnt), count)
    assert read(cnt)[1].max() == 1  # October 2013 holds one composite (10-16); the others two


def test_real_sinop_onto_a_utm_model_grid(tmp_path):
    folder = shared_file("modis_ndvi", "mod13q1_sinop_brazil_50px_2013-2014")
    files = sorted(glob.glob(str(folder / "*.tif")))
    stack = np.stack([rasterio.open(f).read(1) for f in files])
    _, expected, _ = numpy_monthly_max(stack, [os.path.basename(f)[-14:-7] for f in files])
    with rasterio.open(files[0]) as src:
        src_crs, src_transform = src.crs, src.transform
    grid = grid_from_extent((-55.70, -11.80, -55.62, -11.72), "EPSG:32721", 250, extent_crs="EPSG:4326")
    run_ndvi_composite([str(folder)], str(tmp_path / "ndvi.tif"), grid=grid)
    whole = np.full((12, grid.height, grid.width), np.nan, np.float32)
    reproject(
        expected.astype(np.float32),
        whole,
        src_transform=src_transform,
        src_crs=src_crs,
        src_nodata=np.nan,
        dst_transform=grid.transform,
        dst_crs=grid.crs,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    got = read(tmp_path / "ndvi.tif")
    np.testing.assert_allclose(got, whole, atol=1e-5, equal_nan=True)
    assert np.isfinite(got).mean() > 0.9 and got.shape == (12, grid.height, grid.width)


def test_real_netherlands_monthly_stack(tmp_path):
    path = shared_file("modis_ndvi", "mod13a3_netherlands_2014", "MOD13A3_NDVI_2014_monthly_h18v03_NL.tif")
    run_ndvi_composite([str(path)], str(tmp_path / "ndvi.tif"))
    with rasterio.open(path) as src:
        raw = src.read(masked=True)
    expected = np.where(raw.mask, np.nan, raw.filled(0) * 0.0001)
    with rasterio.open(tmp_path / "ndvi.tif") as ds:
        assert ds.descriptions == tuple(f"2014-{m:02d}" for m in range(1, 13))
    np.testing.assert_allclose(read(tmp_path / "ndvi.tif"), expected, rtol=1e-6, equal_nan=True)


def test_real_jpeg2000_folder_equals_the_stack_and_out_of_range_is_nodata(tmp_path):
    folder = shared_file("modis_ndvi", "mod13q1_sinop_h12v10_255x147_2013-2014")
    stack_path = folder / "derived_MOD13Q1_NDVI_Sinop_12dates_stack.tif"
    jp2 = sorted(glob.glob(str(folder / "*.jp2")))
    run_ndvi_composite(jp2, str(tmp_path / "a.tif"))
    run_ndvi_composite([str(stack_path)], str(tmp_path / "b.tif"))  # dates from band descriptions
    a, b = read(tmp_path / "a.tif"), read(tmp_path / "b.tif")
    np.testing.assert_array_equal(a, b)
    raw = rasterio.open(stack_path).read()
    assert (raw > 10000).any() and (raw < -2000).any()  # lossy JPEG2000 overshoots the valid range
    assert np.isnan(a[(raw > 10000) | (raw < -2000)]).all()
    ok = (raw >= -2000) & (raw <= 10000)
    np.testing.assert_allclose(a[ok], raw[ok] * 0.0001, rtol=1e-6)


# -- generated composites: masks, reliability, gaps, tiles --------------------------------------------


def test_reliability_masking_modes(tmp_path):
    # three January composites (AppEEARS names, reliability files beside them): cell values
    # 0.5 (reliability 0 good), 0.7 (1 marginal), 0.9 (3 cloudy)
    folder = tmp_path / "in"
    folder.mkdir()
    for doy, v, rel in ((1, 5000, 0), (9, 7000, 1), (17, 9000, 3)):
        tile(folder / f"MOD13Q1.061__250m_16_days_NDVI_doy2021{doy:03d}_aid0001.tif", np.full((4, 5), v))
        tile(
            folder / f"MOD13Q1.061__250m_16_days_pixel_reliability_doy2021{doy:03d}_aid0001.tif",
            np.full((4, 5), rel),
            nodata=-1,
            dtype="int8",
        )
    comps = find_composites([str(folder)])
    assert len(comps) == 3 and all(c.reliability for c in comps)
    for mode, expected in (("good", 0.5), ("good_marginal", 0.7), ("none", 0.9)):
        run_ndvi_composite(
            [str(folder)],
            str(tmp_path / f"{mode}.tif"),
            reliability_mode=mode,
            count_output=str(tmp_path / f"{mode}_n.tif"),
        )
        np.testing.assert_allclose(read(tmp_path / f"{mode}.tif"), expected, rtol=1e-6)
    assert (read(tmp_path / "good_n.tif") == 1).all() and (read(tmp_path / "none_n.tif") == 3).all()


def test_fill_range_and_months_without_a_valid_composite_stay_nodata(tmp_path):
    a = np.full((4, 5), 6000)
    a[0, 0] = -3000  # fill
    a[0, 1] = 12000  # above the valid range
    b = np.full((4, 5), 4000)
    b[0, 0] = -3000
    files = [
        tile(tmp_path / "x_2021-01-01.tif", a),
        tile(tmp_path / "x_2021-01-17.tif", b),
        tile(tmp_path / "x_2021-03-06.tif", np.full((4, 5), 3000)),
    ]  # no composite in February
    log = Log()
    run_ndvi_composite(files, str(tmp_path / "n.tif"), count_output=str(tmp_path / "c.tif"), callbacks=log)
    got, cnt = read(tmp_path / "n.tif"), read(tmp_path / "c.tif")
    assert got.shape[0] == 3
    assert np.isnan(got[0, 0, 0]) and cnt[0, 0, 0] == 0  # invalid in both January composites: nodata, not 0
    assert got[0, 0, 1] == pytest.approx(0.4) and cnt[0, 0, 1] == 1  # 12000 dropped, 4000 kept
    assert got[0, 1, 1] == pytest.approx(0.6) and cnt[0, 1, 1] == 2
    assert np.isnan(got[1]).all() and (cnt[1] == 0).all()  # February: no composite
    np.testing.assert_allclose(got[2], 0.3, rtol=1e-6)
    assert any("2021-02" in w for w in log.warnings)
    with rasterio.open(tmp_path / "n.tif") as ds:
        assert ds.descriptions == ("2021-01", "2021-02", "2021-03")


def test_two_tiles_mosaic_onto_one_model_grid(tmp_path):
    # two neighbouring 20 x 20 tiles (0.3 and 0.6), composited and resampled onto a grid across the seam
    left = tile(tmp_path / "a_A2021001.tif", np.full((20, 20), 3000))
    right = tile(tmp_path / "b_A2021001.tif", np.full((20, 20), 6000), origin=(H28V06[0] + 20 * CELL, H28V06[1]))
    with pytest.raises(CasaInputError, match="2 different grids"):
        run_ndvi_composite([left, right], str(tmp_path / "x.tif"))
    grid = ModelGrid(
        CRS.from_user_input(SINU), Affine(CELL, 0, H28V06[0] + 5 * CELL, 0, -CELL, H28V06[1] - 2 * CELL), 30, 10
    )
    run_ndvi_composite([left, right], str(tmp_path / "m.tif"), grid=grid, resampling="nearest")
    got = read(tmp_path / "m.tif")[0]
    np.testing.assert_allclose(got[:, :15], 0.3, rtol=1e-6)
    np.testing.assert_allclose(got[:, 15:], 0.6, rtol=1e-6)


def test_wrong_scale_and_undated_bands_are_clear_errors(tmp_path):
    f = tile(tmp_path / "x_2021-01-01.tif", np.full((4, 5), 6000))
    with pytest.raises(CasaInputError, match="SCALE.*reaches 6000"):
        run_ndvi_composite([f], str(tmp_path / "n.tif"), scaling=VIScaling(scale=1.0))
    assert not (tmp_path / "n.tif").exists()
    stack = write(tmp_path / "stack.tif", np.full((3, 4, 5), 5000, np.int16), crs=SINU)
    with pytest.raises(CasaInputError, match="stack.tif' has 3 bands but no date for band"):
        run_ndvi_composite([stack], str(tmp_path / "n.tif"))
    undated = tile(tmp_path / "ndvi.tif", np.full((4, 5), 6000))
    with pytest.raises(CasaInputError, match="cannot tell the date of 'ndvi.tif'"):
        run_ndvi_composite([undated], str(tmp_path / "n.tif"))
    with pytest.raises(CasaInputError, match="does not exist"):
        run_ndvi_composite([str(tmp_path / "nope")], str(tmp_path / "n.tif"))


def test_model_grid_far_from_the_composites_is_an_error(tmp_path):
    f = tile(tmp_path / "x_2021-01-01.tif", np.full((4, 5), 6000))
    far = grid_from_extent((0, 0, 1000, 1000), "EPSG:32649", 250)
    with pytest.raises(CasaInputError, match="overlaps the model grid"):
        run_ndvi_composite([f], str(tmp_path / "n.tif"), grid=far)


def test_an_extent_alone_cuts_the_composites_grid(tmp_path):
    files = [
        tile(tmp_path / f"x_2021-01-{d:02d}.tif", np.arange(20 * 30).reshape(20, 30) + 1000 * k)
        for k, d in enumerate((1, 17))
    ]
    run_ndvi_composite(files, str(tmp_path / "all.tif"))
    # in the composites' own (sinusoidal) coordinates: cells 5..15 across, 2..8 down
    ext = (H28V06[0] + 5 * CELL, H28V06[1] - 8 * CELL, H28V06[0] + 15 * CELL, H28V06[1] - 2 * CELL)
    run_ndvi_composite(files, str(tmp_path / "cut.tif"), extent=ext)
    np.testing.assert_array_equal(read(tmp_path / "cut.tif"), read(tmp_path / "all.tif")[:, 2:8, 5:15])


def test_gap_fill_linear_fills_february_and_counts_it(tmp_path):
    # January 0.6 (0.4 at [0, 1]; nothing at [0, 0]), no composite in February, March 0.3: linear fill of
    # February = (January + March) / 2 = 0.45 (0.35 at [0, 1]); [0, 0] has January missing too, so its gap has no
    # valid month before it and stays nodata
    a = np.full((4, 5), 6000)
    a[0, 0] = -3000
    a[0, 1] = 4000
    files = [tile(tmp_path / "x_2021-01-01.tif", a), tile(tmp_path / "x_2021-03-06.tif", np.full((4, 5), 3000))]
    log = Log()
    out = run_ndvi_composite(
        files,
        str(tmp_path / "n.tif"),
        gap_fill="linear",
        max_gap=2,
        filled_output=str(tmp_path / "f.tif"),
        callbacks=log,
    )
    got, filled = read(out["ndvi"]), read(out["filled"])
    np.testing.assert_allclose(got[1, 1:, :], 0.45, rtol=1e-6)
    assert got[1, 0, 1] == pytest.approx(0.35, rel=1e-6)
    assert np.isnan(got[:2, 0, 0]).all() and got[2, 0, 0] == pytest.approx(0.3)
    assert filled.shape == (1, 4, 5) and filled[0, 0, 0] == 0 and filled.sum() == 19  # one year, 19 cells
    with rasterio.open(out["ndvi"]) as ds:
        import json

        meta = json.loads(ds.tags()["casanep_gap_fill"])
        assert meta["filled_cell_months"] == 19 and meta["per_month"]["2021-02"] == 19 and meta["max_gap"] == 2
    assert not os.path.exists(out["ndvi"] + ".aux.xml")
    assert any("19 cell-months filled" in m for m in log.infos)
    # MAX_GAP 0 fills nothing; GAP_FILL none is the default and leaves February empty
    none = read(run_ndvi_composite(files, str(tmp_path / "z.tif"), gap_fill="linear", max_gap=0)["ndvi"])
    assert np.isnan(none[1]).all()
    with pytest.raises(CasaInputError, match="FILLED_OUTPUT"):
        run_ndvi_composite(files, str(tmp_path / "y.tif"), filled_output=str(tmp_path / "g.tif"))

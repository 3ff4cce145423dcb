"""Validation statistics (METHOD.md section 5) on hand-worked, constructed and real data."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.validate import agreement, scatter_plot, validate_npp, write_points
from tests.conftest import shared_file
from tests.rasters import months_of, write


def test_agreement_hand_worked():
    # x = 1,2,3,4; y = 2,4,5,4: means 2.5 and 3.75; Sxx = 5, Syy = 4.75, Sxy = 3.5
    # slope = 3.5/5 = 0.7; intercept = 3.75 - 0.7*2.5 = 2.0; R2 = 3.5^2/(5*4.75) = 0.5157895
    # RMSE = sqrt(mean(1, 4, 4, 0)) = 1.5; bias = mean(1, 2, 2, 0) = 1.25
    r2, rmse, bias, slope, intercept = agreement([1, 2, 3, 4], [2, 4, 5, 4])
    assert (slope, intercept) == (pytest.approx(0.7), pytest.approx(2.0))
    assert r2 == pytest.approx(0.5157895, rel=1e-6)
    assert (rmse, bias) == (pytest.approx(1.5), pytest.approx(1.25))


def hawaii(year=2015):
    return str(shared_file("npp_mod17a3_hawaii", f"hawaii_npp_{year}.tif"))


def test_same_file_gives_perfect_agreement():
    ref = hawaii()
    # the Hawaii files hold kgC m-2 a-1 x 10000 as float32 with NaN outside land: scale 0.1 -> gC m-2 a-1
    res = validate_npp(ref, ref, npp_scale=0.1, sample_size=2395, seed=1)
    assert res.n == 2395
    assert res.r2 == pytest.approx(1.0) and res.rmse == 0.0 and res.bias == 0.0
    assert res.slope == pytest.approx(1.0) and res.intercept == pytest.approx(0.0, abs=1e-6)
    # sampled values are plausible NPP in gC m-2 a-1 (MOD17 tops out near 3000)
    assert 0 < res.x.min() and res.x.max() < 3300


def constructed(tmp_path, r2_target=0.64):
    """y = x + k z with z orthogonal to x over the valid cells: R2 = var(x)/(var(x) + k^2 var(z))."""
    ref = hawaii()
    with rasterio.open(ref) as ds:
        x = ds.read(1).astype(np.float64) * 0.1
        profile = ds.profile
    valid = np.isfinite(x)
    xv = x[valid]
    rng = np.random.default_rng(0)
    z = rng.normal(size=xv.size)
    z -= z.mean()
    xc = xv - xv.mean()
    z -= (z @ xc) / (xc @ xc) * xc  # orthogonal to x, still zero-mean
    k = np.sqrt(xc.var() * (1 / r2_target - 1) / z.var())
    y = np.full(x.shape, np.nan)
    y[valid] = xv + k * z
    path = tmp_path / "pred.tif"
    profile.update(dtype="float64", nodata=np.nan)
    with rasterio.open(path, "w", **profile) as out:
        out.write(y, 1)
    return ref, str(path), k * z.std(), xv.size


def test_constructed_prediction_with_known_r2(tmp_path):
    ref, pred, rmse, total = constructed(tmp_path)
    # every valid cell (sample larger than the count): the statistics are exactly the constructed ones
    res = validate_npp(pred, ref, sample_size=10**7)
    assert res.n == total
    assert res.r2 == pytest.approx(0.64, abs=1e-6)
    assert res.rmse == pytest.approx(rmse, rel=1e-6)  # RMSE = k*std(z), bias 0, slope 1, intercept 0
    assert res.bias == pytest.approx(0.0, abs=1e-6)
    assert res.slope == pytest.approx(1.0, abs=1e-6)
    # the study's sample size: R2 of a random sample of 2395 cells lies near 0.64 (sampling s.e. about 0.012)
    sample = validate_npp(pred, ref, sample_size=2395, seed=42)
    assert sample.n == 2395 and sample.r2 == pytest.approx(0.64, abs=0.05)
    # the same seed draws the same cells
    again = validate_npp(pred, ref, sample_size=2395, seed=42)
    np.testing.assert_array_equal(sample.x, again.x)


def test_mod17_fill_codes_masked_and_monthly_stack_summed(tmp_path):
    # reference: int16 counts; 32761..32767 are flags. CASA: a monthly stack, each month 1/12 of 500 gC.
    ref = np.array([[5000, 32761, 4000], [32767, 6000, 3000]], np.int16)  # x 0.1 -> 500, -, 400, -, 600, 300
    ref_path = write(tmp_path / "ref.tif", ref, nodata=None)
    monthly = np.repeat((np.array([[500, 1, 420], [1, 600, 330]], np.float32) / 12)[None], 12, axis=0)
    casa = write(tmp_path / "casa.tif", monthly, months_of([2021]))
    res = validate_npp(casa, ref_path, sample_size=100)
    assert res.n == 4 and res.year == "2021"
    # pairs (500,500), (400,420), (600,600), (300,330): bias = (0+20+0+30)/4 = 12.5
    assert res.bias == pytest.approx(12.5, rel=1e-5)
    assert sorted(res.x) == pytest.approx([300, 400, 500, 600])
    pts = write_points(res, str(tmp_path / "pts.gpkg"))
    import geopandas as gpd

    df = gpd.read_file(pts)
    assert len(df) == 4 and set(df.columns) >= {"reference_npp", "casa_npp", "difference"}
    png = scatter_plot(res, str(tmp_path / "plot.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_bad_year_and_no_overlap(tmp_path):
    casa = write(tmp_path / "casa.tif", np.ones((12, 2, 2), np.float32), months_of([2021]))
    ref = write(tmp_path / "ref.tif", np.ones((2, 2), np.int16) * 100, nodata=None)
    with pytest.raises(CasaInputError) as err:
        validate_npp(casa, ref, year="2020")
    assert err.value.parameter == "YEAR"
    from rasterio.transform import from_origin

    far = write(tmp_path / "far.tif", np.ones((2, 2), np.int16), nodata=None, transform=from_origin(0, 0, 250, 250))
    with pytest.raises(CasaInputError) as err:
        validate_npp(casa, far)
    assert err.value.parameter == "REFERENCE" and "overlap" in str(err.value)


def test_casa_is_aggregated_to_the_reference_grid_by_the_mean(tmp_path):
    from rasterio.transform import from_origin

    # CASA at 250 m (4 x 4), reference at 500 m (2 x 2) over the same extent: each reference cell
    # holds 4 CASA cells; their means are worked by hand below. One CASA cell is nodata.
    casa = np.array([[100, 200, 300, 300], [300, 400, 300, 300], [0, 0, 50, -9999], [0, 40, 50, 50]], np.float32)
    t250, t500 = from_origin(730000, 2565000, 250, 250), from_origin(730000, 2565000, 500, 500)
    c = write(tmp_path / "casa.tif", casa, transform=t250)
    ref = write(tmp_path / "ref.tif", np.array([[2500, 3000], [100, 500]], np.int16), nodata=None, transform=t500)
    res = validate_npp(c, ref, sample_size=10)
    got = dict(zip(np.round(res.x, 3), np.round(res.y, 3)))
    # means: (100+200+300+400)/4 = 250; 300; (0+0+0+40)/4 = 10; (50+50+50)/3 = 50 (nodata left out)
    assert got == {250.0: 250.0, 300.0: 300.0, 10.0: 10.0, 50.0: 50.0}
    assert res.rmse == pytest.approx(0.0, abs=1e-4)

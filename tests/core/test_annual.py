"""Annual totals and the sink/warning/source map (METHOD.md section 3)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from casa_nep_plugin.core import balance
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.model import run_annual
from tests.rasters import months_of, read, write


def test_sink_source_classes_hand_worked():
    npp = np.array([100.0, 100.0, 100.0, 100.0, 100.0, 0.0, -5.0, np.nan, 100.0])
    rh = np.array([50.0, 79.9, 80.0, 100.0, 100.1, 20.0, 10.0, 10.0, np.nan])
    got = balance.sink_source_class(npp, rh, 80.0)
    # ratios 50 (sink), 79.9 (sink), 80 (warning: threshold inclusive), 100 (warning), 100.1 (source);
    # NPP <= 0 with RH > 0 -> source; NaN inputs -> NaN
    np.testing.assert_array_equal(got[:7], [1, 1, 2, 2, 3, 3, 3])
    assert np.isnan(got[7:]).all()
    # another threshold moves the warning band: 60 % -> 79.9 becomes a warning
    assert balance.sink_source_class(100.0, 79.9, 60.0) == 2


def test_run_annual_against_direct_sums(tmp_path):
    rng = np.random.default_rng(5)
    months = months_of([2021, 2022])
    npp = rng.uniform(0, 90, (24, 4, 5)).astype(np.float32)
    rh = rng.uniform(20, 70, (24, 4, 5)).astype(np.float32)
    npp[3, 0, 0] = np.nan  # one missing month -> that cell's 2021 is nodata
    a = write(tmp_path / "npp.tif", np.nan_to_num(npp, nan=-9999), months)
    b = write(tmp_path / "rh.tif", rh, months)
    outs = {k: str(tmp_path / f"{k}.tif") for k in ("n", "r", "e", "q", "c")}
    run_annual(a, b, outs["n"], outs["r"], outs["e"], outs["q"], outs["c"], threshold=80)
    n64, r64 = npp.astype(np.float64), rh.astype(np.float64)
    exp_n = np.stack([n64[:12].sum(0), n64[12:].sum(0)])  # NaN propagates where a month is missing
    exp_r = np.stack([r64[:12].sum(0), r64[12:].sum(0)])
    got_n, got_r, got_e, got_q, got_c = (read(outs[k]) for k in ("n", "r", "e", "q", "c"))
    np.testing.assert_allclose(got_n, exp_n, rtol=1e-6)
    assert np.isnan(got_n[0, 0, 0]) and np.isfinite(got_n[1, 0, 0])
    np.testing.assert_allclose(got_r, exp_r, rtol=1e-6)
    np.testing.assert_allclose(got_e, exp_n - exp_r, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(got_q, 100 * exp_r / exp_n, rtol=1e-5)
    expect_c = np.where(100 * exp_r / exp_n < 80, 1, np.where(100 * exp_r / exp_n <= 100, 2, 3))
    valid = np.isfinite(exp_n)
    np.testing.assert_array_equal(got_c[valid], expect_c[valid])
    with rasterio.open(outs["c"]) as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 0 and list(ds.descriptions) == ["2021", "2022"]
    with rasterio.open(outs["n"]) as ds:
        assert ds.tags()["units"] == "gC m-2 a-1"


def test_run_annual_bad_threshold_and_nothing_asked(tmp_path):
    months = months_of([2021])
    a = write(tmp_path / "a.tif", np.ones((12, 2, 2), np.float32), months)
    with pytest.raises(CasaInputError) as err:
        run_annual(a, a, class_output=str(tmp_path / "c.tif"), threshold=150)
    assert err.value.parameter == "THRESHOLD" and not (tmp_path / "c.tif").exists()
    with pytest.raises(CasaInputError) as err:
        run_annual(a, a)
    assert err.value.parameter == "OUTPUT"

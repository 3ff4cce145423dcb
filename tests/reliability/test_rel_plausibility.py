"""Implausible input values are refused with the fix, Inf is nodata (core.plausibility).

Unit tests on small hand-made blocks (the expected outcome is read off the
values), then the model-level cases the lead wires into run_npp's main pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.plausibility import (
    check_month_order,
    check_ndvi,
    check_non_negative,
    check_same_periods,
    check_temperature,
    check_valid_result,
    replace_inf,
)
from tests.reliability.helpers import checksums, copy_sample, leftovers, npp_kwargs, old_output, rewrite, sha

MONTHS = ["2021-01", "2021-02", "2021-03"]


def block(values) -> np.ndarray:
    """(bands, 1, n) float32 from a list of per-band lists."""
    return np.asarray(values, dtype=np.float32)[:, None, :]


# --- units ------------------------------------------------------------------------------
def test_negative_precipitation_and_solar_radiation_are_errors():
    with pytest.raises(CasaInputError) as err:
        check_non_negative(block([[1, 2], [3, -5]]), "PRECIPITATION", "precipitation", "mm month-1", MONTHS)
    assert err.value.parameter == "PRECIPITATION"
    assert "band 2 (2021-02)" in err.value.message and "-5" in err.value.message
    with pytest.raises(CasaInputError) as err:
        check_non_negative(block([[-0.5, 2]]), "SOLAR_RADIATION", "solar radiation", "MJ m-2 month-1")
    assert err.value.parameter == "SOLAR_RADIATION"
    # rounding noise of accumulated fields (> -0.001) becomes 0; NaN (nodata) stays
    b = block([[-1e-5, np.nan, 4]])
    out = check_non_negative(b, "PRECIPITATION", "precipitation", "mm month-1")
    assert out[0, 0, 0] == 0 and np.isnan(out[0, 0, 1]) and out[0, 0, 2] == 4


def test_temperature_outside_minus_60_to_60_suggests_the_fix():
    with pytest.raises(CasaInputError) as err:
        check_temperature(block([[290.0, 300.0], [280.0, 295.0]]), "TEMPERATURE", MONTHS)
    assert err.value.parameter == "TEMPERATURE" and "Kelvin" in err.value.message and "273.15" in err.value.message
    with pytest.raises(CasaInputError) as err:
        check_temperature(block([[20.0, -9999.0]]), "TEMPERATURE")
    assert "nodata" in err.value.message and "-9999" in err.value.message
    with pytest.raises(CasaInputError) as err:
        check_temperature(block([[20.0, 75.0]]), "TEMPERATURE")  # e.g. Fahrenheit
    assert "[-60, 60]" in err.value.message
    ok = block([[-60.0, 60.0, np.nan]])
    assert check_temperature(ok, "TEMPERATURE") is ok


def test_ndvi_fill_values_without_declared_nodata():
    scale = 0.0001
    raw = np.array([[5000, -3000, 7000]], dtype=np.float32)[:, None, :]
    scaled = raw * np.float32(scale)  # as RasterInput.read scales
    with pytest.raises(CasaInputError) as err:
        check_ndvi(scaled, "NDVI", scale, nodata_declared=False, months=MONTHS)
    assert err.value.parameter == "NDVI" and "-3000" in err.value.message
    assert "a_nodata -3000" in err.value.message
    # declared nodata: -0.3 is an ordinary (if low) NDVI
    assert check_ndvi(scaled, "NDVI", scale, nodata_declared=True) is scaled
    # MODIS integers without scaling: ask for NDVI_SCALE
    with pytest.raises(CasaInputError, match="NDVI_SCALE=0.0001"):
        check_ndvi(block([[5000, 7000]]), "NDVI", 1.0, nodata_declared=True)
    # out of range, no nodata declared, not MODIS-like: suggest nodata / NDVI_SCALE
    with pytest.raises(CasaInputError) as err:
        check_ndvi(block([[0.5, 1.7]]), "NDVI", 1.0, nodata_declared=False)
    assert "declares no nodata" in err.value.message and "NDVI_SCALE" in err.value.message
    assert check_ndvi(block([[-1.0, 1.0, np.nan]]), "NDVI", 1.0, nodata_declared=False) is not None


def test_inf_is_nodata_with_a_count():
    b = block([[1.0, np.inf, -np.inf, np.nan]])
    out, n = replace_inf(b)
    assert n == 2 and np.isnan(out[0, 0, 1:]).all() and out[0, 0, 0] == 1.0
    # after cleaning, Inf is no longer taken for Kelvin or an NDVI scale problem
    check_temperature(out, "TEMPERATURE")
    check_ndvi(out, "NDVI", 1.0, nodata_declared=True)
    _, n = replace_inf(block([[1.0, 2.0]]))
    assert n == 0


def test_month_order_names_the_first_offending_band():
    assert check_month_order(["2021-01", "2021-02", "2021-04"], "NDVI") == ["2021-01", "2021-02", "2021-04"]
    with pytest.raises(CasaInputError) as err:
        check_month_order(["2021-01", "2021-03", "2021-02"], "TEMPERATURE", "/x/t.tif")
    assert err.value.parameter == "TEMPERATURE"
    assert "band 3" in err.value.message and "2021-02" in err.value.message and "'t.tif'" in err.value.message
    with pytest.raises(CasaInputError) as err:
        check_month_order(["2021-01", "2021-02", "2021-02"], "NDVI")
    assert "band 3" in err.value.message and "same month as band 2" in err.value.message
    with pytest.raises(CasaInputError, match="band 2"):
        check_month_order(["2022-01", "2021-12"], "NDVI")  # years count too


def test_same_periods_of_flux_stacks():
    m12 = [f"2021-{m:02d}" for m in range(1, 13)]
    m24 = m12 + [f"2022-{m:02d}" for m in range(1, 13)]
    check_same_periods([("NPP", "n.tif", m12), ("RH", "r.tif", m12)])
    with pytest.raises(CasaInputError) as err:
        check_same_periods([("NPP", "n.tif", m12), ("RH", "r.tif", m24)])
    assert err.value.parameter == "RH" and "24 bands" in err.value.message and "has 12" in err.value.message
    shifted = [f"2022-{m:02d}" for m in range(1, 13)]
    with pytest.raises(CasaInputError) as err:
        check_same_periods([("NPP", "n.tif", m12), ("RH", "r.tif", m12), ("NEP", "e.tif", shifted)])
    assert err.value.parameter == "NEP" and "band 1" in err.value.message and "2022-01" in err.value.message
    check_same_periods([("NPP", "n.tif", m12), ("RH", "r.tif", [""] * 12)])  # undescribed: by count


def test_no_valid_cell_is_an_error():
    check_valid_result(1, "OUTPUT", "NPP")
    with pytest.raises(CasaInputError) as err:
        check_valid_result(0, "OUTPUT", "NPP", "NDVI has no valid cell.")
    assert err.value.parameter == "OUTPUT" and "existing file is kept" in err.value.message


# --- the model, once wired -------------------------------------------------------------------
def _model_case(tmp_path, key: str, fn=None, **rw):
    """run_npp with one input rewritten; returns (error, inputs' checksums before, after, out, kept)."""
    from casa_nep_plugin.core.model import run_npp

    s = copy_sample(tmp_path / "in")
    bad = str(tmp_path / "in" / f"bad_{key}.tif")
    rewrite(s[key], bad, fn, **rw)
    s[key] = bad
    before = checksums(s.values())
    out = tmp_path / "npp.tif"
    kept = old_output(out)
    with pytest.raises(CasaInputError) as err:
        run_npp(output=str(out), **npp_kwargs(s))
    assert sha(out) == kept, "the earlier output was lost"
    assert checksums(s.values()) == before, "an input changed"
    assert leftovers(tmp_path) == []
    return err.value


def test_model_negative_precipitation(tmp_path):
    err = _model_case(tmp_path, "p", lambda d: np.where(np.arange(d.shape[0])[:, None, None] == 3, -20.0, d))
    assert err.parameter == "PRECIPITATION" and "negative" in err.message


def test_model_temperature_in_fahrenheit(tmp_path):
    err = _model_case(tmp_path, "t", lambda d: np.where(d > -9000, d * 1.8 + 32, d))
    assert err.parameter == "TEMPERATURE" and "[-60, 60]" in err.message


def test_model_ndvi_fill_without_nodata(tmp_path):
    # the sample's NDVI is MODIS-like int16 with nodata -3000: drop the declaration, keep the fill cells
    def fill(d):
        d = d.copy()
        d[:, :5, :5] = -3000
        return d

    err = _model_case(tmp_path, "ndvi", fill, nodata=None)
    assert err.parameter == "NDVI" and "-3000" in err.message and "nodata" in err.message


def test_model_months_out_of_order(tmp_path):
    from tests.rasters import months_of

    m = months_of([2021, 2022])
    m[4], m[5] = m[5], m[4]
    # NDVI is the reference stack: its own order must be checked (today the others are compared to it)
    err = _model_case(tmp_path, "ndvi", descriptions=m)
    assert err.parameter == "NDVI" and "band 6" in err.message


def test_model_no_crs_is_refused(tmp_path):
    err = _model_case(tmp_path, "p", crs=None)
    assert err.parameter == "PRECIPITATION" and "coordinate reference system" in err.message


def test_model_all_nodata_ndvi_keeps_the_previous_file(tmp_path):
    err = _model_case(tmp_path, "ndvi", lambda d: np.full_like(d, -3000))
    assert err.parameter in ("OUTPUT", "NDVI") and ("no cell" in err.message or "no valid cell" in err.message)


def test_model_inf_is_nodata_with_one_warning(tmp_path):
    from casa_nep_plugin.core.engine import Callbacks
    from casa_nep_plugin.core.model import run_npp
    from tests.rasters import read

    s = copy_sample(tmp_path / "in")
    bad = str(tmp_path / "in" / "t_inf.tif")
    rewrite(s["t"], bad, lambda d: np.where(np.arange(d.size).reshape(d.shape) % 7 == 0, np.inf, d))
    s["t"] = bad
    warnings: list[str] = []
    out = tmp_path / "npp.tif"
    run_npp(output=str(out), callbacks=Callbacks(warning=warnings.append), **npp_kwargs(s))
    inf_warnings = [w for w in warnings if "Inf" in w or "infinite" in w]
    assert len(inf_warnings) == 1 and inf_warnings[0].startswith("TEMPERATURE")
    assert np.isfinite(read(out)).any()


def test_screen_is_the_checks_in_one_pass():
    from casa_nep_plugin.core.plausibility import screen

    ok = block([[0.2, np.nan, 0.8]])
    assert screen(ok, "ndvi", "NDVI") == (ok, 0)
    out, n = screen(block([[0.2, np.inf, 0.8]]), "ndvi", "NDVI")
    assert n == 1 and np.isnan(out[0, 0, 1])
    out, n = screen(block([[20.0, -np.inf]]), "temperature", "TEMPERATURE")  # not "Kelvin"
    assert n == 1
    out, n = screen(block([[3.0, np.inf, -1e-5]]), "precipitation", "PRECIPITATION")
    assert n == 1 and out[0, 0, 2] == 0
    assert screen(block([[1e30, -np.inf]]), "other", "EVAPOTRANSPIRATION")[1] == 1
    with pytest.raises(CasaInputError, match="Kelvin"):
        screen(block([[290.0, 295.0]]), "temperature", "TEMPERATURE")
    with pytest.raises(CasaInputError) as err:
        screen(block([[10.0, -2.0]]), "solar_radiation", "SOLAR_RADIATION", MONTHS)
    assert err.value.parameter == "SOLAR_RADIATION"
    fill = np.float32(np.float32(-3000) * np.float32(0.0001))
    with pytest.raises(CasaInputError, match="-3000"):
        screen(block([[0.5, fill]]), "ndvi", "NDVI", scale=0.0001, nodata_declared=False)
    with pytest.raises(CasaInputError, match="NDVI_SCALE=0.0001"):
        screen(block([[5000.0, 7000.0]]), "ndvi", "NDVI")
    with pytest.raises(ValueError):
        screen(ok, "wind", "X")


def test_nep_with_rh_on_another_grid_says_it_resamples(tmp_path):
    from rasterio.transform import from_origin

    from casa_nep_plugin.core.engine import Callbacks
    from casa_nep_plugin.core.model import run_nep
    from tests.rasters import months_of, write

    m = months_of([2021])
    npp = write(
        tmp_path / "npp.tif", np.full((12, 8, 8), 50, np.float32), m, transform=from_origin(500000, 2500000, 100, 100)
    )
    rh = write(
        tmp_path / "rh.tif", np.full((12, 4, 4), 20, np.float32), m, transform=from_origin(500000, 2500000, 200, 200)
    )
    said: list[str] = []
    run_nep(npp, rh, str(tmp_path / "nep.tif"), callbacks=Callbacks(info=said.append, warning=said.append))
    assert any(s.startswith("RH") and "resampled" in s for s in said), said

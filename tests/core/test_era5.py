"""ERA5-Land monthly means to SOL, T, P, E, PET: unit conversions, the reader, real files and edge cases."""

from __future__ import annotations

import os
import warnings
from datetime import datetime, timedelta

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject

from casa_nep_plugin.core import era5
from casa_nep_plugin.core.era5 import MONTHLY_PRODUCT, MONTHLY_PRODUCT_TYPE, run_era5land
from casa_nep_plugin.core.era5_time import days_in_month, decode_cf_times, time_axis
from casa_nep_plugin.core.era5_units import BY_KEY, evaporation_mm, parse_units, solar_radiation_mj, water_mm
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.grid import grid_from_extent
from casa_nep_plugin.core.model import Callbacks
from tests.conftest import shared_file
from tests.rasters import read

netCDF4 = pytest.importorskip("netCDF4")  # noqa: N816 - the module's own name

LAT = np.array([23.0, 22.9, 22.8])  # ERA5 order: north to south, 0.1 degree
LON = np.array([113.0, 113.1, 113.2, 113.3])


def write_nc(
    path,
    fields,
    times,
    *,
    time_name="time",
    units="hours since 1900-01-01 00:00:00.0",
    lat=LAT,
    lon=LON,
    pack=False,
    expver=None,
):
    """A CDS-like NetCDF: fields {name: (data (t, lat, lon) or (t, expver, lat, lon), units or None)}; no CRS."""
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension(time_name, len(times))
        if expver is not None:
            ds.createDimension("expver", len(expver))
            v = ds.createVariable("expver", "i4", ("expver",))
            v[:] = expver
        ds.createDimension("latitude", len(lat))
        ds.createDimension("longitude", len(lon))
        t = ds.createVariable(time_name, "i8", (time_name,))
        t.units, t.calendar, t.standard_name = units, "proleptic_gregorian", "time"
        t[:] = netCDF4.date2num(times, units, "proleptic_gregorian")
        la = ds.createVariable("latitude", "f4", ("latitude",))
        la.units = "degrees_north"
        la[:] = lat
        lo = ds.createVariable("longitude", "f4", ("longitude",))
        lo.units = "degrees_east"
        lo[:] = lon
        dims = (time_name,) + (("expver",) if expver is not None else ()) + ("latitude", "longitude")
        for name, (data, unit) in fields.items():
            data = np.asarray(data, dtype=np.float64)
            if pack:
                lo_, hi_ = np.nanmin(data), np.nanmax(data)
                scale = (hi_ - lo_) / 60000 or 1.0
                offset = (hi_ + lo_) / 2
                v = ds.createVariable(name, "i2", dims, fill_value=-32767)
                v.scale_factor, v.add_offset = scale, offset
            else:
                v = ds.createVariable(name, "f4", dims, fill_value=np.float32(np.nan))
            if unit is not None:
                v.units = unit
            # masked cells become the fill value; their data must still be finite, or numpy 2
            # warns when netCDF4 packs them to int16
            finite = np.isfinite(data)
            v[:] = np.ma.array(np.where(finite, data, 0.0 if not pack else offset), mask=~finite)
    return str(path)


def months_from(year, month, n):
    out = []
    for _ in range(n):
        out.append(datetime(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def field(values, shape=(3, 4)):
    """(t, lat, lon) with one value per time step."""
    return np.array(values, dtype=np.float64)[:, None, None] * np.ones(shape)


class Log(Callbacks):
    def __init__(self):
        self.infos, self.warnings = [], []
        super().__init__(info=self.infos.append, warning=self.warnings.append)


# -- pure conversions (METHOD.md section 6) -------------------------------------------------


def test_days_in_month_gregorian():
    assert [days_in_month(m) for m in ("2017-02", "2020-02", "1900-02", "2000-02", "2021-04", "2021-12")] == [
        28,
        29,
        28,
        29,
        30,
        31,
    ]


def test_conversions_by_hand():
    # 1e6 J m-2 per day for 31 days = 31 MJ m-2 month-1; 2e7 J for 28 days = 560 MJ
    np.testing.assert_allclose(solar_radiation_mj([1e6, 2e7], [31, 28]), [31.0, 560.0])
    # T = t2m - 273.15: the units table's K row (degC passes through)
    factor, offset, _ = parse_units("K", BY_KEY["T"], "t2m", "f.nc")
    np.testing.assert_allclose(np.array([273.15, 300.0, 250.0]) * factor + offset, [0.0, 26.85, -23.15])
    assert parse_units("degC", BY_KEY["T"], "t2m", "f.nc")[:2] == (1.0, 0.0)
    # 1 mm per day (0.001 m) over 30 days = 30 mm
    np.testing.assert_allclose(water_mm(0.001, 30), 30.0)
    # ECMWF evaporation: -0.002 m day-1 (evaporation) -> +62 mm in 31 days; +0.0002 (dew) -> -6 mm in 30
    np.testing.assert_allclose(evaporation_mm([-0.002, 0.0002], [31, 30]), [62.0, -6.0])
    # the variables table routes each output through its conversion: E and PET through evaporation_mm,
    # T (a state) unchanged; per_day turns a per-step accumulation into a per-day one (here 2 steps a day)
    np.testing.assert_allclose(BY_KEY["E"].monthly(np.array([-0.001]), 2.0, 31), [62.0])
    np.testing.assert_allclose(BY_KEY["PET"].monthly(np.array([-0.001]), 2.0, 31), [62.0])
    np.testing.assert_allclose(BY_KEY["P"].monthly(np.array([0.001]), 2.0, 31), [62.0])
    np.testing.assert_allclose(BY_KEY["T"].monthly(np.array([26.85]), 2.0, 31), [26.85])


def test_conversions_broadcast_days_over_the_month_axis():
    ssrd = np.full((2, 3, 4), 1e6)
    out = solar_radiation_mj(ssrd, [31, 29])
    assert out.shape == (2, 3, 4)
    assert (out[0] == 31).all() and (out[1] == 29).all()


# -- time axis ------------------------------------------------------------------------------


def test_cf_time_decoding():
    assert decode_cf_times([1025616], "hours since 1900-01-01 00:00:00.0", "gregorian", "f") == [datetime(2017, 1, 1)]
    assert decode_cf_times([788914800], "seconds since 1970-1-1 00:00:00", "standard", "f") == [
        datetime(1994, 12, 31, 23)
    ]
    assert decode_cf_times([59], "days since 2017-01-01", None, "f") == [datetime(2017, 3, 1)]
    with pytest.raises(CasaInputError, match="calendar '360_day'"):
        decode_cf_times([0], "days since 2000-01-01", "360_day", "f")
    with pytest.raises(CasaInputError, match="time units"):
        decode_cf_times([0], "fortnights since 2000-01-01", None, "f")


def test_time_axis_monthly_and_refusals():
    ax = time_axis(months_from(2019, 11, 5), aggregate=False, where="f")
    assert ax.kind == "monthly" and ax.months == ["2019-11", "2019-12", "2020-01", "2020-02", "2020-03"]
    hours = [datetime(2021, 1, 1) + timedelta(hours=h) for h in range(48)]
    with pytest.raises(CasaInputError) as exc:
        time_axis(hours, aggregate=False, where="f")
    msg = str(exc.value)
    assert "hourly" in msg and MONTHLY_PRODUCT in msg and MONTHLY_PRODUCT_TYPE in msg and "AGGREGATION" in msg
    # the 'by hour of day' monthly product (24 steps on the first of each month) is never aggregated
    by_hour = [datetime(2021, m, 1, h) for m in (1, 2) for h in range(24)]
    with pytest.raises(CasaInputError, match="by hour of day"):
        time_axis(by_hour, aggregate=True, where="f")


def test_daily_means_stamped_the_evening_before_fall_in_the_right_month():
    # some tools stamp a daily mean at 23:00 UTC of the day before (local midnight): 1994-12-31 23:00 is 1995-01-01
    days = [datetime(1994, 12, 31, 23) + timedelta(days=d) for d in range(5)]
    ax = time_axis(days, aggregate=True, where="f")
    assert ax.months == ["1995-01"] and ax.covered_days == [5.0]


# -- generated files: every conversion and edge ------------------------------------------------


def test_leap_february_and_all_conversions(tmp_path):
    times = months_from(2019, 12, 4)  # Dec 2019, Jan, Feb (leap, 29 days), Mar 2020
    src = write_nc(
        tmp_path / "m.nc",
        {
            "ssrd": (field([1e6] * 4), "J m**-2"),
            "t2m": (field([280.0, 281.0, 282.0, 283.0]), "K"),
            "tp": (field([0.001] * 4), "m"),
            "e": (field([-0.002] * 4), "m of water equivalent"),
            "pev": (field([-0.004] * 4), "m"),
        },
        times,
    )
    out = {k: str(tmp_path / f"{k}.tif") for k in ("SOL", "T", "P", "E", "PET")}
    run_era5land(src, out)
    n = np.array([31, 31, 29, 31])[:, None, None]
    np.testing.assert_allclose(read(out["SOL"]), 1.0 * n * np.ones((4, 3, 4)), rtol=1e-6)
    np.testing.assert_allclose(read(out["T"])[:, 0, 0], [6.85, 7.85, 8.85, 9.85], atol=1e-4)
    np.testing.assert_allclose(read(out["P"]), 1.0 * n * np.ones((4, 3, 4)), rtol=1e-6)
    np.testing.assert_allclose(read(out["E"]), 2.0 * n * np.ones((4, 3, 4)), rtol=1e-6)
    np.testing.assert_allclose(read(out["PET"]), 4.0 * n * np.ones((4, 3, 4)), rtol=1e-6)
    with rasterio.open(out["SOL"]) as ds:
        assert ds.descriptions == ("2019-12", "2020-01", "2020-02", "2020-03")
        assert ds.tags()["units"] == "MJ m-2 month-1"
        assert ds.tags()["casanep_days_per_month"] == "[31,31,29,31]"


def test_evaporation_of_both_signs(tmp_path):
    e = np.full((1, 3, 4), -0.003)
    e[0, 0, :2] = 0.0002  # dew: downward, positive in ECMWF's convention
    src = write_nc(tmp_path / "e.nc", {"e": (e, "m")}, [datetime(2021, 7, 1)])
    run_era5land(src, {"E": str(tmp_path / "E.tif")})
    got = read(tmp_path / "E.tif")[0]
    np.testing.assert_allclose(got[0, :2], -6.2, rtol=1e-5)  # -0.0002 * 1000 * 31
    np.testing.assert_allclose(got[1:], 93.0, rtol=1e-5)  # 0.003 * 1000 * 31


def test_netcdf_without_crs_is_epsg4326_and_south_up_latitudes_come_out_north_up(tmp_path):
    t = np.arange(12, dtype=float).reshape(1, 3, 4) + 270.0  # row 0 = first latitude in the file
    src = write_nc(tmp_path / "s.nc", {"t2m": (t, "K")}, [datetime(2021, 1, 1)], lat=LAT[::-1])  # 22.8 .. 23.0
    log = Log()
    run_era5land(src, {"T": str(tmp_path / "t.tif")}, callbacks=log)
    with rasterio.open(tmp_path / "t.tif") as ds:
        assert ds.crs == CRS.from_epsg(4326)
        assert ds.transform.e < 0 and ds.transform.f == pytest.approx(23.05)
        got = ds.read(1)
    # the northernmost row (23.0) is the file's last latitude row
    np.testing.assert_allclose(got, (t[0] - 273.15)[::-1], atol=1e-4)
    assert any("EPSG:4326" in m for m in log.infos)


def test_packed_int16_is_unpacked_and_fill_is_nodata(tmp_path):
    ssrd = np.linspace(1e6, 2.5e7, 12).reshape(1, 3, 4)
    ssrd[0, 2, 3] = np.nan  # stored as _FillValue -32767
    src = write_nc(tmp_path / "p.nc", {"ssrd": (ssrd, "J m**-2")}, [datetime(2021, 6, 1)], pack=True)
    with netCDF4.Dataset(src) as ds:
        assert ds["ssrd"].dtype == np.int16
        unpacked = np.ma.filled(ds["ssrd"][:].astype(float), np.nan)  # netCDF4 applies scale/offset itself
    run_era5land(src, {"SOL": str(tmp_path / "sol.tif")})
    got = read(tmp_path / "sol.tif")
    np.testing.assert_allclose(got, unpacked * 30 / 1e6, rtol=1e-6, equal_nan=True)
    assert np.isnan(got[0, 2, 3]) and np.isfinite(got).sum() == 11


def test_valid_time_axis_and_expver_merge(tmp_path):
    # new-style CDS files name the axis valid_time; ERA5 + ERA5T downloads carry an expver dimension where each
    # month is valid in one of the two
    t = np.full((2, 2, 3, 4), np.nan)
    t[0, 0] = 280.0  # January from ERA5 (expver 1)
    t[1, 1] = 290.0  # February from ERA5T (expver 5)
    src = write_nc(
        tmp_path / "v.nc",
        {"t2m": (t, "K")},
        months_from(2024, 1, 2),
        time_name="valid_time",
        units="seconds since 1970-01-01",
        expver=[1, 5],
    )
    run_era5land(src, {"T": str(tmp_path / "t.tif")})
    got = read(tmp_path / "t.tif")
    np.testing.assert_allclose(got[0], 6.85, atol=1e-4)
    np.testing.assert_allclose(got[1], 16.85, atol=1e-4)


def test_a_missing_variable_is_skipped_and_none_present_is_an_error(tmp_path):
    src = write_nc(tmp_path / "t.nc", {"t2m": (field([280.0]), "K")}, [datetime(2021, 1, 1)])
    log = Log()
    written = run_era5land(src, {"T": str(tmp_path / "t.tif"), "SOL": str(tmp_path / "sol.tif")}, callbacks=log)
    assert set(written) == {"T"} and not (tmp_path / "sol.tif").exists()
    assert any("no ssrd" in w for w in log.warnings)
    with pytest.raises(CasaInputError, match=r"holds t2m \(T\) but none of the requested outputs \(P\)"):
        run_era5land(src, {"P": str(tmp_path / "p.tif")})


def test_wrong_variable_names_unknown_units_and_no_time_axis(tmp_path):
    src = write_nc(tmp_path / "w.nc", {"temperature": (field([280.0]), "K")}, [datetime(2021, 1, 1)])
    with pytest.raises(CasaInputError, match=r"w.nc' holds none of the ERA5 variables.*it has temperature.*t2m \(T\)"):
        run_era5land(src, {"T": str(tmp_path / "t.tif")})
    src = write_nc(tmp_path / "u.nc", {"t2m": (field([80.0]), "degF")}, [datetime(2021, 1, 1)])
    with pytest.raises(CasaInputError, match="units 'degF'.*expected K or degC"):
        run_era5land(src, {"T": str(tmp_path / "t.tif")})
    path = tmp_path / "n.nc"
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("latitude", 3)
        ds.createDimension("longitude", 4)
        ds.createVariable("latitude", "f4", ("latitude",))[:] = LAT
        ds.createVariable("longitude", "f4", ("longitude",))[:] = LON
        v = ds.createVariable("t2m", "f4", ("latitude", "longitude"))
        v.units = "K"
        v[:] = 280.0
    with pytest.raises(CasaInputError, match="no time axis"):
        run_era5land(str(path), {"T": str(tmp_path / "t.tif")})
    assert not (tmp_path / "t.tif").exists()


def test_grid_not_overlapping_the_extent_writes_nothing(tmp_path):
    src = write_nc(tmp_path / "t.nc", {"t2m": (field([280.0]), "K")}, [datetime(2021, 1, 1)])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CasaInputError, match="does not overlap"):
        run_era5land(src, {"T": str(out / "t.tif")}, extent=(0.0, 0.0, 1.0, 1.0))
    far = grid_from_extent((0.0, 0.0, 10000.0, 10000.0), "EPSG:32649", 1000)
    with pytest.raises(CasaInputError, match="does not overlap the model grid"):
        run_era5land(src, {"T": str(out / "t.tif")}, grid=far)
    assert os.listdir(out) == []


def test_extent_clips_the_native_grid(tmp_path):
    t = np.arange(12, dtype=float).reshape(1, 3, 4) + 280.0
    src = write_nc(tmp_path / "t.nc", {"t2m": (t, "K")}, [datetime(2021, 1, 1)])
    # cells are 0.1 degree around the centres; this extent touches columns 1-2 and rows 0-1
    run_era5land(src, {"T": str(tmp_path / "t.tif")}, extent=(113.08, 22.87, 113.22, 22.99))
    with rasterio.open(tmp_path / "t.tif") as ds:
        assert (ds.width, ds.height) == (2, 2)
        assert ds.transform.c == pytest.approx(113.05) and ds.transform.f == pytest.approx(23.05)
        np.testing.assert_allclose(ds.read(1), t[0, :2, 1:3] - 273.15, atol=1e-4)


def test_model_grid_is_bilinear_and_windowed_equals_whole(tmp_path):
    lat = np.round(np.arange(24.0, 22.0, -0.1), 2)
    lon = np.round(np.arange(112.5, 114.5, 0.1), 2)
    yy, xx = np.mgrid[0 : len(lat), 0 : len(lon)]
    t = (290.0 + np.sin(xx / 3.0) + yy / 5.0)[None]
    src = write_nc(tmp_path / "t.nc", {"t2m": (t, "K")}, [datetime(2021, 1, 1)], lat=lat, lon=lon)
    grid = grid_from_extent((112.8, 22.4, 114.0, 23.6), "EPSG:32649", 500, extent_crs="EPSG:4326")
    run_era5land(src, {"T": str(tmp_path / "t.tif")}, grid=grid)
    whole = np.full((1, grid.height, grid.width), np.nan, np.float32)
    reproject(
        (t - 273.15).astype(np.float32),
        whole,
        src_transform=rasterio.Affine(0.1, 0, 112.45, 0, -0.1, 24.05),
        src_crs="EPSG:4326",
        src_nodata=np.nan,
        dst_transform=grid.transform,
        dst_crs=grid.crs,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    got = read(tmp_path / "t.tif")
    assert grid.width * grid.height > 256 * 256 // 4  # several windows
    np.testing.assert_allclose(got, whole, atol=1e-4)
    with rasterio.open(tmp_path / "t.tif") as ds:
        assert ds.crs == grid.crs and ds.transform == grid.transform


def test_longitudes_0_to_360_meet_a_western_model_grid(tmp_path):
    lon = np.array([259.8, 259.9, 260.0, 260.1])  # -100.2 .. -99.9
    t = np.arange(12, dtype=float).reshape(1, 3, 4) + 280.0
    src = write_nc(tmp_path / "w.nc", {"t2m": (t, "K")}, [datetime(2021, 1, 1)], lon=lon, lat=[40.0, 39.9, 39.8])
    grid = grid_from_extent((-100.2, 39.8, -99.9, 40.0), "EPSG:4326", 0.1)
    grid = type(grid)(grid.crs, rasterio.Affine(0.1, 0, -100.25, 0, -0.1, 40.05), 4, 3)  # the file's own cells
    run_era5land(src, {"T": str(tmp_path / "t.tif")}, grid=grid)
    # float32 longitudes put the cells a hair off the 0.1 lattice: bilinear, within 1e-3 K
    np.testing.assert_allclose(read(tmp_path / "t.tif")[0], t[0] - 273.15, atol=1e-3)


def test_hourly_accumulations_aggregate_to_monthly_totals(tmp_path):
    # February 2021 hourly (ERA5 single levels: each step the accumulation of its hour): 0.1 mm each hour
    hours = [datetime(2021, 2, 1) + timedelta(hours=h) for h in range(28 * 24)]
    tp = np.full((len(hours), 3, 4), 0.0001)
    t2m = np.full((len(hours), 3, 4), 275.0)
    t2m[::2] = 277.0  # mean 276 K
    src = write_nc(tmp_path / "h.nc", {"tp": (tp, "m"), "t2m": (t2m, "K")}, hours)
    with pytest.raises(CasaInputError, match="hourly"):
        run_era5land(src, {"P": str(tmp_path / "p.tif")})
    run_era5land(src, {"P": str(tmp_path / "p.tif"), "T": str(tmp_path / "t.tif")}, aggregation="mean")
    np.testing.assert_allclose(read(tmp_path / "p.tif"), 0.1 * 24 * 28, rtol=1e-5)  # 67.2 mm
    np.testing.assert_allclose(read(tmp_path / "t.tif"), 2.85, atol=1e-4)


def test_daily_sums_aggregate_and_partial_months_are_reported(tmp_path):
    days = [datetime(2021, 3, 1) + timedelta(days=d) for d in range(40)]  # all of March, 9 days of April
    tp = np.full((40, 3, 4), 0.002)
    src = write_nc(tmp_path / "d.nc", {"tp": (tp, "m")}, days, units="days since 2021-01-01")
    log = Log()
    run_era5land(src, {"P": str(tmp_path / "p.tif")}, aggregation="mean", callbacks=log)
    got = read(tmp_path / "p.tif")
    np.testing.assert_allclose(got[0], 62.0, rtol=1e-5)  # 2 mm a day, 31 days
    np.testing.assert_allclose(got[1], 60.0, rtol=1e-5)  # 9 days seen, the month's mean daily sum times 30
    assert any("2021-04 (9 of 30 days)" in w for w in log.warnings)


# -- the real files in ../shared/data --------------------------------------------------------------


def test_real_monthly_t2m_ssrd_with_the_right_day_counts(tmp_path):
    path = shared_file("era5", "derived", "feedinlib_ERA5_2017_monthly_t2m_ssrd_era5land_convention.nc")
    out = {"SOL": str(tmp_path / "sol.tif"), "T": str(tmp_path / "t.tif")}
    run_era5land(str(path), out)
    with netCDF4.Dataset(path) as ds:  # an independent reader of the same file
        ssrd = np.ma.filled(ds["ssrd"][:].astype(float), np.nan)
        t2m = np.ma.filled(ds["t2m"][:].astype(float), np.nan)
    n = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], float)[:, None, None]  # 2017: February 28
    np.testing.assert_allclose(read(out["SOL"]), ssrd * n / 1e6, rtol=1e-6)
    np.testing.assert_allclose(read(out["T"]), t2m - 273.15, atol=1e-4)
    with rasterio.open(out["SOL"]) as ds:
        assert ds.descriptions == tuple(f"2017-{m:02d}" for m in range(1, 13))
        assert ds.crs == CRS.from_epsg(4326) and (ds.width, ds.height) == (3, 2)
        assert ds.transform.a == pytest.approx(0.25)
        assert ds.tags()["casanep_days_per_month"].startswith("[31,28,31")


def test_real_hourly_packed_file_aggregates_to_the_derived_monthly_file(tmp_path):
    # the derived file is documented (shared/data/README) as the monthly aggregate of this hourly, packed one
    hourly = shared_file("era5", "feedinlib_ERA5_example_data.nc")
    monthly = shared_file("era5", "derived", "feedinlib_ERA5_2017_monthly_t2m_ssrd_era5land_convention.nc")
    a = {"SOL": str(tmp_path / "hs.tif"), "T": str(tmp_path / "ht.tif")}
    b = {"SOL": str(tmp_path / "ms.tif"), "T": str(tmp_path / "mt.tif")}
    run_era5land(str(hourly), a, aggregation="mean")
    run_era5land(str(monthly), b)
    np.testing.assert_allclose(read(a["SOL"]), read(b["SOL"]), rtol=1e-5)
    np.testing.assert_allclose(read(a["T"]), read(b["T"]), atol=1e-3)


def test_real_era5land_daily_t2m_keeps_its_native_grid(tmp_path):
    path = shared_file("era5", "krigr_era5land_t2m_daily_CentralNorway_1995-01-01_05.nc")
    with pytest.raises(CasaInputError, match="daily.*" + MONTHLY_PRODUCT):
        run_era5land(str(path), {"T": str(tmp_path / "t.tif")})
    log = Log()
    run_era5land(str(path), {"T": str(tmp_path / "t.tif")}, aggregation="mean", callbacks=log)
    with netCDF4.Dataset(path) as ds:
        t = np.ma.filled(ds["2m_temperature"][:].astype(float), np.nan)
        lat = ds["latitude"][:]
    with rasterio.open(path) as src, rasterio.open(tmp_path / "t.tif") as ds:
        assert ds.transform == src.transform and (ds.width, ds.height) == (89, 55)  # the 0.1 degree grid kept
        assert ds.crs == src.crs
        assert ds.descriptions == ("1995-01",)
        got = ds.read(1, masked=True).filled(np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sea cells: no value on any day
        expected = np.nanmean(t, axis=0) - 273.15
    if lat[0] < lat[-1]:
        expected = expected[::-1]
    np.testing.assert_allclose(got, expected, atol=1e-4, equal_nan=True)
    assert -40 < np.nanmin(got) and np.nanmax(got) < 10  # Central Norway in early January, degC
    assert any("1995-01 (5 of 31 days)" in w for w in log.warnings)


@pytest.mark.parametrize(
    "name", ["bmi_era5_t2m_tp_2021-01-01.nc", "feedinlib_ERA5_example_data.nc", "era5-2mt-2019-03-uk.grib"]
)
def test_real_hourly_files_are_refused_naming_the_product(tmp_path, name):
    path = shared_file("era5", name)
    with pytest.raises(CasaInputError) as exc:
        run_era5land(str(path), {"T": str(tmp_path / "t.tif"), "SOL": str(tmp_path / "s.tif")})
    msg = str(exc.value)
    assert exc.value.parameter == "INPUT" and name in msg and "hourly" in msg
    assert MONTHLY_PRODUCT in msg and MONTHLY_PRODUCT_TYPE in msg
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "name", ["ecmwfr_era5_t2m_daily_51N21E_2008-2017.nc", "xclim_era5_daily_surface_cancities_1990-1993.nc"]
)
def test_real_point_files_are_refused_naming_the_product(tmp_path, name):
    path = shared_file("era5", name)
    with pytest.raises(CasaInputError) as exc:
        run_era5land(str(path), {"T": str(tmp_path / "t.tif")}, aggregation="mean")
    msg = str(exc.value)
    assert name in msg and "point" in msg and MONTHLY_PRODUCT in msg


def test_real_valid_time_file_aggregates_hourly_precipitation(tmp_path):
    path = shared_file("era5", "bmi_era5_t2m_tp_2021-01-01.nc")
    log = Log()
    run_era5land(
        str(path), {"P": str(tmp_path / "p.tif"), "T": str(tmp_path / "t.tif")}, aggregation="mean", callbacks=log
    )
    with netCDF4.Dataset(path) as ds:
        tp = np.ma.filled(ds["tp"][:].astype(float), np.nan)
        t2m = np.ma.filled(ds["t2m"][:].astype(float), np.nan)
    # three hourly accumulations: their mean times 24 is the day's, times 31 days of January, in mm
    np.testing.assert_allclose(read(tmp_path / "p.tif")[0], tp.mean(axis=0) * 24 * 31 * 1000, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(read(tmp_path / "t.tif")[0], t2m.mean(axis=0) - 273.15, atol=1e-4)
    assert any("2021-01 (0.125 of 31 days)" in w for w in log.warnings)


def test_real_grib_aggregated_to_its_month(tmp_path):
    path = shared_file("era5", "era5-2mt-2019-03-uk.grib")
    run_era5land(str(path), {"T": str(tmp_path / "t.tif")}, aggregation="mean")
    with rasterio.open(path) as ds:
        assert ds.tags(1)["GRIB_UNIT"] == "[C]"  # GDAL hands GRIB temperatures over in degC
        expected = ds.read().astype(float).mean(axis=0)
        transform = ds.transform
    with rasterio.open(tmp_path / "t.tif") as out:
        assert out.descriptions == ("2019-03",) and out.transform == transform
        np.testing.assert_allclose(out.read(1), expected, atol=1e-4)


def test_era5_module_lists_the_five_outputs():
    assert [v.key for v in era5.VARIABLES] == ["SOL", "T", "P", "E", "PET"]

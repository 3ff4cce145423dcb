"""Finding dated vegetation-index composites: dates from names, descriptions and metadata; months between."""

from __future__ import annotations

from datetime import date

from casa_nep_plugin.core.composites import months_between, parse_date


def test_parse_date_patterns():
    assert parse_date("MOD13Q1.A2021017.h28v06.061.2021035023433.hdf") == date(2021, 1, 17)
    assert parse_date("MOD13Q1.A2020353.h28v06.061.hdf") == date(2020, 12, 18)  # leap year, day 353
    assert parse_date("MOD13Q1.061__250m_16_days_NDVI_doy2021033_aid0001.tif") == date(2021, 2, 2)
    assert parse_date("MODIS_Sinop_NDVI_2013-09-14.tif") == date(2013, 9, 14)
    assert parse_date("ndvi_2021_03_06.tif") == date(2021, 3, 6)
    assert parse_date("NDVI 2014-01") == date(2014, 1, 1)
    assert parse_date("no date here h28v06") is None
    assert parse_date("A2021400") is None  # no day 400
    assert months_between("2020-11", "2021-02") == ["2020-11", "2020-12", "2021-01", "2021-02"]

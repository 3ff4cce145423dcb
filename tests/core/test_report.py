"""Charts and report: they exist, and what they show is the tables' numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from casa_nep_plugin.core import report

PNG = b"\x89PNG\r\n\x1a\n"


def table():
    # two zones, two months of 2021 and the annual means: numbers made up, traced through
    return pd.DataFrame(
        {
            "name": ["North", "South"],
            "zone_index": [1, 2],
            "npp_2021_01_mean": [10.0, 20.0],
            "npp_2021_02_mean": [11.0, 21.0],
            "rh_2021_01_mean": [5.0, 6.0],
            "rh_2021_02_mean": [5.5, 6.5],
            "nep_2021_01_mean": [5.0, 14.0],
            "nep_2021_02_mean": [5.5, 14.5],
            "npp_2021_mean": [600.0, 700.0],
            "rh_2021_mean": [400.0, 300.0],
            "nep_2021_mean": [200.0, 400.0],
        }
    )


def test_series_are_the_table_columns():
    months, vals = report.monthly_series(table(), "npp")
    assert months == ["2021-01", "2021-02"]
    np.testing.assert_array_equal(vals, [[10, 11], [20, 21]])
    years, vals = report.annual_series(table(), "nep")
    assert years == ["2021"] and vals[:, 0].tolist() == [200.0, 400.0]
    assert report.zone_names(table(), "name") == ["North", "South"]
    assert report.zone_names(table(), "missing") == ["zone 1", "zone 2"]


def test_charts_and_report_files(tmp_path):
    t = table()
    m = report.chart_monthly(t, str(tmp_path / "m.png"), "name")
    a = report.chart_annual(t, str(tmp_path / "a.png"), "name")
    s = report.chart_shares({"NPP": {"forest": 60.0, "cropland": 40.0}}, str(tmp_path / "s.png"))
    for p in (m, a, s):
        assert open(p, "rb").read(8) == PNG
    section = {"title": "Zones", "table": t, "images": [m], "files": [("table", str(tmp_path / "t.csv"))]}
    html_path = report.write_report(str(tmp_path / "report.html"), "Test run", {"THRESHOLD": 80}, [section])
    text = open(html_path, encoding="utf-8").read()
    assert "<code>80</code>" in text and "src='m.png'" in text and "href='t.csv'" in text
    assert "North" in text and "600.0" in text and "14.5" in text  # the table's numbers are in the report
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".")] == []


def test_readable_headers():
    assert report.readable("npp_2021_mean") == "NPP 2021 mean (gC m-2 a-1)"
    assert report.readable("nep_2022_total_ktC") == "NEP 2022 total (ktC)"
    assert report.readable("rh_npp_2021_ratio_pct") == "RH/NPP 2021 (%)"
    assert report.readable("zone") == "zone"

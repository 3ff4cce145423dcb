"""The outputs of casanep:validate: checked before any work, the statistics CSV written atomically."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.validate import ValidationResult, check_outputs, write_statistics


def result() -> ValidationResult:
    return ValidationResult(
        n=3,
        r2=0.25,
        rmse=12.5,
        bias=-2.0,
        slope=0.5,
        intercept=40.0,
        year="2021",
        x=np.array([1.0, 2.0, 3.0]),
        y=np.array([1.0, 2.0, 4.0]),
    )


def test_statistics_csv_holds_the_summary(tmp_path):
    path = write_statistics(result(), str(tmp_path / "stats.csv"))
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["statistic", "value"],
        ["year", "2021"],
        ["n", "3"],
        ["r2", "0.25"],
        ["rmse", "12.5"],
        ["bias", "-2.0"],
        ["slope", "0.5"],
        ["intercept", "40.0"],
    ]


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "stats.csv"
    path.write_text("statistic,value\nn,7\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(csv, "writer", broken)
    with pytest.raises(OSError):
        write_statistics(result(), str(path))
    assert path.read_text(encoding="utf-8") == "statistic,value\nn,7\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.csv"]


def test_nan_statistics_are_written_as_nan(tmp_path):
    res = result()
    res.r2 = math.nan
    path = write_statistics(res, str(tmp_path / "stats.csv"))
    rows = dict(csv.reader(open(path, encoding="utf-8")))
    assert math.isnan(float(rows["r2"]))


def test_outputs_are_checked_by_parameter_before_any_work(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    check_outputs(str(tmp_path / "p.gpkg"), str(tmp_path / "p.png"), None)
    with pytest.raises(CasaInputError) as err:
        check_outputs(str(tmp_path / "p.gpkg"), str(tmp_path / "p.png"), str(folder))
    assert err.value.parameter == "STATISTICS"
    with pytest.raises(CasaInputError) as err:
        check_outputs(str(folder), str(tmp_path / "p.png"), None)
    assert err.value.parameter == "POINTS"


def test_reference_counts_to_npp_with_fill_codes_masked():
    from casa_nep_plugin.core.validate import ReferenceProduct

    raw = np.array([1000.0, 32760.0, 32761.0, 32767.0, 32768.0, np.nan])
    # MOD17: 0.1 gC m-2 a-1 per count, 32761..32767 fill
    np.testing.assert_array_equal(ReferenceProduct().to_npp(raw), [100.0, 3276.0, np.nan, np.nan, 3276.8, np.nan])
    np.testing.assert_array_equal(
        ReferenceProduct(fill_max=None).to_npp(raw),  # no upper end: all from 32761
        [100.0, 3276.0, np.nan, np.nan, np.nan, np.nan],
    )
    np.testing.assert_array_equal(ReferenceProduct(scale=1.0, fill_min=None).to_npp(raw), raw)
    assert raw[2] == 32761.0  # the input is not changed

"""Display ranges from the data: percentiles over all bands, diverging around zero, the peak band."""

from __future__ import annotations

import numpy as np
import pytest

from casa_nep_plugin.core.styles import display_range
from tests.rasters import months_of, write


def stack(tmp_path, name="s.tif"):
    rng = np.random.default_rng(3)
    data = rng.uniform(0, 10, size=(12, 20, 30)).astype("float32")
    data[6] += 200  # July: the peak month, far above the others
    data[0, 0, 0] = -9999.0  # nodata, must not count
    return write(tmp_path / name, data, months_of([2021])), data


def test_range_is_2nd_to_98th_percentile_over_all_bands(tmp_path):
    path, data = stack(tmp_path)
    r = display_range(path)
    valid = data[data != -9999.0].astype("float64")  # the whole stack, computed independently
    assert r.minimum == pytest.approx(np.percentile(valid, 2))
    assert r.maximum == pytest.approx(np.percentile(valid, 98))
    assert r.maximum > 200  # July is not clipped into the top colour, as with a fixed 0-120 ramp
    assert r.band == 7  # the peak month


def test_diverging_is_symmetric_around_zero(tmp_path):
    data = np.linspace(-30, 170, 12 * 10 * 10, dtype="float32").reshape(12, 10, 10)
    r = display_range(write(tmp_path / "nep.tif", data, months_of([2021])), diverging=True)
    top = max(abs(np.percentile(data, 2)), abs(np.percentile(data, 98)))
    assert (r.minimum, r.maximum) == pytest.approx((-top, top))


def test_narrow_month_gets_a_readable_range_and_annual_shows_first_band(tmp_path):
    january = np.full((1, 10, 10), 20.6, dtype="float32")
    january[0, 5:] = 23.1
    r = display_range(write(tmp_path / "rh_jan.tif", january, ["2021-01"]))
    assert (r.minimum, r.maximum) == pytest.approx((20.6, 23.1), abs=1e-5)
    annual = np.stack([np.ones((5, 5)), 9 * np.ones((5, 5))]).astype("float32")
    assert display_range(write(tmp_path / "a.tif", annual, ["2021", "2022"]), monthly=False).band == 1


def test_no_valid_cell_gives_none(tmp_path):
    assert display_range(write(tmp_path / "e.tif", np.full((2, 3, 3), -9999.0, "float32"))) is None

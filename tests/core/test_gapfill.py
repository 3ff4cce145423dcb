"""Linear gap filling of monthly NDVI, on hand-worked series."""

from __future__ import annotations

import numpy as np
import pytest

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.gapfill import check_gap_fill, fill_linear, filled_per_year

nan = np.nan


def series(*values):
    return np.array(values, np.float32)[:, None, None]


def test_one_missing_month_is_the_mean_of_its_neighbours():
    out, n = fill_linear(series(0.2, nan, 0.6, 0.5), max_gap=2)
    # t=1 between p=0 (0.2) and q=2 (0.6): 0.2 + 0.4 * 1/2 = 0.4
    np.testing.assert_allclose(out[:, 0, 0], [0.2, 0.4, 0.6, 0.5], rtol=1e-6)
    assert n[0, 0] == 1


def test_two_missing_months_are_thirds():
    out, n = fill_linear(series(0.3, nan, nan, 0.9), max_gap=2)
    # p=0 (0.3), q=3 (0.9): t=1 -> 0.3 + 0.6/3 = 0.5; t=2 -> 0.3 + 0.6*2/3 = 0.7
    np.testing.assert_allclose(out[:, 0, 0], [0.3, 0.5, 0.7, 0.9], rtol=1e-6)
    assert n[0, 0] == 2


def test_gap_longer_than_max_gap_and_open_ends_stay_missing():
    out, n = fill_linear(series(nan, 0.4, nan, nan, nan, 0.8, nan), max_gap=2)
    # leading and trailing months: no valid month on one side; the 3-month gap exceeds MAX_GAP 2
    assert np.isnan(out[[0, 2, 3, 4, 6], 0, 0]).all()
    assert n[0, 0] == 0
    out, n = fill_linear(series(nan, 0.4, nan, nan, nan, 0.8, nan), max_gap=3)
    np.testing.assert_allclose(out[2:5, 0, 0], [0.5, 0.6, 0.7], rtol=1e-6)  # 0.4 + 0.4 * k/4
    assert n[0, 0] == 3
    assert fill_linear(series(0.1, nan, 0.3), max_gap=0)[1][0, 0] == 0


def test_across_a_year_boundary():
    # Nov, Dec of 2021 and Jan, Feb of 2022: December and January missing
    stack = series(*([0.5] * 10 + [0.6, nan, nan, 0.3] + [0.4] * 10))
    out, n = fill_linear(stack, max_gap=2)
    # p = Nov 2021 (0.6), q = Feb 2022 (0.3): Dec 0.6 - 0.3/3 = 0.5, Jan 0.6 - 0.3*2/3 = 0.4
    np.testing.assert_allclose(out[11:13, 0, 0], [0.5, 0.4], rtol=1e-6)
    per_year = filled_per_year(stack, out, [list(range(12)), list(range(12, 24))])
    assert per_year[:, 0, 0].tolist() == [1.0, 1.0]


def test_cells_are_independent_and_valid_values_untouched():
    rng = np.random.default_rng(1)
    stack = rng.uniform(0, 1, (12, 3, 4)).astype(np.float32)
    holes = rng.uniform(size=stack.shape) < 0.3
    stack[holes] = nan
    stack[:, 2, 3] = nan  # a cell with no data at all (water) stays empty
    out, n = fill_linear(stack, max_gap=2)
    np.testing.assert_array_equal(out[~holes], stack[~holes])
    assert np.isnan(out[:, 2, 3]).all() and n[2, 3] == 0
    for r in range(3):
        for c in range(4):
            one, k = fill_linear(stack[:, r : r + 1, c : c + 1], max_gap=2)
            np.testing.assert_array_equal(one[:, 0, 0], out[:, r, c])
            assert k[0, 0] == n[r, c] == (np.isfinite(out[:, r, c]) & ~np.isfinite(stack[:, r, c])).sum()


def test_bad_settings():
    with pytest.raises(CasaInputError, match="GAP_FILL"):
        check_gap_fill("spline", 2)
    with pytest.raises(CasaInputError, match="MAX_GAP"):
        check_gap_fill("linear", -1)

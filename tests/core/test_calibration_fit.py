"""Calibration statistics: hand-worked factor and standard error, folds by spatial block."""

from __future__ import annotations

import numpy as np
import pytest

from casa_nep_plugin.core.calibration_fit import assign_folds, fit_factor


def test_fit_factor_hand_worked():
    # y (CASA) = 1, 2, 3; x (reference) = 2, 3, 7
    # sum(xy) = 2 + 6 + 21 = 29, sum(y^2) = 14: f = 29/14 = 2.0714286
    # residuals x - f*y = -0.0714286, -1.1428571, 0.7857143; SSR = 0.0051020 + 1.3061224 + 0.6173469 = 1.9285714
    # s^2 = SSR / (3 - 1) = 0.9642857; se = sqrt(s^2 / 14) = sqrt(0.0688776) = 0.2624452
    f, se = fit_factor([2, 3, 7], [1, 2, 3])
    assert f == pytest.approx(29 / 14, rel=1e-12)
    assert se == pytest.approx(0.2624452, rel=1e-6)
    # an exact proportion has no error
    f, se = fit_factor([2.6, 5.2], [2, 4])
    assert (f, se) == (pytest.approx(1.3), pytest.approx(0.0, abs=1e-12))
    assert np.isnan(fit_factor([1.0], [0.0])[0])


def test_folds_hold_whole_blocks_and_are_balanced():
    blocks = np.repeat(np.arange(10), 7)  # 10 blocks of 7 cells
    fold, k = assign_folds(blocks, 5, seed=1)
    assert k == 5
    for b in range(10):
        assert np.unique(fold[blocks == b]).size == 1  # a block is never split between folds
    assert np.bincount(fold).tolist() == [14] * 5  # two blocks per fold
    again, _ = assign_folds(blocks, 5, seed=1)
    np.testing.assert_array_equal(fold, again)
    assert assign_folds(np.array([3, 3, 8]), 5, seed=0)[1] == 2  # fewer blocks than folds

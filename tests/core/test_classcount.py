"""Counting fine class codes per model cell, against a direct count with plain numpy."""

from __future__ import annotations

import numpy as np
import pytest

from casa_nep_plugin.core.classcount import count_classes
from casa_nep_plugin.core.tables import load_class_map
from tests.core.landcover_reference import WORLDCOVER, direct_fractions


@pytest.mark.parametrize("pattern", ["uniform", "blocks", "mixed", "noise"])
def test_count_classes_equals_a_direct_count(pattern):
    rng = np.random.default_rng(1)
    codes = np.array(list(WORLDCOVER) + [0], np.uint8)
    k = 5
    if pattern == "uniform":
        a = np.full((40, 60), 80, np.uint8)
    elif pattern == "blocks":  # every model cell homogeneous
        a = np.repeat(np.repeat(rng.choice(codes, (8, 12)), k, 0), k, 1)
    elif pattern == "mixed":  # a few mixed cells among homogeneous ones (the cell-by-cell path)
        a = np.repeat(np.repeat(rng.choice(codes, (8, 12)), k, 0), k, 1)
        a[7:9, 3:30] = 50
    else:  # every cell mixed (the whole-chunk path)
        a = rng.choice(codes, (40, 60))
    cm = load_class_map("worldcover")
    got = count_classes(a, k, k, cm, nodata=0)
    _, want = direct_fractions(a, k, WORLDCOVER)
    np.testing.assert_array_equal(got[: cm.n], want)
    np.testing.assert_array_equal(got[cm.n], (a == 0).reshape(8, k, 12, k).sum(axis=(1, 3)))
    assert got.sum() == a.size


def test_unknown_codes_are_counted_apart():
    cm = load_class_map("worldcover")
    a = np.array([[10, 10], [77, 0]], np.uint8)
    got = count_classes(a, 2, 2, cm, nodata=0)[:, 0, 0]
    assert got[0] == 2 and got[cm.n] == 1 and got[cm.n + 1] == 1


def test_signed_16_bit_codes(tmp_path):
    own = tmp_path / "t.csv"
    own.write_text("code,class\n-5,a\n300,b\n-1,nodata\n")
    cm = load_class_map(str(own))
    a = np.array([[-5, 300], [300, -1]], np.int16)
    got = count_classes(a, 2, 2, cm)[:, 0, 0]
    assert got.tolist() == [1, 2, 1, 0]

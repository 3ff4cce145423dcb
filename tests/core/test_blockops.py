"""One-pass block operations (core/blockops.py): compiled loops against numpy's own passes.

The expected values are computed here with plain numpy (comparisons, masks, where):
the compiled loops must give the same arrays bit for bit and the same counts.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from casa_nep_plugin.core import blockops, outputs


def block(seed: int = 1, shape=(3, 200, 300)):
    rng = np.random.default_rng(seed)
    a = (rng.random(shape, dtype=np.float32) * 200 - 100).astype(np.float32)
    flat = a.reshape(-1)
    flat[::97] = -9999.0
    flat[::101] = np.nan
    flat[::1009] = np.inf
    flat[::1013] = -np.inf
    return a


@pytest.fixture(params=["compiled", "numpy"])
def path(request, monkeypatch):
    if request.param == "compiled":
        pytest.importorskip("numba")
        monkeypatch.setenv("CASANEP_NUMBA", "1")
        monkeypatch.setattr(blockops, "COMPILED_FROM", 1)
        monkeypatch.setattr(blockops, "_LOOPS", [])
        assert blockops._loops() is not None
    else:
        monkeypatch.setenv("CASANEP_NUMBA", "0")
        monkeypatch.setattr(blockops, "_LOOPS", [])
        assert blockops._loops() is None
    return request.param


def test_nan_where_equal(path):
    a = block()
    want = a.copy()
    want[want == np.float32(-9999)] = np.nan
    blockops.nan_where_equal(a, -9999.0)
    assert np.array_equal(a, want, equal_nan=True)
    b = block()
    blockops.nan_where_equal(b, float("nan"))  # a NaN nodata: nothing to mark
    assert np.array_equal(b, block(), equal_nan=True)


def test_to_nodata_copies_and_counts(path):
    a = block()
    before = a.copy()
    out, valid = blockops.to_nodata(a, -9999.0)
    bad = ~np.isfinite(a)
    assert np.array_equal(out, np.where(bad, np.float32(-9999), a))
    assert valid == a.size - int(bad.sum())
    assert out is not a and np.array_equal(a, before, equal_nan=True)  # the input is never changed


@pytest.mark.parametrize(("lo", "hi", "expected"), [(-100.0, 100.0, True), (-1e4, 1e4, True), (-np.inf, np.inf, False)])
def test_any_outside(path, lo, hi, expected):
    a = block()
    assert blockops.any_outside(a, lo, hi) is expected
    finite = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
    assert blockops.any_outside(finite, -1e4, 1e4) is False
    finite.reshape(-1)[-1] = 1e5
    assert blockops.any_outside(finite, -1e4, 1e4) is True


def test_views_and_other_types_use_numpy(monkeypatch):
    monkeypatch.setattr(blockops, "COMPILED_FROM", 1)
    a = block()[:, ::2, :]  # not contiguous
    out, valid = blockops.to_nodata(a, -9999.0)
    assert valid == int(np.isfinite(a).sum())
    ints = np.arange(12, dtype=np.int16).reshape(3, 4)
    out, valid = blockops.to_nodata(ints, -1)
    assert valid == 12 and np.array_equal(out, ints)


def test_writeback_is_harmless(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"\1" * 100_000)
    fd = os.open(f, os.O_RDONLY)
    try:
        outputs.start_writeback(fd)
    finally:
        os.close(fd)
    assert f.read_bytes() == b"\1" * 100_000


def test_to_nodata_casts_to_the_output_type(path):
    # an integer output (e.g. classes) from a float block: NaN -> nodata, then the cast numpy does
    a = np.array([[1.0, np.nan, 3.0, np.inf]], np.float32)
    out, valid = blockops.to_nodata(a, 255, "uint8")
    assert out.dtype == np.uint8 and out.tolist() == [[1, 255, 3, 255]] and valid == 2

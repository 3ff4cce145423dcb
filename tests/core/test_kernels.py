"""The compiled kernel (numba) and its vectorisable maths against numpy.

Expected numbers come from numpy's float64 ``exp``, ``log``, ``log1p`` and ``power``
(an independent implementation) and from the numpy path of the chain
(``chain.npp_year``, the reference that the oracle tests hold to METHOD.md).
"""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from casa_nep_plugin.core import chain, kernels, vmath  # noqa: E402
from casa_nep_plugin.core.params import ModelParams  # noqa: E402


@numba.njit(error_model="numpy")
def _apply(kind, a, b, out):
    for i in range(a.size):
        if kind == 0:
            out[i] = vmath.vexp(a[i])
        elif kind == 1:
            out[i] = vmath.vlog(a[i])
        elif kind == 2:
            out[i] = vmath.vlog1p(a[i])
        else:
            out[i] = vmath.vpow(a[i], b[i])


def run(kind: int, a, b=None):
    a = np.asarray(a, np.float64)
    b = np.zeros_like(a) if b is None else np.asarray(b, np.float64)
    out = np.empty_like(a)
    _apply(kind, a, b, out)
    return out


def ulps(got, ref):
    ok = np.isfinite(ref) & (ref != 0)
    return float(np.max(np.abs(got[ok] - ref[ok]) / np.spacing(np.abs(ref[ok]))))


RNG = np.random.default_rng(20261129)


@pytest.mark.parametrize(
    ("kind", "values", "ref", "max_ulp"),
    [
        (0, RNG.random(200_000) * 1449 - 740, np.exp, 2),  # every normal result
        (0, RNG.random(200_000) * 60 - 30, np.exp, 2),  # the model's range
        (1, np.exp(RNG.random(200_000) * 1400 - 700), np.log, 3),
        (1, RNG.random(200_000) * 2 + 0.3, np.log, 4),  # near 1, where ln x is small
        (2, np.exp(RNG.random(200_000) * 60 - 50), np.log1p, 6),  # tiny to large
    ],
)
def test_vector_maths_agree_with_numpy_to_a_few_float64_ulp(kind, values, ref, max_ulp):
    assert ulps(run(kind, values), ref(values)) <= max_ulp


def test_power_agrees_with_numpy_as_exp_of_y_ln_x():
    # e**(y ln x) carries the rounding of y ln x: about |y ln x| ulp, here <= 25 (~5e-15 relative)
    x = RNG.random(200_000) * 10
    y = RNG.random(200_000) * 3
    assert ulps(run(3, x, y), np.power(x, y)) <= 25


def test_special_values_follow_c():
    specials = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, 1e-310, 1e308, 1.0, -800.0, 800.0])
    with np.errstate(all="ignore"):
        for kind, ref in ((0, np.exp), (1, np.log), (2, np.log1p)):
            got, want = run(kind, specials), ref(specials)
            assert np.array_equal(np.isnan(got), np.isnan(want)), kind
            finite = np.isfinite(want)
            assert np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)]), kind
            np.testing.assert_allclose(got[finite], want[finite], rtol=1e-15, atol=0)
        x = np.array([0.0, 0.0, 0.0, 0.0, 2.0, np.nan, 4.0])
        y = np.array([1.5, 0.0, -1.0, np.nan, 0.5, 1.0, np.nan])
        got, want = run(3, x, y), np.power(x, y)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert np.array_equal(got[~np.isnan(want)][:3], want[~np.isnan(want)][:3])


def test_float32_results_rounded_once_match_numpy():
    # the kernel rounds each float64 result to float32 once, as fmath does with numpy's
    x = (RNG.random(1_000_000, dtype=np.float32) * 60 - 30).astype(np.float64)
    assert np.array_equal(run(0, x).astype(np.float32), np.exp(x).astype(np.float32))


def year(seed: int, months: int = 12, rows: int = 9, cols: int = 300):
    rng = np.random.default_rng(seed)
    shape = (months, rows, cols)

    def field(lo, hi):
        a = (rng.random(shape, dtype=np.float32) * (hi - lo) + lo).astype(np.float32)
        a[rng.random(shape) < 0.03] = np.nan  # nodata here and there
        return a

    t = field(-25, 35)  # cold months (Te1 = 0, Ep0 = 0) and hot ones (T >= 26.5 degC)
    nmin = np.full(shape[1:], 0.023, np.float32)
    nmax = np.full(shape[1:], 0.75, np.float32)
    eps = np.full(shape[1:], 0.542, np.float32)
    eps[:, ::7] = np.nan  # classes without NPP
    land = np.isfinite(eps)
    return chain.YearInputs(
        field(-0.2, 0.95), field(0, 700), t, field(-1, 300), None, None, None, nmin, nmax, eps, land
    ), shape


@pytest.mark.parametrize("config", ["derived", "e_given", "pet_given", "topt_given", "short_year"])
def test_kernel_equals_the_numpy_path_within_one_float32_ulp(config):
    x, shape = year(7, months=5 if config == "short_year" else 12)
    rng = np.random.default_rng(8)
    if config == "e_given":
        x.e = (rng.random(shape, dtype=np.float32) * 150).astype(np.float32)
    if config in ("pet_given", "short_year"):
        x.pet = (rng.random(shape, dtype=np.float32) * 180).astype(np.float32)
    if config == "topt_given":
        x.topt = (rng.random(shape[1:], dtype=np.float32) * 30).astype(np.float32)
    want = ("npp", "fpar", "lue", "rh", "nep")
    params = ModelParams()
    got = kernels.npp_year(x, params, want)
    ref = chain.npp_year(x, params, want)
    for key in want:
        a, b = got[key], ref[key]
        assert a.dtype == np.float32 and a.shape == b.shape, key
        assert np.array_equal(np.isnan(a), np.isnan(b)), key
        ok = np.isfinite(a)
        assert ok.sum() > 1000, key
        np.testing.assert_array_max_ulp(a[ok], b[ok], maxulp=1)


def test_the_environment_chooses_the_path(monkeypatch):
    monkeypatch.setenv("CASANEP_NUMBA", "0")
    assert not kernels.use_kernel()
    monkeypatch.setenv("CASANEP_NUMBA", "1")
    assert kernels.use_kernel()
    monkeypatch.delenv("CASANEP_NUMBA")
    assert kernels.use_kernel() == kernels.kernel_is_faster()


def test_a_kernel_that_fails_leaves_the_numpy_path(monkeypatch):
    def broken():
        raise RuntimeError("numba could not compile")

    monkeypatch.delenv("CASANEP_NUMBA", raising=False)
    monkeypatch.setattr(kernels, "_FASTER", [])
    monkeypatch.setattr(kernels, "_time_paths", broken)
    assert kernels.use_kernel() is False

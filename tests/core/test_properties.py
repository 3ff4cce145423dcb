"""Property tests: bounds that must hold for any input (METHOD.md sections 1-3)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from casa_nep_plugin.core import balance, casa, climate, respiration

finite = dict(allow_nan=False, allow_infinity=False)
ndvi_s = arrays(np.float64, 20, elements=st.floats(-1.0, 0.999, **finite))
t_s = arrays(np.float64, 20, elements=st.floats(-40.0, 45.0, **finite))
mm_s = arrays(np.float64, 20, elements=st.floats(-50.0, 800.0, **finite))


@settings(max_examples=200, deadline=None)
@given(ndvi_s, st.floats(-0.5, 0.5, **finite), st.floats(0.01, 0.49, **finite))
def test_fpar_within_bounds(ndvi, lo, width):
    f = casa.fpar(ndvi, lo, lo + width)
    assert (f >= 0.001 - 1e-12).all() and (f <= 0.95 + 1e-12).all()


@settings(max_examples=200, deadline=None)
@given(mm_s, arrays(np.float64, 20, elements=st.floats(0.0, 400.0, **finite)))
def test_water_stress_within_bounds(e, ep0):
    we = casa.water_stress(e, ep0)
    assert (we >= 0.5).all() and (we <= 1.0).all()


@settings(max_examples=200, deadline=None)
@given(
    ndvi_s, t_s, mm_s, mm_s, arrays(np.float64, 20, elements=st.floats(0, 800, **finite)), st.floats(-5, 35, **finite)
)
def test_npp_never_negative(ndvi, t, p, e, sol, topt):
    ep0 = climate.thornthwaite_ep0(t.reshape(1, 20).repeat(12, axis=0))[0]
    e_zz = climate.zhou_zhang_et(p, ep0)
    assert (e_zz >= 0).all()
    for ee in (e, e_zz):
        lue = casa.light_use_efficiency(casa.te1(topt, t), casa.te2(topt, t), casa.water_stress(ee, ep0), 0.985)
        npp = casa.npp(casa.apar(sol, casa.fpar(ndvi, 0.023, 0.676)), lue)
        assert (npp >= 0).all()


@settings(max_examples=200, deadline=None)
@given(t_s)
def test_thornthwaite_non_negative_and_finite(t):
    ep0 = climate.thornthwaite_ep0(np.stack([t] * 12))
    assert np.isfinite(ep0).all() and (ep0 >= 0).all()


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float32, 30, elements=st.floats(0, 300, width=32, **finite)),
    t_s.map(lambda a: np.resize(a, 30)),
    mm_s.map(lambda a: np.resize(a, 30)),
)
def test_nep_is_exactly_npp_minus_rh(npp, t, p):
    rh = respiration.heterotrophic_respiration(t, p).astype(np.float32)
    assert (rh > 0).all()
    np.testing.assert_array_equal(balance.nep(npp, rh), npp - rh)

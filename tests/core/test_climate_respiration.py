"""Thornthwaite, Zhou & Zhang, Pei RH and NEP against hand-worked values (METHOD.md 1-3)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from casa_nep_plugin.core import balance, climate, respiration
from casa_nep_plugin.core.params import RespirationParams


def test_thornthwaite_constant_20c():
    # 12 months at 20 degC: I = 12*(20/5)^1.514 = 12*4^1.514 = 12*8.1567815 = 97.881378
    # a = 6.75e-7*I^3 - 7.71e-5*I^2 + 1.792e-2*I + 0.49239 = 0.632997 - 0.738673 + 1.754034 + 0.49239 = 2.1407478
    # Ep0 = 16*(10*20/97.881378)^2.1407478 = 16*2.0432898^2.1407478 = 73.868295 mm month-1
    t = np.full((12, 1), 20.0)
    assert climate.heat_index(t)[0] == pytest.approx(97.881378, rel=1e-6)
    assert climate.thornthwaite_exponent(97.881378) == pytest.approx(2.1407478, rel=1e-6)
    np.testing.assert_allclose(climate.thornthwaite_ep0(t), 73.868295, rtol=1e-6)


def test_thornthwaite_cold_hot_branches():
    t = np.array([-5.0, 0.0, 10.0, 26.5, 28.0, 15, 15, 15, 15, 15, 15, 15])[:, None]
    ep0 = climate.thornthwaite_ep0(t)[:, 0]
    # T <= 0 -> 0 (and contributes nothing to I)
    assert ep0[0] == 0.0 and ep0[1] == 0.0
    # T >= 26.5: -415.85 + 32.24*T - 0.43*T^2; at 28: -415.85 + 902.72 - 337.12 = 149.75
    assert ep0[4] == pytest.approx(149.75)
    # at 26.5 exactly the hot branch applies: -415.85 + 854.36 - 301.9675 = 136.5425
    assert ep0[3] == pytest.approx(136.5425)
    # middle branch independent check with math: I from the positive months only
    i = sum((v / 5) ** 1.514 for v in t[:, 0] if v > 0)
    a = 6.75e-7 * i**3 - 7.71e-5 * i**2 + 1.792e-2 * i + 0.49239
    assert ep0[2] == pytest.approx(16 * (100 / i) ** a, rel=1e-9)


def test_thornthwaite_all_cold_year_is_zero_not_nan():
    t = np.full((12, 2), -3.0)
    assert (climate.thornthwaite_ep0(t) == 0).all()


def test_zhou_zhang_hand_worked():
    # P = 100, Ep0 = 80: Rn = sqrt(8000)*(0.369 + 0.598*sqrt(0.8)) = 89.442719*0.9038666 = 80.844363
    # E = P*Rn*(P^2+Rn^2+P*Rn)/((P+Rn)*(P^2+Rn^2))
    #   = 100*80.844363*(10000+6535.8110+8084.4363)/(180.844363*16535.8110) = 66.559750 mm month-1
    assert climate.zhou_zhang_et(100.0, 80.0) == pytest.approx(66.55975, rel=1e-6)


def test_zhou_zhang_edges():
    # E = 0 where P = 0 or Ep0 = 0 (no division by zero, no NaN)
    np.testing.assert_array_equal(climate.zhou_zhang_et(np.array([0.0, 50.0]), np.array([80.0, 0.0])), [0.0, 0.0])
    assert np.isnan(climate.zhou_zhang_et(np.nan, 80.0))


def test_rh_hand_worked():
    # T = 20, R = 100: exp(0.0913*20) = exp(1.826) = 6.2090009; ln(0.3145*100 + 1) = ln(32.45) = 3.4797004
    # RH = 0.22*(6.2090009 + 3.4797004)*30*0.465 = 0.22*9.6887013*13.95 = 29.734624 gC m-2 month-1
    assert respiration.heterotrophic_respiration(20.0, 100.0) == pytest.approx(29.734624, rel=1e-6)


def test_rh_factor_multiplies_whole_bracket():
    # the known wrong variant applies 30*0.465 to the log term only:
    # 0.22*(6.2090009 + 3.4797004*13.95) = 12.0452 -- must not be what we compute
    wrong = 0.22 * (math.exp(1.826) + math.log(32.45) * 13.95)
    assert respiration.heterotrophic_respiration(20.0, 100.0) != pytest.approx(wrong, rel=1e-3)
    # and coefficients are parameters: days = 31 scales RH by 31/30
    p = RespirationParams(days=31.0)
    assert respiration.heterotrophic_respiration(20.0, 100.0, p) == pytest.approx(29.734624 * 31 / 30, rel=1e-6)


def test_rh_dry_month_and_negative_precipitation():
    # R = 0: ln(1) = 0; T = 0: exp(0) = 1 -> RH = 0.22*1*13.95 = 3.069
    assert respiration.heterotrophic_respiration(0.0, 0.0) == pytest.approx(3.069)
    # negative precipitation (packing noise) is treated as 0
    assert respiration.heterotrophic_respiration(0.0, -0.5) == pytest.approx(3.069)


def test_nep_and_ratio():
    npp = np.array([50.0, 10.0, 0.0, -1.0])
    rh = np.array([30.0, 12.0, 5.0, 5.0])
    np.testing.assert_array_equal(balance.nep(npp, rh), npp - rh)
    ratio = balance.respiration_ratio(npp, rh)
    # 30/50 = 60 %, 12/10 = 120 %; NPP <= 0 -> NaN
    np.testing.assert_allclose(ratio[:2], [60.0, 120.0])
    assert np.isnan(ratio[2:]).all()

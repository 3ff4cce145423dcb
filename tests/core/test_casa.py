"""CASA functions against hand-worked values and their edge rules (METHOD.md section 1).

Each expected number below is worked from the equation by hand (steps in the
comments, arithmetic on a pocket calculator to 6-7 significant digits); the
code computes them with numpy, so a wrong coefficient, sign or branch fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from casa_nep_plugin.core import casa
from casa_nep_plugin.core.params import CasaParams

CROP = (0.023, 0.634)  # Zhu et al. (2006) cropland NDVI bounds, METHOD.md table


def test_fpar_hand_worked_cropland():
    # N = 0.5 within [0.023, 0.634]
    # FPAR_ndvi = (0.5-0.023)/(0.634-0.023)*(0.95-0.001)+0.001 = 0.477/0.611*0.949+0.001 = 0.7418723
    # SR = 1.5/0.5 = 3; SRmin = 1.023/0.977 = 1.0470829; SRmax = 1.634/0.366 = 4.4644809
    # FPAR_sr = (3-1.0470829)/(4.4644809-1.0470829)*0.949+0.001 = 0.5433186
    # FPAR = 0.5*0.7418723 + 0.5*0.5433186 = 0.6425954
    assert casa.fpar(0.5, *CROP) == pytest.approx(0.6425954, rel=1e-6)


def test_fpar_clips_to_class_bounds():
    # NDVI above NDVImax is clipped to NDVImax: both forms give FPARmax = 0.95;
    # below NDVImin both give FPARmin = 0.001 (METHOD.md: N = clip(NDVI, min, max)).
    assert casa.fpar(0.9, *CROP) == pytest.approx(0.95)
    assert casa.fpar(-0.3, *CROP) == pytest.approx(0.001)


def test_fpar_alpha_weights_the_two_forms():
    # alpha = 1 leaves the NDVI form alone: 0.7418723 (worked above)
    assert casa.fpar(0.5, *CROP, CasaParams(alpha=1.0)) == pytest.approx(0.7418723, rel=1e-6)
    assert casa.fpar(0.5, *CROP, CasaParams(alpha=0.0)) == pytest.approx(0.5433186, rel=1e-6)


def test_te1_hand_worked_and_cold_rule():
    # Te1 = 0.8 + 0.02*25 - 0.0005*25^2 = 0.8 + 0.5 - 0.3125 = 0.9875
    assert casa.te1(25.0, 20.0) == pytest.approx(0.9875)
    # T <= -10 degC gives 0: -10 itself (inclusive) and below; -9.99 does not
    np.testing.assert_allclose(casa.te1(25.0, np.array([-10.0, -15.0, -9.99])), [0.0, 0.0, 0.9875])


def test_te2_hand_worked():
    # Te2 = 1.1814 / ((1+exp(0.2*(25-10-20))) * (1+exp(0.3*(-25-10+20))))
    #     = 1.1814 / ((1+e^-1) * (1+e^-4.5)) = 1.1814 / (1.3678794*1.0111090) = 0.8541835
    assert casa.te2(25.0, 20.0) == pytest.approx(0.8541835, rel=1e-6)


@pytest.mark.parametrize(
    "t, expected, why",
    [
        # T = Topt+10 exactly is not outside (strict >): raw value
        # 1.1814/((1+exp(0.2*(25-10-35)))*(1+exp(0.3*(-25-10+35)))) = 1.1814/((1+e^-4)*(1+e^0)) = 0.5800755
        (35.0, 0.5800755, "at Topt+10: raw"),
        # just above: Te2raw(Topt, Topt)/2 = 1.1814/((1+e^-2)*(1+e^-3))/2 = 0.9912236/2 = 0.4956118
        (35.001, 0.4956118, "above Topt+10: half the value at Topt"),
        # T = Topt-13 exactly (strict <): raw 1.1814/((1+e^0.6)*(1+e^-6.9)) = 0.4182002
        (12.0, 0.4182002, "at Topt-13: raw"),
        (11.999, 0.4956118, "below Topt-13: half the value at Topt"),
    ],
)
def test_te2_edge_rule(t, expected, why):
    assert casa.te2(25.0, t) == pytest.approx(expected, rel=1e-6), why


def test_optimal_temperature_takes_first_peak_month_and_nan():
    ndvi = np.array([[0.2, 0.5], [0.8, np.nan], [0.8, 0.5], [0.1, np.nan]])[:, :, None]  # 4 "months"
    t = np.array([[5.0, 6.0], [20.0, 21.0], [25.0, 22.0], [30.0, 23.0]])[:, :, None]
    ndvi = np.concatenate([ndvi, np.full((4, 2, 1), np.nan)], axis=2)
    t = np.concatenate([t, t[:, :, :1]], axis=2)
    topt = casa.optimal_temperature(ndvi, t)
    # pixel (0,0): NDVI peaks 0.8 in months 2 and 3 -> first: T = 20
    # pixel (1,0): NDVI 0.5 in months 1 and 3 (NaN elsewhere) -> first: T = 6
    # column 1: NDVI all NaN -> Topt NaN
    assert topt[0, 0] == 20.0 and topt[1, 0] == 6.0
    assert np.isnan(topt[:, 1]).all()


def test_water_stress_hand_worked_and_edges():
    # E = 60, Ep0 = 100: EP = 80, We = 0.5 + 0.5*60/80 = 0.875
    assert casa.water_stress(60.0, 100.0) == pytest.approx(0.875)
    # EP <= 0 (E = 0 and Ep0 = 0) -> 1
    assert casa.water_stress(0.0, 0.0) == 1.0
    # negative E is set to 0 first: E = 0, Ep0 = 100 -> EP = 50, We = 0.5
    assert casa.water_stress(-20.0, 100.0) == pytest.approx(0.5)
    # E > Ep0 would exceed 1: E = 150, Ep0 = 50: EP = 100, 0.5+0.75 = 1.25 -> clipped to 1
    assert casa.water_stress(150.0, 50.0) == 1.0
    assert np.isnan(casa.water_stress(np.nan, 100.0))


def test_npp_chain_hand_worked():
    # SOL = 400 MJ m-2 month-1, FPAR = 0.6425954 (worked above): APAR = 400*0.6425954*0.5 = 128.51909
    # eps = Te1 0.9875 * Te2 0.8541835 * We 0.875 * 0.542 = 0.40003318... :
    #   0.9875*0.8541835 = 0.8435062; *0.875 = 0.7380679; *0.542 = 0.4000328
    # NPP = 128.51909 * 0.4000328 = 51.41186 gC m-2 month-1
    apar = casa.apar(400.0, casa.fpar(0.5, *CROP))
    assert apar == pytest.approx(128.51909, rel=1e-6)
    eps = casa.light_use_efficiency(casa.te1(25.0, 20.0), casa.te2(25.0, 20.0), casa.water_stress(60.0, 100.0), 0.542)
    assert eps == pytest.approx(0.4000328, rel=1e-6)
    assert casa.npp(apar, eps) == pytest.approx(51.41186, rel=1e-6)


def test_float32_stays_float32():
    a = np.full((3, 4), 0.5, np.float32)
    assert casa.fpar(a, np.float32(0.023), np.float32(0.634)).dtype == np.float32
    assert casa.te2(a * 50, a * 40).dtype == np.float32
    assert casa.water_stress(a, a).dtype == np.float32

"""Every constant of the model, in one documented place, each overridable.

Sources
-------
- Potter, C. S. et al. (1993) Terrestrial ecosystem production: a process model
  based on global satellite and surface data. Global Biogeochem. Cycles 7, 811-841.
- Zhu Wenquan, Pan Yaozhong, He Hao, Yu Deyong, Hu Haibo (2006) Simulation of
  maximum light use efficiency for some typical vegetation types in China.
  Chinese Science Bulletin 51, 457-463.
- Zhu Wenquan, Pan Yaozhong, Zhang Jinshui (2007) Estimation of net primary
  productivity of Chinese terrestrial vegetation based on remote sensing.
  J. Plant Ecol. 31, 413-424.
- Zhou Guangsheng, Zhang Xinshi (1995) A natural vegetation NPP model.
  Acta Phytoecol. Sin. 19, 193-200.
- Thornthwaite, C. W. (1948) An approach toward a rational classification of
  climate. Geogr. Rev. 38, 55-94.
- Pei Zhiyong et al. (2010) Soil respiration of the Qinghai-Tibet plateau
  grassland. Acta Ecol. Sin. (the monthly RH regression used by Wang & Liu 2025).
- Wang & Liu (2025) Carbon Footprints 4:28 (the study this plugin follows).

See ``METHOD.md`` (shipped beside the project) for the equations.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CasaParams:
    """Constants of the CASA light-use-efficiency model.

    Attributes
    ----------
    fpar_min, fpar_max:
        FPAR bounds (unitless), Zhu et al. 2007: 0.001 and 0.95.
    alpha:
        Weight of the NDVI form of FPAR against the SR form (unitless), 0.5.
    par_fraction:
        Share of photosynthetically active radiation in total solar radiation
        (unitless), 0.5 (Potter et al. 1993).
    te1_a, te1_b, te1_c:
        Te1 = a + b*Topt + c*Topt^2 (Potter et al. 1993): 0.8, 0.02, -0.0005.
    te1_cold_limit:
        Te1 = 0 where monthly T <= this (degC), -10.
    te2_scale, te2_k_low, te2_k_high, te2_offset:
        Te2 = scale / ((1+exp(k_low*(Topt-offset-T))) * (1+exp(k_high*(-Topt-offset+T))))
        (Potter et al. 1993): 1.1814, 0.2, 0.3, 10 degC.
    te2_upper, te2_lower:
        Te2 = Te2(Topt)/2 where T > Topt + upper or T < Topt - lower (degC): 10, 13.
    water_stress_min:
        We = min + (1-min)*E/EP, floor of the water-stress scalar (unitless), 0.5.
    epsilon_max_override:
        None to take eps_max per vegetation class from the class table; a number
        (gC MJ-1) to use one global value for every class (Potter: 0.389).
    """

    fpar_min: float = 0.001
    fpar_max: float = 0.95
    alpha: float = 0.5
    par_fraction: float = 0.5
    te1_a: float = 0.8
    te1_b: float = 0.02
    te1_c: float = -0.0005
    te1_cold_limit: float = -10.0
    te2_scale: float = 1.1814
    te2_k_low: float = 0.2
    te2_k_high: float = 0.3
    te2_offset: float = 10.0
    te2_upper: float = 10.0
    te2_lower: float = 13.0
    water_stress_min: float = 0.5
    epsilon_max_override: float | None = None


#: Potter et al. (1993)'s single global maximum light-use efficiency, gC MJ-1.
POTTER_EPSILON_MAX = 0.389


@dataclass(frozen=True)
class ThornthwaiteParams:
    """Thornthwaite (1948) unadjusted potential evapotranspiration, mm month-1.

    I = sum over 12 months of (T/5)^heat_exponent for T > 0;
    a = a3*I^3 + a2*I^2 + a1*I + a0;
    Ep0 = base*(10*T/I)^a for 0 < T < hot_limit;
    Ep0 = h0 + h1*T + h2*T^2 for T >= hot_limit (degC).
    """

    heat_exponent: float = 1.514
    a3: float = 6.75e-7
    a2: float = -7.71e-5
    a1: float = 1.792e-2
    a0: float = 0.49239
    base: float = 16.0
    hot_limit: float = 26.5
    h0: float = -415.85
    h1: float = 32.24
    h2: float = -0.43


@dataclass(frozen=True)
class ZhouZhangParams:
    """Zhou & Zhang (1995) actual evapotranspiration, mm month-1.

    Rn = sqrt(Ep0*P) * (c0 + c1*sqrt(Ep0/P)).
    """

    c0: float = 0.369
    c1: float = 0.598


@dataclass(frozen=True)
class RespirationParams:
    """Pei et al. (2010) soil heterotrophic respiration, gC m-2 month-1.

    RH = a * (exp(b*T) + ln(c*R + 1)) * days * carbon_fraction, where the factor
    ``days * carbon_fraction`` multiplies the whole bracket.
    """

    a: float = 0.22
    b: float = 0.0913
    c: float = 0.3145
    days: float = 30.0
    carbon_fraction: float = 0.465


@dataclass(frozen=True)
class ModelParams:
    """All parameter groups of one run."""

    casa: CasaParams = field(default_factory=CasaParams)
    thornthwaite: ThornthwaiteParams = field(default_factory=ThornthwaiteParams)
    zhou_zhang: ZhouZhangParams = field(default_factory=ZhouZhangParams)
    respiration: RespirationParams = field(default_factory=RespirationParams)

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict (for output metadata)."""
        return dataclasses.asdict(self)

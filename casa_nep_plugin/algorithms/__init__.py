"""Processing algorithms, one module each; the provider loads ALGORITHMS."""

from .annual import AnnualAlgorithm
from .era5land import Era5LandAlgorithm
from .landcoverclasses import LandcoverClassesAlgorithm
from .ndvicomposite import NdviCompositeAlgorithm
from .nep import NepAlgorithm
from .npp import NppAlgorithm
from .rh import RhAlgorithm
from .validate import ValidateAlgorithm

ALGORITHMS = [
    Era5LandAlgorithm, NdviCompositeAlgorithm, LandcoverClassesAlgorithm,
    NppAlgorithm, RhAlgorithm, NepAlgorithm, AnnualAlgorithm, ValidateAlgorithm,
]

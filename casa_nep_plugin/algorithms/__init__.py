"""Processing algorithms, one module each; the provider loads ALGORITHMS."""

from .annual import AnnualAlgorithm
from .nep import NepAlgorithm
from .npp import NppAlgorithm
from .rh import RhAlgorithm
from .validate import ValidateAlgorithm

ALGORITHMS = [NppAlgorithm, RhAlgorithm, NepAlgorithm, AnnualAlgorithm, ValidateAlgorithm]

"""Processing algorithms, one module each; the provider loads ALGORITHMS."""

from .nep import NepAlgorithm
from .npp import NppAlgorithm
from .rh import RhAlgorithm

ALGORITHMS = [NppAlgorithm, RhAlgorithm, NepAlgorithm]

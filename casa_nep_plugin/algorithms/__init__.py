"""Processing algorithms, one module each; the provider loads ALGORITHMS."""

from .annual import AnnualAlgorithm
from .calibrate import CalibrateAlgorithm
from .era5land import Era5LandAlgorithm
from .landcoverbudget import LandcoverBudgetAlgorithm
from .landcoverclasses import LandcoverClassesAlgorithm
from .landcoverfractions import LandcoverFractionsAlgorithm
from .ndvicomposite import NdviCompositeAlgorithm
from .nep import NepAlgorithm
from .npp import NppAlgorithm
from .rh import RhAlgorithm
from .uncertainty import UncertaintyAlgorithm
from .validate import ValidateAlgorithm
from .workflow import WorkflowAlgorithm
from .zonalstatistics import ZonalStatisticsAlgorithm

ALGORITHMS = [
    Era5LandAlgorithm,
    NdviCompositeAlgorithm,
    LandcoverClassesAlgorithm,
    NppAlgorithm,
    RhAlgorithm,
    NepAlgorithm,
    AnnualAlgorithm,
    ValidateAlgorithm,
    WorkflowAlgorithm,
    ZonalStatisticsAlgorithm,
    LandcoverFractionsAlgorithm,
    LandcoverBudgetAlgorithm,
]
ALGORITHMS += [CalibrateAlgorithm, UncertaintyAlgorithm]

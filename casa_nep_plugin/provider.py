"""The "CASA NEP" Processing provider (id ``casanep``)."""

from __future__ import annotations

import glob
import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS
from .algorithms.base import ICON, PLUGIN_DIR

MODELS_DIR = os.path.join(PLUGIN_DIR, "resources", "models")


class CasaNepProvider(QgsProcessingProvider):
    """Offers the casa-nep algorithms and the shipped graphical models."""

    def id(self) -> str:  # noqa: D102
        return "casanep"

    def name(self) -> str:  # noqa: D102
        return "CASA NEP"

    def longName(self) -> str:  # noqa: N802,D102
        from . import __version__

        return f"CASA NEP {__version__} (NPP, soil respiration, NEP)"

    def icon(self) -> QIcon:  # noqa: D102
        return QIcon(ICON)

    def svgIconPath(self) -> str:  # noqa: N802,D102
        return ICON

    def defaultRasterFileExtension(self) -> str:  # noqa: N802,D102
        return "tif"

    def supportedOutputRasterLayerExtensions(self) -> list[str]:  # noqa: N802,D102
        return ["tif"]

    def loadAlgorithms(self) -> None:  # noqa: N802
        """Add every algorithm, then every shipped model (resources/models/*.model3)."""
        for cls in ALGORITHMS:
            self.addAlgorithm(cls())
        from qgis.core import QgsProcessingModelAlgorithm

        for path in sorted(glob.glob(os.path.join(MODELS_DIR, "*.model3"))):
            model = QgsProcessingModelAlgorithm()
            if model.fromFile(path):
                model.setSourceFilePath(path)
                self.addAlgorithm(model)

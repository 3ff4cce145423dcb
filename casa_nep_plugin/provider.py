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

    def longName(self) -> str:  # noqa: D102
        from . import __version__

        return f"CASA NEP {__version__} (NPP, soil respiration, NEP)"

    def versionInfo(self) -> str:
        """Return the plugin's version (shown by Processing, e.g. in the algorithm log)."""
        from . import __version__

        return __version__

    def icon(self) -> QIcon:  # noqa: D102
        return QIcon(ICON)

    def svgIconPath(self) -> str:  # noqa: D102
        return ICON

    def defaultRasterFileExtension(self) -> str:  # noqa: D102
        return "tif"

    def supportedOutputRasterLayerExtensions(self) -> list[str]:  # noqa: D102
        return ["tif"]

    def load(self) -> bool:  # noqa: D102
        from . import cluster_setting, settings

        settings.register(self.name(), self.icon())
        cluster_setting.register(self.name())  # "Dask scheduler address" (issue 13)
        self.refreshAlgorithms()
        return True

    def unload(self) -> None:  # noqa: D102
        from . import cluster_setting, settings

        settings.unregister()
        cluster_setting.unregister()

    # Outputs offer only what the algorithms write: tables and layers as GeoPackage or CSV,
    # no "Save to GeoPackage..."/database table destinations (the core writes files itself).
    def supportedOutputVectorLayerExtensions(self) -> list[str]:  # noqa: D102
        return ["gpkg", "csv"]

    def supportedOutputTableExtensions(self) -> list[str]:  # noqa: D102
        return ["gpkg", "csv"]

    def defaultVectorFileExtension(self, hasGeometry: bool = True) -> str:  # noqa: D102
        return "gpkg"

    def supportsNonFileBasedOutput(self) -> bool:  # noqa: D102
        return False

    def loadAlgorithms(self) -> None:
        """Add every algorithm, then every shipped model (resources/models/*.model3).

        A model's steps are this provider's own algorithms, which the registry
        only knows once the provider is added; the models are re-resolved then
        (their outputs depend on their steps).
        """
        from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

        for cls in ALGORITHMS:
            self.addAlgorithm(cls())
        self._models = []
        for path in sorted(glob.glob(os.path.join(MODELS_DIR, "*.model3"))):
            model = QgsProcessingModelAlgorithm()
            if model.fromFile(path):
                model.setSourceFilePath(path)
                self.addAlgorithm(model)
                self._models.append(model)
        if self._models and not getattr(self, "_listening", False):
            QgsApplication.processingRegistry().providerAdded.connect(self._resolve_models)
            self._listening = True

    def _resolve_models(self, provider_id: str) -> None:
        if provider_id != self.id():
            return
        for model in getattr(self, "_models", []):
            model.fromFile(model.sourceFilePath())
            model.updateDestinationParameters()

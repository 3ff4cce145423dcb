"""The QGIS plugin object: registers the Processing provider, nothing else.

``initProcessing`` is what QGIS (and ``qgis_process``) calls to make the
provider visible; ``iface`` is never touched, as it is None under qgis_process.
"""

from __future__ import annotations

from qgis.core import QgsApplication


class CasaNepPlugin:
    """Registers the casa-nep Processing provider."""

    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider = None

    def initProcessing(self) -> None:  # noqa: N802 - QGIS's name
        """Register the provider (called by QGIS and qgis_process)."""
        from .provider import CasaNepProvider

        if self.provider is None:
            self.provider = CasaNepProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 - QGIS's name
        """Desktop start: same as initProcessing."""
        self.initProcessing()

    def unload(self) -> None:
        """Remove the provider."""
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

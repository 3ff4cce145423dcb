"""The QGIS plugin object: registers the Processing provider, nothing else.

``initProcessing`` is what QGIS (and ``qgis_process``) calls to make the
provider visible; ``iface`` is never touched, as it is None under qgis_process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qgis.core import QgsApplication

if TYPE_CHECKING:
    from .provider import CasaNepProvider


def _install_translator():
    """Load i18n/casanep_<lang>.qm for QGIS's user locale, when shipped (None otherwise)."""
    import os

    from qgis.core import QgsSettings
    from qgis.PyQt.QtCore import QCoreApplication, QTranslator

    locale = str(QgsSettings().value("locale/userLocale", "") or "")[:2]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "i18n", f"casanep_{locale}.qm")
    if not locale or not os.path.exists(path):
        return None
    translator = QTranslator()
    if translator.load(path):
        QCoreApplication.installTranslator(translator)
        return translator
    return None


class CasaNepPlugin:
    """Registers the casa-nep Processing provider."""

    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider: CasaNepProvider | None = None
        self.translator = _install_translator()

    def initProcessing(self) -> None:
        """Register the provider (called by QGIS and qgis_process)."""
        from .provider import CasaNepProvider

        if self.provider is None:
            self.provider = CasaNepProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:
        """Start on the desktop: the same as initProcessing."""
        self.initProcessing()

    def unload(self) -> None:
        """Remove the provider."""
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

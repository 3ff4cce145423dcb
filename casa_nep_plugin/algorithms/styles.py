"""Layer styles (QML in resources/styles) applied when outputs load in QGIS."""

from __future__ import annotations

import os

from qgis.core import QgsProcessingLayerPostProcessorInterface

from .base import PLUGIN_DIR

STYLES_DIR = os.path.join(PLUGIN_DIR, "resources", "styles")


def style_path(name: str) -> str:
    """Path of a shipped style, e.g. ``npp_monthly`` -> .../styles/npp_monthly.qml."""
    return os.path.join(STYLES_DIR, f"{name}.qml")


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Loads a QML style into an output layer once it is added to the project."""

    _alive: list[StylePostProcessor] = []  # Processing keeps no reference: keep them alive

    def __init__(self, qml: str) -> None:
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802
        """Apply the style; a missing or broken style only warns."""
        message, ok = layer.loadNamedStyle(self.qml)
        if not ok and feedback is not None:
            feedback.pushInfo(f"Style {os.path.basename(self.qml)} not applied: {message}")
        layer.triggerRepaint()

    @classmethod
    def create(cls, qml: str) -> StylePostProcessor:
        """A post-processor kept alive for the session."""
        proc = cls(qml)
        cls._alive.append(proc)
        return proc


def style_on_load(context, path: str | None, name: str) -> None:
    """When ``path`` is to be loaded on completion, style it with ``name``."""
    if not path or not context.willLoadLayerOnCompletion(path):
        return
    details = context.layerToLoadOnCompletionDetails(path)
    details.setPostProcessor(StylePostProcessor.create(style_path(name)))

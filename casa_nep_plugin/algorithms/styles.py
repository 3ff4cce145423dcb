"""Layer styles (QML in resources/styles) applied when outputs load in QGIS."""

from __future__ import annotations

import os

from qgis.core import QgsProcessingLayerPostProcessorInterface

from .compat import set_renderer_band

#: resources/styles of the plugin (found from this file, so that the base can import this module)
STYLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources", "styles")
#: Styles whose ramp takes its range (and first band) from the data: name -> (diverging, monthly stack).
#: The class maps (sink_source) and the ratio's fixed thresholds keep their style's values.
DATA_RANGED = {
    "npp_monthly": (False, True),
    "rh_monthly": (False, True),
    "nep_monthly": (True, True),
    "npp_annual": (False, False),
    "rh_annual": (False, False),
    "nep_annual": (True, False),
    "fpar": (False, True),
    "lue": (False, True),
}


def fit_to_data(layer, name: str) -> bool:
    """Rescale a pseudocolour layer's ramp to its data and show the annual or peak-month band.

    The ramp's stops keep their relative positions (a diverging ramp stays centred on
    zero); labels are rewritten to the new values.  False when not applicable.
    """
    if name not in DATA_RANGED:
        return False
    from ..core.styles import display_range

    renderer = layer.renderer()
    if renderer is None or renderer.type() != "singlebandpseudocolor":
        return False
    diverging, monthly = DATA_RANGED[name]
    rng = display_range(layer.source(), diverging=diverging, monthly=monthly)
    if rng is None:
        return False
    shader = renderer.shader()
    ramp = shader.rasterShaderFunction()
    items = ramp.colorRampItemList()
    old_lo, old_hi = ramp.minimumValue(), ramp.maximumValue()
    if not items or old_hi <= old_lo:
        return False
    for item in items:
        item.value = rng.minimum + (item.value - old_lo) / (old_hi - old_lo) * (rng.maximum - rng.minimum)
        item.label = f"{item.value:.3g}"
    ramp.setColorRampItemList(items)
    ramp.setMinimumValue(rng.minimum)
    ramp.setMaximumValue(rng.maximum)
    renderer.setClassificationMin(rng.minimum)
    renderer.setClassificationMax(rng.maximum)
    set_renderer_band(renderer, rng.band)
    return True


def style_path(name: str) -> str:
    """Path of a shipped style, e.g. ``npp_monthly`` -> .../styles/npp_monthly.qml."""
    return os.path.join(STYLES_DIR, f"{name}.qml")


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Loads a QML style into an output layer once it is added to the project."""

    _alive: list[StylePostProcessor] = []  # Processing keeps no reference: keep them alive

    def __init__(self, qml: str) -> None:
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback) -> None:
        """Apply the style; a missing or broken style only warns."""
        message, ok = layer.loadNamedStyle(self.qml)
        if not ok and feedback is not None:
            feedback.pushInfo(f"Style {os.path.basename(self.qml)} not applied: {message}")
        elif ok:
            fit_to_data(layer, os.path.splitext(os.path.basename(self.qml))[0])
        layer.triggerRepaint()

    @classmethod
    def create(cls, qml: str) -> StylePostProcessor:
        """Return a post-processor kept alive for the session."""
        proc = cls(qml)
        cls._alive.append(proc)
        return proc


def style_on_load(context, path: str | None, name: str) -> None:
    """When ``path`` is to be loaded on completion, style it with ``name``."""
    if not path or not context.willLoadLayerOnCompletion(path):
        return
    details = context.layerToLoadOnCompletionDetails(path)
    details.setPostProcessor(StylePostProcessor.create(style_path(name)))


class ZoneStylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Colours a zone layer by its first annual NEP mean.

    The ramp is diverging, centred on zero (green: net sink, red: net source), with classes symmetric around zero.
    """

    _alive: list[ZoneStylePostProcessor] = []
    FIELD = r"^nep_\d{4}_mean$"
    CLASSES = 6

    def postProcessLayer(self, layer, context, feedback) -> None:
        """Set the graduated renderer; a layer without an annual NEP field is left as it is."""
        import re

        from qgis.core import QgsGraduatedSymbolRenderer, QgsRendererRange, QgsSymbol
        from qgis.PyQt.QtGui import QColor

        names = [f.name() for f in layer.fields()]
        field = next((n for n in names if re.match(self.FIELD, n)), None)
        if field is None:
            return
        values = [f[field] for f in layer.getFeatures()]
        values = [float(v) for v in values if v is not None and v == v and not isinstance(v, str)]
        if not values:
            return
        top = max(abs(v) for v in values) or 1.0
        half = self.CLASSES // 2
        colors = ["#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850"]  # source ... sink
        ranges = []
        for i in range(self.CLASSES):
            lo, hi = -top + 2 * top * i / self.CLASSES, -top + 2 * top * (i + 1) / self.CLASSES
            symbol = QgsSymbol.defaultSymbol(layer.geometryType())
            symbol.setColor(QColor(colors[i]))
            label = f"{lo:.0f} to {hi:.0f} gC m-2 a-1" + (" (source)" if i < half else " (sink)")
            ranges.append(QgsRendererRange(lo, hi, symbol, label))
        layer.setRenderer(QgsGraduatedSymbolRenderer(field, ranges))
        layer.triggerRepaint()

    @classmethod
    def create(cls) -> ZoneStylePostProcessor:
        """Return a post-processor kept alive for the session."""
        proc = cls()
        cls._alive.append(proc)
        return proc

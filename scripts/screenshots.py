"""Pictures of the plugin as a user sees it, for docs/screenshots (run by `make screenshots`).

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py [OUT_DIR]

Under a virtual X server (no desktop needed) with the QGIS of this machine:

* every algorithm's dialog with its help panel (``alg_<id>.png``);
* the shipped model in the graphical modeler (``modeler.png``);
* the Processing toolbox filtered to the plugin (``toolbox.png``);
* a styled map: annual NEP of the synthetic sample with the plugin's style, its
  ramp taken from the data (``map_nep_annual.png``).

The file names carry the QGIS version (``..._qgis3.22.png``), so pictures of
several versions sit side by side for comparison.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "casa_nep_plugin" / "resources" / "sample"
KEEP: list = []  # widgets and layers live until os._exit: deleting them under QGIS can crash


def settle(app, rounds: int = 30) -> None:
    """Let Qt lay out and paint."""
    for _ in range(rounds):
        app.processEvents()


def main(out_dir: str) -> int:
    """Take every picture; returns 0, or 1 when one of them failed."""
    from qgis.core import Qgis, QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], True)
    app.initQgis()
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    from casa_nep_plugin.provider import CasaNepProvider

    provider = CasaNepProvider()
    KEEP.extend([app, provider])
    registry = QgsApplication.processingRegistry()
    registry.addProvider(provider)
    version = ".".join(Qgis.QGIS_VERSION.split(".")[:2])
    os.makedirs(out_dir, exist_ok=True)
    failed = []

    def save(widget, name: str) -> None:
        KEEP.append(widget)
        path = os.path.join(out_dir, f"{name}_qgis{version}.png")
        if not widget.grab().save(path):
            failed.append(name)
        print(path)

    from processing.gui.AlgorithmDialog import AlgorithmDialog

    for alg in sorted(provider.algorithms(), key=lambda a: a.id()):
        if alg.id() == "casanep:casa_nep_workflow":
            continue
        dialog = AlgorithmDialog(alg.create(), False, None)
        dialog.resize(1100, 760)
        dialog.show()
        settle(app)
        save(dialog, f"alg_{alg.name()}")
        dialog.close()

    from processing.modeler.ModelerDialog import ModelerDialog

    model = registry.algorithmById("casanep:casa_nep_workflow")
    modeler = ModelerDialog.create(model.create())
    modeler.resize(1400, 900)
    modeler.show()
    settle(app)
    save(modeler, "modeler")
    modeler.close()

    from qgis.gui import QgsProcessingToolboxTreeView

    toolbox = QgsProcessingToolboxTreeView(None, registry)
    toolbox.setFilterString("CASA")
    toolbox.expandAll()
    toolbox.resize(420, 560)
    toolbox.show()
    settle(app)
    save(toolbox, "toolbox")

    with tempfile.TemporaryDirectory() as tmp:
        map_image(app, tmp, os.path.join(out_dir, f"map_nep_annual_qgis{version}.png"), failed)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def map_image(app, tmp: str, path: str, failed: list[str]) -> None:
    """Annual NEP of the sample, styled as the plugin styles it when loaded."""
    import processing
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings, QgsRasterLayer, QgsVectorLayer
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    from casa_nep_plugin.algorithms.styles import fit_to_data, style_path

    files = {
        "NDVI": "ndvi",
        "LANDCOVER": None,
        "SOLAR_RADIATION": "solar_radiation",
        "TEMPERATURE": "temperature",
        "PRECIPITATION": "precipitation",
        "EVAPOTRANSPIRATION": "evapotranspiration",
    }
    s = {k: str(SAMPLE / (f"{v}_2021_2022.tif" if v else "landcover_glcfcs30.tif")) for k, v in files.items()}
    res = processing.run(
        "casanep:npp",
        dict(s, NDVI_SCALE=0.0001, OUTPUT=os.path.join(tmp, "npp.tif"), RH_OUTPUT=os.path.join(tmp, "rh.tif")),
    )
    annual = processing.run(
        "casanep:annual",
        {"NPP": res["OUTPUT"], "RH": res["RH_OUTPUT"], "NEP_OUTPUT": os.path.join(tmp, "nep_annual.tif")},
    )
    layer = QgsRasterLayer(annual["NEP_OUTPUT"], "NEP annual")
    layer.loadNamedStyle(style_path("nep_annual"))
    fit_to_data(layer, "nep_annual")
    zones = QgsVectorLayer(str(SAMPLE / "zones.geojson"), "zones", "ogr")
    symbol = zones.renderer().symbol()
    symbol.setColor(QColor(0, 0, 0, 0))
    symbol.symbolLayer(0).setStrokeColor(QColor("#333333"))
    settings = QgsMapSettings()
    settings.setLayers([zones, layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(900, 700))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererParallelJob(settings)
    KEEP.extend([layer, zones, settings, job])
    job.start()
    job.waitForFinished()
    if not job.renderedImage().save(path):
        failed.append("map")
    print(path)


if __name__ == "__main__":
    status = main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "docs" / "screenshots"))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # QGIS can segfault while Python tears its objects down (QGIS_NOTES.md)

"""Build the shipped graphical model resources/models/casa_nep_workflow.model3.

Run under the oldest supported QGIS (3.22), so the file opens in 3.22 and
later (models saved by 3.26+ name their outputs differently):

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python scripts/make_model.py

The model chains the individual algorithms as casanep:workflow does:
npp -> rh -> nep -> annual -> zonalstatistics, and landcoverfractions ->
landcoverbudget, so users can open it in the modeler and change it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "casa_nep_plugin" / "resources" / "models" / "casa_nep_workflow.model3"


def build():
    """The model, built with the Processing API."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterNumber,
        QgsProcessingParameterRasterLayer,
    )
    from qgis.PyQt.QtCore import QPointF

    from casa_nep_plugin.algorithms.compat import NUMBER_DOUBLE, SOURCE_POLYGON

    model = QgsProcessingModelAlgorithm("casa_nep_workflow", "Workflow")
    model.setHelpContent({
        "ALG_DESC": "The casa-nep study as a graphical model: monthly NPP (CASA), soil heterotrophic respiration "
                    "and NEP, annual budget and sink/source map, zonal statistics per zone, land-cover fractions "
                    "and the land-cover budget. Open it in the modeler to change it; casanep:workflow runs the "
                    "same steps and adds charts and a report.",
        "ALG_CREATOR": "casa-nep",
    })
    inputs = [
        ("ndvi", QgsProcessingParameterRasterLayer("ndvi", "NDVI (monthly stack)")),
        ("landcover", QgsProcessingParameterRasterLayer("landcover", "Land cover (GLC_FCS30 codes)")),
        ("solar", QgsProcessingParameterRasterLayer("solar", "Solar radiation (MJ m-2 month-1)")),
        ("temperature", QgsProcessingParameterRasterLayer("temperature", "Temperature (degC)")),
        ("precipitation", QgsProcessingParameterRasterLayer("precipitation", "Precipitation (mm month-1)")),
        ("evapotranspiration", QgsProcessingParameterRasterLayer(
            "evapotranspiration", "Evapotranspiration (mm month-1)", optional=True)),
        ("ndvi_scale", QgsProcessingParameterNumber("ndvi_scale", "NDVI scale factor", type=NUMBER_DOUBLE,
                                                    defaultValue=1.0, minValue=0.0)),
        ("threshold", QgsProcessingParameterNumber("threshold", "RH/NPP warning threshold (percent)",
                                                   type=NUMBER_DOUBLE, defaultValue=80.0, minValue=1, maxValue=100)),
        ("zones", QgsProcessingParameterFeatureSource("zones", "Zones", [SOURCE_POLYGON])),
        ("fine_landcover", QgsProcessingParameterRasterLayer("fine_landcover", "Fine land cover (ESA WorldCover)")),
    ]
    for i, (name, definition) in enumerate(inputs):
        comp = QgsProcessingModelParameter(name)
        comp.setPosition(QPointF(120 + 180 * (i % 5), 60 + 90 * (i // 5)))
        model.addModelParameter(definition, comp)

    src = QgsProcessingModelChildParameterSource
    fixed = src.fromStaticValue

    def child(alg_id, child_id, x, y, sources, outputs):
        c = QgsProcessingModelChildAlgorithm(alg_id)
        c.setChildId(child_id)
        c.setDescription(child_id)
        c.setPosition(QPointF(x, y))
        for pname, s in sources.items():
            c.addParameterSources(pname, [s])
        outs = {}
        for out_name, model_name in outputs.items():
            o = QgsProcessingModelOutput(model_name)
            o.setChildOutputName(out_name)
            o.setChildId(child_id)
            o.setDescription(model_name)
            o.setPosition(QPointF(x + 160, y + 40))
            outs[model_name] = o
        c.setModelOutputs(outs)
        model.addChildAlgorithm(c)

    p = src.fromModelParameter
    o = src.fromChildOutput
    child("casanep:npp", "npp", 150, 300, {
        "NDVI": p("ndvi"), "LANDCOVER": p("landcover"), "SOLAR_RADIATION": p("solar"), "TEMPERATURE": p("temperature"),
        "PRECIPITATION": p("precipitation"), "EVAPOTRANSPIRATION": p("evapotranspiration"),
        "NDVI_SCALE": p("ndvi_scale")}, {"OUTPUT": "npp_monthly"})
    child("casanep:rh", "rh", 450, 300, {
        "TEMPERATURE": p("temperature"), "PRECIPITATION": p("precipitation"), "LANDCOVER": p("landcover")},
        {"OUTPUT": "rh_monthly"})
    child("casanep:nep", "nep", 300, 420, {"NPP": o("npp", "OUTPUT"), "RH": o("rh", "OUTPUT")},
          {"OUTPUT": "nep_monthly"})
    child("casanep:annual", "annual", 600, 420, {
        "NPP": o("npp", "OUTPUT"), "RH": o("rh", "OUTPUT"), "THRESHOLD": p("threshold")},
        {"NEP_OUTPUT": "nep_annual", "RATIO_OUTPUT": "rh_npp_ratio", "CLASS_OUTPUT": "sink_source"})
    child("casanep:zonalstatistics", "zonal", 300, 560, {
        "ZONES": p("zones"), "NPP": o("npp", "OUTPUT"), "RH": o("rh", "OUTPUT"), "NEP": o("nep", "OUTPUT"),
        "WEIGHTING": fixed("centre")}, {"OUTPUT": "zone_statistics"})
    child("casanep:landcoverfractions", "fractions", 700, 560, {
        "LANDCOVER": p("fine_landcover"), "CLASS_TABLE": fixed("worldcover"), "REFERENCE": o("npp", "OUTPUT")},
        {"OUTPUT": "landcover_fractions"})
    child("casanep:landcoverbudget", "budget", 600, 680, {
        "NPP": o("npp", "OUTPUT"), "RH": o("rh", "OUTPUT"), "NEP": o("nep", "OUTPUT"),
        "FRACTIONS": o("fractions", "OUTPUT"), "WEIGHTING": fixed("centre")}, {"OUTPUT": "landcover_budget"})
    model.updateDestinationParameters()
    return model


def main() -> int:
    """Build and save the model; fails loudly if a child algorithm is unknown."""
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    from casa_nep_plugin.provider import CasaNepProvider

    provider = CasaNepProvider()  # keep a Python reference, or its algorithms vanish with it
    QgsApplication.processingRegistry().addProvider(provider)
    model = build()
    missing = [c.algorithmId() for c in model.childAlgorithms().values() if c.algorithm() is None]
    if missing:
        print(f"unknown algorithms: {missing}", file=sys.stderr)
        return 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    if not model.toFile(str(TARGET)):
        print(f"cannot write {TARGET}", file=sys.stderr)
        return 1
    print(f"{TARGET}: {len(model.childAlgorithms())} steps, outputs "
          f"{sorted(d.name() for d in model.destinationParameterDefinitions())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

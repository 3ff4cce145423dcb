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
# canvas layout (scene units; a component box is 200 x 30, placed by its centre)
TOP, INPUT_X, INPUT_DY = 60, 150, 55
STEP_X, OUTPUT_X, OUTPUT_DY, STEP_GAP = 480, 810, 45, 40


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
    model.setHelpContent(
        {
            "ALG_DESC": "The casa-nep study as a graphical model: monthly NPP (CASA), soil heterotrophic respiration "
            "and NEP, annual budget and sink/source map, zonal statistics per zone, land-cover fractions "
            "and the land-cover budget. Open it in the modeler to change it; casanep:workflow runs the "
            "same steps and adds charts and a report.",
            "ALG_CREATOR": "casa-nep",
        }
    )
    inputs = [
        ("ndvi", QgsProcessingParameterRasterLayer("ndvi", "NDVI (monthly stack)")),
        ("landcover", QgsProcessingParameterRasterLayer("landcover", "Land cover (GLC_FCS30 codes)")),
        ("solar", QgsProcessingParameterRasterLayer("solar", "Solar radiation (MJ m-2 month-1)")),
        ("temperature", QgsProcessingParameterRasterLayer("temperature", "Temperature (degC)")),
        ("precipitation", QgsProcessingParameterRasterLayer("precipitation", "Precipitation (mm month-1)")),
        (
            "evapotranspiration",
            QgsProcessingParameterRasterLayer("evapotranspiration", "Evapotranspiration (mm month-1)", optional=True),
        ),
        (
            "ndvi_scale",
            QgsProcessingParameterNumber(
                "ndvi_scale", "NDVI scale factor", type=NUMBER_DOUBLE, defaultValue=1.0, minValue=0.0
            ),
        ),
        (
            "threshold",
            QgsProcessingParameterNumber(
                "threshold",
                "RH/NPP warning threshold (percent)",
                type=NUMBER_DOUBLE,
                defaultValue=80.0,
                minValue=1,
                maxValue=100,
            ),
        ),
        ("zones", QgsProcessingParameterFeatureSource("zones", "Zones", [SOURCE_POLYGON])),
        ("fine_landcover", QgsProcessingParameterRasterLayer("fine_landcover", "Fine land cover (ESA WorldCover)")),
    ]
    # layout: inputs in a column on the left, steps in the middle, their outputs on the right;
    # every box is 200 x 30 (positions are centres), spaced so that none overlaps another
    for i, (name, definition) in enumerate(inputs):
        comp = QgsProcessingModelParameter(name)
        comp.setPosition(QPointF(INPUT_X, TOP + INPUT_DY * i))
        model.addModelParameter(definition, comp)
    if hasattr(model, "setParameterOrder"):  # the dialog lists inputs as a user fills them in
        model.setParameterOrder([name for name, _ in inputs])

    src = QgsProcessingModelChildParameterSource
    fixed = src.fromStaticValue

    cursor = [TOP]

    def child(alg_id, child_id, sources, outputs):
        from qgis.core import QgsApplication, QgsProcessingDestinationParameter

        alg = QgsApplication.processingRegistry().algorithmById(alg_id)
        c = QgsProcessingModelChildAlgorithm(alg_id)
        c.setChildId(child_id)
        c.setDescription(alg.displayName() if alg is not None else child_id)
        y = cursor[0]
        c.setPosition(QPointF(STEP_X, y))
        for pname, s in sources.items():
            c.addParameterSources(pname, [s])
        # a mandatory parameter the model leaves alone gets its default, as the modeler's dialog does
        for definition in alg.parameterDefinitions() if alg is not None else []:
            if (
                definition.name() in sources
                or isinstance(definition, QgsProcessingDestinationParameter)
                or definition.defaultValue() is None
            ):
                continue
            c.addParameterSources(definition.name(), [fixed(definition.defaultValue())])
        outs = {}
        for k, (out_name, (model_name, description)) in enumerate(outputs.items()):
            o = QgsProcessingModelOutput(model_name)
            o.setChildOutputName(out_name)
            o.setChildId(child_id)
            o.setDescription(description)
            o.setPosition(QPointF(OUTPUT_X, y + OUTPUT_DY * k))
            outs[model_name] = o
        c.setModelOutputs(outs)
        model.addChildAlgorithm(c)
        cursor[0] = y + OUTPUT_DY * max(1, len(outputs)) + STEP_GAP

    p = src.fromModelParameter
    o = src.fromChildOutput
    child(
        "casanep:npp",
        "npp",
        {
            "NDVI": p("ndvi"),
            "LANDCOVER": p("landcover"),
            "SOLAR_RADIATION": p("solar"),
            "TEMPERATURE": p("temperature"),
            "PRECIPITATION": p("precipitation"),
            "EVAPOTRANSPIRATION": p("evapotranspiration"),
            "NDVI_SCALE": p("ndvi_scale"),
        },
        {"OUTPUT": ("npp_monthly", "Monthly NPP")},
    )
    child(
        "casanep:rh",
        "rh",
        {"TEMPERATURE": p("temperature"), "PRECIPITATION": p("precipitation"), "LANDCOVER": p("landcover")},
        {"OUTPUT": ("rh_monthly", "Monthly soil respiration (RH)")},
    )
    child(
        "casanep:nep",
        "nep",
        {"NPP": o("npp", "OUTPUT"), "RH": o("rh", "OUTPUT")},
        {"OUTPUT": ("nep_monthly", "Monthly NEP")},
    )
    child(
        "casanep:annual",
        "annual",
        {"NPP": o("npp", "OUTPUT"), "RH": o("rh", "OUTPUT"), "THRESHOLD": p("threshold")},
        {
            "NEP_OUTPUT": ("nep_annual", "Annual NEP"),
            "RATIO_OUTPUT": ("rh_npp_ratio", "Annual RH/NPP ratio"),
            "CLASS_OUTPUT": ("sink_source", "Sink / source classes"),
        },
    )
    child(
        "casanep:zonalstatistics",
        "zonal",
        {
            "ZONES": p("zones"),
            "NPP": o("npp", "OUTPUT"),
            "RH": o("rh", "OUTPUT"),
            "NEP": o("nep", "OUTPUT"),
            "WEIGHTING": fixed("centre"),
        },
        {"OUTPUT": ("zone_statistics", "Statistics by zone")},
    )
    child(
        "casanep:landcoverfractions",
        "fractions",
        {"LANDCOVER": p("fine_landcover"), "CLASS_TABLE": fixed("worldcover"), "REFERENCE": o("npp", "OUTPUT")},
        {"OUTPUT": ("landcover_fractions", "Land-cover fractions")},
    )
    child(
        "casanep:landcoverbudget",
        "budget",
        {
            "NPP": o("npp", "OUTPUT"),
            "RH": o("rh", "OUTPUT"),
            "NEP": o("nep", "OUTPUT"),
            "FRACTIONS": o("fractions", "OUTPUT"),
            "WEIGHTING": fixed("centre"),
        },
        {"OUTPUT": ("landcover_budget", "Budget by land-cover type")},
    )
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
    print(
        f"{TARGET}: {len(model.childAlgorithms())} steps, outputs "
        f"{sorted(d.name() for d in model.destinationParameterDefinitions())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""casanep:workflow - the whole study in one run, into one folder."""

from __future__ import annotations

import os

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputFile,
    QgsProcessingOutputHtml,
    QgsProcessingOutputRasterLayer,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterField,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from .base import CasaAlgorithm
from .compat import parameter_as_strings, set_advanced
from .landcoverproduct import product_hint
from .parameters import (
    csv_file,
    gap_fill,
    gap_fill_values,
    model_input_values,
    model_inputs,
    ndvi_scale,
    threshold,
    weighting,
    zones,
    zones_path,
)
from .styles import StylePostProcessor, ZoneStylePostProcessor, style_path


class WorkflowAlgorithm(CasaAlgorithm):
    """Monthly and annual NPP, RH, NEP, sink/source map, zone tables, land-cover budget, charts, report."""

    ALG_ID = "workflow"
    DISPLAY = "Carbon budget workflow (NPP, RH, NEP, tables, charts, report)"
    SHORT = (
        "The whole study in one run: NPP, RH, NEP, annual budget, tables by zone and land cover, charts and a report."
    )
    TAGS = ("workflow", "casa", "npp", "nep", "soil respiration", "carbon budget", "report")
    REFS = ("potter1993", "zhu2006", "zhu2007", "pei2010", "wang2025")
    GROUP = "Workflow"
    GROUP_ID = "Workflow"  # the shipped model's group id is its group name: one "Workflow" group
    TABLES = [  # (file key, layer name, output) of the CSV tables loaded as tables
        ("zones_csv", "Zone statistics", "ZONE_TABLE"),
        ("budget", "Land-cover budget", "LANDCOVER_BUDGET"),
        ("long", "Long table", "LONG_TABLE_OUTPUT"),
    ]
    LOADED = {  # output -> (file key, layer name, style)
        "NPP": ("npp", "NPP monthly", "npp_monthly"),
        "RH": ("rh", "RH monthly", "rh_monthly"),
        "NEP": ("nep", "NEP monthly", "nep_monthly"),
        "NEP_ANNUAL": ("nep_annual", "NEP annual", "nep_annual"),
        "NPP_ANNUAL": ("npp_annual", "NPP annual", "npp_annual"),
        "RATIO": ("ratio", "RH/NPP annual", "ratio"),
        "SINK_SOURCE": ("sink_source", "Sink / warning / source", "sink_source"),
    }

    HELP = """<p>Runs the whole study on prepared monthly stacks, step by step (cancellable at any step) into one
OUTPUT_FOLDER; every file is staged and moved into place only when all steps succeed, so a failed or cancelled
run leaves nothing behind.</p>
<ol><li>monthly NPP by CASA (as casanep:npp), RH by Pei et al. (as casanep:rh, masked to land), NEP = NPP - RH;</li>
<li>annual NPP, RH, NEP, the RH/NPP ratio and the sink / warning / source map (THRESHOLD, default 80 %)
(as casanep:annual);</li>
<li>with ZONES: per zone area, mean (gC m<sup>-2</sup>) and total (tC, ktC) of NPP, RH and NEP for every month and
year, and RH/NPP (as casanep:zonalstatistics; WEIGHTING centre or exact);</li>
<li>with FINE_LANDCOVER (e.g. ESA WorldCover 10 m): the fraction of each of the study's six classes in every model
cell and the per-class totals and shares of NPP, RH and NEP (as casanep:landcoverfractions and
casanep:landcoverbudget);</li>
<li>charts (monthly NPP, RH and NEP per zone; annual values per zone; land-cover shares) and an HTML report with
the parameters, maps, tables and charts.</li></ol>
<p>Inputs and units as in casanep:npp: monthly stacks with bands described YYYY-MM; NDVI (NDVI_SCALE 0.0001 for
MODIS integers), SOL MJ m<sup>-2</sup> month<sup>-1</sup>, T &deg;C, P and E mm month<sup>-1</sup>; LANDCOVER codes of
the LANDCOVER_PRODUCT (GLC_FCS30, ESA WorldCover or MODIS IGBP) mapped by its shipped table, or by your own
CLASS_TABLE (CSV code,class).</p>
<p><b>NDVI gaps</b>: GAP_FILL linear (the default here) fills a cell's missing NDVI month by linear interpolation
in time between its nearest valid months before and after, across a year boundary when the stack continues, where
the gap is at most MAX_GAP months (default 2); longer gaps and gaps at the ends stay nodata. With zones, the filled
NDVI cell-months per zone and year are counted in the table (filled_cell_months_YYYY).</p>
<p><b>One definition of annual</b>: a zone's annual mean and total are those of the annual map over the zone; a
cell counts for a year only where every month of it has data, and coverage columns (valid cells and percent of the
zone's cells, per month and year) go with every number.</p>"""

    def initAlgorithm(self, config=None):
        """Declare parameters and outputs."""
        add = self.addParameter
        for param in model_inputs(self):  # casanep:npp's, under the same names and labels
            add(param)
        add(ndvi_scale(self))
        add(zones(self.tr("Zones (e.g. cities)"), optional=True))
        add(
            QgsProcessingParameterField(
                "ZONE_FIELD", self.tr("Zone name field"), parentLayerParameterName="ZONES", optional=True
            )
        )
        add(weighting(self))
        add(
            QgsProcessingParameterRasterLayer(
                "FINE_LANDCOVER", self.tr("Fine land cover (e.g. WorldCover 10 m)"), optional=True
            )
        )
        add(
            set_advanced(
                csv_file(
                    "FINE_CLASS_TABLE", self.tr("Fine land-cover mapping to the six classes (CSV; default WorldCover)")
                )
            )
        )
        add(threshold(self))
        for param in gap_fill(self, "linear"):
            add(param)
        add(
            QgsProcessingParameterBoolean(
                "LONG_TABLE",
                self.tr("Also one long table: zone, class, year, month, quantity, statistic, value, unit"),
                defaultValue=True,
            )
        )
        add(
            set_advanced(
                QgsProcessingParameterString("TITLE", self.tr("Report title"), defaultValue="casa-nep carbon budget")
            )
        )
        add(QgsProcessingParameterFolderDestination("OUTPUT_FOLDER", self.tr("Output folder")))
        self.addOutput(QgsProcessingOutputHtml("REPORT", self.tr("Report")))
        for name, (_, label, _) in self.LOADED.items():
            self.addOutput(QgsProcessingOutputRasterLayer(name, self.tr(label)))
        self.addOutput(QgsProcessingOutputFile("ZONE_TABLE", self.tr("Zone table (CSV)")))
        self.addOutput(QgsProcessingOutputFile("LANDCOVER_BUDGET", self.tr("Land-cover budget (CSV)")))
        self.addOutput(QgsProcessingOutputVectorLayer("ZONES_LAYER", self.tr("Zones with their statistics")))
        self.addOutput(QgsProcessingOutputFile("LONG_TABLE_OUTPUT", self.tr("Long table (CSV)")))

    def inputs(self, parameters, context, feedback):
        """Return the :class:`core.workflow.WorkflowInputs` the parameters give."""
        from ..core.workflow import WorkflowInputs

        gap, max_gap = gap_fill_values(self, parameters, context)
        return WorkflowInputs(
            **model_input_values(self, parameters, context),
            zones=zones_path(self, parameters, context, feedback, formats=("gpkg", "geojson", "json", "shp")),
            zone_field=(parameter_as_strings(self, parameters, "ZONE_FIELD", context) or [None])[0],
            weighting=self.enum_string(parameters, "WEIGHTING", context),
            fine_landcover=self.raster_path(parameters, "FINE_LANDCOVER", context),
            fine_class_table=self.file_path(parameters, "FINE_CLASS_TABLE", context),
            threshold=self.parameterAsDouble(parameters, "THRESHOLD", context),
            title=self.parameterAsString(parameters, "TITLE", context) or "casa-nep carbon budget",
            gap_fill=gap,
            max_gap=max_gap,
            long_table=self.parameterAsBoolean(parameters, "LONG_TABLE", context),
        )

    @staticmethod
    def step_callbacks(feedback, steps: int):
        """Return core callbacks that report each workflow step as one step of a multi-step feedback."""
        from ..core.engine import Callbacks

        multi = QgsProcessingMultiStepFeedback(steps, feedback)
        return Callbacks(
            progress=multi.setProgress,
            is_cancelled=multi.isCanceled,
            info=multi.pushInfo,
            warning=getattr(multi, "pushWarning", multi.pushInfo),
            step=lambda i, name: multi.setCurrentStep(i),
        )

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.workflow.run_workflow`, with one feedback step per workflow step."""
        from ..core.errors import CasaInputError
        from ..core.workflow import plan, run_workflow

        inp = self.inputs(parameters, context, feedback)
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context)
        try:
            files = run_workflow(inp, folder, self.step_callbacks(feedback, len(plan(inp))))
        except CasaInputError as exc:
            if exc.parameter != "LANDCOVER":
                raise
            raise CasaInputError("LANDCOVER", product_hint(exc.message)) from exc
        if context.project() is not None:
            self.load_on_completion(files, context)
        feedback.pushInfo(f"Report: {os.path.abspath(files['report'])}")
        return {
            "OUTPUT_FOLDER": folder,
            "REPORT": files["report"],
            "ZONE_TABLE": files.get("zones_csv"),
            "LANDCOVER_BUDGET": files.get("budget"),
            "ZONES_LAYER": files.get("zones"),
            "LONG_TABLE_OUTPUT": files.get("long"),
            **{name: files.get(key) for name, (key, _, _) in self.LOADED.items()},
        }

    def load_on_completion(self, files: dict[str, str], context) -> None:
        """Load the maps (styled), the zones coloured by annual NEP and the CSV tables into the project."""
        project = context.project()
        for name, (key, label, style) in self.LOADED.items():
            if files.get(key):
                details = QgsProcessingContext.LayerDetails(label, project, name)
                details.setPostProcessor(StylePostProcessor.create(style_path(style)))
                context.addLayerToLoadOnCompletion(files[key], details)
        if files.get("zones"):
            details = QgsProcessingContext.LayerDetails(self.tr("Zones"), project, "ZONES_LAYER")
            details.setPostProcessor(ZoneStylePostProcessor.create())
            context.addLayerToLoadOnCompletion(files["zones"], details)
        for key, label, output in self.TABLES:
            if files.get(key):
                context.addLayerToLoadOnCompletion(
                    files[key], QgsProcessingContext.LayerDetails(self.tr(label), project, output)
                )

"""casanep:ndvicomposite - MODIS 16-day VI composites to monthly maximum NDVI on the model grid."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from .base import CasaAlgorithm, static_enum
from .compat import FILE_BEHAVIOR_FOLDER, NUMBER_DOUBLE, SOURCE_FILE, set_advanced
from .parameters import GRID_HELP, add_grid_parameters, gap_fill, gap_fill_values, grid_from_parameters

RELIABILITY_MODES = ["good_marginal", "good", "none"]
RESAMPLINGS = ["bilinear", "nearest", "average"]

GAP_FILL_HELP = """<p><b>Gap filling</b> (GAP_FILL linear): a cell's missing month is filled by linear interpolation in
time between its nearest valid months before and after, NDVI(t) = NDVI(p) + (NDVI(q) - NDVI(p)) (t - p)/(q - p),
across a year boundary when the stack continues; gaps longer than MAX_GAP months (default 2), or with no valid
month on one side (the start or end of the stack), stay nodata. The number of filled cell-months is written to the
log and to the output's metadata (casanep_gap_fill); FILLED_OUTPUT gives the filled months per cell and calendar
year. Filled months are estimates: a planner should read them with the coverage columns of the zone table.</p>"""


class NdviCompositeAlgorithm(CasaAlgorithm):
    """Monthly maximum-value NDVI composites from dated VI composites."""

    ALG_ID = "ndvicomposite"
    DISPLAY = "Monthly NDVI from MODIS 16-day composites"
    SHORT = "Monthly NDVI stacks by maximum-value compositing of MODIS 16-day vegetation-index composites."
    TAGS = ("modis", "ndvi", "mod13q1", "composite", "vegetation index")
    GROUP = "Input preparation"
    GROUP_ID = "prepare"
    INPUT = "INPUT"
    INPUT_FOLDER = "INPUT_FOLDER"
    RELIABILITY = "RELIABILITY"
    RELIABILITY_MODE = "RELIABILITY_MODE"
    INDEX = "INDEX"
    SCALE = "SCALE"
    FILL = "FILL"
    VALID_MIN = "VALID_MIN"
    VALID_MAX = "VALID_MAX"
    RESAMPLING = "RESAMPLING"
    OUTPUT = "OUTPUT"
    COUNT_OUTPUT = "COUNT_OUTPUT"
    GAP_FILL = "GAP_FILL"
    MAX_GAP = "MAX_GAP"
    FILLED_OUTPUT = "FILLED_OUTPUT"

    HELP = (
        """<p>Monthly NDVI by <b>maximum-value compositing</b> of MODIS vegetation-index composites (MOD13Q1
16-day 250 m, or MYD13Q1, MOD13A1, MOD13A3, ...): for every cell and month,</p>
<p><code>NDVI(month) = max over the valid composites dated in the month of (stored value &times; SCALE)</code></p>
<p>A value is valid when it is not the file's nodata nor FILL (-3000), lies within VALID_MIN..VALID_MAX
(-2000..10000, stored units), and - where a pixel-reliability layer exists - its reliability is kept by
RELIABILITY_MODE (MOD13Q1: 0 good, 1 marginal, 2 snow/ice, 3 cloudy; default keeps 0 and 1). A month with no valid
composite is <b>nodata</b>, never 0; the optional count output holds the number of valid composites per cell and
month. Output: NDVI (-1..1), one band per month from the first to the last composite's month, described YYYY-MM,
for casanep:npp with NDVI_SCALE 1.</p>
<p><b>Inputs</b>: GeoTIFF (or other) files, a folder of them, multi-band stacks (one band per date), or MODIS HDF4
granules (the NDVI and "pixel reliability" layers are taken from the file when GDAL has HDF4). The date of each
composite comes from the file name (<code>A2021017</code>, <code>doy2021017</code>, <code>2021-01-17</code>,
<code>2021-01</code>), else the band description, else the metadata (RANGEBEGINNINGDATE, or a comma list
<i>dates</i>); for 16-day composites it is the first day of the period, which decides the month. Files whose name
says "reliability" (among the inputs, the folder or RELIABILITY) are paired with the NDVI of the same date and
grid.</p>
<p>Composites are masked and composited on their own grid (per MODIS tile, sinusoidal), then resampled onto the
model grid (RESAMPLING, bilinear by default) block by block; several tiles are merged by the same maximum.</p>"""
        + GAP_FILL_HELP
        + GRID_HELP.format(
            default="Without a model grid the composites' own grid is kept (they must share one), cut to "
            "the extent when one is given."
        )
    )

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        add = self.addParameter
        add(
            QgsProcessingParameterMultipleLayers(
                self.INPUT,
                self.tr("VI composites (files, stacks or HDF4 granules)"),
                layerType=SOURCE_FILE,
                optional=True,
            )
        )
        add(
            QgsProcessingParameterFile(
                self.INPUT_FOLDER, self.tr("Folder of VI composites"), behavior=FILE_BEHAVIOR_FOLDER, optional=True
            )
        )
        add(
            QgsProcessingParameterMultipleLayers(
                self.RELIABILITY,
                self.tr("Pixel reliability rasters (paired by date; optional)"),
                layerType=SOURCE_FILE,
                optional=True,
            )
        )
        add(
            static_enum(
                self.RELIABILITY_MODE,
                self.tr("Pixel reliability kept (good = 0, marginal = 1)"),
                RELIABILITY_MODES,
                "good_marginal",
            )
        )
        add_grid_parameters(self)
        add(static_enum(self.RESAMPLING, self.tr("Resampling onto the model grid"), RESAMPLINGS, "bilinear"))
        add(
            set_advanced(
                QgsProcessingParameterString(
                    self.INDEX, self.tr("Layer of HDF4 granules (index name)"), defaultValue="NDVI"
                )
            )
        )
        stored_values = (  # (name, label, keywords): the composites' stored values (advanced)
            (self.SCALE, self.tr("Scale factor (MODIS: 0.0001)"), {"defaultValue": 0.0001, "minValue": 0.0}),
            (self.FILL, self.tr("Fill value (stored units; MODIS: -3000)"), {"defaultValue": -3000, "optional": True}),
            (self.VALID_MIN, self.tr("Valid minimum (stored units)"), {"defaultValue": -2000}),
            (self.VALID_MAX, self.tr("Valid maximum (stored units)"), {"defaultValue": 10000}),
        )
        for name, label, keywords in stored_values:
            add(set_advanced(QgsProcessingParameterNumber(name, label, type=NUMBER_DOUBLE, **keywords)))
        for param in gap_fill(self, "none"):
            add(param)
        add(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Monthly NDVI (maximum-value composite)")))
        for name, label in (
            (self.COUNT_OUTPUT, self.tr("Valid composites per month")),
            (self.FILLED_OUTPUT, self.tr("Filled months per cell and year")),
        ):
            add(QgsProcessingParameterRasterDestination(name, label, optional=True, createByDefault=False))

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.ndvi.run_ndvi_composite`."""
        from ..core.errors import CasaInputError
        from ..core.ndvi import VIScaling, run_ndvi_composite

        inputs = [p for p in self.parameterAsFileList(parameters, self.INPUT, context) if p]
        folder = self.parameterAsFile(parameters, self.INPUT_FOLDER, context)
        if folder:
            inputs.append(folder)
        if not inputs:
            raise CasaInputError(self.INPUT, "give the composites (files) or a folder holding them.")
        scaling = VIScaling(
            scale=self.parameterAsDouble(parameters, self.SCALE, context),
            fill=self.optional_number(parameters, self.FILL, context),  # not given: -3000; given empty: none
            valid_min=self.parameterAsDouble(parameters, self.VALID_MIN, context),
            valid_max=self.parameterAsDouble(parameters, self.VALID_MAX, context),
        )
        grid, extent, extent_crs = grid_from_parameters(self, parameters, context, feedback)
        gap, max_gap = gap_fill_values(self, parameters, context)
        written = run_ndvi_composite(
            inputs,
            self.output_path(parameters, self.OUTPUT, context),
            grid=grid,
            count_output=self.output_path(parameters, self.COUNT_OUTPUT, context),
            reliability=[p for p in self.parameterAsFileList(parameters, self.RELIABILITY, context) if p] or None,
            reliability_mode=self.enum_string(parameters, self.RELIABILITY_MODE, context),
            scaling=scaling,
            index=self.parameterAsString(parameters, self.INDEX, context).strip() or "NDVI",
            resampling=self.enum_string(parameters, self.RESAMPLING, context),
            extent=extent if grid is None else None,
            extent_crs=extent_crs,
            callbacks=self.callbacks(feedback),
            gap_fill=gap,
            max_gap=max_gap,
            filled_output=self.output_path(parameters, self.FILLED_OUTPUT, context),
        )
        return {
            self.OUTPUT: written["ndvi"],
            self.COUNT_OUTPUT: written.get("count"),
            self.FILLED_OUTPUT: written.get("filled"),
        }

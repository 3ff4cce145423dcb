"""casanep:validate - annual CASA NPP against a reference NPP product (MOD17A3HGF)."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterVectorDestination,
)

from .base import CasaAlgorithm
from .compat import NUMBER_INTEGER
from .parameters import reference_inputs, reference_scaling, reference_values


class ValidateAlgorithm(CasaAlgorithm):
    """Sample CASA and reference NPP on the reference grid; R2, RMSE, bias, fit, plot."""

    ALG_ID = "validate"
    DISPLAY = "Validate NPP against a reference product"
    SHORT = "Compares annual CASA NPP with a reference NPP product such as MODIS MOD17A3HGF."
    TAGS = ("validation", "npp", "modis", "mod17", "accuracy", "rmse")
    GROUP = "Validation"
    GROUP_ID = "validation"
    NPP = "NPP"
    REFERENCE = "REFERENCE"
    YEAR = "YEAR"
    SAMPLE_SIZE = "SAMPLE_SIZE"
    SEED = "SEED"
    NPP_SCALE = "NPP_SCALE"
    REFERENCE_SCALE = "REFERENCE_SCALE"
    FILL_MIN = "REFERENCE_FILL_MIN"
    FILL_MAX = "REFERENCE_FILL_MAX"
    POINTS = "POINTS"
    PLOT = "PLOT"
    STATISTICS = "STATISTICS"

    HELP = """<p>Compares annual CASA NPP with a reference NPP raster, by default MODIS MOD17A3HGF
(int16, 0.0001 kgC m<sup>-2</sup> a<sup>-1</sup> per count, so REFERENCE_SCALE 0.1 gives gC m<sup>-2</sup>
a<sup>-1</sup>; counts 32761-32767 are fill, water, barren, snow, wetland, urban or unclassified and are masked).</p>
<p>NPP is either annual (one band, or bands described YYYY; gC m<sup>-2</sup> a<sup>-1</sup>) or a monthly stack
(YYYY-MM bands, gC m<sup>-2</sup> month<sup>-1</sup>) whose months of YEAR (default: the first whole year) are
summed. It is aggregated to the reference grid by the mean of the CASA cells in each reference cell; then
SAMPLE_SIZE cells valid in both (Wang &amp; Liu 2025 used 2,395) are drawn at random with SEED.</p>
<p>Reported, with x = reference and y = CASA: N; R&sup2; (squared Pearson correlation);
RMSE = &radic;mean((y-x)&sup2;); bias = mean(y-x); slope and intercept of the least-squares line y = a x + b.
Outputs: the sample points (both values and their difference), a scatter plot with the 1:1 line (PNG) and the
statistics (CSV).</p>"""

    def initAlgorithm(self, config=None):
        """Declare parameters and outputs."""
        add = self.addParameter
        for param in reference_inputs(self):
            add(param)
        add(
            QgsProcessingParameterNumber(
                self.SAMPLE_SIZE, self.tr("Number of random cells"), type=NUMBER_INTEGER, defaultValue=2395, minValue=2
            )
        )
        add(
            QgsProcessingParameterNumber(
                self.SEED, self.tr("Random seed"), type=NUMBER_INTEGER, defaultValue=42, minValue=0
            )
        )
        for param in reference_scaling(self):
            add(param)
        add(QgsProcessingParameterVectorDestination(self.POINTS, self.tr("Sample points")))
        add(QgsProcessingParameterFileDestination(self.PLOT, self.tr("Scatter plot"), "PNG files (*.png)"))
        add(
            QgsProcessingParameterFileDestination(
                self.STATISTICS, self.tr("Statistics"), "CSV files (*.csv)", optional=True, createByDefault=False
            )
        )
        for name, label in (
            ("N", "Number of cells"),
            ("R2", "R2"),
            ("RMSE", "RMSE (gC m-2 a-1)"),
            ("BIAS", "Bias (gC m-2 a-1)"),
            ("SLOPE", "Slope"),
            ("INTERCEPT", "Intercept (gC m-2 a-1)"),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.validate.validate_npp`."""
        from ..core.validate import check_outputs, scatter_plot, validate_npp, write_points, write_statistics

        points = self.parameterAsOutputLayer(parameters, self.POINTS, context)
        plot = self.parameterAsFileOutput(parameters, self.PLOT, context)
        statistics = self.parameterAsFileOutput(parameters, self.STATISTICS, context) or None
        check_outputs(points, plot, statistics)
        result = validate_npp(
            npp=self.raster_path(parameters, self.NPP, context),
            reference=self.raster_path(parameters, self.REFERENCE, context),
            sample_size=self.parameterAsInt(parameters, self.SAMPLE_SIZE, context),
            seed=self.parameterAsInt(parameters, self.SEED, context),
            callbacks=self.callbacks(feedback),
            **reference_values(self, parameters, context),
        )
        write_points(result, points)
        scatter_plot(result, plot)
        if statistics:
            write_statistics(result, statistics)
        feedback.pushInfo(
            ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in result.summary().items())
        )
        return {
            self.POINTS: points,
            self.PLOT: plot,
            self.STATISTICS: statistics,
            "N": result.n,
            "R2": result.r2,
            "RMSE": result.rmse,
            "BIAS": result.bias,
            "SLOPE": result.slope,
            "INTERCEPT": result.intercept,
        }

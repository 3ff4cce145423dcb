"""casanep:validate - annual CASA NPP against a reference NPP product (MOD17A3HGF)."""

from __future__ import annotations

import csv
import os

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from .base import CasaAlgorithm
from .compat import NUMBER_DOUBLE, NUMBER_INTEGER, set_advanced


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

    def initAlgorithm(self, config=None):  # noqa: N802
        """Declare parameters and outputs."""
        add = self.addParameter
        add(QgsProcessingParameterRasterLayer(self.NPP, self.tr("CASA NPP (annual, or monthly stack)")))
        add(QgsProcessingParameterRasterLayer(self.REFERENCE, self.tr("Reference NPP (e.g. MOD17A3HGF)")))
        add(QgsProcessingParameterString(self.YEAR, self.tr("Year (of a monthly NPP stack; default first whole)"),
                                         optional=True))
        add(QgsProcessingParameterNumber(self.SAMPLE_SIZE, self.tr("Number of random cells"), type=NUMBER_INTEGER,
                                         defaultValue=2395, minValue=2))
        add(QgsProcessingParameterNumber(self.SEED, self.tr("Random seed"), type=NUMBER_INTEGER, defaultValue=42,
                                         minValue=0))
        add(set_advanced(QgsProcessingParameterNumber(
            self.NPP_SCALE, self.tr("Scale of CASA NPP values to gC m-2"), type=NUMBER_DOUBLE, defaultValue=1.0,
            minValue=0.0)))
        add(set_advanced(QgsProcessingParameterNumber(
            self.REFERENCE_SCALE, self.tr("Scale of reference values to gC m-2 a-1 (MOD17: 0.1)"),
            type=NUMBER_DOUBLE, defaultValue=0.1, minValue=0.0)))
        add(set_advanced(QgsProcessingParameterNumber(
            self.FILL_MIN, self.tr("Lowest reference fill code (MOD17: 32761)"), type=NUMBER_DOUBLE,
            defaultValue=32761, optional=True)))
        add(set_advanced(QgsProcessingParameterNumber(
            self.FILL_MAX, self.tr("Highest reference fill code (MOD17: 32767)"), type=NUMBER_DOUBLE,
            defaultValue=32767, optional=True)))
        add(QgsProcessingParameterVectorDestination(self.POINTS, self.tr("Sample points")))
        add(QgsProcessingParameterFileDestination(self.PLOT, self.tr("Scatter plot"), "PNG files (*.png)"))
        add(QgsProcessingParameterFileDestination(self.STATISTICS, self.tr("Statistics"), "CSV files (*.csv)",
                                                  optional=True, createByDefault=False))
        for name, label in (("N", "Number of cells"), ("R2", "R2"), ("RMSE", "RMSE (gC m-2 a-1)"),
                            ("BIAS", "Bias (gC m-2 a-1)"), ("SLOPE", "Slope"), ("INTERCEPT", "Intercept (gC m-2 a-1)")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.validate.validate_npp`."""
        from ..core.engine import check_writable
        from ..core.validate import ReferenceProduct, scatter_plot, validate_npp, write_points

        points = self.parameterAsOutputLayer(parameters, self.POINTS, context)
        plot = self.parameterAsFileOutput(parameters, self.PLOT, context)
        stats_path = self.parameterAsFileOutput(parameters, self.STATISTICS, context) or None
        for path, name in ((points, self.POINTS), (plot, self.PLOT), (stats_path, self.STATISTICS)):
            if path:
                check_writable(path, name)

        def optional_number(name):
            value = parameters.get(name)
            return None if value in (None, "") else self.parameterAsDouble(parameters, name, context)

        product = ReferenceProduct(
            scale=self.parameterAsDouble(parameters, self.REFERENCE_SCALE, context),
            fill_min=optional_number(self.FILL_MIN),
            fill_max=optional_number(self.FILL_MAX),
        )
        year = self.parameterAsString(parameters, self.YEAR, context).strip() or None
        result = validate_npp(
            npp=self.raster_path(parameters, self.NPP, context),
            reference=self.raster_path(parameters, self.REFERENCE, context),
            sample_size=self.parameterAsInt(parameters, self.SAMPLE_SIZE, context),
            seed=self.parameterAsInt(parameters, self.SEED, context),
            year=year,
            product=product,
            npp_scale=self.parameterAsDouble(parameters, self.NPP_SCALE, context),
            callbacks=self.callbacks(feedback),
        )
        write_points(result, points)
        scatter_plot(result, plot)
        summary = result.summary()
        if stats_path:
            with open(stats_path, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["statistic", "value"])
                for k, v in summary.items():
                    w.writerow([k, v])
        feedback.pushInfo(", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                                    for k, v in summary.items()))
        return {
            self.POINTS: points, self.PLOT: plot, self.STATISTICS: stats_path if stats_path and os.path.exists(
                stats_path) else None,
            "N": result.n, "R2": result.r2, "RMSE": result.rmse, "BIAS": result.bias, "SLOPE": result.slope,
            "INTERCEPT": result.intercept,
        }

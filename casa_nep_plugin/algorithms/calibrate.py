"""casanep:calibrate - eps_max per vegetation class fitted against a reference NPP product."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from .base import CasaAlgorithm
from .compat import NUMBER_DOUBLE, NUMBER_INTEGER, set_advanced
from .parameters import class_table_file, csv_file, reference_inputs, reference_scaling, reference_values


class CalibrateAlgorithm(CasaAlgorithm):
    """Least-squares eps_max factor per class on pure reference cells; cross-validated skill."""

    ALG_ID = "calibrate"
    DISPLAY = "Calibrate eps_max against a reference NPP product"
    SHORT = "One eps_max factor per land-cover class fitted to a reference NPP product such as MODIS MOD17A3HGF."
    TAGS = ("calibration", "eps_max", "light use efficiency", "npp", "modis", "mod17")
    GROUP = "Validation"
    GROUP_ID = "validation"
    NPP = "NPP"
    LANDCOVER = "LANDCOVER"
    CLASS_TABLE = "CLASS_TABLE"
    VEGETATION_TABLE = "VEGETATION_TABLE"
    REFERENCE = "REFERENCE"
    YEAR = "YEAR"
    PURITY = "PURITY"
    FOLDS = "FOLDS"
    BLOCK_SIZE = "BLOCK_SIZE"
    MIN_CELLS = "MIN_CELLS"
    SEED = "SEED"
    NPP_SCALE = "NPP_SCALE"
    REFERENCE_SCALE = "REFERENCE_SCALE"
    FILL_MIN = "REFERENCE_FILL_MIN"
    FILL_MAX = "REFERENCE_FILL_MAX"
    OUTPUT = "OUTPUT"
    FACTORS = "FACTORS"
    METRICS = "METRICS"
    PLOT = "PLOT"

    HELP = """<p>Fits one multiplicative factor per CASA vegetation class to the maximum light-use efficiency
&epsilon;max so that CASA NPP matches a reference NPP product (by default MODIS MOD17A3HGF), and writes a
calibrated vegetation table that casanep:npp takes as VEGETATION_TABLE. CASA NPP is proportional to &epsilon;max
cell by cell, so the fit needs no model run.</p>
<p><b>Method</b>, on the reference grid with the conventions of casanep:validate (REFERENCE_SCALE 0.1 turns
MOD17 counts into gC m<sup>-2</sup> a<sup>-1</sup>; counts 32761-32767 are fill and masked):</p>
<ul>
<li>annual CASA NPP (one band, or the months of YEAR of a monthly stack summed) is aggregated to each
reference cell by the mean of the CASA cells inside it;</li>
<li>the share of each class in a reference cell is taken from LANDCOVER (codes mapped by CLASS_TABLE) over the
land-cover cells with data; a reference cell is used for class k only where k covers at least PURITY
(default 0.8) of it and both products have a value;</li>
<li>per class, f = &Sigma;xy / &Sigma;y&sup2; (least squares of x = f y through the origin, x reference,
y CASA), standard error &radic;(s&sup2;/&Sigma;y&sup2;), s&sup2; = &Sigma;(x-fy)&sup2;/(n-1); the new
&epsilon;max is f times the old;</li>
<li>a class with fewer than MIN_CELLS (default 30) pure cells keeps its &epsilon;max, with a warning;</li>
<li>skill before and after (N, R&sup2;, RMSE, bias, slope, intercept, x reference, y CASA) is computed on the
pure cells; "after" comes from FOLDS-fold cross-validation (default 5) in which whole spatial blocks of
BLOCK_SIZE &times; BLOCK_SIZE reference cells (default 16, 8 km at 500 m) are held out together and
predicted with factors fitted on the other folds, so neighbouring, autocorrelated cells never sit on both
sides and the reported skill is honest.</li>
</ul>
<p><b>Assumptions</b>: the reference and the NPP describe the same year; the reference's error is random, not
class-dependent (a product bias for one biome passes into its factor); VEGETATION_TABLE and CLASS_TABLE are the
ones the NPP was computed with. Where the NPP's metadata records one global EPSILON_MAX, the factors apply to
that value and the calibrated table gives each class its own. Outputs: the calibrated table (CSV), the factors
with their standard errors and pure-cell counts (CSV), the skill before and after (CSV), a scatter plot (PNG).</p>"""

    def initAlgorithm(self, config=None):
        """Declare parameters and outputs."""
        add = self.addParameter
        npp, reference, year = reference_inputs(self)
        add(npp)
        add(QgsProcessingParameterRasterLayer(self.LANDCOVER, self.tr("Land cover (class codes)")))
        add(class_table_file(self))
        add(
            csv_file(
                self.VEGETATION_TABLE,
                self.tr("Vegetation class parameters the NPP used (CSV; default Zhu et al. 2006)"),
            )
        )
        add(reference)
        add(year)
        numbers = (  # (name, label, type, keywords, advanced)
            (
                self.PURITY,
                self.tr("Purity: least share of one class in a reference cell"),
                NUMBER_DOUBLE,
                {"defaultValue": 0.8, "minValue": 0.01, "maxValue": 1.0},
                False,
            ),
            (self.FOLDS, self.tr("Cross-validation folds"), NUMBER_INTEGER, {"defaultValue": 5, "minValue": 2}, False),
            (
                self.BLOCK_SIZE,
                self.tr("Spatial block side for cross-validation (reference cells)"),
                NUMBER_INTEGER,
                {"defaultValue": 16, "minValue": 1},
                True,
            ),
            (
                self.MIN_CELLS,
                self.tr("Fewest pure cells to calibrate a class"),
                NUMBER_INTEGER,
                {"defaultValue": 30, "minValue": 2},
                True,
            ),
            (self.SEED, self.tr("Random seed (folds)"), NUMBER_INTEGER, {"defaultValue": 42, "minValue": 0}, True),
        )
        for name, label, kind, keywords, advanced in numbers:
            param = QgsProcessingParameterNumber(name, label, type=kind, **keywords)
            add(set_advanced(param) if advanced else param)
        for param in reference_scaling(self):
            add(param)
        for name, label, file_filter in (
            (self.OUTPUT, self.tr("Calibrated vegetation table"), "CSV files (*.csv)"),
            (self.FACTORS, self.tr("Factors per class"), "CSV files (*.csv)"),
            (self.METRICS, self.tr("Skill before and after"), "CSV files (*.csv)"),
            (self.PLOT, self.tr("Scatter plot"), "PNG files (*.png)"),
        ):
            add(QgsProcessingParameterFileDestination(name, label, file_filter))
        for name, label in (
            ("N", "Pure reference cells"),
            ("R2_BEFORE", "R2 before"),
            ("R2_AFTER", "R2 after (cross-validated)"),
            ("RMSE_BEFORE", "RMSE before (gC m-2 a-1)"),
            ("RMSE_AFTER", "RMSE after, cross-validated (gC m-2 a-1)"),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.calibrate.calibrate_epsilon`; the table, factors, skill and plot written."""
        from ..core.calibrate import calibrate_epsilon
        from ..core.outputs import check_writable

        paths = {
            name: self.parameterAsFileOutput(parameters, name, context)
            for name in (self.OUTPUT, self.FACTORS, self.METRICS, self.PLOT)
        }
        for name, path in paths.items():
            check_writable(path, name)
        vegetation = self.file_path(parameters, self.VEGETATION_TABLE, context)
        reference = self.raster_path(parameters, self.REFERENCE, context)
        result = calibrate_epsilon(
            npp=self.raster_path(parameters, self.NPP, context),
            landcover=self.raster_path(parameters, self.LANDCOVER, context),
            reference=reference,
            class_table=self.file_path(parameters, self.CLASS_TABLE, context),
            vegetation_table=vegetation,
            purity=self.parameterAsDouble(parameters, self.PURITY, context),
            folds=self.parameterAsInt(parameters, self.FOLDS, context),
            block_size=self.parameterAsInt(parameters, self.BLOCK_SIZE, context),
            min_cells=self.parameterAsInt(parameters, self.MIN_CELLS, context),
            seed=self.parameterAsInt(parameters, self.SEED, context),
            callbacks=self.callbacks(feedback),
            **reference_values(self, parameters, context),
        )
        self.write(result, paths, vegetation, reference)
        self.report(result, feedback)
        b, a = result.before, result.after
        return {
            **paths,
            "N": b["n"],
            "R2_BEFORE": b["r2"],
            "R2_AFTER": a["r2"],
            "RMSE_BEFORE": b["rmse"],
            "RMSE_AFTER": a["rmse"],
        }

    def write(self, result, paths: dict[str, str], vegetation: str | None, reference: str) -> None:
        """Write the calibrated vegetation table, the factors, the skill and the scatter plot."""
        from ..core.calibration_outputs import calibration_plot, write_factors, write_metrics, write_vegetation_table

        write_vegetation_table(result, paths[self.OUTPUT], vegetation, reference)
        write_factors(result, paths[self.FACTORS])
        write_metrics(result, paths[self.METRICS])
        calibration_plot(result, paths[self.PLOT])

    @staticmethod
    def report(result, feedback) -> None:
        """Write the factors and the skill before and after to the log."""
        for c in result.factors:
            if c.cells:
                feedback.pushInfo(
                    f"{c.key}: factor {c.factor:.4f} (s.e. {c.standard_error:.4f}, {c.cells} pure cells)"
                    f"{'' if c.calibrated else ', kept'}; eps_max {c.epsilon_before:.4g} -> "
                    f"{c.epsilon_after:.4g} gC MJ-1"
                )
        b, a = result.before, result.after
        feedback.pushInfo(
            f"before: R2 {b['r2']:.3f}, RMSE {b['rmse']:.1f}, bias {b['bias']:.1f}; after "
            f"({result.folds}-fold spatial-block CV): R2 {a['r2']:.3f}, RMSE {a['rmse']:.1f}, "
            f"bias {a['bias']:.1f} (N = {b['n']})"
        )

"""casanep:uncertainty - Monte Carlo intervals of annual NPP, RH and NEP from parameter uncertainty."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
)

from . import parameters as shared
from .base import CasaAlgorithm
from .compat import NUMBER_DOUBLE, NUMBER_INTEGER, set_advanced


class UncertaintyAlgorithm(CasaAlgorithm):
    """A Monte Carlo ensemble over the model's parameters: every number with its interval."""

    ALG_ID = "uncertainty"
    DISPLAY = "Parameter uncertainty of NPP, RH and NEP (Monte Carlo)"
    SHORT = "Intervals for annual NPP, RH and NEP per zone from a Monte Carlo ensemble over the model parameters."
    TAGS = ("uncertainty", "monte carlo", "ensemble", "interval", "npp", "nep", "confidence")

    HELP = """<p>Runs the whole model (CASA NPP, Pei RH, NEP = NPP - RH) MEMBERS times (default 100), each member
with its own draw of the parameters, and reports every annual number with its interval.</p>
<p><b>Distributions</b> come from UNCERTAINTY_TABLE (CSV: parameter, distribution, arguments, source; default the
shipped <code>parameter_uncertainty.csv</code>, which says where each spread comes from and where no published
uncertainty exists and a stated relative spread is used): eps_max per class, the class NDVI bounds, FPARmin and
FPARmax, the Te2 constant, the water-stress floor and the Pei coefficients a, b, c. Distributions are centred on
the run's own values (VEGETATION_TABLE, EPSILON_MAX). Draws are clipped to valid ranges (eps_max &gt; 0,
NDVImin &le; NDVImax - 0.01, 0 &le; FPARmin &lt; FPARmax &le; 1, floor in [0, 0.99], a, c &ge; 0). All members'
parameters are drawn up front from SEED, so the same seed gives the same result on any machine.</p>
<p><b>Annual values</b> as in the zone tables: a cell's annual value is the sum of its months, a cell counts for a
year only where every month has data; zone totals and means are those of the annual map over the zone (ZONES
optional: without zones one row "all" covers the grid).</p>
<p><b>Outputs</b>: a table per zone with, for NPP, RH and NEP and each year, the ensemble mean, standard
deviation and the percentiles (100-CONFIDENCE)/2, 50 and 100-(100-CONFIDENCE)/2 (5, 50, 95 at the default 90 %) of
the annual total (ktC) and of the annual mean (gC m<sup>-2</sup> a<sup>-1</sup>), the coverage (valid cells and
percent of the zone's cells) and P(zone NEP &gt; 0); per-year maps of the standard deviation of annual NEP and of
the probability that the cell is a net sink, P(NEP &gt; 0); optionally the ensemble mean of annual NEP; a chart of
the zone totals with their intervals, and an HTML report holding them.</p>
<p><b>What it does not cover</b>: errors of the inputs (NDVI, climate, land cover) and of the model's structure;
the intervals are those of the parameters alone. Inputs, units and checks as in casanep:npp (NDVI bounds from the
table only).</p>"""

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        add = self.addParameter
        for param in shared.model_inputs_plain(self):
            add(param)
        add(shared.ndvi_scale(self))
        add(shared.zones(self.tr("Zones (e.g. cities; the whole grid when empty)"), optional=True))
        add(shared.weighting(self))
        add(shared.csv_file("UNCERTAINTY_TABLE", self.tr("Parameter distributions (CSV; default shipped)")))
        add(
            QgsProcessingParameterNumber(
                "MEMBERS", self.tr("Members"), type=NUMBER_INTEGER, defaultValue=100, minValue=2
            )
        )
        add(
            QgsProcessingParameterNumber(
                "SEED", self.tr("Random seed"), type=NUMBER_INTEGER, defaultValue=42, minValue=0
            )
        )
        add(
            QgsProcessingParameterNumber(
                "CONFIDENCE",
                self.tr("Interval (percent)"),
                type=NUMBER_DOUBLE,
                defaultValue=90.0,
                minValue=1.0,
                maxValue=99.9,
            )
        )
        add(shared.epsilon_max(self))
        add(shared.vegetation_table(self))
        for p in shared.gap_fill(self, "none"):
            add(set_advanced(p))
        add(QgsProcessingParameterFileDestination("TABLE", self.tr("Zone table with intervals"), "CSV files (*.csv)"))
        add(QgsProcessingParameterRasterDestination("SD_OUTPUT", self.tr("Standard deviation of annual NEP")))
        add(QgsProcessingParameterRasterDestination("PROBABILITY_OUTPUT", self.tr("P(annual NEP > 0)")))
        add(
            QgsProcessingParameterRasterDestination(
                "MEAN_OUTPUT", self.tr("Ensemble mean of annual NEP"), optional=True, createByDefault=False
            )
        )
        add(
            QgsProcessingParameterFileDestination(
                "CHART", self.tr("Chart of zone totals with intervals"), "PNG files (*.png)"
            )
        )
        add(
            QgsProcessingParameterFileDestination(
                "REPORT", self.tr("Report"), "HTML files (*.html)", optional=True, createByDefault=False
            )
        )

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.uncertainty.run_uncertainty`."""
        import dataclasses

        from ..core.params import ModelParams
        from ..core.uncertainty import run_uncertainty, write_uncertainty_report

        params = ModelParams()
        eps = self.optional_number(parameters, "EPSILON_MAX", context)
        if eps is not None:
            params = dataclasses.replace(params, casa=dataclasses.replace(params.casa, epsilon_max_override=eps))
        zones = None
        if parameters.get("ZONES"):
            zones = self.parameterAsCompatibleSourceLayerPath(
                parameters, "ZONES", context, ["gpkg", "geojson", "json", "shp"], "gpkg", feedback
            )
        report = self.parameterAsFileOutput(parameters, "REPORT", context) or None
        gap_fill, max_gap = shared.gap_fill_values(self, parameters, context)
        result = run_uncertainty(
            ndvi=self.raster_path(parameters, "NDVI", context),
            landcover=self.raster_path(parameters, "LANDCOVER", context),
            solar_radiation=self.raster_path(parameters, "SOLAR_RADIATION", context),
            temperature=self.raster_path(parameters, "TEMPERATURE", context),
            precipitation=self.raster_path(parameters, "PRECIPITATION", context),
            evapotranspiration=self.raster_path(parameters, "EVAPOTRANSPIRATION", context),
            potential_et=self.raster_path(parameters, "POTENTIAL_ET", context),
            optimal_temperature=self.raster_path(parameters, "OPTIMAL_TEMPERATURE", context),
            ndvi_scale=self.parameterAsDouble(parameters, "NDVI_SCALE", context),
            class_table=self.file_path(parameters, "CLASS_TABLE", context),
            vegetation_table=self.file_path(parameters, "VEGETATION_TABLE", context),
            params=params,
            zones=zones,
            weighting=self.enum_string(parameters, "WEIGHTING", context) or "centre",
            uncertainty_table=self.file_path(parameters, "UNCERTAINTY_TABLE", context),
            members=self.parameterAsInt(parameters, "MEMBERS", context),
            seed=self.parameterAsInt(parameters, "SEED", context),
            confidence=self.parameterAsDouble(parameters, "CONFIDENCE", context),
            table_output=self.parameterAsFileOutput(parameters, "TABLE", context),
            sd_output=self.output_path(parameters, "SD_OUTPUT", context),
            probability_output=self.output_path(parameters, "PROBABILITY_OUTPUT", context),
            mean_output=self.output_path(parameters, "MEAN_OUTPUT", context),
            chart_output=self.parameterAsFileOutput(parameters, "CHART", context),
            gap_fill=gap_fill or "none",
            max_gap=max_gap,
            callbacks=self.callbacks(feedback),
        )
        if report:
            write_uncertainty_report(result, report)
        return {
            "TABLE": result.paths.get("table"),
            "SD_OUTPUT": result.paths.get("sd"),
            "PROBABILITY_OUTPUT": result.paths.get("prob"),
            "MEAN_OUTPUT": result.paths.get("mean"),
            "CHART": result.paths.get("chart"),
            "REPORT": report,
        }

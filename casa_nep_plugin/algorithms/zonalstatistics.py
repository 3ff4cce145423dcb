"""casanep:zonalstatistics - means and totals of monthly carbon fluxes per polygon zone."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterRasterLayer, QgsProcessingParameterVectorDestination

from .aggregate import ANNUAL_RULE_HELP, OUTPUT_HELP, WEIGHTING_HELP, AggregateAlgorithm
from .compat import SOURCE_POLYGON


class ZonalStatisticsAlgorithm(AggregateAlgorithm):
    """Per zone: area, cell count, monthly and yearly area-weighted means and totals."""

    ALG_ID = "zonalstatistics"
    DISPLAY = "Zonal statistics of carbon fluxes"
    SHORT = "Totals and means of NPP, RH and NEP per polygon zone (city, district), month and year."
    TAGS = ("zonal statistics", "zones", "city", "district", "npp", "nep", "carbon budget")

    HELP = (
        """<p>Per polygon zone (city, district) and for every month and calendar year of the NPP, RH and
NEP stacks: the area-weighted mean (gC m<sup>-2</sup>) and the total (tC and ktC), with the zone's area
and cell count, and the ratio of totals RH/NPP (percent) when both are given.</p>
<p><code>total = &Sigma; value &times; cell area &times; weight</code>;
<code>mean = total / &Sigma; cell area &times; weight</code> over cells with data. Cell areas come from the
grid: the true ellipsoidal area of each row in a geographic CRS.</p>"""
        + ANNUAL_RULE_HELP
        + """
<p>Zones in any CRS are reprojected to the rasters' CRS; a layer without CRS is an error. Multipart zones
(islands) and overlapping zones are handled (a cell can belong to several zones). A zone that misses the
raster gets a row with cells 0 and a warning; a zone partly outside is warned about.</p>"""
        + WEIGHTING_HELP
        + OUTPUT_HELP
        + """<p><b>Columns</b>: the zone fields; <code>zone_index</code> (1-based);
<code>zone_area_km2</code> (geodesic area of the polygon); <code>area_km2</code> and <code>cells</code> (the
cells counted, weighted); per stack and month <code>npp_2021_01_mean</code>, <code>npp_2021_01_total_tC</code>,
<code>npp_2021_01_total_ktC</code>; per year <code>npp_2021_mean</code>, <code>npp_2021_total_tC</code>,
<code>npp_2021_total_ktC</code>; <code>rh_npp_2021_01_ratio_pct</code>, <code>rh_npp_2021_ratio_pct</code>
(over the cells where both NPP and RH have data); coverage per stack and period <code>npp_2021_01_valid_cells</code>,
<code>npp_2021_01_coverage_pct</code>, <code>npp_2021_valid_cells</code>, <code>npp_2021_coverage_pct</code>; with
FILLED (the filled-months raster of casanep:ndvicomposite) <code>filled_cell_months_2021</code>.
Empty (NULL) where a zone has no cell with data.</p>"""
    )

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        self.add_zone_parameters()
        self.add_stack_parameters()
        self.add_weighting_parameter()
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "FILLED",
                self.tr("NDVI months filled per cell and year (from casanep:ndvicomposite; optional)"),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT, self.tr("Zonal statistics (.gpkg layer or .csv)"), type=SOURCE_POLYGON
            )
        )

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.zonal.zonal_statistics`."""
        from ..core.zonal import zonal_statistics

        output = self.table_output(parameters, context)
        zonal_statistics(
            zones=self.zones_path(parameters, context, feedback),
            stacks=self.stacks(parameters, context),
            output=output,
            weighting=self.weighting(parameters, context),
            fields=self.fields(parameters, context),
            callbacks=self.callbacks(feedback),
            filled=self.raster_path(parameters, "FILLED", context),
        )
        return {self.OUTPUT: output}

"""casanep:landcoverbudget - per-class (and per zone x class) totals and shares of NPP, RH and NEP."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterRasterLayer, QgsProcessingParameterVectorDestination

from .aggregate import OUTPUT_HELP, WEIGHTING_HELP, AggregateAlgorithm
from .compat import SOURCE_TABLE


class LandcoverBudgetAlgorithm(AggregateAlgorithm):
    """Flux stacks and class fractions to class totals and shares, fractional and majority."""

    ALG_ID = "landcoverbudget"
    DISPLAY = "Land-cover carbon budget"
    SHORT = "Totals and shares of NPP, RH and NEP per land-cover class, month and year."
    TAGS = ("land cover", "landcover", "carbon budget", "npp", "nep", "share")
    FRACTIONS = "FRACTIONS"

    HELP = (
        """<p>Totals and shares of NPP, RH and NEP per land-cover class, for every month and calendar year,
by fractional cover weighting and by majority class side by side:</p>
<p><code>total<sub>c</sub> = &Sigma;<sub>x</sub> flux(x) &times; area(x) &times; f<sub>c</sub>(x)</code>,
<code>share<sub>c</sub> = total<sub>c</sub> / &Sigma;<sub>c'</sub> total<sub>c'</sub></code>; the majority
variant gives each cell wholly to its majority class. f<sub>c</sub> comes from <i>Land-cover fractions on the
model grid</i>, which must be on the fluxes' grid (use the NPP stack as its reference): a mismatch is an error,
never a silent resampling. Cells with fluxes but no fractions go to an <code>unclassified</code> row outside
the shares; an <code>all</code> row sums the classes.</p>
<p>With zones, one block of rows per zone (city &times; class), cells weighted as in zonal statistics.</p>
"""
        + WEIGHTING_HELP
        + OUTPUT_HELP
        + """<p><b>Columns</b>: the zone fields and <code>zone_index</code> (with
zones); <code>class</code>; <code>area_km2</code>; per stack and period (month <code>2021_01</code>, year
<code>2021</code>) <code>npp_2021_mean</code> (gC m<sup>-2</sup>), <code>npp_2021_total_tC</code>,
<code>npp_2021_total_ktC</code>, <code>npp_2021_share_pct</code>; <code>rh_npp_2021_ratio_pct</code>; every
column followed by its <code>_majority</code> twin.</p>"""
    )

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        self.add_stack_parameters()
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.FRACTIONS, self.tr("Class fractions (from Land-cover fractions, on the fluxes' grid)")
            )
        )
        self.add_zone_parameters(optional=True)
        self.add_weighting_parameter()
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT, self.tr("Land-cover budget table (.gpkg or .csv)"), type=SOURCE_TABLE
            )
        )

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.budget.landcover_budget`."""
        from ..core.budget import landcover_budget

        output = self.table_output(parameters, context)
        landcover_budget(
            stacks=self.stacks(parameters, context),
            fractions=self.raster_path(parameters, self.FRACTIONS, context),
            output=output,
            zones=self.zones_path(parameters, context, feedback),
            weighting=self.weighting(parameters, context),
            fields=self.fields(parameters, context),
            callbacks=self.callbacks(feedback),
        )
        return {self.OUTPUT: output}

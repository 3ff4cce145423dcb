"""casanep:zonalstatistics - means and totals of monthly carbon fluxes per polygon zone.

Also holds the parameter helpers the other "Aggregation" algorithms share
(flux stacks, zones, weighting, table output).
"""

from __future__ import annotations

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from .base import CasaAlgorithm
from .compat import SOURCE_POLYGON, parameter_as_strings

WEIGHTING_OPTIONS = ["centre", "exact"]
ANNUAL_RULE_HELP = """<p><b>One definition of annual</b>: a zone's annual mean (gC m<sup>-2</sup> a<sup>-1</sup>)
and total are those of the annual map (casanep:annual) over the zone. A cell's annual value is the sum of its months
of the calendar year, and a cell counts for a year only where every month of it has data; the mean is the
area-weighted mean of those annual values and the total their sum times the cell area. A cell with a cloud gap is
left out of that year, not added in for the months it has. The coverage columns say how many of the zone's cells
count for each month and year (valid cells, and percent of the zone's cells); read every number with its
coverage.</p>"""
WEIGHTING_HELP = """<p><b>Cell weighting</b>: <i>centre</i> counts a cell when its centre lies inside the zone
(as ArcGIS and QGIS zonal statistics do; the study's choice); <i>exact</i> weights each cell by the fraction
of its area inside the zone, computed exactly (a cell half inside counts half), so totals add up to the
polygon's area whatever the cell size.</p>"""
OUTPUT_HELP = """<p><b>Output</b>: a GeoPackage layer (<code>.gpkg</code>) or a CSV table (<code>.csv</code>),
chosen by the file extension. As a vector-layer output it chains in the graphical modeler into any algorithm
taking a vector layer or table (join, refactor fields, charts) and loads into the project when the run ends.</p>"""


class AggregateAlgorithm(CasaAlgorithm):
    """Base of the "Aggregation" algorithms: flux stacks, zones, weighting, table output."""

    GROUP = "Aggregation"
    GROUP_ID = "aggregate"
    NPP = "NPP"
    RH = "RH"
    NEP = "NEP"
    ZONES = "ZONES"
    FIELDS = "FIELDS"
    WEIGHTING = "WEIGHTING"
    OUTPUT = "OUTPUT"

    def add_stack_parameters(self) -> None:
        """Three optional monthly stacks; at least one is required at run time."""
        for name, text in (
            (self.NPP, "NPP (gC m-2 month-1, monthly stack)"),
            (self.RH, "RH (gC m-2 month-1, monthly stack)"),
            (self.NEP, "NEP (gC m-2 month-1, monthly stack)"),
        ):
            self.addParameter(QgsProcessingParameterRasterLayer(name, self.tr(text), optional=True))

    def add_weighting_parameter(self) -> None:
        """Enum ``centre``/``exact`` with static strings (stable in models and the CLI)."""
        p = QgsProcessingParameterEnum(
            self.WEIGHTING, self.tr("Cell weighting"), options=WEIGHTING_OPTIONS, defaultValue="centre"
        )
        p.setUsesStaticStrings(True)
        self.addParameter(p)

    def add_zone_parameters(self, optional: bool = False) -> None:
        """Polygon zones and the fields to carry into the table."""
        text = "Zones (polygons, any CRS; optional: a table per zone and class)" if optional else \
            "Zones (polygons, any CRS)"
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ZONES, self.tr(text), [SOURCE_POLYGON], optional=optional))
        self.addParameter(QgsProcessingParameterField(
            self.FIELDS, self.tr("Zone fields to keep (default: all)"), parentLayerParameterName=self.ZONES,
            allowMultiple=True, optional=True))

    def stacks(self, parameters, context) -> dict[str, str | None]:
        """{'npp': path, 'rh': path, 'nep': path} (None where not given)."""
        return {
            "npp": self.raster_path(parameters, self.NPP, context),
            "rh": self.raster_path(parameters, self.RH, context),
            "nep": self.raster_path(parameters, self.NEP, context),
        }

    def zones_path(self, parameters, context, feedback) -> str | None:
        """A path geopandas can read (memory layers and selections exported to GeoPackage)."""
        if parameters.get(self.ZONES) in (None, ""):
            return None
        source = self.parameterAsSource(parameters, self.ZONES, context)
        if source is not None and source.featureCount() == 0:
            raise QgsProcessingException(self.tr(
                "ZONES: the zone layer is empty (it has no features); give a layer with at least one polygon."))
        if source is not None and not source.sourceCrs().isValid():
            raise QgsProcessingException(self.tr(
                "ZONES: the zone layer has no coordinate reference system, so it cannot be placed on the "
                "rasters. Assign one (Layer Properties > Source, or 'Assign projection')."))
        path = self.parameterAsCompatibleSourceLayerPath(parameters, self.ZONES, context, ["gpkg"], "gpkg", feedback)
        if not path:
            raise QgsProcessingException(self.tr("ZONES: cannot read the zone layer."))
        return path

    def weighting(self, parameters, context) -> str:
        """The chosen weighting string."""
        return self.parameterAsEnumString(parameters, self.WEIGHTING, context) or "centre"

    def fields(self, parameters, context) -> list[str] | None:
        """Fields to keep, or None for all."""
        value = parameter_as_strings(self, parameters, self.FIELDS, context)
        return list(value) if value else None

    def table_output(self, parameters, context) -> str:
        """The table destination path (.gpkg or .csv)."""
        return self.parameterAsOutputLayer(parameters, self.OUTPUT, context)


class ZonalStatisticsAlgorithm(AggregateAlgorithm):
    """Per zone: area, cell count, monthly and yearly area-weighted means and totals."""

    ALG_ID = "zonalstatistics"
    DISPLAY = "Zonal statistics of carbon fluxes"
    SHORT = "Totals and means of NPP, RH and NEP per polygon zone (city, district), month and year."
    TAGS = ("zonal statistics", "zones", "city", "district", "npp", "nep", "carbon budget")

    HELP = """<p>Per polygon zone (city, district) and for every month and calendar year of the NPP, RH and
NEP stacks: the area-weighted mean (gC m<sup>-2</sup>) and the total (tC and ktC), with the zone's area
and cell count, and the ratio of totals RH/NPP (percent) when both are given.</p>
<p><code>total = &Sigma; value &times; cell area &times; weight</code>;
<code>mean = total / &Sigma; cell area &times; weight</code> over cells with data. Cell areas come from the
grid: the true ellipsoidal area of each row in a geographic CRS.</p>""" + ANNUAL_RULE_HELP + """
<p>Zones in any CRS are reprojected to the rasters' CRS; a layer without CRS is an error. Multipart zones
(islands) and overlapping zones are handled (a cell can belong to several zones). A zone that misses the
raster gets a row with cells 0 and a warning; a zone partly outside is warned about.</p>""" + WEIGHTING_HELP + \
        OUTPUT_HELP + """<p><b>Columns</b>: the zone fields; <code>zone_index</code> (1-based);
<code>zone_area_km2</code> (geodesic area of the polygon); <code>area_km2</code> and <code>cells</code> (the
cells counted, weighted); per stack and month <code>npp_2021_01_mean</code>, <code>npp_2021_01_total_tC</code>,
<code>npp_2021_01_total_ktC</code>; per year <code>npp_2021_mean</code>, <code>npp_2021_total_tC</code>,
<code>npp_2021_total_ktC</code>; <code>rh_npp_2021_01_ratio_pct</code>, <code>rh_npp_2021_ratio_pct</code>
(over the cells where both NPP and RH have data); coverage per stack and period <code>npp_2021_01_valid_cells</code>,
<code>npp_2021_01_coverage_pct</code>, <code>npp_2021_valid_cells</code>, <code>npp_2021_coverage_pct</code>; with
FILLED (the filled-months raster of casanep:ndvicomposite) <code>filled_cell_months_2021</code>.
Empty (NULL) where a zone has no cell with data.</p>"""

    def initAlgorithm(self, config=None):  # noqa: N802
        """Declare parameters."""
        self.add_zone_parameters()
        self.add_stack_parameters()
        self.add_weighting_parameter()
        self.addParameter(QgsProcessingParameterRasterLayer(
            "FILLED", self.tr("NDVI months filled per cell and year (from casanep:ndvicomposite; optional)"),
            optional=True))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT, self.tr("Zonal statistics (.gpkg layer or .csv)"), type=SOURCE_POLYGON))

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

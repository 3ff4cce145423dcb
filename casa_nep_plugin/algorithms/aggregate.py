"""The base of the "Aggregation" algorithms: flux stacks, zones, weighting, table output.

Also holds the help paragraphs they share.
"""

from __future__ import annotations

from .base import CasaAlgorithm
from .compat import parameter_as_strings
from .parameters import FLUX_STACKS, flux_stacks, weighting, zone_fields, zones, zones_path

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
        """Add the three optional monthly stacks; at least one is required at run time."""
        for param in flux_stacks(self):
            self.addParameter(param)

    def add_weighting_parameter(self) -> None:
        """Add WEIGHTING (centre or exact)."""
        self.addParameter(weighting(self))

    def add_zone_parameters(self, optional: bool = False) -> None:
        """Add the polygon zones and the fields to carry into the table."""
        if optional:
            self.addParameter(
                zones(self.tr("Zones (polygons, any CRS; optional: a table per zone and class)"), optional=True)
            )
        else:
            self.addParameter(zones(self.tr("Zones (polygons, any CRS)")))
        self.addParameter(zone_fields(self))

    def stacks(self, parameters, context) -> dict[str, str | None]:
        """Return {'npp': path, 'rh': path, 'nep': path} (None where not given)."""
        return {key: self.raster_path(parameters, name, context) for name, key in FLUX_STACKS.items()}

    def zones_path(self, parameters, context, feedback) -> str | None:
        """Return a path geopandas can read (memory layers and selections exported to GeoPackage)."""
        return zones_path(self, parameters, context, feedback)

    def weighting(self, parameters, context) -> str:
        """Return the chosen weighting string."""
        return self.enum_string(parameters, self.WEIGHTING, context)

    def fields(self, parameters, context) -> list[str] | None:
        """Return the fields to keep, or None for all."""
        value = parameter_as_strings(self, parameters, self.FIELDS, context)
        return list(value) if value else None

    def table_output(self, parameters, context) -> str:
        """Return the table destination path (.gpkg or .csv)."""
        return self.parameterAsOutputLayer(parameters, self.OUTPUT, context)

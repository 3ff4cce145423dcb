"""casanep:landcoverfractions - per-class cover fractions of a fine land-cover map on a model grid."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from ..core.products import FRACTION_TABLE_OPTIONS
from .aggregate import AggregateAlgorithm
from .base import static_enum
from .compat import NUMBER_DOUBLE
from .parameters import csv_file

TABLE_OPTIONS = list(FRACTION_TABLE_OPTIONS)


class LandcoverFractionsAlgorithm(AggregateAlgorithm):
    """Fine class map to one fraction band per class and the majority class."""

    ALG_ID = "landcoverfractions"
    DISPLAY = "Land-cover fractions on the model grid"
    SHORT = "Fraction of every model cell covered by each class of a fine land-cover map."
    TAGS = ("land cover", "landcover", "fraction", "worldcover", "share", "resample")
    LANDCOVER = "LANDCOVER"
    CLASS_TABLE = "CLASS_TABLE"
    CLASS_TABLE_FILE = "CLASS_TABLE_FILE"
    REFERENCE = "REFERENCE"
    CELL_SIZE = "CELL_SIZE"
    OUTPUT = "OUTPUT"
    MAJORITY_OUTPUT = "MAJORITY_OUTPUT"

    HELP = """<p>From a fine land-cover map (e.g. ESA WorldCover at 10 m) to, for every class c, the fraction
of each model cell it covers, <code>f<sub>c</sub> = n<sub>c</sub> / n</code> (fine cells of class c over fine
cells with a class), one band per class described by the class name, and the majority class of each cell
(class numbers 1..n in band order; ties go to the first class). These are the weights of
<i>Land-cover carbon budget</i>: <code>total<sub>c</sub> = &Sigma; flux &times; area &times; f<sub>c</sub></code>.</p>
<p><b>Classes</b>: codes are mapped through a table: shipped for ESA WorldCover, GLC_FCS30 and MODIS IGBP
into the study's six classes (forest, cropland, grassland, water, built-up, bare), or your own CSV with columns
<code>code,class</code> (class <code>nodata</code> marks fill codes; bands follow the classes' first
appearance). Codes the table lacks are left out, with a warning.</p>
<p><b>Model grid</b>: a reference raster (give the NPP stack, so the fractions line up with the fluxes) or a
cell size in the land-cover map's CRS units (e.g. 0.00208333 = 1/480 degree, or 250 m) from the map's origin.
On the map's CRS with a cell size that is a whole multiple of the fine cell and an origin on its grid lines
the fractions are exact; otherwise the map is sampled by nearest neighbour on about its own resolution.</p>
<p>The map is read in windows at full resolution (never its overviews) and all classes are counted in one
pass, so a 10 m map of a whole region runs in bounded memory.</p>"""

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        self.addParameter(QgsProcessingParameterRasterLayer(self.LANDCOVER, self.tr("Land-cover map (class codes)")))
        self.addParameter(
            static_enum(
                self.CLASS_TABLE,
                self.tr("Class table (product codes to the study's six classes)"),
                TABLE_OPTIONS,
                "worldcover",
            )
        )
        self.addParameter(
            csv_file(self.CLASS_TABLE_FILE, self.tr("Own class table (CSV code,class; replaces the one above)"))
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.REFERENCE, self.tr("Model grid from this raster (e.g. the NPP stack)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.CELL_SIZE,
                self.tr("Or: model cell size (land-cover CRS units)"),
                type=NUMBER_DOUBLE,
                optional=True,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Class fractions (one band per class)"))
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.MAJORITY_OUTPUT, self.tr("Majority class"), optional=True, createByDefault=True
            )
        )

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.fractions.landcover_fractions`."""
        from ..core.fractions import landcover_fractions

        table = self.file_path(parameters, self.CLASS_TABLE_FILE, context) or self.enum_string(
            parameters, self.CLASS_TABLE, context
        )
        written = landcover_fractions(
            landcover=self.raster_path(parameters, self.LANDCOVER, context),
            output=self.output_path(parameters, self.OUTPUT, context),
            class_table=table,
            reference=self.raster_path(parameters, self.REFERENCE, context),
            cell_size=self.optional_number(parameters, self.CELL_SIZE, context),
            majority_output=self.output_path(parameters, self.MAJORITY_OUTPUT, context),
            callbacks=self.callbacks(feedback),
        )
        return {self.OUTPUT: written["fractions"], self.MAJORITY_OUTPUT: written.get("majority")}

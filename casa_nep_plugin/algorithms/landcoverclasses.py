"""casanep:landcoverclasses - a land-cover product to CASA vegetation classes on the model grid."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterRasterDestination, QgsProcessingParameterRasterLayer

from ..core.products import PRODUCT_NAMES
from .base import CasaAlgorithm, static_enum
from .compat import set_advanced
from .parameters import GRID_HELP, add_grid_parameters, csv_file, grid_from_parameters, vegetation_table

PRODUCTS = list(PRODUCT_NAMES)


class LandcoverClassesAlgorithm(CasaAlgorithm):
    """Land-cover codes to CASA classes through a lookup table, majority-resampled onto the model grid."""

    ALG_ID = "landcoverclasses"
    DISPLAY = "Vegetation classes from a land-cover product"
    SHORT = "Maps the codes of a land-cover product (GLC_FCS30, ESA WorldCover, MODIS IGBP) to CASA vegetation classes."
    TAGS = ("land cover", "landcover", "glc_fcs30", "worldcover", "igbp", "vegetation class", "reclassify")
    GROUP = "Input preparation"
    GROUP_ID = "prepare"
    INPUT = "INPUT"
    PRODUCT = "PRODUCT"
    CLASS_LOOKUP = "CLASS_LOOKUP"
    OUTPUT_CLASS_TABLE = "OUTPUT_CLASS_TABLE"
    VEGETATION_TABLE = "VEGETATION_TABLE"
    OUTPUT = "OUTPUT"

    HELP = """<p>Maps each code of a land-cover product to a CASA vegetation class (evergreen/deciduous
needleleaf/broadleaf and mixed forest, shrubland, grassland, cropland, other vegetated/wetland/built-up/bare, water,
ice) through a lookup table (CSV <code>code,class</code>), then resamples the classes onto the model grid by
<b>majority</b>: each model cell takes the class of most of the product's cells inside it (nodata does not vote).
Where the product already lies on the model grid the classes are copied cell for cell. The product is read in
windows, so a 10 m tile of 36000 &times; 36000 cells fits in memory.</p>
<p>Shipped lookups (PRODUCT): <i>glc_fcs30</i> (GLC_FCS30, the study's product), <i>esa_worldcover</i> (tree cover
as mixed forest, mangroves as evergreen broadleaf), <i>modis_igbp</i> (MCD12Q1 LC_Type1 / MCD12C1, 0 and 17 water);
the CSVs in the plugin's resources/tables say where each choice comes from. CLASS_LOOKUP replaces them with your
own. Codes the table does not list stop the run with the list of codes.</p>
<p><b>Output</b>: one band of GLC_FCS30 codes, one per CASA class (crop 10, ebf 51, dbf 61, enf 71, dnf 81, mf 91,
shrub 120, grass 130, other 140, water 210, ice 220; nodata 0), which casanep:npp and casanep:rh read with their
default class table. With your own class table for the model, give it as OUTPUT_CLASS_TABLE and its codes are
written instead. For an HDF4 product (MCD12Q1) give its land-cover layer, as QGIS offers it when the file is
added (e.g. <code>HDF4_EOS:EOS_GRID:"MCD12Q1....hdf":MCD12Q1:LC_Type1</code>).</p>""" + GRID_HELP.format(
        default="Without a model grid the product's own grid is kept, cut to the extent when one is given."
    )

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        add = self.addParameter
        add(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Land-cover product (class codes)")))
        add(static_enum(self.PRODUCT, self.tr("Product (shipped lookup table)"), PRODUCTS, "glc_fcs30"))
        add(csv_file(self.CLASS_LOOKUP, self.tr("Own lookup table (CSV code,class; replaces PRODUCT)")))
        add_grid_parameters(self)
        add(
            set_advanced(
                csv_file(self.OUTPUT_CLASS_TABLE, self.tr("Class table of the model (output codes; default GLC_FCS30)"))
            )
        )
        add(vegetation_table(self))
        add(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("CASA vegetation classes")))

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.landcover.run_landcover_classes`."""
        from ..core.landcover import run_landcover_classes

        grid, extent, extent_crs = grid_from_parameters(self, parameters, context, feedback)
        lookup = self.file_path(parameters, self.CLASS_LOOKUP, context) or self.enum_string(
            parameters, self.PRODUCT, context
        )
        written = run_landcover_classes(
            self.raster_path(parameters, self.INPUT, context),
            self.output_path(parameters, self.OUTPUT, context),
            lookup=lookup,
            grid=grid,
            output_table=self.file_path(parameters, self.OUTPUT_CLASS_TABLE, context),
            vegetation_table=self.file_path(parameters, self.VEGETATION_TABLE, context),
            extent=extent if grid is None else None,
            extent_crs=extent_crs,
            callbacks=self.callbacks(feedback),
        )
        return {self.OUTPUT: written["classes"]}

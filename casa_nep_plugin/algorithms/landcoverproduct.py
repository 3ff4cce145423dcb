"""The land-cover product choice shared by casanep:npp, rh and workflow.

The user picks the product their LANDCOVER raster comes from (GLC_FCS30, ESA
WorldCover, MODIS IGBP); its shipped code table (resources/tables) maps the codes to
CASA vegetation classes.  An own CSV (code,class) replaces it.  No science here: the
core takes the table's path.
"""

from __future__ import annotations

from qgis.core import QgsProcessingParameterFile

from .base import static_enum
from .compat import FILE_BEHAVIOR_FILE

PRODUCT = "LANDCOVER_PRODUCT"
#: Enum option (static string) -> label; the keys are core.landcover.PRODUCT_TABLES's.
PRODUCTS = {
    "glc_fcs30": "GLC_FCS30 (30 m, codes 10-220)",
    "esa_worldcover": "ESA WorldCover (10 m, codes 10-100)",
    "modis_igbp": "MODIS IGBP (MCD12Q1 LC_Type1, codes 1-17)",
}
DEFAULT = "glc_fcs30"


def product_parameters(alg, class_table: str = "CLASS_TABLE") -> list:
    """The product enum and the own-table file parameter, in dialog order."""
    product = static_enum(PRODUCT, alg.tr("Land-cover product (its shipped code table maps the codes)"),
                          list(PRODUCTS), DEFAULT)
    own = QgsProcessingParameterFile(
        class_table, alg.tr("Or own class table (CSV code,class; replaces the product's table)"),
        behavior=FILE_BEHAVIOR_FILE, extension="csv", optional=True)
    return [product, own]


def class_table_path(alg, parameters, context, class_table: str = "CLASS_TABLE") -> str:
    """The own CSV when given, else the shipped table of the chosen product."""
    from ..core.landcover import PRODUCT_TABLES

    own = alg.parameterAsFile(parameters, class_table, context)
    if own:
        return own
    product = alg.parameterAsEnumString(parameters, PRODUCT, context) or DEFAULT
    return str(PRODUCT_TABLES[product])


def product_hint(message: str) -> str:
    """A 'codes not in the class table' message with the way out: the product choice."""
    if "not in the class table" not in message:
        return message
    from ..core.landcover import PRODUCT_TABLES

    tables = "; ".join(f"{k}: {v}" for k, v in PRODUCT_TABLES.items())
    return (f"{message} If the land cover is another product, choose it in LANDCOVER_PRODUCT "
            f"({', '.join(PRODUCTS)}); the shipped tables are {tables}.")

"""The land-cover product choice shared by casanep:npp, rh and workflow.

The user picks the product their LANDCOVER raster comes from (GLC_FCS30, ESA
WorldCover, MODIS IGBP); its shipped code table (resources/tables) maps the codes to
CASA vegetation classes.  An own CSV (code,class) replaces it.  No science here: the
core takes the table's path.
"""

from __future__ import annotations

from qgis.core import QgsProcessingParameterFile

from ..core.products import DEFAULT_PRODUCT, find_product
from ..core.products import PRODUCTS as CORE_PRODUCTS
from .base import static_enum
from .compat import FILE_BEHAVIOR_FILE

PRODUCT = "LANDCOVER_PRODUCT"
#: Enum option (static string) -> label, from core.products.
PRODUCTS = {p.name: p.label for p in CORE_PRODUCTS}
DEFAULT = DEFAULT_PRODUCT.name


def product_parameters(alg, class_table: str = "CLASS_TABLE") -> list:
    """Return the product enum and the own-table file parameter, in dialog order."""
    product = static_enum(
        PRODUCT, alg.tr("Land-cover product (its shipped code table maps the codes)"), list(PRODUCTS), DEFAULT
    )
    own = QgsProcessingParameterFile(
        class_table,
        alg.tr("Or own class table (CSV code,class; replaces the product's table)"),
        behavior=FILE_BEHAVIOR_FILE,
        extension="csv",
        optional=True,
    )
    return [product, own]


def class_table_path(alg, parameters, context, class_table: str = "CLASS_TABLE") -> str:
    """Return the own CSV when given, else the shipped table of the chosen product."""
    own = alg.parameterAsFile(parameters, class_table, context)
    if own:
        return own
    product = find_product(alg.parameterAsEnumString(parameters, PRODUCT, context) or DEFAULT)
    return str((product or DEFAULT_PRODUCT).casa_table)


def product_hint(message: str) -> str:
    """Add the way out (the product choice) to a 'codes not in the class table' message."""
    if "not in the class table" not in message:
        return message
    tables = "; ".join(f"{p.name}: {p.casa_table}" for p in CORE_PRODUCTS)
    return (
        f"{message} If the land cover is another product, choose it in LANDCOVER_PRODUCT "
        f"({', '.join(PRODUCTS)}); the shipped tables are {tables}."
    )

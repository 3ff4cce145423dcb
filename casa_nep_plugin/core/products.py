"""The land-cover products casa-nep ships code tables for: one name each, a label and two tables.

Each product has two shipped CSV tables in ``resources/tables`` (columns ``code,class``):

- ``casa_table``: its codes to CASA vegetation classes, read by casanep:npp, casanep:rh
  (LANDCOVER_PRODUCT) and casanep:landcoverclasses (PRODUCT);
- ``study_table``: its codes to the study's six classes (forest, cropland, grassland,
  water, built-up, bare), read by casanep:landcoverfractions (CLASS_TABLE).

Standard library only: the algorithms read these names to declare their options even
where numpy is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ALIASES",
    "DEFAULT_PRODUCT",
    "FRACTION_TABLE_OPTIONS",
    "PRODUCTS",
    "PRODUCT_NAMES",
    "TABLES_DIR",
    "Product",
    "find_product",
]

TABLES_DIR = Path(__file__).resolve().parent.parent / "resources" / "tables"


@dataclass(frozen=True)
class Product:
    """A land-cover product: its name (an algorithm option value), label and shipped code tables."""

    name: str
    label: str
    casa_table: Path
    study_table: Path


#: The products, in the order the algorithms offer them.
PRODUCTS = (
    Product(
        "glc_fcs30",
        "GLC_FCS30 (30 m, codes 10-220)",
        TABLES_DIR / "glc_fcs30_codes.csv",
        TABLES_DIR / "glc_fcs30_study6.csv",
    ),
    Product(
        "esa_worldcover",
        "ESA WorldCover (10 m, codes 10-100)",
        TABLES_DIR / "esa_worldcover_casa.csv",
        TABLES_DIR / "worldcover_study6.csv",
    ),
    Product(
        "modis_igbp",
        "MODIS IGBP (MCD12Q1 LC_Type1, codes 1-17)",
        TABLES_DIR / "modis_igbp_casa.csv",
        TABLES_DIR / "modis_igbp_study6.csv",
    ),
)
#: GLC_FCS30, the study's product: its CASA table is casanep:npp's default class table.
DEFAULT_PRODUCT = PRODUCTS[0]
#: The product names (option values of casanep:npp, rh, workflow and landcoverclasses).
PRODUCT_NAMES = tuple(p.name for p in PRODUCTS)
#: Other names accepted for a product: casanep:landcoverfractions has always offered ``worldcover``.
ALIASES = {"worldcover": "esa_worldcover"}
#: casanep:landcoverfractions' CLASS_TABLE options as users' models and scripts pass them (ESA WorldCover by its
#: alias, first: the default).
FRACTION_TABLE_OPTIONS = ("worldcover", "glc_fcs30", "modis_igbp")


def find_product(name: object) -> Product | None:
    """Return the product called ``name`` or one of its aliases (case ignored); None for any other value."""
    if name is None:
        return None
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    return next((p for p in PRODUCTS if p.name == key), None)

"""The model-grid parameters every preparation algorithm shares, and small parameter helpers.

A model grid is given either by a reference raster (GRID_REFERENCE, optionally
cut to GRID_EXTENT) or by GRID_EXTENT + GRID_CRS + GRID_CELL_SIZE; see
``core/modelgrid.py`` for the snapping rules.  With none of them, each
algorithm keeps its input's own grid.
"""

from __future__ import annotations

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from .compat import NUMBER_DOUBLE

GRID_REFERENCE = "GRID_REFERENCE"
GRID_EXTENT = "GRID_EXTENT"
GRID_CRS = "GRID_CRS"
GRID_CELL_SIZE = "GRID_CELL_SIZE"

GRID_HELP = """<p><b>Model grid</b> (shared by the preparation tools, so every prepared stack lines up cell for
cell): either a <i>reference raster</i> (its CRS, cells and extent; with an extent too, the reference's cells that
touch it), or an <i>extent</i>, a <i>CRS</i> and a <i>cell size</i> in the CRS's units (e.g. 250 for 250 m in a
UTM zone, 0.0025 for degrees in EPSG:4326). Grids built from an extent are widened outward to whole multiples of
the cell size counted from the CRS origin, so two grids with the same CRS and cell size always align. An extent
without a CRS is read in the CRS of the grid it builds or cuts. {default}</p>"""


def add_grid_parameters(alg) -> None:
    """Add GRID_REFERENCE, GRID_EXTENT, GRID_CRS and GRID_CELL_SIZE (all optional) to ``alg``."""
    tr = alg.tr
    alg.addParameter(QgsProcessingParameterRasterLayer(
        GRID_REFERENCE, tr("Model grid: reference raster (its CRS, cells and extent)"), optional=True))
    alg.addParameter(QgsProcessingParameterExtent(
        GRID_EXTENT, tr("Model grid: extent (cuts the reference, or the input's grid when no grid is given)"),
        optional=True))
    alg.addParameter(QgsProcessingParameterCrs(GRID_CRS, tr("Model grid: CRS (with extent and cell size)"),
                                               optional=True))
    alg.addParameter(QgsProcessingParameterNumber(
        GRID_CELL_SIZE, tr("Model grid: cell size (units of the grid CRS: metres, or degrees for lon/lat)"),
        type=NUMBER_DOUBLE, optional=True, minValue=0.0))


def _crs_text(crs) -> str | None:
    """A QgsCoordinateReferenceSystem as text rasterio reads (EPSG code or WKT); None if invalid."""
    if crs is None or not crs.isValid():
        return None
    authid = crs.authid()
    if authid and authid.upper().startswith("EPSG:"):
        return authid
    return crs.toWkt()


def extent_from_parameters(alg, parameters, context) -> tuple[tuple[float, float, float, float] | None, str | None]:
    """(extent as xmin, ymin, xmax, ymax, its CRS as text or None) from GRID_EXTENT."""
    if parameters.get(GRID_EXTENT) in (None, ""):
        return None, None
    rect = alg.parameterAsExtent(parameters, GRID_EXTENT, context)
    if rect is None or rect.isNull() or rect.isEmpty():
        return None, None
    crs = _crs_text(alg.parameterAsExtentCrs(parameters, GRID_EXTENT, context))
    return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()), crs


def grid_from_parameters(alg, parameters, context, feedback=None):
    """(ModelGrid or None, extent, extent CRS) from the grid parameters.

    None when neither a reference nor CRS + cell size is given (the algorithm
    keeps its input's grid; the extent, if any, is returned for clipping).
    """
    from ..core.modelgrid import grid_from_extent, grid_from_reference

    extent, extent_crs = extent_from_parameters(alg, parameters, context)
    reference = alg.raster_path(parameters, GRID_REFERENCE, context)
    crs = _crs_text(alg.parameterAsCrs(parameters, GRID_CRS, context)) if parameters.get(GRID_CRS) else None
    cell = parameters.get(GRID_CELL_SIZE)
    cell = None if cell in (None, "") else alg.parameterAsDouble(parameters, GRID_CELL_SIZE, context)
    if reference:
        if (crs or cell) and feedback is not None:
            feedback.pushInfo(alg.tr("GRID_CRS and GRID_CELL_SIZE are ignored: the reference raster sets the grid."))
        return grid_from_reference(reference, extent, extent_crs), extent, extent_crs
    if crs or cell:
        missing = [n for n, v in ((GRID_EXTENT, extent), (GRID_CRS, crs), (GRID_CELL_SIZE, cell)) if not v]
        if missing:
            raise QgsProcessingException(alg.tr(
                "{names}: a model grid from a cell size needs an extent, a CRS and a cell size "
                "(or give a reference raster).").format(names=", ".join(missing)))
        return grid_from_extent(extent, crs, cell, extent_crs=extent_crs or crs), extent, extent_crs
    return None, extent, extent_crs


def enum_string(alg, parameters, name: str, context, options: list[str]) -> str:
    """The chosen option of an enum parameter declared with :func:`static_enum`."""
    value = alg.parameterAsEnumString(parameters, name, context)
    if value:
        return value
    return options[alg.parameterAsEnum(parameters, name, context)]


def static_enum(name: str, description: str, options: list[str], default: str, optional: bool = False):
    """An enum whose values are its option strings (stable in models and on the command line)."""
    param = QgsProcessingParameterEnum(name, description, options=options, defaultValue=default, optional=optional)
    param.setUsesStaticStrings(True)
    return param

"""The parameter declarations several algorithms share, and the reading of them.

One declaration per concept, so that two algorithms taking the same input take it
under the same name, label and default (casanep:workflow takes casanep:npp's):

- the carbon model's inputs (monthly NDVI and climate stacks, land cover, NDVI scale),
  NDVI gap filling, the vegetation table and the RH/NPP threshold;
- the flux stacks NPP, RH and NEP of the aggregation algorithms, zones and cell weighting;
- the reference NPP product of casanep:validate and casanep:calibrate;
- the model grid of the preparation algorithms: a reference raster (GRID_REFERENCE,
  optionally cut to GRID_EXTENT) or GRID_EXTENT + GRID_CRS + GRID_CELL_SIZE (see
  ``core/grid.py`` for the snapping rules); with none of them, each algorithm keeps
  its input's own grid.

Labels are literal ``tr()`` texts, so the translation template finds them.  No science here.
"""

from __future__ import annotations

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..core import choices
from .base import CasaAlgorithm, static_enum
from .compat import FILE_BEHAVIOR_FILE, NUMBER_DOUBLE, NUMBER_INTEGER, SOURCE_POLYGON, set_advanced
from .landcoverproduct import class_table_path, product_parameters

#: Enum options (static strings); the values core.gapfill and core.zonal accept.
GAP_FILLS = ["none", "linear"]
WEIGHTINGS = list(choices.WEIGHTINGS)


def csv_file(name: str, description: str, optional: bool = True) -> QgsProcessingParameterFile:
    """Return a CSV file parameter."""
    return QgsProcessingParameterFile(
        name, description, behavior=FILE_BEHAVIOR_FILE, extension="csv", optional=optional
    )


# -- the carbon model -----------------------------------------------------------------------
#: Raster inputs of the carbon model: parameter name -> keyword of core.model.run_npp (and WorkflowInputs).
MODEL_RASTERS = {
    "NDVI": "ndvi",
    "LANDCOVER": "landcover",
    "SOLAR_RADIATION": "solar_radiation",
    "TEMPERATURE": "temperature",
    "PRECIPITATION": "precipitation",
    "EVAPOTRANSPIRATION": "evapotranspiration",
    "POTENTIAL_ET": "potential_et",
    "OPTIMAL_TEMPERATURE": "optimal_temperature",
}


def temperature(alg: CasaAlgorithm) -> QgsProcessingParameterRasterLayer:
    """Return the monthly temperature stack (degC)."""
    return QgsProcessingParameterRasterLayer("TEMPERATURE", alg.tr("Mean air temperature (degC, monthly stack)"))


def precipitation(alg: CasaAlgorithm) -> QgsProcessingParameterRasterLayer:
    """Return the monthly precipitation stack (mm month-1)."""
    return QgsProcessingParameterRasterLayer("PRECIPITATION", alg.tr("Precipitation (mm month-1, monthly stack)"))


def model_inputs(alg: CasaAlgorithm) -> list:
    """Return the carbon model's inputs in dialog order: NDVI, land cover and its product, climate, Topt."""
    tr = alg.tr
    return [
        QgsProcessingParameterRasterLayer("NDVI", tr("NDVI (monthly stack)")),
        QgsProcessingParameterRasterLayer("LANDCOVER", tr("Land cover (class codes)")),
        *product_parameters(alg, "CLASS_TABLE"),
        QgsProcessingParameterRasterLayer("SOLAR_RADIATION", tr("Solar radiation (MJ m-2 month-1, monthly stack)")),
        temperature(alg),
        precipitation(alg),
        QgsProcessingParameterRasterLayer(
            "EVAPOTRANSPIRATION", tr("Actual evapotranspiration (mm month-1; Zhou & Zhang when empty)"), optional=True
        ),
        QgsProcessingParameterRasterLayer(
            "POTENTIAL_ET", tr("Potential evapotranspiration (mm month-1; Thornthwaite when empty)"), optional=True
        ),
        QgsProcessingParameterRasterLayer(
            "OPTIMAL_TEMPERATURE", tr("Optimal temperature Topt (degC; NDVI-peak month when empty)"), optional=True
        ),
    ]


def model_inputs_plain(alg: CasaAlgorithm) -> list:
    """Return :func:`model_inputs` with CLASS_TABLE as a plain CSV (:func:`class_table_file`), no product choice."""
    product = {p.name() for p in product_parameters(alg, "CLASS_TABLE")}
    inputs = [p for p in model_inputs(alg) if p.name() not in product]
    return [*inputs[:2], class_table_file(alg), *inputs[2:]]


def epsilon_max(alg: CasaAlgorithm) -> QgsProcessingParameterNumber:
    """Return EPSILON_MAX, one eps_max (gC MJ-1) for all classes (optional; advanced), as casanep:npp declares it."""
    return set_advanced(
        QgsProcessingParameterNumber(
            "EPSILON_MAX",
            alg.tr("One maximum light-use efficiency for all classes (gC MJ-1; Potter: 0.389)"),
            type=NUMBER_DOUBLE,
            optional=True,
            minValue=0.0,
            maxValue=5.0,
        )
    )


def ndvi_scale(alg: CasaAlgorithm) -> QgsProcessingParameterNumber:
    """Return the NDVI scale factor (1, or 0.0001 for MODIS integers)."""
    return QgsProcessingParameterNumber(
        "NDVI_SCALE",
        alg.tr("NDVI scale factor (0.0001 for MODIS integers)"),
        type=NUMBER_DOUBLE,
        defaultValue=1.0,
        minValue=0.0,
    )


def model_input_values(alg: CasaAlgorithm, parameters, context) -> dict:
    """Return the keyword arguments of ``core.model.run_npp`` that :func:`model_inputs` and :func:`ndvi_scale` give."""
    values: dict = {key: alg.raster_path(parameters, name, context) for name, key in MODEL_RASTERS.items()}
    values["ndvi_scale"] = alg.parameterAsDouble(parameters, "NDVI_SCALE", context)
    values["class_table"] = class_table_path(alg, parameters, context, "CLASS_TABLE")
    return values


def gap_fill(alg: CasaAlgorithm, default: str) -> list:
    """Return GAP_FILL (none or linear) and MAX_GAP (months)."""
    return [
        static_enum("GAP_FILL", alg.tr("Fill NDVI gaps in time"), GAP_FILLS, default),
        QgsProcessingParameterNumber(
            "MAX_GAP", alg.tr("Longest NDVI gap filled (months)"), type=NUMBER_INTEGER, defaultValue=2, minValue=0
        ),
    ]


def gap_fill_values(alg: CasaAlgorithm, parameters, context) -> tuple[str, int]:
    """Return (GAP_FILL, MAX_GAP) as chosen."""
    return alg.enum_string(parameters, "GAP_FILL", context), alg.parameterAsInt(parameters, "MAX_GAP", context)


def vegetation_table(alg: CasaAlgorithm, description: str = "") -> QgsProcessingParameterFile:
    """Return VEGETATION_TABLE, the class parameters (CSV; advanced)."""
    return set_advanced(
        csv_file(
            "VEGETATION_TABLE", description or alg.tr("Vegetation class parameters (CSV; default Zhu et al. 2006)")
        )
    )


def class_table_file(alg: CasaAlgorithm) -> QgsProcessingParameterFile:
    """Return CLASS_TABLE as a plain CSV (code,class), for algorithms without the product choice."""
    return csv_file("CLASS_TABLE", alg.tr("Class table (CSV code,class; default GLC_FCS30)"))


def threshold(alg: CasaAlgorithm) -> QgsProcessingParameterNumber:
    """Return THRESHOLD, the warning threshold of RH/NPP (percent)."""
    return QgsProcessingParameterNumber(
        "THRESHOLD",
        alg.tr("Warning threshold of RH/NPP (percent)"),
        type=NUMBER_DOUBLE,
        defaultValue=80.0,
        minValue=1.0,
        maxValue=100.0,
    )


# -- aggregation: flux stacks, zones, weighting ----------------------------------------------
#: The flux stacks of the aggregation algorithms: parameter name -> key of the core's ``stacks``.
FLUX_STACKS = {"NPP": "npp", "RH": "rh", "NEP": "nep"}


def flux_stacks(alg: CasaAlgorithm) -> list:
    """Return the three optional monthly flux stacks NPP, RH and NEP (at least one is needed at run time)."""
    tr = alg.tr
    return [
        QgsProcessingParameterRasterLayer("NPP", tr("NPP (gC m-2 month-1, monthly stack)"), optional=True),
        QgsProcessingParameterRasterLayer("RH", tr("RH (gC m-2 month-1, monthly stack)"), optional=True),
        QgsProcessingParameterRasterLayer("NEP", tr("NEP (gC m-2 month-1, monthly stack)"), optional=True),
    ]


def zones(description: str, optional: bool = False) -> QgsProcessingParameterFeatureSource:
    """Return ZONES, polygons in any CRS."""
    return QgsProcessingParameterFeatureSource("ZONES", description, [SOURCE_POLYGON], optional=optional)


def zone_fields(alg: CasaAlgorithm) -> QgsProcessingParameterField:
    """Return FIELDS, the zone fields carried into a table (default: all)."""
    return QgsProcessingParameterField(
        "FIELDS",
        alg.tr("Zone fields to keep (default: all)"),
        parentLayerParameterName="ZONES",
        allowMultiple=True,
        optional=True,
    )


def weighting(alg: CasaAlgorithm) -> QgsProcessingParameterEnum:
    """Return WEIGHTING, centre or exact."""
    return static_enum("WEIGHTING", alg.tr("Cell weighting"), WEIGHTINGS, "centre")


def zones_path(alg: CasaAlgorithm, parameters, context, feedback, formats: tuple[str, ...] = ("gpkg",)) -> str | None:
    """Return a path geopandas reads for ZONES (other layers exported to GeoPackage), or None when not given."""
    if parameters.get("ZONES") in (None, ""):
        return None
    source = alg.parameterAsSource(parameters, "ZONES", context)
    if source is not None and source.featureCount() == 0:
        raise QgsProcessingException(
            alg.tr("ZONES: the zone layer is empty (it has no features); give a layer with at least one polygon.")
        )
    if source is not None and not source.sourceCrs().isValid():
        raise QgsProcessingException(
            alg.tr(
                "ZONES: the zone layer has no coordinate reference system, so it cannot be placed on the "
                "rasters. Assign one (Layer Properties > Source, or 'Assign projection')."
            )
        )
    path = alg.parameterAsCompatibleSourceLayerPath(parameters, "ZONES", context, list(formats), "gpkg", feedback)
    if not path:
        raise QgsProcessingException(alg.tr("ZONES: cannot read the zone layer."))
    return path


# -- the reference NPP product ------------------------------------------------------------------
def reference_inputs(alg: CasaAlgorithm) -> list:
    """Return NPP (annual or monthly), REFERENCE and YEAR."""
    tr = alg.tr
    return [
        QgsProcessingParameterRasterLayer("NPP", tr("CASA NPP (annual, or monthly stack)")),
        QgsProcessingParameterRasterLayer("REFERENCE", tr("Reference NPP (e.g. MOD17A3HGF)")),
        QgsProcessingParameterString("YEAR", tr("Year (of a monthly NPP stack; default first whole)"), optional=True),
    ]


def reference_scaling(alg: CasaAlgorithm) -> list:
    """Return NPP_SCALE, REFERENCE_SCALE, REFERENCE_FILL_MIN and REFERENCE_FILL_MAX (advanced; MOD17 defaults)."""
    tr = alg.tr
    return [
        set_advanced(p)
        for p in (
            QgsProcessingParameterNumber(
                "NPP_SCALE",
                tr("Scale of CASA NPP values to gC m-2"),
                type=NUMBER_DOUBLE,
                defaultValue=1.0,
                minValue=0.0,
            ),
            QgsProcessingParameterNumber(
                "REFERENCE_SCALE",
                tr("Scale of reference values to gC m-2 a-1 (MOD17: 0.1)"),
                type=NUMBER_DOUBLE,
                defaultValue=0.1,
                minValue=0.0,
            ),
            QgsProcessingParameterNumber(
                "REFERENCE_FILL_MIN",
                tr("Lowest reference fill code (MOD17: 32761)"),
                type=NUMBER_DOUBLE,
                defaultValue=32761,
                optional=True,
            ),
            QgsProcessingParameterNumber(
                "REFERENCE_FILL_MAX",
                tr("Highest reference fill code (MOD17: 32767)"),
                type=NUMBER_DOUBLE,
                defaultValue=32767,
                optional=True,
            ),
        )
    ]


def reference_values(alg: CasaAlgorithm, parameters, context) -> dict:
    """Return the keyword arguments ``year``, ``product`` and ``npp_scale`` of validate_npp and calibrate_epsilon.

    A fill code not given takes MOD17's; given empty, the reference has no fill codes.
    """
    from ..core.validate import ReferenceProduct

    product = ReferenceProduct(
        scale=alg.parameterAsDouble(parameters, "REFERENCE_SCALE", context),
        fill_min=alg.optional_number(parameters, "REFERENCE_FILL_MIN", context),
        fill_max=alg.optional_number(parameters, "REFERENCE_FILL_MAX", context),
    )
    return {
        "year": alg.parameterAsString(parameters, "YEAR", context).strip() or None,
        "product": product,
        "npp_scale": alg.parameterAsDouble(parameters, "NPP_SCALE", context),
    }


# -- the model grid of the preparation algorithms ------------------------------------------------
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


def add_grid_parameters(alg: CasaAlgorithm) -> None:
    """Add GRID_REFERENCE, GRID_EXTENT, GRID_CRS and GRID_CELL_SIZE (all optional) to ``alg``."""
    tr = alg.tr
    alg.addParameter(
        QgsProcessingParameterRasterLayer(
            GRID_REFERENCE, tr("Model grid: reference raster (its CRS, cells and extent)"), optional=True
        )
    )
    alg.addParameter(
        QgsProcessingParameterExtent(
            GRID_EXTENT,
            tr("Model grid: extent (cuts the reference, or the input's grid when no grid is given)"),
            optional=True,
        )
    )
    alg.addParameter(
        QgsProcessingParameterCrs(GRID_CRS, tr("Model grid: CRS (with extent and cell size)"), optional=True)
    )
    alg.addParameter(
        QgsProcessingParameterNumber(
            GRID_CELL_SIZE,
            tr("Model grid: cell size (units of the grid CRS: metres, or degrees for lon/lat)"),
            type=NUMBER_DOUBLE,
            optional=True,
            minValue=0.0,
        )
    )


def _crs_text(crs) -> str | None:
    """Return a QgsCoordinateReferenceSystem as text rasterio reads (EPSG code or WKT); None if invalid."""
    if crs is None or not crs.isValid():
        return None
    authid = crs.authid()
    if authid and authid.upper().startswith("EPSG:"):
        return authid
    return crs.toWkt()


def extent_from_parameters(
    alg: CasaAlgorithm,
    parameters,
    context,
) -> tuple[tuple[float, float, float, float] | None, str | None]:
    """Return (extent as xmin, ymin, xmax, ymax, its CRS as text or None) from GRID_EXTENT."""
    if parameters.get(GRID_EXTENT) in (None, ""):
        return None, None
    rect = alg.parameterAsExtent(parameters, GRID_EXTENT, context)
    if rect is None or rect.isNull() or rect.isEmpty():
        return None, None
    crs = _crs_text(alg.parameterAsExtentCrs(parameters, GRID_EXTENT, context))
    return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()), crs


def grid_from_parameters(alg: CasaAlgorithm, parameters, context, feedback=None) -> tuple:
    """Return (ModelGrid or None, extent, extent CRS) from the grid parameters.

    None when neither a reference nor CRS + cell size is given (the algorithm
    keeps its input's grid; the extent, if any, is returned for clipping).
    """
    from ..core.grid import grid_from_extent, grid_from_reference

    extent, extent_crs = extent_from_parameters(alg, parameters, context)
    reference = alg.raster_path(parameters, GRID_REFERENCE, context)
    crs = _crs_text(alg.parameterAsCrs(parameters, GRID_CRS, context)) if parameters.get(GRID_CRS) else None
    cell = alg.optional_number(parameters, GRID_CELL_SIZE, context)
    if reference:
        if (crs or cell) and feedback is not None:
            feedback.pushInfo(alg.tr("GRID_CRS and GRID_CELL_SIZE are ignored: the reference raster sets the grid."))
        return grid_from_reference(reference, extent, extent_crs), extent, extent_crs
    if crs or cell:
        missing = [n for n, v in ((GRID_EXTENT, extent), (GRID_CRS, crs), (GRID_CELL_SIZE, cell)) if not v]
        if missing:
            raise QgsProcessingException(
                alg.tr(
                    "{names}: a model grid from a cell size needs an extent, a CRS and a cell size "
                    "(or give a reference raster)."
                ).format(names=", ".join(missing))
            )
        return grid_from_extent(extent, crs, cell, extent_crs=extent_crs or crs), extent, extent_crs
    return None, extent, extent_crs

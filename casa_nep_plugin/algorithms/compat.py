"""Shims over Processing API differences between QGIS 3.22 and 3.40.

QGIS 3.36 moved several enums into ``Qgis``; 3.22 only has the older names.
Each name here resolves to whichever exists.
"""

from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
)


def _pick(new_owner: object, new_enum: str, new_name: str, old_owner: object, old_name: str):
    enum = getattr(new_owner, new_enum, None)
    if enum is not None and hasattr(enum, new_name):
        return getattr(enum, new_name)
    return getattr(old_owner, old_name)


NUMBER_DOUBLE = _pick(Qgis, "ProcessingNumberParameterType", "Double", QgsProcessingParameterNumber, "Double")
NUMBER_INTEGER = _pick(Qgis, "ProcessingNumberParameterType", "Integer", QgsProcessingParameterNumber, "Integer")
FILE_BEHAVIOR_FILE = _pick(Qgis, "ProcessingFileParameterBehavior", "File", QgsProcessingParameterFile, "File")
FILE_BEHAVIOR_FOLDER = _pick(Qgis, "ProcessingFileParameterBehavior", "Folder", QgsProcessingParameterFile, "Folder")
FLAG_OPTIONAL = _pick(Qgis, "ProcessingParameterFlag", "Optional", QgsProcessingParameterDefinition, "FlagOptional")
FLAG_ADVANCED = _pick(Qgis, "ProcessingParameterFlag", "Advanced", QgsProcessingParameterDefinition, "FlagAdvanced")
MESSAGE_INFO = _pick(Qgis, "MessageLevel", "Info", Qgis, "Info")
SOURCE_POLYGON = _pick(Qgis, "ProcessingSourceType", "VectorPolygon", QgsProcessing, "TypeVectorPolygon")
SOURCE_ANY_VECTOR = _pick(Qgis, "ProcessingSourceType", "VectorAnyGeometry", QgsProcessing, "TypeVectorAnyGeometry")
SOURCE_TABLE = _pick(Qgis, "ProcessingSourceType", "Vector", QgsProcessing, "TypeVector")
SOURCE_FILE = _pick(Qgis, "ProcessingSourceType", "File", QgsProcessing, "TypeFile")
SOURCE_RASTER = _pick(Qgis, "ProcessingSourceType", "Raster", QgsProcessing, "TypeRaster")
ALG_FLAG_NO_THREADING = _pick(Qgis, "ProcessingAlgorithmFlag", "NoThreading", QgsProcessingAlgorithm, "FlagNoThreading")


def set_advanced(param: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
    """Mark a parameter as advanced (folded away in the dialog)."""
    param.setFlags(param.flags() | FLAG_ADVANCED)
    return param


def parameter_as_strings(alg: QgsProcessingAlgorithm, parameters: dict, name: str, context) -> list[str]:
    """Return a field (or string list) parameter's values.

    Read with ``parameterAsStrings`` from QGIS 3.32, with ``parameterAsFields`` (deprecated since) before.
    """
    if Qgis.QGIS_VERSION_INT >= 33200 and hasattr(alg, "parameterAsStrings"):
        return list(alg.parameterAsStrings(parameters, name, context) or [])
    return list(alg.parameterAsFields(parameters, name, context) or [])


def set_renderer_band(renderer, band: int) -> None:
    """Show ``band`` (1-based): ``setInputBand`` from QGIS 3.38, ``setBand`` (deprecated since) before."""
    if hasattr(renderer, "setInputBand"):
        renderer.setInputBand(band)
    else:
        renderer.setBand(band)

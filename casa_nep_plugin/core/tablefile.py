"""Zone and land-cover tables written to a file: CSV or GeoPackage, atomically."""

from __future__ import annotations

import math
import os

from .errors import CasaInputError
from .outputs import atomic_path, check_writable

__all__ = ["TABLE_FORMATS", "table_format", "check_table_output", "write_table"]

#: Table formats by file extension.
TABLE_FORMATS = {".gpkg": "GPKG", ".csv": "CSV"}


def table_format(path: str, parameter: str = "OUTPUT") -> str:
    """Return 'GPKG' or 'CSV' from the file extension (a clear error otherwise)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in TABLE_FORMATS:
        raise CasaInputError(parameter, f"write the table as a GeoPackage (.gpkg) or CSV (.csv), not '{ext or path}'.")
    return TABLE_FORMATS[ext]


def check_table_output(path: str, parameter: str = "OUTPUT") -> None:
    """Fail before any work when ``path`` is not a table format or cannot be written."""
    table_format(path, parameter)
    check_writable(path, parameter)


def write_table(frame, path: str, layer: str | None = None, parameter: str = "OUTPUT") -> str:
    """Write a (Geo)DataFrame as CSV (no geometry) or a GeoPackage layer, atomically.

    A GeoDataFrame keeps its geometry in a GeoPackage (as MultiPolygon); a
    plain DataFrame becomes an attribute table.  Returns ``path``.
    """
    import geopandas as gpd
    import pandas as pd

    fmt = table_format(path, parameter)
    check_writable(path, parameter)
    with atomic_path(path) as tmp:
        if fmt == "CSV":
            plain = (
                pd.DataFrame(frame.drop(columns=frame.geometry.name))
                if isinstance(frame, gpd.GeoDataFrame)
                else pd.DataFrame(frame)
            )
            plain.to_csv(tmp, index=False)
        else:
            layer = layer or os.path.splitext(os.path.basename(path))[0]
            if isinstance(frame, gpd.GeoDataFrame):
                from shapely.geometry import MultiPolygon, Polygon

                out = frame.copy()
                out[out.geometry.name] = [MultiPolygon([g]) if isinstance(g, Polygon) else g for g in out.geometry]
                out.to_file(tmp, layer=layer, driver="GPKG")
            else:
                _write_gpkg_table(pd.DataFrame(frame), tmp, layer)
    return path


def _field_kinds(frame) -> dict:
    """Return the OGR field type of each column: integer, real or string."""
    from osgeo import ogr

    kinds = {}
    for col in frame.columns:
        s = frame[col]
        if s.dtype.kind in "iub":
            kinds[col] = ogr.OFTInteger64
        elif s.dtype.kind == "f":
            kinds[col] = ogr.OFTReal
        else:
            kinds[col] = ogr.OFTString
    return kinds


def _write_gpkg_table(frame, path: str, layer: str) -> None:
    """Write a GeoPackage attribute table (no geometry) through OGR."""
    from osgeo import ogr

    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(path)
    try:
        lyr = ds.CreateLayer(layer, geom_type=ogr.wkbNone)
        kinds = _field_kinds(frame)
        for col in frame.columns:
            lyr.CreateField(ogr.FieldDefn(str(col), kinds[col]))
        lyr.StartTransaction()
        defn = lyr.GetLayerDefn()
        for row in frame.itertuples(index=False):
            feat = ogr.Feature(defn)
            for i, (col, v) in enumerate(zip(frame.columns, row)):
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    feat.SetFieldNull(i)
                elif kinds[col] == ogr.OFTReal:
                    feat.SetField(i, float(v))
                elif kinds[col] == ogr.OFTInteger64:
                    feat.SetField(i, int(v))
                else:
                    feat.SetField(i, str(v))
            lyr.CreateFeature(feat)
        lyr.CommitTransaction()
    finally:
        ds = None  # closes the file

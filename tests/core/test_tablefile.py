"""Tables written to a file: CSV or GeoPackage, typed fields, NULLs, atomic, a clear error for other formats."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.tablefile import table_format, write_table


def test_formats_by_extension(tmp_path):
    assert table_format("a.GPKG") == "GPKG" and table_format("b.csv") == "CSV"
    with pytest.raises(CasaInputError, match="not '.shp'") as err:
        table_format("c.shp", "TABLE")
    assert err.value.parameter == "TABLE"
    with pytest.raises(CasaInputError, match="GeoPackage"):
        write_table(pd.DataFrame({"a": [1]}), str(tmp_path / "t.xlsx"))
    assert list(tmp_path.iterdir()) == []


def test_attribute_table_in_a_geopackage_keeps_types_and_nulls(tmp_path):
    from osgeo import ogr

    frame = pd.DataFrame(
        {"class": ["forest", "all"], "cells": np.array([3, 7], np.int64), "npp_2021_mean": [1.5, np.nan]}
    )
    path = tmp_path / "budget.gpkg"
    assert write_table(frame, str(path)) == str(path)
    ds = ogr.Open(str(path))
    layer = ds.GetLayerByName("budget")  # the layer is named after the file
    defn = layer.GetLayerDefn()
    kinds = {defn.GetFieldDefn(i).GetName(): defn.GetFieldDefn(i).GetType() for i in range(defn.GetFieldCount())}
    assert kinds == {"class": ogr.OFTString, "cells": ogr.OFTInteger64, "npp_2021_mean": ogr.OFTReal}
    rows = [(f.GetField("class"), f.GetField("cells"), f.IsFieldNull("npp_2021_mean")) for f in layer]
    assert rows == [("forest", 3, False), ("all", 7, True)]
    ds = None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["budget.gpkg"]  # nothing half-written left


def test_zones_keep_their_geometry_in_a_geopackage_and_lose_it_in_csv(tmp_path):
    zones = gpd.GeoDataFrame({"name": ["a"], "v": [2.0]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:32649")
    write_table(zones, str(tmp_path / "z.gpkg"), layer="zones")
    back = gpd.read_file(tmp_path / "z.gpkg", layer="zones")
    assert isinstance(back.geometry.iloc[0], MultiPolygon) and back.geometry.iloc[0].area == pytest.approx(1.0)
    write_table(zones, str(tmp_path / "z.csv"))
    assert (tmp_path / "z.csv").read_text().splitlines() == ["name,v", "a,2.0"]

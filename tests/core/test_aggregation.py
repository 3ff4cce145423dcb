"""The run zone statistics and land-cover budgets share: options checked first, every raster closed, fields picked."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from rasterio.transform import from_origin
from shapely.geometry import box

from casa_nep_plugin.core.aggregation import aggregation, check_options
from casa_nep_plugin.core.engine import Callbacks
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.stacks import open_stacks
from tests.rasters import UTM, write

T = from_origin(500000.0, 2500000.0, 100.0, 100.0)


def test_options_are_checked_before_any_work(tmp_path):
    with pytest.raises(CasaInputError, match="WEIGHTING"):
        check_options("area", str(tmp_path / "t.csv"))
    with pytest.raises(CasaInputError, match="GeoPackage") as err:
        check_options("exact", str(tmp_path / "t.shp"))
    assert err.value.parameter == "OUTPUT"
    check_options("centre", None)


def test_every_raster_is_closed_whatever_happens(tmp_path):
    a = write(tmp_path / "a.tif", np.ones((1, 3, 3), np.float32), ["2021-01"], transform=T)
    _, extra = open_stacks({"fractions": a})
    with pytest.raises(RuntimeError), aggregation({"npp": a}, Callbacks()) as run:
        run.stacks.append(extra[0])  # added stacks are closed with the others
        opened = list(run.stacks)
        raise RuntimeError("a step fails")
    assert [st.raster.dataset.closed for st in opened] == [True, True]


def test_zone_fields_are_picked_and_checked(tmp_path):
    a = write(tmp_path / "a.tif", np.ones((1, 3, 3), np.float32), ["2021-01"], transform=T)
    zones = gpd.GeoDataFrame({"name": ["x"], "code": [1]}, geometry=[box(500000, 2499800, 500100, 2500000)], crs=UTM)
    with aggregation({"npp": a}, Callbacks()) as run:
        run.place_zones(zones, "centre", None, ["cells"])
        assert run.fields == ["name", "code"] and len(run.zones) == 1
        run.place_zones(zones, "centre", ["code"], ["cells"])
        assert run.fields == ["code"]
        with pytest.raises(CasaInputError, match="no field.*nom") as err:
            run.place_zones(zones, "centre", ["nom"], ["cells"])
        assert err.value.parameter == "FIELDS"
        with pytest.raises(CasaInputError, match="code.*clash"):
            run.place_zones(zones, "centre", None, ["code"])

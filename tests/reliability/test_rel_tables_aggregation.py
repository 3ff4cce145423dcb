"""Class tables with conflicting codes, mismatched flux stacks in aggregation, a flux stack given
as FRACTIONS, an empty zone layer: refused with a message naming the parameter (core and Processing)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from rasterio.transform import from_origin
from shapely.geometry import box

from casa_nep_plugin.core.errors import CasaInputError
from tests.rasters import UTM, months_of, write
from tests.reliability.helpers import checksums, leftovers, old_output, sha

X0, Y0 = 500000.0, 2500000.0
T = from_origin(X0, Y0, 100, 100)


@pytest.fixture
def stacks(tmp_path):
    """NPP of 12 months, RH of 24 months, NEP of 12 months a year later, fractions, zones; all on one grid."""
    rng = np.random.default_rng(0)
    f = tmp_path / "in"
    f.mkdir()

    def stack(name, months):
        return write(f / name, rng.uniform(0, 50, (len(months), 4, 5)).astype(np.float32), months, transform=T)

    frac = np.stack([np.full((4, 5), 0.25, np.float32), np.full((4, 5), 0.75, np.float32)])
    zones = f / "zones.gpkg"
    gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(X0, Y0 - 400, X0 + 500, Y0)], crs=UTM).to_file(zones)
    return {
        "npp": stack("npp.tif", months_of([2021])),
        "rh24": stack("rh24.tif", months_of([2021, 2022])),
        "rh": stack("rh.tif", months_of([2021])),
        "nep22": stack("nep22.tif", months_of([2022])),
        "frac": write(f / "frac.tif", frac, ["forest", "cropland"], transform=T),
        "zones": str(zones),
        "folder": tmp_path,
    }


# --- class tables ----------------------------------------------------------------------------
def test_conflicting_duplicate_codes_are_refused(tmp_path):
    from casa_nep_plugin.core.tables import load_class_map, load_code_table, load_vegetation_table

    conflict = tmp_path / "conflict.csv"
    conflict.write_text("code,class\n10,ebf\n20,crop\n10,crop\n")
    before = sha(conflict)
    for loader, parameter in (
        (lambda p: load_code_table(p, parameter="CLASS_TABLE"), "CLASS_TABLE"),
        (lambda p: load_class_map(p, "FINE_CLASS_TABLE"), "FINE_CLASS_TABLE"),
    ):
        with pytest.raises(CasaInputError) as err:
            loader(str(conflict))
        assert err.value.parameter == parameter
        assert "code 10" in err.value.message and "'ebf'" in err.value.message and "'crop'" in err.value.message
    # the same row twice is harmless
    same = tmp_path / "same.csv"
    same.write_text("code,class\n10,ebf\n10,ebf\n20,crop\n")
    assert load_code_table(str(same)).codes.tolist() == [10, 20]
    assert load_class_map(str(same)).mapping == {10: 0, 20: 1}
    # vegetation classes: one key with two different parameter sets
    shipped = (load_vegetation_table.__globals__["DEFAULT_VEGETATION_TABLE"]).read_text().splitlines()
    rows = [ln for ln in shipped if ln.strip() and not ln.startswith("#")]
    veg = tmp_path / "veg.csv"
    first = rows[1].split(",")
    changed = first[:]
    changed[4] = str(float(first[4]) + 0.1) if first[4] else "0.5"
    veg.write_text("\n".join([*rows, ",".join(changed)]) + "\n")
    with pytest.raises(CasaInputError) as err:
        load_vegetation_table(str(veg))
    assert err.value.parameter == "VEGETATION_TABLE" and first[0] in err.value.message
    assert sha(conflict) == before


# --- zonal statistics and budgets --------------------------------------------------------------
def test_zonal_statistics_refuses_stacks_with_other_months(stacks):
    from casa_nep_plugin.core.zonal import zonal_statistics

    out = stacks["folder"] / "z.csv"
    kept = old_output(out)
    before = checksums(v for k, v in stacks.items() if k != "folder")
    with pytest.raises(CasaInputError) as err:
        zonal_statistics(stacks["zones"], {"npp": stacks["npp"], "rh": stacks["rh24"]}, output=str(out))
    assert err.value.parameter == "RH" and "24 bands" in err.value.message and "12" in err.value.message
    with pytest.raises(CasaInputError) as err:
        zonal_statistics(
            stacks["zones"], {"npp": stacks["npp"], "rh": stacks["rh"], "nep": stacks["nep22"]}, output=str(out)
        )
    assert err.value.parameter == "NEP" and "2022-01" in err.value.message and "2021-01" in err.value.message
    assert sha(out) == kept and before == checksums(v for k, v in stacks.items() if k != "folder")
    assert leftovers(stacks["folder"]) == []
    # the same months are fine
    table = zonal_statistics(stacks["zones"], {"npp": stacks["npp"], "rh": stacks["rh"]})
    assert "npp_2021_mean" in table.columns


def test_budget_refuses_a_flux_stack_as_fractions(stacks):
    from casa_nep_plugin.core.budget import landcover_budget

    out = stacks["folder"] / "b.csv"
    kept = old_output(out)
    with pytest.raises(CasaInputError) as err:
        landcover_budget({"npp": stacks["npp"]}, stacks["npp"], output=str(out))
    assert err.value.parameter == "FRACTIONS"
    assert "2021-01 .. 2021-12" in err.value.message and "landcoverfractions" in err.value.message
    with pytest.raises(CasaInputError) as err:
        landcover_budget({"npp": stacks["npp"], "rh": stacks["rh24"]}, stacks["frac"], output=str(out))
    assert err.value.parameter == "RH"
    assert sha(out) == kept and leftovers(stacks["folder"]) == []
    # a class map (codes) with class-like band names is not fractions either: its values say so
    codes = write(
        stacks["folder"] / "in" / "codes.tif", np.full((2, 4, 5), 40, np.float32), ["forest", "cropland"], transform=T
    )
    with pytest.raises(CasaInputError) as err:
        landcover_budget({"npp": stacks["npp"]}, codes, output=str(out))
    assert err.value.parameter == "FRACTIONS" and "[0, 1]" in err.value.message
    assert sha(out) == kept
    table = landcover_budget({"npp": stacks["npp"]}, stacks["frac"])
    assert set(table["class"]) >= {"forest", "cropland"}


def test_empty_zone_layer_says_it_is_empty(stacks):
    from casa_nep_plugin.core.zonal import zonal_statistics

    empty = stacks["folder"] / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(CasaInputError) as err:
        zonal_statistics(str(empty), {"npp": stacks["npp"]})
    assert err.value.parameter == "ZONES" and "no features" in err.value.message
    assert "coordinate reference system" not in err.value.message


# --- the same through Processing -----------------------------------------------------------------
def test_processing_zonal_mismatch_budget_fractions_and_empty_zones(casanep_provider, stacks):
    import processing
    from qgis.core import QgsProcessingException

    out = stacks["folder"] / "z.gpkg"
    with pytest.raises(QgsProcessingException) as err:
        processing.run(
            "casanep:zonalstatistics",
            {"ZONES": stacks["zones"], "NPP": stacks["npp"], "RH": stacks["rh24"], "OUTPUT": str(out)},
        )
    assert str(err.value).startswith("RH:") and "24 bands" in str(err.value)
    with pytest.raises(QgsProcessingException) as err:
        processing.run(
            "casanep:landcoverbudget",
            {"NPP": stacks["npp"], "FRACTIONS": stacks["npp"], "OUTPUT": str(stacks["folder"] / "b.csv")},
        )
    assert str(err.value).startswith("FRACTIONS:") and "not land-cover fractions" in str(err.value)
    empty = stacks["folder"] / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(QgsProcessingException) as err:
        processing.run("casanep:zonalstatistics", {"ZONES": str(empty), "NPP": stacks["npp"], "OUTPUT": str(out)})
    assert str(err.value).startswith("ZONES:") and "empty" in str(err.value)
    assert "coordinate reference system" not in str(err.value)
    assert not out.exists() and leftovers(stacks["folder"]) == []

"""The land-cover product choice on casanep:npp, rh and workflow: the shipped table of the chosen
product maps the codes; a WorldCover map under the default GLC_FCS30 says how to choose."""

from __future__ import annotations

import numpy as np
import pytest

from tests.rasters import read

S = {
    "NDVI": "ndvi_2021_2022.tif",
    "SOLAR_RADIATION": "solar_radiation_2021_2022.tif",
    "TEMPERATURE": "temperature_2021_2022.tif",
    "PRECIPITATION": "precipitation_2021_2022.tif",
    "EVAPOTRANSPIRATION": "evapotranspiration_2021_2022.tif",
}


def params(sample_dir, out, **extra):
    p = {k: str(sample_dir / v) for k, v in S.items()}
    p.update(NDVI_SCALE=0.0001, LANDCOVER=str(sample_dir / "landcover_worldcover_25m.tif"), OUTPUT=str(out))
    p.update(extra)
    return p


@pytest.mark.parametrize("alg_id", ["npp", "rh", "workflow"])
def test_product_choice_offered(casanep_provider, alg_id):
    alg = casanep_provider.algorithm(alg_id)
    product = alg.parameterDefinition("LANDCOVER_PRODUCT")
    assert product.options() == ["glc_fcs30", "esa_worldcover", "modis_igbp"]
    assert product.defaultValue() == "glc_fcs30"
    assert alg.parameterDefinition("CLASS_TABLE").description().startswith("Or own class table")


def test_product_options_of_the_land_cover_algorithms(casanep_provider):
    # the option values users' models and scripts pass: unchanged, each naming a product of core.products
    from casa_nep_plugin.core.products import find_product

    classes = casanep_provider.algorithm("landcoverclasses").parameterDefinition("PRODUCT")
    assert classes.options() == ["glc_fcs30", "esa_worldcover", "modis_igbp"] and classes.defaultValue() == "glc_fcs30"
    fractions = casanep_provider.algorithm("landcoverfractions").parameterDefinition("CLASS_TABLE")
    assert fractions.options() == ["worldcover", "glc_fcs30", "modis_igbp"] and fractions.defaultValue() == "worldcover"
    assert all(find_product(o) is not None for o in classes.options() + fractions.options())


def test_worldcover_under_the_default_product_points_to_the_choice(casanep_provider, sample_dir, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as err:
        processing.run("casanep:npp", params(sample_dir, tmp_path / "npp.tif"))
    text = str(err.value)
    assert "LANDCOVER_PRODUCT" in text and "esa_worldcover_casa.csv" in text


def test_worldcover_product_uses_the_shipped_table(casanep_provider, sample_dir, tmp_path):
    import processing

    from casa_nep_plugin.core.model import run_npp
    from casa_nep_plugin.core.products import find_product

    res = processing.run("casanep:npp", params(sample_dir, tmp_path / "npp.tif", LANDCOVER_PRODUCT="esa_worldcover"))
    p = params(sample_dir, tmp_path / "core.tif")
    run_npp(
        ndvi=p["NDVI"],
        landcover=p["LANDCOVER"],
        solar_radiation=p["SOLAR_RADIATION"],
        temperature=p["TEMPERATURE"],
        precipitation=p["PRECIPITATION"],
        evapotranspiration=p["EVAPOTRANSPIRATION"],
        ndvi_scale=0.0001,
        class_table=str(find_product("esa_worldcover").casa_table),
        output=str(tmp_path / "core.tif"),
    )
    np.testing.assert_array_equal(read(res["OUTPUT"]), read(tmp_path / "core.tif"))
    assert np.isfinite(read(res["OUTPUT"])).any()

"""Class tables (vegetation classes, code tables, products)."""

from __future__ import annotations

import numpy as np
import pytest

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.products import FRACTION_TABLE_OPTIONS, PRODUCTS, find_product
from casa_nep_plugin.core.tables import load_class_map, load_code_table, load_vegetation_table
from tests.core.landcover_reference import SIX, WORLDCOVER


def test_shipped_vegetation_table_matches_method():
    v = load_vegetation_table()
    # METHOD.md table (Zhu et al. 2006)
    assert (v["ebf"].ndvi_max, v["ebf"].epsilon_max) == (0.676, 0.985)
    assert (v["enf"].ndvi_max, v["enf"].epsilon_max) == (0.647, 0.389)
    assert (v["dnf"].ndvi_max, v["dnf"].epsilon_max) == (0.738, 0.485)
    assert (v["dbf"].ndvi_max, v["dbf"].epsilon_max) == (0.747, 0.692)
    assert (v["mf"].ndvi_max, v["mf"].epsilon_max) == (0.702, 0.475)
    assert (v["shrub"].ndvi_max, v["shrub"].epsilon_max) == (0.636, 0.429)
    assert all(c.ndvi_min == 0.023 for c in v.values() if c.has_npp)
    assert not v["water"].has_npp and not v["ice"].has_npp


def test_glc_fcs30_codes():
    lk = load_code_table()
    codes = np.array([10, 20, 51, 62, 71, 82, 92, 121, 130, 185, 190, 202, 210, 220, 250])
    nmin, nmax, eps = lk.parameters(codes)
    # cropland 0.542; ebf 0.985; dbf 0.692; enf 0.389; dnf 0.485; mf 0.475; shrub 0.429; grass, wetland,
    # impervious, bare 0.542; water, ice, fill -> no NPP
    expected = [0.542, 0.542, 0.985, 0.692, 0.389, 0.485, 0.475, 0.429, 0.542, 0.542, 0.542, 0.542]
    np.testing.assert_allclose(eps[:12], expected, rtol=1e-6)
    assert np.isnan(eps[12:]).all()
    assert lk.missing_codes(np.array([10, 11, 99, 255])) == [99, 255]


def test_bad_vegetation_table(tmp_path):
    p = tmp_path / "veg.csv"
    p.write_text("key,name,ndvi_min,ndvi_max,epsilon_max,npp\nx,X,0.7,0.2,0.5,yes\n")
    with pytest.raises(CasaInputError, match="ndvi_min < ndvi_max"):
        load_vegetation_table(p)
    p.write_text("key,name\nx,X\n")
    with pytest.raises(CasaInputError, match="lacks the column"):
        load_vegetation_table(p)


@pytest.mark.parametrize("key", FRACTION_TABLE_OPTIONS)
def test_shipped_tables_map_to_the_study_six_classes(key):
    cm = load_class_map(key)
    assert cm.classes == SIX
    text = find_product(key).study_table.read_text()
    assert "Liu Jiyuan" in text and "#" in text  # sources in comments


def test_worldcover_table_content():
    cm = load_class_map("worldcover")
    for code, cls in WORLDCOVER.items():
        assert cm.classes[cm.mapping[code]] == cls
    assert cm.mapping[0] == -1


def test_own_table_and_its_errors(tmp_path):
    own = tmp_path / "own.csv"
    own.write_text("# my classes\ncode,class\n1,trees\n2,other\n3,trees\n9,nodata\n")
    cm = load_class_map(str(own))
    assert cm.classes == ("trees", "other") and cm.mapping == {1: 0, 2: 1, 3: 0, 9: -1}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,class\n1,a\n1,b\n")
    with pytest.raises(CasaInputError, match="twice"):
        load_class_map(str(bad))
    bad.write_text("value,name\n1,a\n")
    with pytest.raises(CasaInputError, match="code, class"):
        load_class_map(str(bad))
    bad.write_text("code,class\n1.5,a\n")
    with pytest.raises(CasaInputError, match="not an integer"):
        load_class_map(str(bad))
    with pytest.raises(CasaInputError, match="cannot read"):
        load_class_map(str(tmp_path / "missing.csv"))
    bad.write_text("code,class\n1,\n")
    with pytest.raises(CasaInputError, match="code 1 in .* has no class") as err:
        load_class_map(str(bad), "FINE_CLASS_TABLE")
    assert err.value.parameter == "FINE_CLASS_TABLE"
    bad.write_text("code,class\n0,NoData\n")
    with pytest.raises(CasaInputError, match="maps no code to a class"):
        load_class_map(str(bad))


def test_worldcover_is_one_product_by_either_name():
    # casanep:landcoverfractions says worldcover, casanep:landcoverclasses esa_worldcover: the same product
    assert load_class_map("esa_worldcover") == load_class_map("worldcover")
    assert load_class_map("WorldCover").path.endswith("worldcover_study6.csv")
    assert {find_product(k).name for k in FRACTION_TABLE_OPTIONS} == {"glc_fcs30", "esa_worldcover", "modis_igbp"}


def test_code_table_and_class_map_read_rows_alike(tmp_path):
    # one parser for both uses of a code,class table: the same refusals, naming each loader's parameter
    bad = tmp_path / "bad.csv"
    for text, message in (
        ("code,class\n1.5,crop\n", "code '1.5' in .* is not an integer"),
        ("code,class\nten,crop\n", "code 'ten' in .* is not an integer"),
        ("code,class\n10,\n", "code 10 in .* has no class"),
        ("code,class\n10,crop\n10,grass\n", "code 10 appears twice"),
    ):
        bad.write_text(text)
        for load, parameter in (
            (lambda p: load_code_table(p, parameter="OUTPUT_CLASS_TABLE"), "OUTPUT_CLASS_TABLE"),
            (lambda p: load_class_map(p, "FINE_CLASS_TABLE"), "FINE_CLASS_TABLE"),
        ):
            with pytest.raises(CasaInputError, match=message) as err:
                load(str(bad))
            assert err.value.parameter == parameter
    # nodata in any case marks fill codes; the label column and comments are ignored
    good = tmp_path / "good.csv"
    good.write_text("# a product\ncode,class,label\n0,NoData,fill\n10.0,crop,Cropland\n210,water,Water\n")
    lookup = load_code_table(str(good))
    assert lookup.codes.tolist() == [0, 10, 210] and lookup.class_keys == ("nodata", "crop", "water")
    assert lookup.is_data.tolist() == [False, True, True] and lookup.has_npp.tolist() == [False, True, False]
    assert load_class_map(str(good)).mapping == {0: -1, 10: 0, 210: 1}


def test_products_name_their_shipped_tables():
    for p in PRODUCTS:
        assert p.casa_table.is_file() and p.study_table.is_file()
        assert find_product(p.name) is p and find_product(p.name.upper()) is p
        load_code_table(p.casa_table)  # every code maps to a CASA class or nodata
    assert find_product("worldcover") is find_product("esa_worldcover")
    assert find_product("landsat") is None and find_product(None) is None

"""Class tables."""

from __future__ import annotations

import numpy as np
import pytest

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.tables import load_code_table, load_vegetation_table


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

"""Containers: picking a subdataset of an HDF4 granule by its variable name."""

from __future__ import annotations

import pytest

from casa_nep_plugin.core.containers import pick_subdataset
from casa_nep_plugin.core.errors import CasaInputError


def test_pick_subdataset_prefers_the_first_pattern():
    f = "MOD13Q1.A2021017.h28v06.061.2021035023433.hdf"
    subs = [
        f'HDF4_EOS:EOS_GRID:"{f}":MODIS_Grid_16DAY_250m_500m_VI:"250m 16 days {n}"'
        for n in ("NDVI", "EVI", "VI Quality", "pixel reliability", "composite day of the year")
    ]
    assert pick_subdataset(f, subs, [r"\bNDVI\b"], "INPUT", "NDVI").endswith('"250m 16 days NDVI"')
    assert pick_subdataset(f, subs, [r"pixel.?reliability"], "INPUT", "r").endswith('pixel reliability"')
    with pytest.raises(CasaInputError, match="holds no LAI layer; its layers are: 250m 16 days NDVI"):
        pick_subdataset(f, subs, ["LAI"], "INPUT", "LAI")

"""casanep:validate through processing.run, checked against the core on the same inputs."""

from __future__ import annotations

import csv

import pytest

from casa_nep_plugin.core.validate import validate_npp
from tests.conftest import shared_file


def test_validate_through_processing(casanep_provider, tmp_path):
    import processing

    pred = str(shared_file("npp_mod17a3_hawaii", "hawaii_npp_2016.tif"))
    ref = str(shared_file("npp_mod17a3_hawaii", "hawaii_npp_2015.tif"))
    res = processing.run("casanep:validate", {
        "NPP": pred, "REFERENCE": ref, "NPP_SCALE": 0.1, "SAMPLE_SIZE": 800, "SEED": 3,
        "POINTS": str(tmp_path / "pts.gpkg"), "PLOT": str(tmp_path / "plot.png"),
        "STATISTICS": str(tmp_path / "stats.csv"),
    })
    core = validate_npp(pred, ref, npp_scale=0.1, sample_size=800, seed=3)
    assert res["N"] == core.n == 800
    for key, value in (("R2", core.r2), ("RMSE", core.rmse), ("BIAS", core.bias), ("SLOPE", core.slope)):
        assert res[key] == pytest.approx(value), key
    rows = dict(csv.reader(open(res["STATISTICS"])))
    assert float(rows["rmse"]) == pytest.approx(core.rmse)
    assert (tmp_path / "plot.png").stat().st_size > 1000
    import geopandas as gpd

    assert len(gpd.read_file(res["POINTS"])) == 800

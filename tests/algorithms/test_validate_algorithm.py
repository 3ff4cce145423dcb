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
    res = processing.run(
        "casanep:validate",
        {
            "NPP": pred,
            "REFERENCE": ref,
            "NPP_SCALE": 0.1,
            "SAMPLE_SIZE": 800,
            "SEED": 3,
            "POINTS": str(tmp_path / "pts.gpkg"),
            "PLOT": str(tmp_path / "plot.png"),
            "STATISTICS": str(tmp_path / "stats.csv"),
        },
    )
    core = validate_npp(pred, ref, npp_scale=0.1, sample_size=800, seed=3)
    assert res["N"] == core.n == 800
    for key, value in (("R2", core.r2), ("RMSE", core.rmse), ("BIAS", core.bias), ("SLOPE", core.slope)):
        assert res[key] == pytest.approx(value), key
    rows = dict(csv.reader(open(res["STATISTICS"])))
    assert float(rows["rmse"]) == pytest.approx(core.rmse)
    assert (tmp_path / "plot.png").stat().st_size > 1000
    import geopandas as gpd

    assert len(gpd.read_file(res["POINTS"])) == 800


def fill_coded(tmp_path):
    """CASA NPP 120 gC m-2 a-1 and a MOD17-like reference (1000 counts = 100 gC m-2 a-1) on one 10 x 10 grid,
    with 10 reference cells holding the fill code 32765 and no nodata declared."""
    import numpy as np

    from tests.rasters import write

    ref = np.full((10, 10), 1000, np.int16)
    ref[0, :] = 32765
    npp = write(tmp_path / "npp.tif", np.full((10, 10), 120.0, np.float32))
    return npp, write(tmp_path / "ref.tif", ref, nodata=None)


def test_fill_codes_not_given_are_mod17s_and_given_empty_are_none(casanep_provider, tmp_path):
    import processing

    npp, ref = fill_coded(tmp_path)
    common = {
        "NPP": npp,
        "REFERENCE": ref,
        "SAMPLE_SIZE": 1000,
        "POINTS": str(tmp_path / "p.gpkg"),
        "PLOT": str(tmp_path / "p.png"),
    }
    res = processing.run("casanep:validate", common)  # not given: MOD17's codes 32761-32767 are masked
    assert res["N"] == 90 and res["BIAS"] == pytest.approx(120 - 100)
    res = processing.run("casanep:validate", {**common, "REFERENCE_FILL_MIN": None, "REFERENCE_FILL_MAX": None})
    assert res["N"] == 100  # given empty: no fill codes, the 32765s count (as 3276.5 gC m-2 a-1)
    assert res["BIAS"] == pytest.approx(((120 - 100) * 90 + (120 - 3276.5) * 10) / 100)


def test_statistics_csv_not_asked_for_is_not_written(casanep_provider, tmp_path):
    import processing

    npp, ref = fill_coded(tmp_path)
    res = processing.run(
        "casanep:validate",
        {
            "NPP": npp,
            "REFERENCE": ref,
            "SAMPLE_SIZE": 1000,
            "POINTS": str(tmp_path / "p.gpkg"),
            "PLOT": str(tmp_path / "p.png"),
        },
    )
    assert res["STATISTICS"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["npp.tif", "p.gpkg", "p.png", "ref.tif"]

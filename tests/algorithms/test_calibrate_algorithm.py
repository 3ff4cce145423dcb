"""casanep:calibrate through processing.run, checked against the core on the same synthetic inputs."""

from __future__ import annotations

import csv

import pytest

from casa_nep_plugin.core.calibrate import calibrate_epsilon
from casa_nep_plugin.core.tables import load_vegetation_table
from tests.core.test_calibrate import synthetic


def test_calibrate_through_processing(casanep_provider, tmp_path):
    import processing

    npp, lc, ref = synthetic(tmp_path)
    res = processing.run(
        "casanep:calibrate",
        {
            "NPP": npp,
            "LANDCOVER": lc,
            "REFERENCE": ref,
            "BLOCK_SIZE": 3,
            "OUTPUT": str(tmp_path / "veg.csv"),
            "FACTORS": str(tmp_path / "factors.csv"),
            "METRICS": str(tmp_path / "metrics.csv"),
            "PLOT": str(tmp_path / "plot.png"),
        },
    )
    core = calibrate_epsilon(npp, lc, ref, block_size=3)
    assert res["N"] == core.before["n"]
    assert res["RMSE_AFTER"] == pytest.approx(core.after["rmse"])
    veg = load_vegetation_table(res["OUTPUT"])
    base = load_vegetation_table()
    assert veg["crop"].epsilon_max == pytest.approx(1.3 * base["crop"].epsilon_max, rel=0.01)
    rows = {r["class"]: r for r in csv.DictReader(open(res["FACTORS"]))}
    assert float(rows["ebf"]["factor"]) == pytest.approx(0.8, rel=0.01) and rows["grass"]["calibrated"] == "no"
    assert (tmp_path / "plot.png").stat().st_size > 1000

"""casanep:workflow against the algorithms run one by one; staging; cancellation at every step."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from tests.rasters import read

S = {
    "ndvi": "ndvi_2021_2022.tif",
    "lc": "landcover_glcfcs30.tif",
    "sol": "solar_radiation_2021_2022.tif",
    "t": "temperature_2021_2022.tif",
    "p": "precipitation_2021_2022.tif",
    "e": "evapotranspiration_2021_2022.tif",
    "zones": "zones.geojson",
    "fine": "landcover_worldcover_25m.tif",
}


@pytest.fixture(scope="module")
def sample(sample_dir):
    return {k: str(sample_dir / v) for k, v in S.items()}


def wf_params(sample, folder, **extra):
    p = {
        "NDVI": sample["ndvi"],
        "LANDCOVER": sample["lc"],
        "SOLAR_RADIATION": sample["sol"],
        "TEMPERATURE": sample["t"],
        "PRECIPITATION": sample["p"],
        "EVAPOTRANSPIRATION": sample["e"],
        "NDVI_SCALE": 0.0001,
        "ZONES": sample["zones"],
        "ZONE_FIELD": "zone",
        "THRESHOLD": 80,
        "FINE_LANDCOVER": sample["fine"],
        "OUTPUT_FOLDER": str(folder),
    }
    p.update(extra)
    return p


@pytest.fixture(scope="module")
def workflow_run(casanep_provider, sample, tmp_path_factory):
    import processing

    folder = tmp_path_factory.mktemp("wf")
    return processing.run("casanep:workflow", wf_params(sample, folder)), folder


def test_workflow_equals_algorithms_one_by_one(workflow_run, sample, tmp_path):
    import processing

    res, folder = workflow_run
    npp = processing.run(
        "casanep:npp",
        {
            "NDVI": sample["ndvi"],
            "LANDCOVER": sample["lc"],
            "SOLAR_RADIATION": sample["sol"],
            "TEMPERATURE": sample["t"],
            "PRECIPITATION": sample["p"],
            "EVAPOTRANSPIRATION": sample["e"],
            "NDVI_SCALE": 0.0001,
            "GAP_FILL": "linear",  # the workflow's default
            "OUTPUT": str(tmp_path / "npp.tif"),
        },
    )["OUTPUT"]
    rh = processing.run(
        "casanep:rh",
        {
            "TEMPERATURE": sample["t"],
            "PRECIPITATION": sample["p"],
            "LANDCOVER": sample["lc"],
            "OUTPUT": str(tmp_path / "rh.tif"),
        },
    )["OUTPUT"]
    nep = processing.run("casanep:nep", {"NPP": npp, "RH": rh, "OUTPUT": str(tmp_path / "nep.tif")})["OUTPUT"]
    ann = processing.run(
        "casanep:annual",
        {
            "NPP": npp,
            "RH": rh,
            "THRESHOLD": 80,
            "NEP_OUTPUT": str(tmp_path / "nep_a.tif"),
            "CLASS_OUTPUT": str(tmp_path / "cls.tif"),
        },
    )
    np.testing.assert_array_equal(read(res["NPP"]), read(npp))
    np.testing.assert_array_equal(read(res["RH"]), read(rh))
    np.testing.assert_array_equal(read(res["NEP"]), read(nep))
    np.testing.assert_array_equal(read(res["NEP_ANNUAL"]), read(ann["NEP_OUTPUT"]))
    np.testing.assert_array_equal(read(res["SINK_SOURCE"]), read(ann["CLASS_OUTPUT"]))
    # zone table: equal to the zonal statistics of the same rasters
    from casa_nep_plugin.core.zonal import zonal_statistics

    direct = zonal_statistics(sample["zones"], {"npp": npp, "rh": rh, "nep": nep})
    table = pd.read_csv(res["ZONE_TABLE"])
    for col in ("npp_2021_mean", "rh_2022_total_ktC", "nep_2021_07_mean", "rh_npp_2021_ratio_pct"):
        np.testing.assert_allclose(table[col], direct[col], rtol=1e-9)
    # land-cover budget: equal to fractions + budget run one by one
    fr = processing.run(
        "casanep:landcoverfractions",
        {
            "LANDCOVER": sample["fine"],
            "CLASS_TABLE": "worldcover",
            "REFERENCE": npp,
            "OUTPUT": str(tmp_path / "fr.tif"),
        },
    )
    np.testing.assert_array_equal(read(folder / "landcover_fractions.tif"), read(fr["OUTPUT"]))
    bud = processing.run(
        "casanep:landcoverbudget",
        {"NPP": npp, "RH": rh, "NEP": nep, "FRACTIONS": fr["OUTPUT"], "OUTPUT": str(tmp_path / "b.csv")},
    )
    pd.testing.assert_frame_equal(pd.read_csv(res["LANDCOVER_BUDGET"]), pd.read_csv(bud["OUTPUT"]))


def test_report_and_charts_hold_the_table_numbers(workflow_run):
    res, folder = workflow_run
    table = pd.read_csv(res["ZONE_TABLE"])
    html = open(res["REPORT"], encoding="utf-8").read()
    for name in table["zone"]:
        assert name in html
    for v in table["nep_2021_mean"]:
        assert f"{v:,.1f}" in html  # the report shows the table's annual NEP
    budget = pd.read_csv(res["LANDCOVER_BUDGET"])
    for v in budget.loc[budget["class"] == "forest", "npp_2021_share_pct"]:
        assert f"{v:,.1f}" in html  # the land-cover shares are in the report too
    for png in (
        "chart_monthly_by_zone.png",
        "chart_annual_by_zone.png",
        "map_nep_annual.png",
        "chart_landcover_shares.png",
    ):
        assert (folder / png).stat().st_size > 5000
        assert f"src='{png}'" in html
    assert not [f for f in os.listdir(folder) if f.startswith(".")]


@pytest.mark.parametrize("cancel_at", range(6))  # the six steps with zones and fine land cover
def test_cancel_at_any_step_leaves_nothing(casanep_provider, sample, tmp_path, cancel_at):
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    class CancelAtStep(QgsProcessingFeedback):
        """Cancels once the workflow reaches step ``cancel_at`` (reported through the multi-step progress)."""

        def __init__(self):
            super().__init__()
            self.steps_seen = 0

        def pushInfo(self, info):
            if info.startswith("Step "):
                self.steps_seen += 1
                if self.steps_seen > cancel_at:
                    self.cancel()
            super().pushInfo(info)

    folder = tmp_path / "out"
    feedback = CancelAtStep()
    with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
        processing.run("casanep:workflow", wf_params(sample, folder), feedback=feedback)
    assert feedback.steps_seen == cancel_at + 1
    assert os.listdir(folder) == []


def test_bad_input_stops_before_anything(casanep_provider, sample, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    folder = tmp_path / "out"
    with pytest.raises(QgsProcessingException, match="NDVI"):
        processing.run("casanep:workflow", wf_params(sample, folder, NDVI_SCALE=1.0))
    assert os.listdir(folder) == []

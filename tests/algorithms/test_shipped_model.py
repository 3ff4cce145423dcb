"""The shipped graphical model (resources/models/casa_nep_workflow.model3): offered by the provider,
runs through processing.run and qgis_process, and gives what the algorithms give one by one."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.rasters import read

MODEL_ID = "casanep:casa_nep_workflow"
ROOT = Path(__file__).resolve().parents[2]


def model_params(sample_dir, out: Path) -> dict:
    s = sample_dir
    return {
        "ndvi": str(s / "ndvi_2021_2022.tif"),
        "landcover": str(s / "landcover_glcfcs30.tif"),
        "solar": str(s / "solar_radiation_2021_2022.tif"),
        "temperature": str(s / "temperature_2021_2022.tif"),
        "precipitation": str(s / "precipitation_2021_2022.tif"),
        "evapotranspiration": str(s / "evapotranspiration_2021_2022.tif"),
        "ndvi_scale": 0.0001,
        "threshold": 80,
        "zones": str(s / "zones.geojson"),
        "fine_landcover": str(s / "landcover_worldcover_25m.tif"),
        "npp:npp_monthly": str(out / "npp.tif"),
        "rh:rh_monthly": str(out / "rh.tif"),
        "nep:nep_monthly": str(out / "nep.tif"),
        "annual:nep_annual": str(out / "nep_annual.tif"),
        "annual:rh_npp_ratio": str(out / "ratio.tif"),
        "annual:sink_source": str(out / "classes.tif"),
        "zonal:zone_statistics": str(out / "zones.csv"),
        "fractions:landcover_fractions": str(out / "fractions.tif"),
        "budget:landcover_budget": str(out / "budget.csv"),
    }


def test_model_is_offered_and_authored_for_322(casanep_provider):
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    assert alg is not None
    assert {c.algorithmId() for c in alg.childAlgorithms().values()} == {
        "casanep:npp",
        "casanep:rh",
        "casanep:nep",
        "casanep:annual",
        "casanep:zonalstatistics",
        "casanep:landcoverfractions",
        "casanep:landcoverbudget",
    }
    # 3.22 names model outputs "childId:outputName"; a model saved by 3.26+ would not
    names = {d.name() for d in alg.destinationParameterDefinitions()}
    assert "npp:npp_monthly" in names and "budget:landcover_budget" in names


def test_model_runs_and_equals_the_algorithms(casanep_provider, sample_dir, tmp_path):
    import processing

    out = tmp_path / "model"
    out.mkdir()
    res = processing.run(MODEL_ID, model_params(sample_dir, out))
    one = tmp_path / "one"
    one.mkdir()
    s = model_params(sample_dir, one)
    npp = processing.run(
        "casanep:npp",
        {
            "NDVI": s["ndvi"],
            "LANDCOVER": s["landcover"],
            "SOLAR_RADIATION": s["solar"],
            "TEMPERATURE": s["temperature"],
            "PRECIPITATION": s["precipitation"],
            "EVAPOTRANSPIRATION": s["evapotranspiration"],
            "NDVI_SCALE": 0.0001,
            "OUTPUT": str(one / "npp.tif"),
        },
    )["OUTPUT"]
    rh = processing.run(
        "casanep:rh",
        {
            "TEMPERATURE": s["temperature"],
            "PRECIPITATION": s["precipitation"],
            "LANDCOVER": s["landcover"],
            "OUTPUT": str(one / "rh.tif"),
        },
    )["OUTPUT"]
    nep = processing.run("casanep:nep", {"NPP": npp, "RH": rh, "OUTPUT": str(one / "nep.tif")})["OUTPUT"]
    zones = processing.run(
        "casanep:zonalstatistics",
        {"ZONES": s["zones"], "NPP": npp, "RH": rh, "NEP": nep, "WEIGHTING": "centre", "OUTPUT": str(one / "z.csv")},
    )["OUTPUT"]
    np.testing.assert_array_equal(read(res["npp:npp_monthly"]), read(npp))
    np.testing.assert_array_equal(read(res["nep:nep_monthly"]), read(nep))
    a, b = pd.read_csv(res["zonal:zone_statistics"]), pd.read_csv(zones)
    pd.testing.assert_frame_equal(a, b)
    budget = pd.read_csv(res["budget:landcover_budget"])
    assert set(budget["class"]) >= {"forest", "cropland", "built-up", "water"}
    assert os.path.exists(res["annual:sink_source"])


def test_model_runs_through_qgis_process(sample_dir, tmp_path):
    out = tmp_path / "cli"
    out.mkdir()
    args = [f"{k}={v}" for k, v in model_params(sample_dir, out).items()]
    env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"))
    res = subprocess.run(
        ["bash", str(ROOT / "scripts" / "qgis_process.sh"), "run", MODEL_ID, "--json", "--", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    payload = json.loads(res.stdout[res.stdout.index("{") :])
    assert Path(payload["results"]["zonal:zone_statistics"]).exists()
    table = pd.read_csv(out / "zones.csv")
    assert list(table["zone"]) == ["Hills", "City", "Farmland"]
    assert (table["npp_2021_mean"] > 0).all()


@pytest.mark.parametrize("model", sorted((ROOT / "casa_nep_plugin" / "resources" / "models").glob("*.model3")))
def test_shipped_models_are_3_22_files(model):
    text = model.read_text()
    assert text.startswith("<!DOCTYPE model>")
    assert "casanep:" in text


def _model():
    from qgis.core import QgsApplication

    return QgsApplication.processingRegistry().algorithmById(MODEL_ID)


def test_model_is_valid_in_the_modeler(casanep_provider):
    """The modeler's own check (what turns a step red and makes Run say "Model is invalid")."""
    model = _model()
    for child_id in model.childAlgorithms():
        ok, issues = model.validateChildAlgorithm(child_id)
        assert ok, (child_id, issues)
    if hasattr(model, "validate"):  # QGIS 3.26+: the whole model, as the modeler's Validate button
        ok, issues = model.validate()
        assert ok, issues


def test_model_boxes_do_not_overlap(casanep_provider):
    from qgis.core import QgsRectangle

    model = _model()
    boxes = [(f"input {k}", c) for k, c in model.parameterComponents().items()]
    for child_id, child in model.childAlgorithms().items():
        boxes.append((f"step {child_id}", child))
        boxes += [(f"output {k}", o) for k, o in child.modelOutputs().items()]
    rects = []
    for label, comp in boxes:
        pos, size = comp.position(), comp.size()  # position is the box's centre
        rects.append(
            (
                label,
                QgsRectangle(
                    pos.x() - size.width() / 2,
                    pos.y() - size.height() / 2,
                    pos.x() + size.width() / 2,
                    pos.y() + size.height() / 2,
                ),
            )
        )
    assert len(rects) == 10 + 7 + 9
    for i, (a, ra) in enumerate(rects):
        for b, rb in rects[i + 1 :]:
            inter = ra.intersect(rb)
            assert inter.isEmpty() or inter.width() * inter.height() == 0, f"{a} overlaps {b}"


def test_model_inputs_in_filling_order_and_outputs_readable(casanep_provider):
    model = _model()
    inputs = [d.name() for d in model.parameterDefinitions() if not d.isDestination()]
    assert inputs[:5] == ["ndvi", "landcover", "solar", "temperature", "precipitation"]
    assert inputs[-2:] == ["zones", "fine_landcover"]
    outputs = {d.name(): d.description() for d in model.destinationParameterDefinitions()}
    assert outputs["npp:npp_monthly"] == "Monthly NPP"
    assert all(" " in text and ":" not in text for text in outputs.values()), outputs


def test_one_workflow_group_in_the_toolbox(casanep_provider):
    """The toolbox groups by groupId: the model and casanep:workflow must share one."""
    groups = {}
    for alg in casanep_provider.algorithms():
        groups.setdefault(alg.group(), set()).add(alg.groupId())
    assert all(len(ids) == 1 for ids in groups.values()), groups
    assert _model().groupId() == casanep_provider.algorithm("workflow").groupId()

"""core.workflow without QGIS: minimal runs, all-or-nothing outputs."""

from __future__ import annotations

import os

import numpy as np
import pytest

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.workflow import FILES, WorkflowInputs, plan, run_workflow
from tests.rasters import read


def inputs(sample_dir, **kw) -> WorkflowInputs:
    s = sample_dir
    return WorkflowInputs(
        str(s / "ndvi_2021_2022.tif"),
        str(s / "landcover_glcfcs30.tif"),
        str(s / "solar_radiation_2021_2022.tif"),
        str(s / "temperature_2021_2022.tif"),
        str(s / "precipitation_2021_2022.tif"),
        str(s / "evapotranspiration_2021_2022.tif"),
        ndvi_scale=0.0001,
        **kw,
    )


def test_minimal_run_without_zones_or_fine_landcover(sample_dir, tmp_path):
    inp = inputs(sample_dir)
    assert plan(inp) == [
        "NPP (CASA), soil heterotrophic respiration and NEP",
        "annual budget and sink/source map",
        "charts and report",
    ]
    steps = []
    from casa_nep_plugin.core.engine import Callbacks

    files = run_workflow(inp, str(tmp_path), Callbacks(step=lambda i, name: steps.append(i)))
    assert steps == [0, 1, 2]
    assert set(files) == {
        "npp",
        "rh",
        "nep",
        "npp_annual",
        "rh_annual",
        "nep_annual",
        "ratio",
        "sink_source",
        "map_nep",
        "map_npp",
        "map_class",
        "report",
    }
    assert sorted(os.listdir(tmp_path)) == sorted(FILES[k] for k in files)
    # annual NEP = annual NPP - annual RH, cell by cell
    np.testing.assert_allclose(
        read(files["nep_annual"]), read(files["npp_annual"]) - read(files["rh_annual"]), rtol=1e-5, atol=1e-3
    )


def test_a_failing_step_leaves_nothing_and_keeps_older_results(sample_dir, tmp_path):
    (tmp_path / "report.html").write_text("an earlier run")
    inp = inputs(sample_dir, zones=str(tmp_path / "missing.geojson"))
    with pytest.raises(CasaInputError) as err:
        run_workflow(inp, str(tmp_path))
    assert err.value.parameter == "ZONES"
    assert os.listdir(tmp_path) == ["report.html"]
    assert (tmp_path / "report.html").read_text() == "an earlier run"


def test_bad_options_fail_before_any_work(sample_dir, tmp_path):
    from casa_nep_plugin.core.engine import Callbacks

    zones = str(sample_dir / "zones.geojson")
    for kw, parameter in (
        ({"zones": zones, "zone_field": "nom"}, "ZONE_FIELD"),
        ({"zones": zones, "weighting": "area"}, "WEIGHTING"),
        ({"fine_landcover": str(tmp_path / "none.tif")}, "FINE_LANDCOVER"),
        ({"threshold": 0}, "THRESHOLD"),
    ):
        steps: list[int] = []
        cb = Callbacks(step=lambda i, n, seen=steps: seen.append(i))
        with pytest.raises(CasaInputError) as err:
            run_workflow(inputs(sample_dir, **kw), str(tmp_path / "out"), cb)
        assert err.value.parameter == parameter
        assert steps == []  # not even the first step started
        assert os.listdir(tmp_path / "out") == []


def test_zone_table_equals_the_annual_map_on_the_sample(sample_dir, tmp_path):
    """The issue's Hills 2021 case: the zone table's annual mean and total are those of the annual map over the
    zone (cells whose centre is inside, as the centre weighting counts them), by rasterio on the written map.
    GAP_FILL none keeps the sample's cloud gaps, so cells with a partial year are in play."""
    import geopandas as gpd
    import pandas as pd
    import rasterio
    from rasterio.features import rasterize

    from casa_nep_plugin.core.engine import Callbacks

    inp = inputs(sample_dir, zones=str(sample_dir / "zones.geojson"), zone_field="zone", gap_fill="none")
    infos: list[str] = []
    files = run_workflow(inp, str(tmp_path), Callbacks(info=infos.append))
    table = pd.read_csv(files["zones_csv"])
    with rasterio.open(files["npp_annual"]) as ds:
        annual, transform, crs, shape = ds.read(1, masked=True).filled(np.nan), ds.transform, ds.crs, ds.shape
        cell_m2 = abs(transform.a * transform.e)
    with rasterio.open(files["npp"]) as ds:
        partial = np.isnan(ds.read(list(range(1, 13)), masked=True).filled(np.nan)).any(axis=0) & np.isfinite(
            ds.read(list(range(1, 13)), masked=True).filled(np.nan)
        ).any(axis=0)
    zones = gpd.read_file(sample_dir / "zones.geojson").to_crs(crs)
    assert partial.any()  # cells with NPP in some months of 2021 but not all
    for i, geom in enumerate(zones.geometry):
        inside = rasterize([(geom, 1)], out_shape=shape, transform=transform, all_touched=False, fill=0) == 1
        values = annual[inside & np.isfinite(annual)]
        row = table.iloc[i]
        assert row["npp_2021_mean"] == pytest.approx(values.mean(), rel=1e-5)
        assert row["npp_2021_total_ktC"] == pytest.approx(values.sum() * cell_m2 / 1e9, rel=1e-5)
        assert row["npp_2021_valid_cells"] == values.size
        assert row["npp_2021_coverage_pct"] == pytest.approx(100 * values.size / inside.sum())
    report = (tmp_path / "report.html").read_text()
    assert "One definition of annual" in report and "were not filled" in report


def test_workflow_fills_gaps_by_default_and_counts_them(sample_dir, tmp_path):
    import pandas as pd

    files = run_workflow(inputs(sample_dir, zones=str(sample_dir / "zones.geojson"), zone_field="zone"), str(tmp_path))
    table = pd.read_csv(files["zones_csv"])
    filled = read(files["filled"])
    assert filled.shape[0] == 2 and np.nansum(filled) > 0  # the sample's cloud gaps, filled
    assert table["filled_cell_months_2021"].sum() > 0
    nogap = run_workflow(
        inputs(sample_dir, zones=str(sample_dir / "zones.geojson"), zone_field="zone", gap_fill="none"),
        str(tmp_path / "none"),
    )
    before = pd.read_csv(nogap["zones_csv"])
    assert (table["npp_2021_valid_cells"] >= before["npp_2021_valid_cells"]).all()
    assert (table["npp_2021_valid_cells"] > before["npp_2021_valid_cells"]).any()


def test_plan_takes_the_steps_the_inputs_ask_for(sample_dir):
    base = ["NPP (CASA), soil heterotrophic respiration and NEP", "annual budget and sink/source map"]
    zones = str(sample_dir / "zones.geojson")
    fine = str(sample_dir / "landcover_worldcover_25m.tif")
    assert plan(inputs(sample_dir, zones=zones)) == [*base, "zonal statistics", "charts and report"]
    assert plan(inputs(sample_dir, fine_landcover=fine)) == [
        *base,
        "land-cover fractions",
        "land-cover budget",
        "charts and report",
    ]
    assert plan(inputs(sample_dir, zones=zones, fine_landcover=fine)) == [
        *base,
        "zonal statistics",
        "land-cover fractions",
        "land-cover budget",
        "charts and report",
    ]

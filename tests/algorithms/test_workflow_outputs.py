"""casanep:workflow outputs a user can use: the zones layer returned, loaded and coloured, the CSVs
loaded as tables, a long (tidy) table equal to the wide ones, and no staging paths in the log."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.algorithms.test_workflow import S, wf_params


class _Feedback:
    def __new__(cls):
        from qgis.core import QgsProcessingFeedback

        class Recording(QgsProcessingFeedback):
            def __init__(self):
                super().__init__()
                self.lines = []

            def pushInfo(self, text):
                self.lines.append(text)
                super().pushInfo(text)

            def pushWarning(self, text):
                self.lines.append(text)
                super().pushWarning(text)

        return Recording()


@pytest.fixture(scope="module")
def run(casanep_provider, sample_dir, tmp_path_factory):
    import processing
    from qgis.core import QgsProcessingContext, QgsProject

    sample = {k: str(sample_dir / v) for k, v in S.items()}
    folder = tmp_path_factory.mktemp("wf_outputs")
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = _Feedback()
    res = processing.run("casanep:workflow", wf_params(sample, folder), context=context, feedback=feedback)
    return res, context, feedback


def test_zones_layer_returned_loaded_and_coloured_by_nep(run):
    from qgis.core import QgsVectorLayer

    res, context, feedback = run
    assert res["ZONES_LAYER"].endswith("zone_statistics.gpkg")
    details = context.layerToLoadOnCompletionDetails(res["ZONES_LAYER"])
    assert details.name == "Zones" and details.postProcessor() is not None
    layer = QgsVectorLayer(res["ZONES_LAYER"], "zones", "ogr")
    assert layer.isValid() and layer.featureCount() == 3
    details.postProcessor().postProcessLayer(layer, context, feedback)
    renderer = layer.renderer()
    assert renderer.type() == "graduatedSymbol" and renderer.classAttribute() == "nep_2021_mean"
    bounds = [(r.lowerValue(), r.upperValue()) for r in renderer.ranges()]
    assert bounds[0][0] == pytest.approx(-bounds[-1][1]) and bounds[len(bounds) // 2][0] == pytest.approx(0, abs=1e-9)


def test_csv_tables_loaded_as_tables(run):
    from qgis.core import QgsVectorLayer

    res, context, _ = run
    to_load = context.layersToLoadOnCompletion()
    for key in ("ZONE_TABLE", "LANDCOVER_BUDGET", "LONG_TABLE_OUTPUT"):
        assert res[key] in to_load, key
        layer = QgsVectorLayer(res[key], key, "ogr")
        assert layer.isValid() and not layer.isSpatial(), key


def test_long_table_holds_the_wide_values(run):
    res, _, _ = run
    long = pd.read_csv(res["LONG_TABLE_OUTPUT"])
    assert list(long.columns) == ["zone", "class", "year", "month", "quantity", "statistic", "value", "unit"]
    wide = pd.read_csv(res["ZONE_TABLE"]).set_index("zone")
    row = long[
        (long.zone == "Hills")
        & (long["class"] == "all")
        & (long.year == 2021)
        & (long.month == 7)
        & (long.quantity == "npp")
        & (long.statistic == "mean")
    ]
    assert len(row) == 1 and row.unit.iloc[0] == "gC m-2 month-1"
    assert row.value.iloc[0] == pytest.approx(wide.loc["Hills", "npp_2021_07_mean"], rel=1e-12)
    annual = long[
        (long.zone == "City")
        & (long["class"] == "all")
        & (long.year == 2022)
        & long.month.isna()
        & (long.quantity == "nep")
        & (long.statistic == "total")
    ]
    assert annual.value.iloc[0] == pytest.approx(wide.loc["City", "nep_2022_total_tC"], rel=1e-12)
    budget = pd.read_csv(res["LANDCOVER_BUDGET"]).set_index("class")
    share = long[
        (long.zone == "all")
        & (long["class"] == "forest")
        & (long.year == 2021)
        & long.month.isna()
        & (long.quantity == "rh")
        & (long.statistic == "share")
    ]
    assert share.unit.iloc[0] == "%"
    assert share.value.iloc[0] == pytest.approx(budget.loc["forest", "rh_2021_share_pct"], rel=1e-12)
    # every zone x class of the zone budget, without its "all" rows (the zone table has those)
    assert {"Hills", "City", "Farmland", "all"} == set(long.zone)
    assert len(long.columns) == 8 and len(long) > 1000


def test_log_never_names_the_staging_folder(run):
    res, _, feedback = run
    assert feedback.lines
    assert not [line for line in feedback.lines if ".casanep-run-" in line]
    assert any(res["OUTPUT_FOLDER"] in line for line in feedback.lines)

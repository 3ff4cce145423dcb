"""The provider setting "Dask scheduler address" (issue 13): registered in Processing's
options, read when a run starts, overridden by CASANEP_DASK_SCHEDULER, empty = local."""

from __future__ import annotations

import os

import numpy as np
import pytest

from casa_nep_plugin import cluster_setting
from casa_nep_plugin.core import cluster, engine


class FakeClient:
    def nthreads(self):
        return {"tcp://10.1.2.3:40000": 2, "tcp://10.1.2.4:40000": 2}


@pytest.fixture
def setting(casanep_provider, monkeypatch):
    from processing.core.ProcessingConfig import ProcessingConfig

    monkeypatch.delenv(cluster.ENV, raising=False)
    item = ProcessingConfig.settings[cluster_setting.NAME]
    before = item.value
    yield item
    item.value = before


def test_the_setting_is_in_the_providers_options_and_selects_the_cluster(setting, casanep_provider, monkeypatch):
    assert setting.group == casanep_provider.name() == "CASA NEP"
    assert setting.description.startswith("Dask scheduler address") and cluster_setting.LABEL == cluster.SETTING
    assert engine.EXECUTOR_FACTORY is cluster_setting.executor
    calls = []
    monkeypatch.setattr(
        cluster, "connect", lambda address, parameter: calls.append((address, parameter)) or FakeClient()
    )
    setting.value = ""
    assert engine.default_executor() is None and calls == []  # empty: the local engine
    setting.value = " tcp://10.1.2.3:8786 "
    ex = engine.default_executor()
    assert isinstance(ex, cluster.DaskExecutor) and ex.slots == 4
    assert calls == [("tcp://10.1.2.3:8786", "Dask scheduler address")]
    monkeypatch.setenv(cluster.ENV, "tcp://10.9.9.9:8786")  # the environment overrides the setting
    engine.default_executor()
    assert calls[-1] == ("tcp://10.9.9.9:8786", "CASANEP_DASK_SCHEDULER")


def test_an_unreachable_scheduler_is_one_clear_processing_error(setting, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import processing
    from qgis.core import QgsProcessingException

    from tests.rasters import months_of, write

    months = months_of([2021])

    t = write(tmp_path / "t.tif", np.full((12, 4, 4), 10, np.float32), months)
    p = write(tmp_path / "p.tif", np.full((12, 4, 4), 50, np.float32), months)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    setting.value = "tcp://127.0.0.1:1"
    with pytest.raises(
        QgsProcessingException,
        match=r"Dask scheduler address: cannot reach the Dask scheduler at "
        r"'tcp://127.0.0.1:1' within 1 s",
    ):
        processing.run("casanep:rh", {"TEMPERATURE": t, "PRECIPITATION": p, "OUTPUT": str(tmp_path / "rh.tif")})
    assert sorted(os.listdir(tmp_path)) == ["p.tif", "t.tif"]


def test_how_results_come_back_shows_in_the_message_log(casanep_provider):
    import logging

    from qgis.core import QgsApplication

    got = []

    def seen(message, tag, _level):
        got.append((tag, message))

    log = QgsApplication.messageLog()
    log.messageReceived.connect(seen)
    try:
        logging.getLogger(cluster.__name__).info("Dask: results are staged in %s (shared with the workers)", "/x")
    finally:
        log.messageReceived.disconnect(seen)
    assert ("casa-nep", "Dask: results are staged in /x (shared with the workers)") in got

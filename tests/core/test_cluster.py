"""The block engine on a real Dask cluster (issue 13): a ``distributed.LocalCluster``
with two worker processes on the loopback address.

Expected outputs are the local engine's own files (its science is checked against
the hand-worked oracle in test_model.py and test_fractions.py): the cluster must
give the same bytes.  Faults are provoked for real: a worker killed with SIGKILL,
a closed port, an input removed under the workers, a version that differs.
"""

from __future__ import annotations

import os
import pickle
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio

distributed = pytest.importorskip("distributed")

from casa_nep_plugin.core import cluster, cluster_staging, cluster_worker, engine  # noqa: E402
from casa_nep_plugin.core.engine import Callbacks  # noqa: E402
from casa_nep_plugin.core.errors import CasaCancelled, CasaInputError  # noqa: E402
from casa_nep_plugin.core.fractions import landcover_fractions  # noqa: E402
from tests.rasters import months_of, npp_chain, write  # noqa: E402

TILED = dict(tiled=True, blockxsize=256, blockysize=256)
OUTPUTS = ("npp", "rh", "nep")


def content(path) -> tuple:
    """Everything a reader sees: the cells' bits, the profile, the file's and every band's tags.
    (Not the file's bytes: where GDAL's block cache flushes tiles, and so their order in the
    file, follows the reads sharing that cache, which differ between runs.)"""
    with rasterio.open(path) as ds:
        try:
            palette = ds.colormap(1)
        except ValueError:  # none
            palette = None
        return (ds.read().tobytes(), ds.profile, ds.tags(), [ds.tags(i) for i in ds.indexes], ds.descriptions, palette)


def leftovers(folder: Path) -> list[str]:
    return sorted(f for f in os.listdir(folder) if ".part" in f or f.startswith(".cog"))


def make_scene(folder: Path, h: int = 512, w: int = 768, years=(2021, 2022), seed: int = 5) -> dict[str, str]:
    """Monthly stacks (cold, hot, dry months and NDVI gaps) and GLC_FCS30 land cover.

    Each month is a random 100 x 100 field repeated across the grid: files stay small
    (ZSTD finds the repeats) while every 256 x 256 window differs from the others."""
    rng = np.random.default_rng(seed)
    months = months_of(list(years))
    n = len(months)
    m = np.arange(n) % 12
    reps = (1, -(-h // 100), -(-w // 100))

    def field(a: np.ndarray) -> np.ndarray:
        return np.tile(a, reps)[:, :h, :w].astype(np.float32)

    cell = (n, 100, 100)
    data = {
        "ndvi": field(rng.uniform(-0.1, 0.9, cell)),
        "sol": field(rng.uniform(150, 600, cell)),
        "t": field((15 + 14 * np.sin(2 * np.pi * (m - 3) / 12))[:, None, None] + rng.normal(0, 6, cell)),
        "p": field(np.where(rng.random(cell) < 0.05, 0.0, rng.uniform(0, 300, cell))),
    }
    data["ndvi"][:, 7::97, 3::89] = -9999
    paths = {k: write(folder / f"{k}.tif", v, months, compress="zstd", **TILED) for k, v in data.items()}
    codes = np.array([12, 52, 72, 130, 190, 210], np.uint8)
    lc = np.tile(codes[rng.integers(0, len(codes), (100, 100))], reps[1:])[:h, :w]
    paths["lc"] = write(folder / "lc.tif", lc, ["code"], nodata=None, compress="zstd", **TILED)
    return paths


@pytest.fixture(scope="module")
def dask_cluster():
    """Two worker processes, one thread each, on 127.0.0.1 (no dashboard)."""
    factory = engine.EXECUTOR_FACTORY
    lc = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        yield lc
    finally:
        cluster.close_clients()
        engine.EXECUTOR_FACTORY = factory
        lc.close()


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    paths = make_scene(folder)
    mp = pytest.MonkeyPatch()
    mp.delenv(cluster.ENV, raising=False)
    mp.setattr(engine, "DEFAULT_BLOCK_VALUES", 256 * 256)  # windows of one tile: 6 windows x 2 years
    npp_chain(paths, folder / "local", threads=2)  # the local engine, same number of cores
    yield paths, folder
    mp.undo()


@pytest.fixture
def on_cluster(dask_cluster, monkeypatch):
    """Runs in the test go to the cluster (through the environment variable), counted."""
    monkeypatch.setenv(cluster.ENV, dask_cluster.scheduler_address)
    monkeypatch.setattr(engine, "DEFAULT_BLOCK_VALUES", 256 * 256)
    sent = []
    submit = cluster.DaskExecutor.submit

    def counted(self, fn, *args):
        sent.append(args)
        return submit(self, fn, *args)

    monkeypatch.setattr(cluster.DaskExecutor, "submit", counted)
    client = cluster.connect(dask_cluster.scheduler_address)
    client.wait_for_workers(2, timeout=30)
    return client, sent


def scheduler_tasks(client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


# -- selecting the cluster ---------------------------------------------------------------
def test_the_environment_overrides_the_setting_and_empty_means_local(monkeypatch):
    monkeypatch.delenv(cluster.ENV, raising=False)
    monkeypatch.setattr(cluster, "_setting", "")
    assert cluster.executor_from_settings() is None
    cluster.set_scheduler(" tcp://10.0.0.5:8786 ")
    assert cluster.scheduler_address() == ("tcp://10.0.0.5:8786", cluster.SETTING)
    monkeypatch.setenv(cluster.ENV, "tcp://10.0.0.9:8786")
    assert cluster.scheduler_address() == ("tcp://10.0.0.9:8786", cluster.ENV)


def test_errors_travel_back_from_workers_unchanged():
    e = pickle.loads(pickle.dumps(CasaInputError("NDVI", "is wrong; fix it.")))
    assert type(e) is CasaInputError and (e.parameter, e.message) == ("NDVI", "is wrong; fix it.")
    assert str(pickle.loads(pickle.dumps(CasaCancelled()))) == str(CasaCancelled())


# -- equality ------------------------------------------------------------------------------
def test_npp_rh_nep_on_the_cluster_equal_the_local_engine_bit_for_bit(scene, on_cluster):
    paths, folder = scene
    client, sent = on_cluster
    progress: list[float] = []
    npp_chain(paths, folder / "dask", callbacks=Callbacks(progress=progress.append))
    assert len(sent) == 12  # every window went to the cluster
    for k in OUTPUTS:
        assert content(folder / "dask" / f"{k}.tif") == content(folder / "local" / f"{k}.tif"), k
    # progress follows completed tasks: one step per task, increasing, ending at 100
    assert len(progress) == 12 and progress == sorted(progress) and progress[-1] == pytest.approx(100.0)


def test_landcover_fractions_on_the_cluster_equal_the_local_engine(tmp_path, dask_cluster, on_cluster, monkeypatch):
    _, sent = on_cluster
    rng = np.random.default_rng(3)
    codes = np.array([10, 20, 30, 40, 50, 60, 80, 77, 0], np.uint8)  # 77: not in the table; 0: nodata
    fine = codes[rng.integers(0, len(codes), (600, 1000))]
    fine[:200, :300] = 10  # homogeneous cells
    from rasterio.transform import from_origin

    src = write(tmp_path / "lc.tif", fine, nodata=0, transform=from_origin(730000, 2565000, 10, 10))
    logs = {}
    for where in ("local", "dask"):
        if where == "local":
            monkeypatch.delenv(cluster.ENV)
        else:
            monkeypatch.setenv(cluster.ENV, dask_cluster.scheduler_address)
        msgs: list[str] = []
        cb = Callbacks(info=msgs.append, warning=msgs.append)
        for size in (250, 330):  # aligned (exact) and sampled through a warp
            landcover_fractions(
                src,
                str(tmp_path / f"{where}_f{size}.tif"),
                "worldcover",
                cell_size=size,
                majority_output=str(tmp_path / f"{where}_m{size}.tif"),
                callbacks=cb,
                chunk_cells=50_000,
            )
        logs[where] = msgs
    assert sent, "the fractions did not go to the cluster"
    for name in ("f250", "m250", "f330", "m330"):
        assert content(tmp_path / f"dask_{name}.tif") == content(tmp_path / f"local_{name}.tif"), name
    assert logs["dask"] == logs["local"] and any("77" in m for m in logs["dask"])


# -- faults --------------------------------------------------------------------------------
def test_a_worker_killed_mid_run_is_replaced_and_the_run_equals_the_local_one(scene, on_cluster):
    paths, folder = scene
    client, _ = on_cluster
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = []

    def progress(pct: float) -> None:
        if pct > 25 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(pct)

    npp_chain(paths, folder / "killed", callbacks=Callbacks(progress=progress))
    assert killed
    for k in OUTPUTS:
        assert content(folder / "killed" / f"{k}.tif") == content(folder / "local" / f"{k}.tif"), k
    client.wait_for_workers(2, timeout=30)  # the nanny restarted it
    assert victim not in client.run(os.getpid).values()


def test_cancel_mid_run_leaves_no_file_and_no_task(scene, on_cluster, tmp_path):
    paths, _ = scene
    client, sent = on_cluster
    seen: list[float] = []
    cb = Callbacks(progress=seen.append, is_cancelled=lambda: len(seen) >= 3)
    with pytest.raises(CasaCancelled):
        npp_chain(paths, tmp_path / "out", callbacks=cb)
    assert os.listdir(tmp_path / "out") == []
    assert len(sent) < 12
    deadline = time.monotonic() + 10
    while scheduler_tasks(client) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert scheduler_tasks(client) == 0  # the outstanding futures were cancelled and released


def test_an_unreachable_scheduler_fails_within_10_s_in_one_clear_line(scene, tmp_path, monkeypatch):
    paths, _ = scene
    monkeypatch.setenv(cluster.ENV, "tcp://127.0.0.1:1")
    start = time.monotonic()
    with pytest.raises(CasaInputError) as err:
        npp_chain(paths, tmp_path / "out")
    assert time.monotonic() - start < cluster.CONNECT_TIMEOUT + 5
    text = str(err.value)
    assert err.value.parameter == "CASANEP_DASK_SCHEDULER"
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1' within 10 s" in text and "\n" not in text
    assert os.listdir(tmp_path / "out") == []


def test_a_worker_that_cannot_read_an_input_names_the_path_and_the_worker(tmp_path, on_cluster):
    paths = make_scene(tmp_path, h=256, w=256, years=(2021,), seed=9)
    gone = paths["p"]

    def info(msg: str) -> None:  # inputs are open here; the workers open them again by path
        if msg.startswith("NPP for"):
            os.remove(gone)

    with pytest.raises(CasaInputError) as err:
        npp_chain(paths, tmp_path / "out", callbacks=Callbacks(info=info))
    text = str(err.value)
    assert err.value.parameter == "PRECIPITATION"
    assert f"'{gone}'" in text and "the Dask worker tcp://127.0.0.1:" in text and "\n" not in text
    assert os.listdir(tmp_path / "out") == []


def test_a_version_mismatch_is_refused_in_one_line(on_cluster, monkeypatch):
    import casa_nep_plugin

    client, _ = on_cluster
    real = casa_nep_plugin.__version__
    monkeypatch.setattr(casa_nep_plugin, "__version__", "9.9.9")
    with pytest.raises(CasaInputError) as err:
        cluster.check_versions(client)
    text = str(err.value)
    assert f"casa_nep_plugin {real} (here 9.9.9)" in text and "tcp://127.0.0.1:" in text and "\n" not in text


def test_ndvi_composites_on_the_cluster_equal_the_local_engine(tmp_path, dask_cluster, on_cluster, monkeypatch):
    from casa_nep_plugin.core.ndvi import run_ndvi_composite
    from tests.core.test_ndvi import tile

    _, sent = on_cluster
    rng = np.random.default_rng(8)
    files = []
    for day in ("2021001", "2021017", "2021033", "2021081", "2021097"):  # March is missing: filled
        data = rng.integers(-2500, 10000, (300, 520))
        data[rng.random(data.shape) < 0.2] = -3000
        files.append(tile(tmp_path / f"MOD13Q1.A{day}.h28v06.tif", data))
    for where in ("local", "dask"):
        if where == "local":
            monkeypatch.delenv(cluster.ENV)
        else:
            monkeypatch.setenv(cluster.ENV, dask_cluster.scheduler_address)
        run_ndvi_composite(
            files,
            str(tmp_path / f"{where}_n.tif"),
            count_output=str(tmp_path / f"{where}_c.tif"),
            gap_fill="linear",
            max_gap=2,
            filled_output=str(tmp_path / f"{where}_f.tif"),
        )
    assert sent, "the composites did not go to the cluster"
    for name in ("n", "c", "f"):
        assert content(tmp_path / f"dask_{name}.tif") == content(tmp_path / f"local_{name}.tif"), name


def test_nep_rh_and_annual_on_the_cluster_equal_the_local_engine(scene, dask_cluster, on_cluster, monkeypatch):
    from casa_nep_plugin.core.model import run_annual, run_nep, run_rh

    paths, folder = scene
    _, sent = on_cluster
    npp, rh = str(folder / "local" / "npp.tif"), str(folder / "local" / "rh.tif")
    for where in ("local", "dask"):
        if where == "local":
            monkeypatch.delenv(cluster.ENV)
        else:
            monkeypatch.setenv(cluster.ENV, dask_cluster.scheduler_address)
        out = folder / f"steps_{where}"
        out.mkdir()
        run_rh(paths["t"], paths["p"], str(out / "rh.tif"), landcover=paths["lc"])
        run_nep(npp, rh, str(out / "nep.tif"), ratio_output=str(out / "ratio.tif"))
        run_annual(npp, rh, nep_output=str(out / "annual_nep.tif"), class_output=str(out / "class.tif"))
    assert len(sent) == 3 * 12
    for name in ("rh", "nep", "ratio", "annual_nep", "class"):
        assert content(folder / f"steps_dask/{name}.tif") == content(folder / f"steps_local/{name}.tif"), name


def test_an_input_error_raised_on_a_worker_arrives_as_the_same_error(tmp_path, on_cluster):
    paths = make_scene(tmp_path, h=256, w=768, years=(2021,), seed=4)
    with rasterio.open(paths["t"], "r+") as ds:  # Kelvin in the last window only: the checks before work miss it
        t = ds.read()
        t[:, :, 512:] += 273.15
        ds.write(t)
    _, sent = on_cluster
    with pytest.raises(CasaInputError) as err:
        npp_chain(paths, tmp_path / "out")
    assert sent and err.value.parameter == "TEMPERATURE" and "Kelvin" in err.value.message
    assert os.listdir(tmp_path / "out") == []


def test_without_distributed_the_address_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setenv(cluster.ENV, "tcp://10.0.0.5:8786")
    with pytest.raises(
        CasaInputError,
        match="CASANEP_DASK_SCHEDULER: is 'tcp://10.0.0.5:8786' but Dask's "
        r"distributed scheduler is not installed here \(Debian: apt install python3-distributed\)",
    ):
        cluster.executor_from_settings()


# -- how results come back: the shared staging folder, or through Dask -------------------------
def staging_left(folder: Path) -> list[str]:
    return sorted(f for f in os.listdir(folder) if f.startswith(cluster_staging.STAGING_PREFIX))


@pytest.fixture
def modes(monkeypatch):
    """The mode (and reason) each executor chose, in order."""
    seen: list[tuple[str, str]] = []
    start = cluster.DaskExecutor._start

    def recorded(self):
        start(self)
        seen.append((self.mode, self.reason))

    monkeypatch.setattr(cluster.DaskExecutor, "_start", recorded)
    return seen


def test_results_are_staged_beside_the_outputs_and_equal_the_local_engine(scene, on_cluster, modes, tmp_path, caplog):
    from casa_nep_plugin.core import safety

    paths, folder = scene
    out = tmp_path / "staged"
    during: list[list[str]] = []

    def progress(_pct: float) -> None:  # the staging folder is there, registered for SIGTERM
        during.append([p for p in safety.registered() if cluster_staging.STAGING_PREFIX in p])

    with caplog.at_level("INFO", logger=cluster.__name__):
        npp_chain(paths, out, callbacks=Callbacks(progress=progress))
    assert modes == [("staging", "")]
    # until the last result is in (then the folder goes at once)
    assert during[-1] == [] and all(len(d) == 1 and os.path.dirname(d[0]) == str(out) for d in during[:-1])
    assert any("results are staged in" in r.getMessage() and str(out) in r.getMessage() for r in caplog.records)
    for k in OUTPUTS:
        assert content(out / f"{k}.tif") == content(folder / "local" / f"{k}.tif"), k
    assert sorted(os.listdir(out)) == ["nep.tif", "npp.tif", "rh.tif"]  # no staging folder, no part file
    assert not [p for p in safety.registered() if cluster_staging.STAGING_PREFIX in p]


def test_a_staging_folder_the_workers_cannot_see_falls_back_to_transfer(
    scene, on_cluster, modes, tmp_path, monkeypatch, caplog
):
    paths, folder = scene
    client, _ = on_cluster
    monkeypatch.setattr(client, "direct_to_workers", None)
    # the client writes its probe where the workers do not look: as if the folder were not shared
    monkeypatch.setattr(
        cluster_staging.Staging, "probe_path", lambda self: os.path.join(self.path, "elsewhere", "probe")
    )
    out = tmp_path / "moved"
    with caplog.at_level("INFO", logger=cluster.__name__):
        npp_chain(paths, out)
    assert len(modes) == 1 and modes[0][0] == "transfer"
    assert "the Dask worker tcp://127.0.0.1:" in modes[0][1] and "FileNotFoundError" in modes[0][1]
    # the workers are reachable from here: the results skip the scheduler
    assert any("results travel back straight from the workers" in r.getMessage() for r in caplog.records)
    assert client.direct_to_workers is True
    for k in OUTPUTS:
        assert content(out / f"{k}.tif") == content(folder / "local" / f"{k}.tif"), k
    assert sorted(os.listdir(out)) == ["nep.tif", "npp.tif", "rh.tif"]


def test_staging_can_be_turned_off(scene, on_cluster, modes, tmp_path, monkeypatch):
    paths, folder = scene
    monkeypatch.setenv(cluster_staging.STAGING_ENV, "off")
    npp_chain(paths, tmp_path / "off")
    assert modes == [("transfer", f"{cluster_staging.STAGING_ENV} is off")]
    assert content(tmp_path / "off" / "nep.tif") == content(folder / "local" / "nep.tif")


def test_staged_runs_leave_nothing_after_failure_and_cancel(scene, on_cluster, modes, tmp_path):
    from casa_nep_plugin.core import safety

    paths, _ = scene
    client, _ = on_cluster
    seen: list[float] = []
    with pytest.raises(CasaCancelled):
        npp_chain(
            paths,
            tmp_path / "cancelled",
            callbacks=Callbacks(progress=seen.append, is_cancelled=lambda: len(seen) >= 3),
        )
    (tmp_path / "bad").mkdir()
    bad = make_scene(tmp_path / "bad", h=256, w=768, years=(2021,), seed=4)
    with rasterio.open(bad["t"], "r+") as ds:  # Kelvin in the last window: the run fails on a worker
        t = ds.read()
        t[:, :, 512:] += 273.15
        ds.write(t)
    with pytest.raises(CasaInputError):
        npp_chain(bad, tmp_path / "failed")
    assert [m for m, _ in modes] == ["staging", "staging"]
    time.sleep(1.0)  # a task cancelled while it ran finishes on its worker: it must not stage anything
    assert os.listdir(tmp_path / "cancelled") == [] and os.listdir(tmp_path / "failed") == []
    assert not [p for p in safety.registered() if cluster_staging.STAGING_PREFIX in p]


def test_workers_get_back_glibcs_adaptive_heap(scene, on_cluster):
    client, _ = on_cluster
    paths, folder = scene
    npp_chain(paths, folder / "heap")
    # the nanny fixed the trim threshold (which turns glibc's adaptive mmap threshold off); the task restored it
    assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {"65536"}
    assert all(client.run(lambda: cluster_worker._allocator_tuned).values())


def test_a_staged_result_loads_back_as_it_was(tmp_path):
    rng = np.random.default_rng(1)
    npp = rng.standard_normal((12, 5, 7)).astype(np.float32)
    npp[0, 0, 0] = np.nan
    result = {
        "npp": (npp, [1, 2, 3]),
        "cls": rng.integers(0, 4, (1, 5, 7)).astype(np.uint8),
        "_coverage": np.array([7, 5, 0], np.int64),
        "empty": np.zeros((0, 3), np.float64),
    }
    path = str(tmp_path / "r.res")
    assert cluster_staging.save_result(result, path)
    back = cluster_staging.load_result(path)
    assert list(back) == list(result)
    assert back["npp"][1] == [1, 2, 3] and back["npp"][0].tobytes() == npp.tobytes()
    assert back["npp"][0].dtype == np.float32 and back["npp"][0].shape == (12, 5, 7)
    for k in ("cls", "_coverage", "empty"):
        assert back[k].dtype == result[k].dtype and np.array_equal(back[k], result[k]), k
    assert os.listdir(tmp_path) == ["r.res"]
    # not plain arrays: not saved (the result then travels through Dask)
    assert not cluster_staging.save_result({"x": np.array([{"a": 1}], dtype=object)}, str(tmp_path / "o.res"))
    assert os.listdir(tmp_path) == ["r.res"]
    # a file that claims object arrays (written by someone else into the folder) is refused, not read
    header = b'[{"key": "x", "dtype": "|O", "shape": [1], "bands": null}]'
    (tmp_path / "forged.res").write_bytes(b"CASANEP1" + len(header).to_bytes(8, "little") + header + bytes(8))
    with pytest.raises(RuntimeError, match="holds a object array"):
        cluster_staging.load_result(str(tmp_path / "forged.res"))


def test_results_come_through_the_scheduler_where_a_worker_cannot_be_reached(on_cluster):
    client, _ = on_cluster

    class Unreachable:  # the real client, with a worker behind a closed port
        connection_args: dict = {}
        sync = client.sync

        def scheduler_info(self):
            return {"workers": {"tcp://127.0.0.1:1": {}}}

    start = time.monotonic()
    assert not cluster.reach_workers(Unreachable(), timeout=1.0)
    assert time.monotonic() - start < 5
    assert cluster.reach_workers(client)

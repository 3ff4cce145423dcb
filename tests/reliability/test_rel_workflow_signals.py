"""The workflow's folder: one run at a time (lock file), nothing left after SIGTERM/SIGINT, umask
honoured, symlinks written through, inputs and earlier outputs never lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from casa_nep_plugin.core import folderlock, safety
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.workflow import FILES, WorkflowInputs, run_workflow
from tests.reliability.helpers import ROOT, checksums, copy_sample, leftovers, old_output, sha


def workflow_inputs(s: dict[str, str]) -> WorkflowInputs:
    return WorkflowInputs(s["ndvi"], s["lc"], s["sol"], s["t"], s["p"], s["e"], ndvi_scale=0.0001)


# --- the lock on its own --------------------------------------------------------------------------
def test_lock_refuses_a_second_holder_and_is_released(tmp_path):
    lock = folderlock.acquire_folder_lock(str(tmp_path), "casanep:workflow")
    info = json.loads((tmp_path / folderlock.LOCK_NAME).read_text())
    assert info["pid"] == os.getpid() and info["host"] == socket.gethostname() and info["command"]
    with pytest.raises(CasaInputError) as err:
        folderlock.acquire_folder_lock(str(tmp_path))
    assert err.value.parameter == "OUTPUT_FOLDER"
    assert f"pid {os.getpid()}" in err.value.message and "in use" in err.value.message
    lock.release()
    assert not (tmp_path / folderlock.LOCK_NAME).exists()
    with folderlock.folder_lock(str(tmp_path)):
        assert (tmp_path / folderlock.LOCK_NAME).exists()
    assert os.listdir(tmp_path) == []


def test_stale_lock_is_taken_over_foreign_one_respected(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / folderlock.LOCK_NAME
    path.write_text(
        json.dumps(
            {
                "pid": dead.pid,
                "host": socket.gethostname(),
                "started": "earlier",
                "command": "casanep:workflow",
                "token": "x",
            }
        )
    )
    with folderlock.folder_lock(str(tmp_path)) as lock:  # the process is gone: stale
        assert json.loads(path.read_text())["token"] == lock.token
    # our own pid but another process start time: the pid was reused, the lock is stale
    path.write_text(json.dumps({"pid": os.getpid(), "pid_start": "1", "host": socket.gethostname(), "token": "y"}))
    with folderlock.folder_lock(str(tmp_path)):
        pass
    # another machine (shared folder): cannot tell, so respected
    path.write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "started": "today", "token": "z"}))
    with pytest.raises(CasaInputError, match="elsewhere.example"):
        folderlock.acquire_folder_lock(str(tmp_path))
    assert json.loads(path.read_text())["token"] == "z"


# --- two workflows, one folder -----------------------------------------------------------------------
SLOW_RUN = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from casa_nep_plugin.core.engine import Callbacks
    from casa_nep_plugin.core.workflow import WorkflowInputs, run_workflow
    from casa_nep_plugin.core.model import run_npp
    s = {inputs!r}
    marker = Path({marker!r})

    def progress(p):
        marker.write_text(str(p))   # tells the test that temporary files exist now
        time.sleep({delay})

    cb = Callbacks(progress=progress)
    if {what!r} == "workflow":
        run_workflow(WorkflowInputs(s["ndvi"], s["lc"], s["sol"], s["t"], s["p"], s["e"], ndvi_scale=0.0001),
                     {out!r}, cb)
    else:
        run_npp(s["ndvi"], s["lc"], s["sol"], s["t"], s["p"], {out!r} + "/npp.tif", evapotranspiration=s["e"],
                ndvi_scale=0.0001, rh_output={out!r} + "/rh.tif", callbacks=cb)
    print("finished")
""")


def start_slow(tmp_path: Path, s: dict[str, str], out: Path, what: str = "workflow", delay: float = 1.0):
    marker = tmp_path / f"marker-{what}-{time.monotonic_ns()}"
    code = SLOW_RUN.format(root=str(ROOT), inputs=s, marker=str(marker), delay=delay, what=what, out=str(out))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the run did not start")
        time.sleep(0.05)
    return proc


def test_two_workflows_into_one_folder(tmp_path):
    s = copy_sample(tmp_path / "in")
    before = checksums(s.values())
    out = tmp_path / "out"
    out.mkdir()
    first = start_slow(tmp_path, s, out, delay=0.5)
    try:
        with pytest.raises(CasaInputError) as err:
            run_workflow(workflow_inputs(s), str(out))
        assert err.value.parameter == "OUTPUT_FOLDER"
        assert f"pid {first.pid}" in err.value.message and "casanep:workflow" in err.value.message
    finally:
        stdout, stderr = first.communicate(timeout=180)
    assert first.returncode == 0, stderr
    # the first run's set is complete and untouched by the refused second run
    names = sorted(os.listdir(out))
    assert names == sorted(
        FILES[k]
        for k in (
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
        )
    )
    assert leftovers(tmp_path) == [] and checksums(s.values()) == before
    # and the folder is free again
    run_workflow(workflow_inputs(s), str(out))
    assert leftovers(out) == []


# --- signals ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_a_workflow_leaves_nothing(tmp_path, signum):
    s = copy_sample(tmp_path / "in")
    before = checksums(s.values())
    out = tmp_path / "out"
    out.mkdir()
    kept = old_output(out / "report.html")
    proc = start_slow(tmp_path, s, out)
    assert any(".casanep-run-" in p for p in leftovers(out))  # staging exists while it runs
    proc.send_signal(signum)
    proc.communicate(timeout=60)
    assert proc.returncode in (-signum, 128 + signum, 1), proc.returncode
    assert leftovers(tmp_path) == []
    assert os.listdir(out) == ["report.html"] and sha(out / "report.html") == kept
    assert checksums(s.values()) == before


def test_sigterm_during_npp_leaves_no_part_files(tmp_path):
    s = copy_sample(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    kept = old_output(out / "npp.tif")
    proc = start_slow(tmp_path, s, out, what="npp")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM)
    assert leftovers(tmp_path) == []
    assert sha(out / "npp.tif") == kept


def test_signal_cleanup_chains_and_restores(tmp_path):
    calls = []
    previous = signal.signal(signal.SIGUSR1, signal.SIG_DFL)  # not one of ours: untouched
    old_int = signal.getsignal(signal.SIGINT)

    def mine(signum, frame):
        calls.append(signum)

    signal.signal(signal.SIGINT, mine)
    try:
        f = tmp_path / "x.part"
        f.write_text("tmp")
        d = tmp_path / ".casanep-run-x"
        d.mkdir()
        (d / "a").write_text("a")
        with safety.signal_cleanup():
            with safety.signal_cleanup():  # nested: one installation
                safety.register_temp(str(f))
                safety.register_temp(str(d))
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)
        assert calls == [signal.SIGINT]  # the previous handler ran after the cleanup
        assert not f.exists() and not d.exists() and safety.registered() == []
        assert signal.getsignal(signal.SIGINT) is mine  # restored
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGUSR1, previous)


# --- the output folder ------------------------------------------------------------------------------
def test_output_folder_that_is_a_file(tmp_path):
    s = copy_sample(tmp_path / "in")
    f = tmp_path / "results"
    kept = old_output(f)
    with pytest.raises(CasaInputError) as err:
        run_workflow(workflow_inputs(s), str(f))
    assert err.value.parameter == "OUTPUT_FOLDER" and "is a file" in err.value.message
    assert sha(f) == kept and leftovers(tmp_path) == []


def test_an_input_inside_the_output_set_is_refused(tmp_path):
    s = copy_sample(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    os.replace(s["ndvi"], out / FILES["npp"])  # NDVI saved under the name the run writes NPP to
    s["ndvi"] = str(out / FILES["npp"])
    before = checksums(s.values())
    with pytest.raises(CasaInputError) as err:
        run_workflow(workflow_inputs(s), str(out))
    assert err.value.parameter == "OUTPUT_FOLDER" and "NDVI" in err.value.message
    assert checksums(s.values()) == before and leftovers(tmp_path) == []


def test_symlink_in_the_output_folder_is_written_through(tmp_path):
    s = copy_sample(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    store = tmp_path / "store"
    store.mkdir()
    target = store / "report.html"
    old_output(target)
    os.symlink(target, out / "report.html")
    files = run_workflow(workflow_inputs(s), str(out))
    assert os.path.islink(out / "report.html") and os.readlink(out / "report.html") == str(target)
    assert "<html" in target.read_text().lower()
    assert files["report"] == str(out / "report.html") and leftovers(tmp_path) == []


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_workflow_outputs_honour_the_umask(tmp_path, mask):
    s = copy_sample(tmp_path / "in")
    out = tmp_path / "out"
    old = os.umask(mask)
    try:
        assert safety.current_umask() == mask
        files = run_workflow(workflow_inputs(s), str(out))
    finally:
        os.umask(old)
    modes = {os.path.basename(p): stat.S_IMODE(os.stat(p).st_mode) for p in files.values()}
    assert set(modes.values()) == {0o666 & ~mask}, modes


def test_apply_umask_on_a_mkstemp_file(tmp_path):
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=tmp_path)
    os.close(fd)
    assert stat.S_IMODE(os.stat(tmp).st_mode) == 0o600
    safety.apply_umask(tmp)
    assert stat.S_IMODE(os.stat(tmp).st_mode) == 0o666 & ~safety.current_umask()


def test_npp_geotiff_honours_the_umask(tmp_path):
    from casa_nep_plugin.core.model import run_npp
    from tests.reliability.helpers import npp_kwargs

    s = copy_sample(tmp_path / "in")
    old = os.umask(0o022)
    try:
        run_npp(output=str(tmp_path / "npp.tif"), **npp_kwargs(s))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "npp.tif").st_mode) == 0o644


def test_signal_cleanup_coexists_with_a_handler_installed_over_it(tmp_path):
    """The engine installs its own cleanup handler (chaining to the one it finds) while ours is in
    place: leaving our context must not remove it, and a signal runs both cleanups, without a loop."""
    old_int = signal.getsignal(signal.SIGINT)
    seen = []

    def original(signum, frame):
        seen.append("original")

    signal.signal(signal.SIGINT, original)
    try:
        f = tmp_path / "ours.part"
        f.write_text("x")
        with safety.signal_cleanup():
            below = signal.getsignal(signal.SIGINT)

            def engine_like(signum, frame):
                seen.append("engine")
                below(signum, frame)

            signal.signal(signal.SIGINT, engine_like)
            safety.register_temp(str(f))
        assert signal.getsignal(signal.SIGINT) is engine_like  # left in place
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        assert seen == ["engine", "original"] and not f.exists()
    finally:
        signal.signal(signal.SIGINT, old_int)
        safety.remove_registered()

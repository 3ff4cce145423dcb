"""As a user scripts it, through qgis_process: SIGTERM during a workflow leaves nothing; a second
workflow into a folder in use is refused naming the first; the error is one sentence."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.reliability.helpers import ROOT, checksums, copy_sample, leftovers, old_output, sha

SCRIPT = ROOT / "scripts" / "qgis_process.sh"
pytestmark = pytest.mark.skipif(
    not (shutil.which("qgis_process") or os.path.exists("/usr/bin/qgis_process.bin")), reason="qgis_process not found"
)


def workflow_args(s: dict[str, str], out: Path) -> list[str]:
    return [
        "run",
        "casanep:workflow",
        "--",
        f"NDVI={s['ndvi']}",
        "NDVI_SCALE=0.0001",
        f"LANDCOVER={s['lc']}",
        f"SOLAR_RADIATION={s['sol']}",
        f"TEMPERATURE={s['t']}",
        f"PRECIPITATION={s['p']}",
        f"ZONES={s['zones']}",
        f"FINE_LANDCOVER={s['fine']}",
        f"OUTPUT_FOLDER={out}",
    ]


def start(tmp_path: Path, args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"))
    return subprocess.Popen(
        ["bash", str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def wait_for_staging(proc: subprocess.Popen, out: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (out.is_dir() and any(n.startswith(".casanep-run-") for n in os.listdir(out))):
        if proc.poll() is not None:
            raise AssertionError(f"qgis_process ended before staging: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("no staging folder appeared")
        time.sleep(0.02)


def test_sigterm_during_a_workflow_leaves_nothing(tmp_path):
    s = copy_sample(tmp_path / "in")
    before = checksums(s.values())
    out = tmp_path / "out"
    out.mkdir()
    kept = old_output(out / "report.html")
    proc = start(tmp_path, workflow_args(s, out))
    wait_for_staging(proc, out)
    proc.send_signal(signal.SIGTERM)  # bash execs qgis_process.bin: the signal reaches it
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM), (proc.returncode, stderr)
    assert "Traceback" not in stderr
    assert os.listdir(out) == ["report.html"] and sha(out / "report.html") == kept
    assert leftovers(tmp_path / "in", out) == [] and checksums(s.values()) == before


HOLDER = """
import sys, time
sys.path.insert(0, {root!r})
from casa_nep_plugin.core import folderlock, safety
with safety.signal_cleanup(), folderlock.folder_lock({out!r}, "casanep:workflow"):
    print("holding", flush=True)
    time.sleep(120)
"""


def test_second_workflow_into_a_folder_in_use_is_refused(tmp_path):
    """Another process holds the folder (as a running workflow does): qgis_process is refused, naming it."""
    import sys

    s = copy_sample(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    kept = old_output(out / "report.html")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(root=str(ROOT), out=str(out))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        second = subprocess.run(
            ["bash", str(SCRIPT), *workflow_args(s, out)],
            capture_output=True,
            text=True,
            env=dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile")),
            timeout=300,
        )
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.communicate(timeout=60)
    assert second.returncode != 0
    assert "OUTPUT_FOLDER:" in second.stderr and "in use" in second.stderr, second.stderr
    assert f"pid {holder.pid}" in second.stderr and "Traceback" not in second.stderr
    # the holder's SIGTERM removed its lock; the folder is as it was
    assert os.listdir(out) == ["report.html"] and sha(out / "report.html") == kept and leftovers(out) == []

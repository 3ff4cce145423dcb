"""The plugin as a user scripts it: qgis_process in a subprocess, plugin enabled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from casa_nep_plugin.core.model import run_npp
from tests.rasters import read

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "qgis_process.sh"

pytestmark = pytest.mark.skipif(
    not (shutil.which("qgis_process") or os.path.exists("/usr/bin/qgis_process.bin")), reason="qgis_process not found"
)


def qgis_process(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"))
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=600)


def test_provider_visible_to_qgis_process(tmp_path):
    res = qgis_process(tmp_path, "list")
    assert res.returncode == 0, res.stderr
    for alg in ("casanep:npp", "casanep:rh", "casanep:nep"):
        assert alg in res.stdout


def test_npp_run_through_qgis_process_equals_core(tmp_path, sample_dir):
    s = {
        k: str(sample_dir / f"{v}_2021_2022.tif")
        for k, v in (
            ("ndvi", "ndvi"),
            ("sol", "solar_radiation"),
            ("t", "temperature"),
            ("p", "precipitation"),
            ("e", "evapotranspiration"),
        )
    }
    lc = str(sample_dir / "landcover_glcfcs30.tif")
    out = tmp_path / "npp_cli.tif"
    res = qgis_process(
        tmp_path,
        "run",
        "casanep:npp",
        "--json",
        "--",
        f"NDVI={s['ndvi']}",
        f"LANDCOVER={lc}",
        f"SOLAR_RADIATION={s['sol']}",
        f"TEMPERATURE={s['t']}",
        f"PRECIPITATION={s['p']}",
        f"EVAPOTRANSPIRATION={s['e']}",
        "NDVI_SCALE=0.0001",
        f"OUTPUT={out}",
    )
    assert res.returncode == 0, res.stdout + res.stderr
    payload = json.loads(res.stdout[res.stdout.index("{") :])
    assert payload["results"]["OUTPUT"] == str(out)
    core = tmp_path / "core.tif"
    run_npp(s["ndvi"], lc, s["sol"], s["t"], s["p"], str(core), evapotranspiration=s["e"], ndvi_scale=0.0001)
    np.testing.assert_array_equal(read(out), read(core))


def test_bad_input_message_on_the_command_line(tmp_path, sample_dir):
    out = tmp_path / "rh.tif"
    # a class raster given as temperature: one band described "GLC_FCS30 code", not a monthly stack
    ndvi = str(sample_dir / "ndvi_2021_2022.tif")
    lc = str(sample_dir / "landcover_glcfcs30.tif")
    res = qgis_process(
        tmp_path, "run", "casanep:rh", "--", f"TEMPERATURE={lc}", f"PRECIPITATION={ndvi}", f"OUTPUT={out}"
    )
    assert res.returncode != 0
    assert "TEMPERATURE" in res.stdout + res.stderr and "YYYY-MM" in res.stdout + res.stderr
    assert not out.exists()


def test_raw_era5_to_respiration_on_the_command_line(tmp_path, sample_dir):
    """era5land (CDS-style NetCDF onto the sample's grid) then rh, both through qgis_process, equal the core."""
    from casa_nep_plugin.core.era5 import run_era5land
    from casa_nep_plugin.core.grid import grid_from_reference
    from casa_nep_plugin.core.model import run_rh
    from tests.algorithms.test_prepare_algorithms import monthly_nc

    nc = monthly_nc(tmp_path / "era5.nc")
    ref = str(sample_dir / "landcover_glcfcs30.tif")
    t, p, rh = (tmp_path / f"{k}.tif" for k in ("t", "p", "rh"))
    res = qgis_process(
        tmp_path,
        "run",
        "casanep:era5land",
        "--",
        f"INPUT={nc}",
        f"GRID_REFERENCE={ref}",
        f"OUTPUT_T={t}",
        f"OUTPUT_P={p}",
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    res = qgis_process(
        tmp_path,
        "run",
        "casanep:rh",
        "--",
        f"TEMPERATURE={t}",
        f"PRECIPITATION={p}",
        f"LANDCOVER={ref}",
        f"OUTPUT={rh}",
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    core = {"T": str(tmp_path / "core_t.tif"), "P": str(tmp_path / "core_p.tif")}
    run_era5land(nc, core, grid=grid_from_reference(ref))
    run_rh(core["T"], core["P"], str(tmp_path / "core_rh.tif"), landcover=ref)
    np.testing.assert_array_equal(read(rh), read(tmp_path / "core_rh.tif"))
    assert np.isfinite(read(rh)).sum() > 1000

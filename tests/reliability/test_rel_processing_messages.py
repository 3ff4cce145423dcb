"""Through Processing: unsafe outputs refused before any work, no raw traceback, each error once,
a full disk in the workflow said in one sentence (tmpfs, root only)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.reliability.helpers import (
    checksums,
    copy_sample,
    device_node,
    is_root,
    leftovers,
    mount_tmpfs,
    npp_params,
    old_output,
    sha,
    umount,
)


def run_error(alg: str, params: dict) -> str:
    """processing.run's error text (the test fails if the run succeeds)."""
    import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as err:
        processing.run(alg, params)
    return str(err.value)


def assert_clean_message(text: str, parameter: str) -> None:
    assert text.startswith(f"{parameter}:"), text
    assert "Traceback" not in text and 'File "' not in text, text
    body = text.split(":", 1)[1].strip()
    assert text.count(body[:60]) == 1, f"the message is repeated: {text}"


@pytest.fixture
def sample(tmp_path):
    s = copy_sample(tmp_path / "in")
    return s, checksums(s.values())


def test_npp_output_on_its_own_input(casanep_provider, sample, tmp_path):
    s, before = sample
    text = run_error("casanep:npp", npp_params(s, OUTPUT=s["t"]))
    assert_clean_message(text, "OUTPUT")
    assert "TEMPERATURE input" in text
    assert checksums(s.values()) == before and leftovers(tmp_path) == []


def test_npp_two_outputs_one_path(casanep_provider, sample, tmp_path):
    s, before = sample
    o = tmp_path / "o.tif"
    kept = old_output(o)
    text = run_error("casanep:npp", npp_params(s, OUTPUT=str(o), RH_OUTPUT=str(o)))
    assert_clean_message(text, "RH_OUTPUT")
    assert sha(o) == kept and checksums(s.values()) == before and leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["npp.txt", "npp.jpg"])
def test_npp_output_extension(casanep_provider, sample, tmp_path, name):
    s, _ = sample
    text = run_error("casanep:npp", npp_params(s, OUTPUT=str(tmp_path / name)))
    assert_clean_message(text, "OUTPUT")
    assert ".tif, .tiff" in text and not (tmp_path / name).exists()


@pytest.mark.skipif(not is_root(), reason="needs root to make a device node")
def test_npp_to_a_device(casanep_provider, sample, tmp_path):
    """As OUTPUT=/dev/full, on a private node (a missing check must never replace the real one)."""
    s, _ = sample
    dev = device_node(tmp_path / "full.tif")
    assert dev
    text = run_error("casanep:npp", npp_params(s, OUTPUT=dev))
    assert_clean_message(text, "OUTPUT")
    assert "device" in text and stat.S_ISCHR(os.stat(dev).st_mode)
    assert leftovers(tmp_path) == []


def test_zonal_output_over_the_zone_layer(casanep_provider, sample, tmp_path):
    """A table written over its own zone layer would destroy it."""
    import processing

    s, before = sample
    npp = tmp_path / "npp.tif"
    processing.run("casanep:npp", npp_params(s, OUTPUT=str(npp)))
    zones = tmp_path / "in" / "zones.gpkg"
    import geopandas as gpd

    gpd.read_file(s["zones"]).to_file(zones)
    kept = sha(zones)
    text = run_error("casanep:zonalstatistics", {"ZONES": str(zones), "NPP": str(npp), "OUTPUT": str(zones)})
    assert_clean_message(text, "OUTPUT")
    assert "ZONES input" in text and sha(zones) == kept


def test_truncated_geotiff_names_the_file(casanep_provider, sample, tmp_path):
    s, _ = sample
    bad = Path(s["t"]).with_name("t_truncated.tif")
    bad.write_bytes(Path(s["t"]).read_bytes()[:4000])  # header intact, data cut
    before = checksums([*s.values(), bad])
    out = tmp_path / "npp.tif"
    kept = old_output(out)
    text = run_error("casanep:npp", npp_params(s, TEMPERATURE=str(bad), OUTPUT=str(out)))
    assert_clean_message(text, "TEMPERATURE")
    assert "t_truncated.tif" in text and "not a readable raster" in text
    assert sha(out) == kept and checksums([*s.values(), bad]) == before and leftovers(tmp_path) == []


def test_workflow_output_folder_that_is_a_file(casanep_provider, sample, tmp_path):
    s, before = sample
    f = tmp_path / "results"
    kept = old_output(f)
    params = {
        "NDVI": s["ndvi"],
        "LANDCOVER": s["lc"],
        "SOLAR_RADIATION": s["sol"],
        "TEMPERATURE": s["t"],
        "PRECIPITATION": s["p"],
        "NDVI_SCALE": 0.0001,
        "OUTPUT_FOLDER": str(f),
    }
    text = run_error("casanep:workflow", params)
    assert_clean_message(text, "OUTPUT_FOLDER")
    assert "is a file" in text and sha(f) == kept and checksums(s.values()) == before


def test_unexpected_errors_have_no_traceback(casanep_provider, sample, tmp_path, monkeypatch):
    """Any other failure below (a bug, an OS error) is one sentence; the traceback goes to the log."""
    from casa_nep_plugin.core import model

    def broken(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(model, "run_npp", broken)
    s, _ = sample
    text = run_error("casanep:npp", npp_params(s, OUTPUT=str(tmp_path / "npp.tif")))
    assert "Traceback" not in text and "ZeroDivisionError: boom" in text and "report" in text


@pytest.mark.skipif(not is_root(), reason="needs root to mount a small tmpfs")
def test_workflow_on_a_full_disk(casanep_provider, sample, tmp_path):
    s, before = sample
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "160k"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        kept = old_output(disk / "report.html", "an earlier report " * 100)
        params = {
            "NDVI": s["ndvi"],
            "LANDCOVER": s["lc"],
            "SOLAR_RADIATION": s["sol"],
            "TEMPERATURE": s["t"],
            "PRECIPITATION": s["p"],
            "EVAPOTRANSPIRATION": s["e"],
            "NDVI_SCALE": 0.0001,
            "OUTPUT_FOLDER": str(disk),
        }
        text = run_error("casanep:workflow", params)
        assert_clean_message(text, "OUTPUT_FOLDER")
        assert "full" in text
        assert os.listdir(disk) == ["report.html"] and sha(disk / "report.html") == kept
        assert checksums(s.values()) == before
    finally:
        umount(disk)

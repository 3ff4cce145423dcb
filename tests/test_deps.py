"""The dependency list (requirements.txt) and the install message for each platform QGIS runs on."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from casa_nep_plugin import deps

ROOT = Path(__file__).resolve().parent.parent


def test_requirements_file_is_the_one_list():
    assert Path(deps.REQUIREMENTS).parent == ROOT / "casa_nep_plugin"
    assert deps.REQUIRED == {"numpy": "python3-numpy", "rasterio": "python3-rasterio"}
    assert deps.OPTIONAL == {"geopandas": "python3-geopandas"}


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", "sudo apt install python3-rasterio python3-geopandas"),
        ("win32", "OSGeo4W Shell (Start menu, QGIS folder) and run: python -m pip install rasterio geopandas"),
        ("darwin", "/Applications/QGIS.app/Contents/MacOS/bin/python3 -m pip install rasterio geopandas"),
    ],
)
def test_install_message_per_platform(platform, expected):
    text = deps.install_hint(["rasterio", "geopandas"], platform)
    assert text.startswith("casa-nep needs the Python package(s) rasterio, geopandas")
    assert expected in text
    assert "restart QGIS" in text
    others = {"linux": "apt install", "win32": "OSGeo4W", "darwin": "QGIS.app"}
    assert all(v not in text for k, v in others.items() if k != platform)


def test_about_text_gives_every_platform_command():
    meta = configparser.ConfigParser()
    meta.read(ROOT / "casa_nep_plugin" / "metadata.txt")
    about = meta["general"]["about"]
    for command in deps.install_commands(["rasterio", "geopandas"]).values():
        assert command in about, command
    assert "OSGeo4W Shell" in about

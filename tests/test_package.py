"""The plugin as shipped: metadata complete, zip installable and clean, core free of QGIS."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_metadata_for_the_plugin_repository():
    meta = configparser.ConfigParser()
    meta.read(ROOT / "casa_nep_plugin" / "metadata.txt")
    g = meta["general"]
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email",
                "repository", "tracker", "icon"):
        assert g.get(key, "").strip(), key
    assert g["hasProcessingProvider"] == "yes"
    assert (ROOT / "casa_nep_plugin" / g["icon"]).exists()
    from casa_nep_plugin import __version__

    assert g["version"] == __version__


def test_package_zip_is_clean():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "package.py")], capture_output=True, text=True,
                         check=True).stdout
    path = Path(out.split(" (")[0].strip())
    names = zipfile.ZipFile(path).namelist()
    assert "casa_nep_plugin/metadata.txt" in names and "casa_nep_plugin/__init__.py" in names
    assert all(n.startswith("casa_nep_plugin/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/tests/" in n]
    assert "casa_nep_plugin/resources/tables/glc_fcs30_codes.csv" in names


def test_core_never_imports_qgis():
    pattern = re.compile(r"^\s*(import|from)\s+(qgis|PyQt5|PyQt6|processing)\b", re.M)
    offenders = [p.name for p in (ROOT / "casa_nep_plugin" / "core").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []

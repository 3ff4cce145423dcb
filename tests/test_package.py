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
    for key in (
        "name",
        "qgisMinimumVersion",
        "description",
        "about",
        "version",
        "author",
        "email",
        "repository",
        "tracker",
        "icon",
    ):
        assert g.get(key, "").strip(), key
    assert g["hasProcessingProvider"] == "yes"
    assert (ROOT / "casa_nep_plugin" / g["icon"]).exists()
    from casa_nep_plugin import __version__

    assert g["version"] == __version__


def test_package_zip_is_clean():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py")], capture_output=True, text=True, check=True
    ).stdout
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


def _check_zip():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_zip", ROOT / "scripts" / "check_zip.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_license_gpl2_or_later_at_root_and_in_the_plugin():
    for path in (ROOT / "LICENSE", ROOT / "casa_nep_plugin" / "LICENSE"):
        text = path.read_text()
        assert "GPL-2.0-or-later" in text and "GNU GENERAL PUBLIC LICENSE" in text and "Version 2, June 1991" in text


def test_metadata_category_and_tags():
    meta = configparser.ConfigParser()
    meta.read(ROOT / "casa_nep_plugin" / "metadata.txt")
    assert meta["general"]["category"] == "Raster"
    assert {"carbon", "npp", "nep", "raster"} <= {t.strip() for t in meta["general"]["tags"].split(",")}


def test_shipped_zip_passes_the_repository_rules(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py")], capture_output=True, text=True, check=True
    ).stdout
    errors, warnings = _check_zip().check(Path(out.split(" (")[0].strip()))
    assert errors == []
    assert "casa_nep_plugin/LICENSE" in zipfile.ZipFile(out.split(" (")[0].strip()).namelist()


def test_zip_check_refuses_what_the_repository_refuses(tmp_path):
    check = _check_zip().check
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("my plugin/__init__.py", "")
        zf.writestr("my plugin/__pycache__/x.cpython-311.pyc", b"")
        zf.writestr("my plugin/metadata.txt", "[general]\nname=x\nauthor=a/b\ntracker=http://bugs\n")
    errors, _ = check(bad)
    text = "\n".join(errors)
    for expected in (
        ".pyc",
        "__pycache__",
        "top folder name",
        "LICENSE missing",
        "metadata email missing",
        "author contains a slash",
        "tracker='http://bugs' is not a full URL",
    ):
        assert expected in text, expected
    good_meta = (
        "[general]\nname=x\ndescription=d\nversion=1\nqgisMinimumVersion=3.22\nauthor=a\nemail=a@b.invalid\n"
        "about=t\ntracker=https://example.org/t\nrepository=https://github.com/casa-nep/casa-nep\n"
    )
    ok = tmp_path / "ok.zip"
    with zipfile.ZipFile(ok, "w") as zf:
        for name, data in (("__init__.py", ""), ("metadata.txt", good_meta), ("LICENSE", "GPL")):
            zf.writestr(f"x_plugin/{name}", data)
    errors, warnings = check(ok)
    assert errors == []
    assert sum("placeholder" in w for w in warnings) == 3  # .invalid mail, example.org, the project's placeholder


def test_pyproject_describes_the_plugin_as_metadata_txt_does():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    meta = configparser.ConfigParser()
    meta.read(ROOT / "casa_nep_plugin" / "metadata.txt")
    assert project["version"] == meta["general"]["version"]  # the version is written twice: they must agree
    assert project["license"]["text"] == "GPL-2.0-or-later"
    assert "GPL-2.0-or-later" in (ROOT / "LICENSE").read_text()
    required = [
        line.split("#")[0].strip()
        for line in (ROOT / "casa_nep_plugin" / "requirements.txt").open()
        if line.split("#")[0].strip() and "optional" not in line.split("#", 1)[-1]
    ]
    assert sorted(project["dependencies"]) == sorted(required) == ["numpy", "rasterio"]
    assert "geopandas" in project["optional-dependencies"]["zones"]  # requirements.txt: optional, for zones

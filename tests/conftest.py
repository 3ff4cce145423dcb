"""Shared fixtures: paths, the shared real data, and the provider in Processing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Never write beside an input: QGIS loads every raster given to processing.run as a layer and
# GDAL stores the statistics QGIS computes for its default style in an .aux.xml beside it
# (the shipped sample, ../shared). Forced, not defaulted: the session end checks it held.
os.environ["GDAL_PAM_ENABLED"] = "NO"

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "casa_nep_plugin"
SAMPLE = PLUGIN / "resources" / "sample"
SHARED_DATA = Path(os.environ.get("CASANEP_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The synthetic sample shipped in the plugin."""
    return SAMPLE


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real files); the test is skipped where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not found at {SHARED_DATA}")
    return SHARED_DATA


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real sample file not found: {path}")
    return path


@pytest.fixture(scope="session")
def casanep_provider(qgis_processing):
    """The casa-nep provider registered in this session's Processing registry."""
    from qgis.core import QgsApplication

    from casa_nep_plugin.provider import CasaNepProvider

    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("casanep")
    if provider is None:
        provider = CasaNepProvider()
        registry.addProvider(provider)
    return provider


# --- a clean exit ------------------------------------------------------------------
# QGIS 3.22 can segfault while Python tears down QGIS objects after exitQgis()
# (QGIS_NOTES.md: "exitQgis() can segfault at the end of a script"), turning a green
# run into exit code 139. Once pytest has reported, leave with its own exit status.
_EXIT_STATUS: list[int] = []


def _side_files() -> set[Path]:
    return {p for folder in (SAMPLE, SHARED_DATA) if folder.is_dir() for p in folder.rglob("*.aux.xml")}


_SIDE_FILES_BEFORE = _side_files()


def pytest_sessionfinish(session, exitstatus):
    new = sorted(_side_files() - _SIDE_FILES_BEFORE)
    if new:  # a run that wrote beside an input fails, whatever its tests said
        print("\nFAILED: files written beside inputs: " + " ".join(str(p) for p in new))
        exitstatus = session.exitstatus = 1
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    if _EXIT_STATUS and os.environ.get("CASANEP_NO_HARD_EXIT") != "1":
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])

"""Which Python packages the algorithms need, and how to get them."""

from __future__ import annotations

import importlib

#: module -> Debian package that provides it.
REQUIRED = {"numpy": "python3-numpy", "rasterio": "python3-rasterio"}
OPTIONAL = {"geopandas": "python3-geopandas"}


def missing(modules: dict[str, str] | None = None) -> list[str]:
    """Names of the modules that cannot be imported."""
    out = []
    for name in modules or REQUIRED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - any import failure means unusable
            out.append(name)
    return out


def install_hint(names: list[str]) -> str:
    """One line telling the user what to install."""
    table = {**REQUIRED, **OPTIONAL}
    debs = " ".join(table.get(n, n) for n in names)
    return (
        f"casa-nep needs the Python package(s) {', '.join(names)}, missing in this QGIS. "
        f"On Debian/Ubuntu: sudo apt install {debs}; elsewhere install them into QGIS's Python "
        "(OSGeo4W shell: python -m pip install " + " ".join(names) + ")."
    )

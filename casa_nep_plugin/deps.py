"""Which Python packages the algorithms need, and the exact command to get them.

The list lives in ``requirements.txt`` next to this file (one place); here it is read
and turned into an install command for the platform QGIS runs on.
"""

from __future__ import annotations

import importlib
import os
import re
import sys

REQUIREMENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requirements.txt")


def _read_requirements(path: str = REQUIREMENTS) -> tuple[dict[str, str], dict[str, str]]:
    """Read requirements.txt into (required, optional): module -> Debian package."""
    required: dict[str, str] = {}
    optional: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            spec, _, comment = line.partition("#")
            name = re.split(r"[<>=!~;\[\s]", spec.strip(), maxsplit=1)[0]
            if not name:
                continue
            deb = re.search(r"debian:\s*([\w.+-]+)", comment)
            target = optional if re.search(r"\boptional\b", comment) else required
            target[name] = deb.group(1) if deb else f"python3-{name}"
    return required, optional


#: module -> Debian package that provides it.
REQUIRED, OPTIONAL = _read_requirements()


def missing(modules: dict[str, str] | None = None) -> list[str]:
    """Names of the modules that cannot be imported."""
    out = []
    for name in modules or REQUIRED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - any import failure means unusable
            out.append(name)
    return out


def platform_key(platform: str | None = None) -> str:
    """'windows', 'macos' or 'linux' (``sys.platform`` unless given)."""
    platform = platform or sys.platform
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "macos"
    return "linux"


def install_commands(names: list[str]) -> dict[str, str]:
    """Return the exact install command per platform, for the given modules."""
    table = {**REQUIRED, **OPTIONAL}
    debs = " ".join(table.get(n, f"python3-{n}") for n in names)
    pips = " ".join(names)
    return {
        "linux": f"sudo apt install {debs}",
        "windows": f"python -m pip install {pips}",
        "macos": f"/Applications/QGIS.app/Contents/MacOS/bin/python3 -m pip install {pips}",
    }


def install_hint(names: list[str], platform: str | None = None) -> str:
    """One paragraph telling the user what to install on this platform, and how."""
    cmd = install_commands(names)
    key = platform_key(platform)
    head = f"casa-nep needs the Python package(s) {', '.join(names)}, missing in this QGIS. "
    if key == "windows":
        return head + (
            f"Open the OSGeo4W Shell (Start menu, QGIS folder) and run: {cmd['windows']} - then restart QGIS."
        )
    if key == "macos":
        return head + (
            f"In Terminal run: {cmd['macos']} (QGIS-LTR: /Applications/QGIS-LTR.app/...) - then restart QGIS."
        )
    return head + (
        f"On Debian/Ubuntu: {cmd['linux']} - then restart QGIS. Elsewhere install them into "
        f"QGIS's Python: python3 -m pip install {' '.join(names)}."
    )

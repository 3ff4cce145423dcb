"""Build the installable plugin zip: dist/casa_nep_plugin-<version>.zip.

The zip holds one top folder, casa_nep_plugin/, as QGIS's "Install from ZIP" and
the plugin repository expect; no tests, caches or compiled files.
"""

from __future__ import annotations

import configparser
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "casa_nep_plugin"
EXCLUDE_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}
EXCLUDE_SUFFIXES = {".pyc", ".pyo", ".aux.xml", ".part.tif"}
REQUIRED_METADATA = (
    "name",
    "qgisMinimumVersion",
    "description",
    "about",
    "version",
    "author",
    "email",
    "repository",
    "tracker",
    "hasProcessingProvider",
)


def main() -> int:
    """Write the zip and print its path."""
    meta = configparser.ConfigParser()
    meta.read(PLUGIN / "metadata.txt")
    missing = [k for k in REQUIRED_METADATA if not meta.get("general", k, fallback="").strip()]
    if missing:
        print(f"metadata.txt lacks: {', '.join(missing)}", file=sys.stderr)
        return 1
    version = meta.get("general", "version")
    dist = ROOT / "dist"
    dist.mkdir(exist_ok=True)
    target = dist / f"casa_nep_plugin-{version}.zip"
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(PLUGIN.rglob("*")):
            rel = path.relative_to(ROOT)
            if path.is_dir() or EXCLUDE_DIRS & set(rel.parts) or any(str(path).endswith(s) for s in EXCLUDE_SUFFIXES):
                continue
            if "tests" in rel.parts:
                continue
            zf.write(path, rel.as_posix())
            count += 1
    print(f"{target} ({count} files, {target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

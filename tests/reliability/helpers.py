"""Shared checks of the reliability tests: inputs unchanged, earlier outputs kept, nothing left behind."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "casa_nep_plugin" / "resources" / "sample"
FILES = {
    "ndvi": "ndvi_2021_2022.tif",
    "lc": "landcover_glcfcs30.tif",
    "sol": "solar_radiation_2021_2022.tif",
    "t": "temperature_2021_2022.tif",
    "p": "precipitation_2021_2022.tif",
    "e": "evapotranspiration_2021_2022.tif",
    "zones": "zones.geojson",
    "fine": "landcover_worldcover_25m.tif",
}
#: What the engine and the workflow leave while they work.
LEFTOVER_MARKERS = (".part", ".casanep-run-", ".casanep-workflow.lock", ".aux.xml")


def copy_sample(folder: Path) -> dict[str, str]:
    """The synthetic sample copied into ``folder`` (tests never write beside the shipped files)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, name in FILES.items():
        shutil.copy(SAMPLE / name, folder / name)
        out[key] = str(folder / name)
    return out


def sha(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def checksums(paths: Iterable[str | Path]) -> dict[str, str]:
    """{path: sha256} of the files that exist."""
    return {str(p): sha(p) for p in paths if p and os.path.isfile(p)}


def leftovers(*folders: str | Path) -> list[str]:
    """Hidden temporaries, staging folders and lock files left in ``folders`` (recursively)."""
    found = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            for name in [*dirs, *files]:
                if any(m in name for m in LEFTOVER_MARKERS):
                    found.append(os.path.join(root, name))
    return sorted(found)


def old_output(path: str | Path, text: str = "an earlier result") -> str:
    """A pre-existing output at ``path`` (bytes that must survive a failed run); returns its checksum."""
    Path(path).write_text(text)
    return sha(path)


def npp_kwargs(s: dict[str, str], **kw) -> dict:
    """Keyword arguments of core.model.run_npp on the copied sample."""
    args = dict(
        ndvi=s["ndvi"],
        landcover=s["lc"],
        solar_radiation=s["sol"],
        temperature=s["t"],
        precipitation=s["p"],
        evapotranspiration=s["e"],
        ndvi_scale=0.0001,
    )
    args.update(kw)
    return args


def npp_params(s: dict[str, str], **kw) -> dict:
    """processing.run parameters of casanep:npp on the copied sample."""
    params = {
        "NDVI": s["ndvi"],
        "LANDCOVER": s["lc"],
        "SOLAR_RADIATION": s["sol"],
        "TEMPERATURE": s["t"],
        "PRECIPITATION": s["p"],
        "EVAPOTRANSPIRATION": s["e"],
        "NDVI_SCALE": 0.0001,
    }
    params.update(kw)
    return params


def rewrite(src: str, dst: str, fn=None, descriptions: list[str] | None = None, nodata="keep", crs="keep") -> str:
    """Copy the raster ``src`` to ``dst`` with its data passed through ``fn`` (float32), new band
    descriptions, nodata or CRS (``None`` removes them)."""
    import rasterio

    with rasterio.open(src) as ds:
        data = ds.read().astype("float32")
        profile = ds.profile
        desc = list(ds.descriptions)
    if fn is not None:
        data = np.asarray(fn(data), dtype="float32")
    profile.update(dtype="float32", count=data.shape[0])
    if nodata != "keep":
        profile["nodata"] = nodata
    if crs != "keep":
        profile["crs"] = crs
    with rasterio.open(dst, "w", **profile) as out:
        out.write(data)
        for i, d in enumerate(descriptions or desc, start=1):
            if d:
                out.set_band_description(i, d)
    return dst


def is_root() -> bool:
    """True when running as root (CI): tmpfs mounts and device nodes are tried for real."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def device_node(path: Path) -> str | None:
    """A private character device like /dev/full (major 1, minor 7) at ``path`` (root only), else None.

    Tests never aim a run at the real /dev/full: should the refusal ever be missing,
    the run would replace the system's device node (it did once, before the check).
    """
    if not is_root():
        return None
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError:
        return None
    return str(path)


def mount_tmpfs(path: Path, size: str) -> bool:
    """Mount a small tmpfs at ``path`` (root only); False when it cannot be done."""
    path.mkdir(parents=True, exist_ok=True)
    if not is_root():
        return False
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True
    )
    return r.returncode == 0


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)

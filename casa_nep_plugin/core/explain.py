"""Errors from below (GDAL, the OS) as one sentence naming the parameter.

Pure Python (no QGIS, no GDAL).  :func:`explain_exception` turns an error
raised while reading inputs or writing outputs into a ``CasaInputError``: a full
disk (:func:`is_disk_full`, :func:`disk_full_error`) names the output folder, a
damaged input names its file, a path through a file names the output.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping

from .errors import CasaInputError
from .safety import input_file_of

#: errno values that mean "the disk cannot take more".
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DISK_FULL_TEXTS = ("no space left on device", "disk quota exceeded", "file too large")


def is_disk_full(exc: BaseException | None) -> bool:
    """Tell whether ``exc`` (or what caused it) says the disk or quota is full."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            return True
        if any(t in str(exc).lower() for t in _DISK_FULL_TEXTS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def disk_is_full(folder: str, reserve: int = 64 * 1024) -> bool:
    """Tell whether the file system holding ``folder`` has less than ``reserve`` bytes left for the user."""
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return st.f_bavail * st.f_frsize < reserve


def disk_full_error(parameter: str, where: str) -> CasaInputError:
    """Return the error for a full disk while writing into ``where``."""
    return CasaInputError(
        parameter,
        f"the disk holding '{where}' is full (no space left on device); nothing was written and existing files "
        "were kept. Free some space or choose another folder, then run again.",
    )


def _first_line(text: str, limit: int = 200) -> str:
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def explain_exception(
    exc: BaseException, inputs: Mapping[str, str | None], outputs: Mapping[str, str | None]
) -> CasaInputError | None:
    """One clear sentence for an error from GDAL or the OS, naming the parameter; None if unknown.

    ``inputs``/``outputs``: parameter -> path as the user gave them.  A full
    disk names the first output (its folder); a read error naming an input's
    file says that this file is not a readable raster (truncated or damaged);
    a folder that is a file, or a missing one, names the output.
    """
    outs = [(p, str(v)) for p, v in outputs.items() if v]
    if is_disk_full(exc):
        param, path = outs[0] if outs else ("OUTPUT", "the output folder")
        return disk_full_error(param, os.path.dirname(os.path.abspath(path)) if outs else path)
    text = str(exc)
    module = type(exc).__module__ or ""
    gdal_error = module.startswith(("rasterio", "osgeo", "fiona", "pyogrio")) or "IReadBlock" in text
    for param, source in inputs.items():
        f = input_file_of(source) if isinstance(source, (str, os.PathLike)) else None
        if not f:
            continue
        names = {f, os.path.abspath(f), os.path.realpath(f)}
        if any(n in text for n in names) or (getattr(exc, "filename", None) in names):
            if isinstance(exc, FileNotFoundError):
                return CasaInputError(param, f"'{f}' does not exist (any more); give an existing file.")
            if isinstance(exc, PermissionError):
                return CasaInputError(param, f"'{f}' cannot be read (permission denied).")
            if gdal_error or isinstance(exc, OSError):
                return CasaInputError(
                    param,
                    f"'{os.path.basename(f)}' is not a readable raster: reading it failed ({_first_line(text)}). "
                    "The file may be truncated or damaged; copy or download it again.",
                )
    for param, path in outs:
        names = {path, os.path.abspath(path), os.path.dirname(os.path.abspath(path))}
        if isinstance(exc, OSError) and (getattr(exc, "filename", None) in names or any(n in text for n in names)):
            if isinstance(exc, (NotADirectoryError, FileExistsError)):
                return CasaInputError(
                    param,
                    f"'{path}' cannot be used: a part of the path is a file, not a folder. Choose a path in a folder.",
                )
            return CasaInputError(param, f"cannot write '{path}' ({exc.strerror or _first_line(text)}).")
    return None  # the caller says "unexpected error" with GDAL's or Python's own words

"""Containers (HDF4, NetCDF with subdatasets): opening them quietly and picking a subdataset by name."""

from __future__ import annotations

import os
import re
import warnings

import rasterio
from rasterio.errors import NotGeoreferencedWarning

from .errors import CasaInputError

__all__ = ["open_raster", "subdataset_label", "pick_subdataset"]


def open_raster(path: str):
    """Open ``path`` with ``rasterio.open``, without the warning about a missing geotransform.

    Containers (HDF4, NetCDF with subdatasets) raise it for having no geotransform of their own.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(path)


_SDS_NAME = re.compile(r":([^:]+)$")


def subdataset_label(name: str) -> str:
    """Return the variable part of a GDAL subdataset name (``...:"250m 16 days NDVI"`` -> that text)."""
    m = _SDS_NAME.search(name)
    return (m.group(1) if m else name).strip().strip('"')


def pick_subdataset(path: str, subdatasets: list[str], patterns: list[str], parameter: str, what: str) -> str:
    """Return the first subdataset whose variable name matches one of ``patterns`` (regex, case-insensitive).

    Patterns are tried in order, so the first is the preferred one.  Raises,
    listing the subdatasets, when none matches.
    """
    labels = [subdataset_label(s) for s in subdatasets]
    for pat in patterns:
        rx = re.compile(pat, re.IGNORECASE)
        for name, label in zip(subdatasets, labels):
            if rx.search(label):
                return name
    shown = ", ".join(labels[:12]) + (" ..." if len(labels) > 12 else "")
    raise CasaInputError(
        parameter, f"'{os.path.basename(path)}' holds no {what} layer; its layers are: {shown or 'none'}."
    )

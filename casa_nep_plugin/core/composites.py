"""Dated vegetation-index composites: finding them in files, folders and HDF4 granules, and their dates.

Inputs are single-band files (GeoTIFF, JPEG2000, ...), multi-band stacks (one
band per date), folders of them, or MODIS HDF4 granules (the NDVI and pixel
reliability layers are picked from the subdatasets; GDAL must have the HDF4
driver).  The date of a composite is the first of, in order:

1. the file name: ``AYYYYDDD`` (MODIS granules), ``doyYYYYDDD`` (AppEEARS),
   ``YYYY-MM-DD`` / ``YYYY_MM_DD`` / ``YYYY.MM.DD``, or ``YYYY-MM`` (monthly products);
2. the band description (same patterns; per band for stacks);
3. the metadata: ``RANGEBEGINNINGDATE`` (MODIS HDF), or ``dates`` / ``months``
   (comma lists, one per band).

For a 16-day composite this is the first day of its compositing period (the
date in MODIS file names), so a composite starting on 17 January counts for
January.  Reliability layers are paired with the composite of the same date on
the same grid.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, timedelta

import rasterio
from rasterio.errors import RasterioIOError

from .containers import open_raster, pick_subdataset
from .errors import CasaInputError
from .grid import ModelGrid

__all__ = ["Composite", "parse_date", "find_composites", "months_between", "grid_key"]

RASTER_EXTENSIONS = (".tif", ".tiff", ".hdf", ".hdf4", ".h4", ".jp2", ".vrt", ".img")
#: Names of layers that carry reliability, not the index (kept apart when folders are scanned).
RELIABILITY_NAME = re.compile(r"reliab", re.IGNORECASE)


@dataclass
class Composite:
    """One dated composite: a band of a raster, and where its pixel reliability is."""

    date: date
    path: str  #: what rasterio opens: the file, or an HDF4 subdataset
    band: int
    name: str  #: for messages: file name (and band)
    file: str  #: the file it came from
    reliability: tuple[str, int] | None = None

    @property
    def month(self) -> str:
        """``YYYY-MM`` of the composite's date."""
        return f"{self.date.year:04d}-{self.date.month:02d}"


# -- dates -------------------------------------------------------------------------------------

_DATE_PATTERNS = (
    ("doy", re.compile(r"(?<![A-Za-z0-9])A(\d{4})(\d{3})(?!\d)")),
    ("doy", re.compile(r"doy(\d{4})(\d{3})(?!\d)", re.IGNORECASE)),
    ("ymd", re.compile(r"(?<!\d)(\d{4})[-_.](\d{2})[-_.](\d{2})(?!\d)")),
    ("ym", re.compile(r"(?<!\d)(\d{4})-(\d{2})(?![-\d])")),
)


def parse_date(text: str | None) -> date | None:
    """Return the first composite date in ``text`` (patterns in the module docstring), or None."""
    if not text:
        return None
    for kind, rx in _DATE_PATTERNS:
        for m in rx.finditer(text):
            try:
                if kind == "doy":
                    y, doy = int(m.group(1)), int(m.group(2))
                    if 1 <= doy <= 366:
                        d = date(y, 1, 1) + timedelta(days=doy - 1)
                        if d.year == y:
                            return d
                elif kind == "ymd":
                    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                else:
                    return date(int(m.group(1)), int(m.group(2)), 1)
            except ValueError:
                continue
    return None


# -- finding composites --------------------------------------------------------------------


def _has_driver(name: str) -> bool:
    with rasterio.Env() as env:
        return name in env.drivers()


def _expand(paths: list[str], parameter: str) -> list[str]:
    files: list[str] = []
    for p in paths:
        if not p:
            continue
        if os.path.isdir(p):
            found = sorted(
                os.path.join(p, f)
                for f in os.listdir(p)
                if f.lower().endswith(RASTER_EXTENSIONS) and not f.startswith(".")
            )
            if not found:
                raise CasaInputError(parameter, f"the folder '{p}' holds no rasters ({', '.join(RASTER_EXTENSIONS)}).")
            files.extend(found)
        elif os.path.exists(p) or p.upper().startswith(("HDF4_", "NETCDF:", "/VSI")):
            files.append(p)
        else:
            raise CasaInputError(parameter, f"'{p}' does not exist.")
    return files


def _file_composites(path: str, index: str, parameter: str, reliability_layer: bool) -> list[Composite]:
    """Return the dated composites of one file (its bands, or its NDVI/reliability subdataset)."""
    base = os.path.basename(path)
    try:
        ds = open_raster(path)
    except (RasterioIOError, OSError) as exc:
        if path.lower().endswith((".hdf", ".hdf4", ".h4")) and not _has_driver("HDF4"):
            raise CasaInputError(
                parameter,
                f"'{base}' is HDF4 and the GDAL in this QGIS has no HDF4 driver; convert the NDVI and pixel "
                'reliability layers to GeoTIFF (gdal_translate \'HDF4_EOS:EOS_GRID:"file":'
                'MODIS_Grid_16DAY_250m_500m_VI:"250m 16 days NDVI"\' ndvi.tif) or order GeoTIFFs from AppEEARS.',
            ) from exc
        raise CasaInputError(parameter, f"cannot open '{base}' as a raster ({exc}).") from exc
    with ds:
        subdatasets = list(ds.subdatasets)
        tags = ds.tags()
        descriptions = list(ds.descriptions)
        count = ds.count
    if subdatasets:
        return [_granule_composite(path, subdatasets, tags, index, parameter, reliability_layer)]
    return _band_composites(path, tags, descriptions, count, parameter)


def _granule_composite(
    path: str, subdatasets: list[str], tags: dict, index: str, parameter: str, reliability_layer: bool
) -> Composite:
    """Return the composite of an HDF granule: its index (or reliability) layer, dated by name or metadata."""
    base = os.path.basename(path)
    what = "pixel reliability" if reliability_layer else index
    patterns = [r"pixel.?reliability", r"reliability"] if reliability_layer else [rf"\b{index}\b", index]
    sds = pick_subdataset(path, subdatasets, patterns, parameter, what)
    d = parse_date(base) or parse_date(tags.get("RANGEBEGINNINGDATE"))
    if d is None:
        raise CasaInputError(parameter, f"cannot tell the date of '{base}' from its name or metadata.")
    return Composite(d, sds, 1, base, path)


def _band_composites(path: str, tags: dict, descriptions: list, count: int, parameter: str) -> list[Composite]:
    """Return the composites of a plain raster: one band dated by name, description or metadata, or a stack."""
    base = os.path.basename(path)
    name_date = parse_date(base)
    if count == 1:
        d = (
            name_date
            or parse_date(descriptions[0])
            or parse_date(tags.get("RANGEBEGINNINGDATE"))
            or parse_date(tags.get("date") or tags.get("dates") or tags.get("months"))
        )
        if d is None:
            raise CasaInputError(
                parameter,
                f"cannot tell the date of '{base}': name it with the date (e.g. ..._2021-01-17.tif or the MODIS "
                "A2021017) or set the band description.",
            )
        return [Composite(d, path, 1, base, path)]
    dates = [parse_date(x) for x in descriptions]
    if not all(dates):
        listed = tags.get("dates") or tags.get("months") or ""
        items = [x.strip() for x in listed.split(",") if x.strip()]
        if len(items) == count:
            dates = [parse_date(x) for x in items]
    if not all(dates):
        missing = [i + 1 for i, d in enumerate(dates) if d is None]
        raise CasaInputError(
            parameter,
            f"'{base}' has {count} bands but no date for band(s) {', '.join(map(str, missing[:6]))}: describe each "
            "band with its date (YYYY-MM-DD or YYYY-MM) or add a 'dates' metadata list.",
        )
    return [Composite(d, path, b, f"{base} band {b}", path) for b, d in enumerate(dates, start=1) if d is not None]


def grid_key(grid: ModelGrid) -> tuple:
    """Return what makes two rasters share a grid (CRS, transform, size)."""
    crs = grid.crs.to_wkt() if grid.crs else None
    return (crs, tuple(round(v, 6) for v in grid.transform[:6]), grid.width, grid.height)


def _grid_of(path: str, cache: dict[str, tuple]) -> tuple:
    if path not in cache:
        with open_raster(path) as ds:
            cache[path] = grid_key(ModelGrid.of(ds))
    return cache[path]


def find_composites(
    inputs: list[str],
    reliability: list[str] | None = None,
    index: str = "NDVI",
    parameter: str = "INPUT",
) -> list[Composite]:
    """Every dated composite of ``inputs`` (files, folders, HDF4 granules), sorted by date.

    Reliability comes from the HDF4 granule itself, from ``reliability`` files,
    or from files among the inputs whose name says "reliability"; each is paired
    with the NDVI composite of the same date on the same grid.
    """
    files = _expand(inputs, parameter)
    rel_files = [f for f in files if RELIABILITY_NAME.search(os.path.basename(f))]
    files = [f for f in files if f not in rel_files]
    rel_files += _expand(reliability or [], "RELIABILITY")
    if not files:
        raise CasaInputError(parameter, "no vegetation-index raster was given.")
    comps: list[Composite] = []
    for f in files:
        found = _file_composites(f, index, parameter, reliability_layer=False)
        if found and found[0].path != f:  # an HDF granule: its own reliability layer, if any
            try:
                rel = _file_composites(f, index, parameter, reliability_layer=True)[0]
                found[0].reliability = (rel.path, rel.band)
            except CasaInputError:
                pass
        comps.extend(found)
    if rel_files:
        grids: dict[str, tuple] = {}
        pool: dict[tuple, list[Composite]] = {}
        for f in rel_files:
            for r in _file_composites(f, index, "RELIABILITY", reliability_layer=True):
                pool.setdefault((r.date, _grid_of(r.path, grids)), []).append(r)
        for c in comps:
            if c.reliability is None:
                match = pool.get((c.date, _grid_of(c.path, grids)))
                if match:
                    c.reliability = (match[0].path, match[0].band)
    comps.sort(key=lambda c: (c.date, c.name))
    return comps


def months_between(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while (y, m) <= (int(last[:4]), int(last[5:7])):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out

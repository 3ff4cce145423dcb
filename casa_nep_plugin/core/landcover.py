"""A land-cover product to CASA vegetation classes on the model grid (majority resampling).

Each code of the product is mapped to a CASA vegetation class (a key of the
vegetation table: enf, ebf, ..., other, water, ice, or nodata) through a lookup
CSV ``code,class``.  Shipped lookups (``resources/tables``): GLC_FCS30
(``glc_fcs30_codes.csv``, the study's product), ESA WorldCover
(``esa_worldcover_casa.csv``) and MODIS IGBP (``modis_igbp_casa.csv``,
MCD12Q1 LC_Type1 / MCD12C1 majority type 1), named in :mod:`.products`.

The classes are then resampled onto the model grid by **majority**: a model
cell takes the class held by most of the source cells inside it (GDAL's
``mode``; source nodata does not vote; ties go to GDAL's choice).  Where the
source already sits on the model grid the classes are copied cell for cell.
The product is read window by window, so a 36000 x 36000 WorldCover tile never
sits in memory whole (and never through its overviews).

**Output encoding: GLC_FCS30 codes.**  Every CASA class is written as one code
of the class table that ``casanep:npp`` and ``casanep:rh`` use by default
(``glc_fcs30_codes.csv``): the smallest code that table maps to the class::

    crop 10, ebf 51, dbf 61, enf 71, dnf 81, mf 91, shrub 120, grass 130,
    other 140, water 210, ice 220;  nodata 0

so the output feeds those algorithms with no class table to set.  Whoever runs
the model with a table of their own passes the same table here as
``output_table`` and gets its codes instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.io import DatasetReader
from rasterio.windows import Window

from .containers import open_raster, pick_subdataset
from .engine import Callbacks, run_blocks
from .errors import CasaInputError
from .grid import GEOGRAPHIC_DEFAULT, ModelGrid, cut_grid
from .outputs import OutputSpec, metadata_json, provenance_tags
from .products import PRODUCT_NAMES, find_product
from .resample import onto_window, source_window
from .tables import NODATA_CLASS, load_code_table, load_vegetation_table

__all__ = ["ClassEncoding", "class_encoding", "run_landcover_classes"]

#: Layers picked from HDF4 / NetCDF containers, in order of preference.
LAYER_PATTERNS = [r"^LC_Type1$", r"Majority_Land_Cover_Type_1", r"LC_Type", r"land.?cover", r"\blc\b"]
#: Output nodata (GLC_FCS30 fill value).
OUTPUT_NODATA = 0
#: Source cells read at once (one byte each, a few copies): bounds memory on fine products.
SOURCE_BLOCK = 1 << 23
_UNKNOWN = 255  # class index of codes the lookup does not list
EQUATION = "class = majority (mode) of lookup(code) over the source cells in each model cell"


@dataclass(frozen=True)
class ClassEncoding:
    """The internal class index <-> output code, and a product code -> index lookup.

    Index 0 is nodata; 1..K are the classes (``keys``).  ``codes[i]`` is the
    output code of index i (``codes[0]`` the nodata value).
    """

    keys: tuple[str, ...]
    codes: NDArray
    product_codes: NDArray  #: sorted product codes
    product_index: NDArray  #: class index of each product code (0 for nodata)

    def classify(self, raw: NDArray, mask: NDArray | None = None) -> NDArray:
        """Return the class index (uint8) of product codes.

        0 where masked or mapped to nodata, 255 where the lookup does not list the code.
        """
        raw = np.asarray(raw)
        if (
            raw.dtype.kind in "ui"
            and raw.dtype.itemsize <= 2
            and raw.size > 4096
            and (len(self.product_codes) == 0 or (self.product_codes.min() >= 0 and self.product_codes.max() < 65536))
            and (raw.dtype.kind == "u" or raw.min() >= 0)
        ):
            top = max(int(raw.max()), int(self.product_codes.max()) if len(self.product_codes) else 0) + 1
            lut = np.full(top, _UNKNOWN, dtype=np.uint8)
            lut[self.product_codes] = self.product_index
            out = lut[raw]
        else:
            pos = np.clip(np.searchsorted(self.product_codes, raw), 0, len(self.product_codes) - 1)
            known = self.product_codes[pos] == raw
            out = np.where(known, self.product_index[pos], _UNKNOWN).astype(np.uint8)
        if mask is not None:
            out[mask] = 0
        return out

    def legend(self) -> dict[str, int]:
        """Return the output code of each class."""
        return {k: int(c) for k, c in zip(self.keys, self.codes[1:])}


def class_encoding(
    lookup: str | Path | None,
    output_table: str | Path | None = None,
    vegetation_table: str | Path | None = None,
) -> ClassEncoding:
    """Build the encoding from a product lookup (a shipped product name or a CSV path).

    ``output_table``: the class table the output codes must satisfy (default
    the shipped GLC_FCS30 table, casanep:npp's default).
    """
    veg = load_vegetation_table(vegetation_table) if vegetation_table else load_vegetation_table()
    named = find_product(lookup) if isinstance(lookup, str) else None
    if named is not None:
        lookup = named.casa_table
    if not lookup:
        raise CasaInputError("PRODUCT", f"no lookup table: give one of {', '.join(PRODUCT_NAMES)} or a CSV code,class.")
    product = load_code_table(lookup, veg, parameter="CLASS_LOOKUP")
    target = load_code_table(output_table or None, veg, parameter="OUTPUT_CLASS_TABLE")
    first: dict[str, int] = {}
    for code, key in zip(target.codes, target.class_keys):
        first.setdefault(key, int(code))  # codes are sorted: the smallest per class
    keys = tuple(k for k in dict.fromkeys(product.class_keys) if k != NODATA_CLASS)
    missing = [k for k in keys if k not in first]
    if missing:
        raise CasaInputError(
            "OUTPUT_CLASS_TABLE",
            f"class(es) {', '.join(missing)} of the lookup have no code in the output class table; add a code for "
            "each to that table (the one casanep:npp will read).",
        )
    nodata = OUTPUT_NODATA
    if nodata in target.codes and target.class_keys[int(np.searchsorted(target.codes, nodata))] != NODATA_CLASS:
        raise CasaInputError("OUTPUT_CLASS_TABLE", f"code {nodata} (the output nodata) is a class in that table.")
    if len(keys) > 250:
        raise CasaInputError("CLASS_LOOKUP", "more than 250 classes.")
    index = {k: i + 1 for i, k in enumerate(keys)}
    return ClassEncoding(
        keys=keys,
        codes=np.array([nodata] + [first[k] for k in keys], dtype=np.int64),
        product_codes=product.codes,
        product_index=np.array([index.get(k, 0) for k in product.class_keys], dtype=np.uint8),
    )


def _open_landcover(path: str, layer: str | None) -> tuple[DatasetReader, str]:
    """Open a raster, or the land-cover layer of an HDF4/NetCDF container: (dataset, path opened)."""
    if not path:
        raise CasaInputError("INPUT", "no land-cover raster was given.")
    try:
        ds = open_raster(path)
    except (RasterioIOError, OSError) as exc:
        raise CasaInputError("INPUT", f"cannot open '{path}' as a raster ({exc}).") from exc
    if ds.subdatasets:
        subs = list(ds.subdatasets)
        ds.close()
        patterns = [rf"^{layer}$", layer] if layer else LAYER_PATTERNS
        sds = pick_subdataset(path, subs, patterns, "LAYER", f"'{layer}'" if layer else "land-cover")
        assert sds is not None  # required: pick_subdataset raises when no layer matches
        ds = open_raster(sds)
        path = sds
    if ds.count != 1:
        n = ds.count
        ds.close()
        raise CasaInputError("INPUT", f"'{os.path.basename(path)}' has {n} bands; give a single band of class codes.")
    return ds, path


def _open_on_grid(
    landcover: str, layer: str | None, grid: ModelGrid | None, extent, extent_crs, cb: Callbacks
) -> tuple[DatasetReader, str, ModelGrid, ModelGrid]:
    """Open the product and check it reaches the model grid: (dataset, path opened, its grid, model grid).

    Without ``grid`` the model grid is the product's own, cut to ``extent``.
    """
    ds, opened = _open_landcover(landcover, layer)
    base = os.path.basename(landcover)
    try:
        src = ModelGrid.of(ds)
        if src.crs is None:
            src = ModelGrid(GEOGRAPHIC_DEFAULT, src.transform, src.width, src.height)
            cb.warning(f"INPUT: '{base}' has no CRS; taken as EPSG:4326.")
        grid = grid or cut_grid(src, extent, extent_crs, f"'{base}'")
        if grid.crs is None:
            raise CasaInputError("GRID_CRS", "the model grid has no CRS.")
        if source_window(src, grid, Window(0, 0, grid.width, grid.height), margin=0) is None:
            raise CasaInputError("INPUT", f"'{base}' does not overlap the model grid (check its extent and CRS).")
    except BaseException:
        ds.close()
        raise
    return ds, opened, src, grid


def _source_cells_per_cell(src: ModelGrid, grid: ModelGrid) -> float:
    """Return about how many source cells fall in a model cell (at least 1): sizes the strips read."""
    if src.crs == grid.crs:
        return max(1.0, abs(grid.transform.a * grid.transform.e) / abs(src.transform.a * src.transform.e))
    from rasterio.warp import transform_bounds

    try:
        b = transform_bounds(grid.crs, src.crs, *grid.bounds, densify_pts=21)
        src_cells = (b[2] - b[0]) * (b[3] - b[1]) / abs(src.transform.a * src.transform.e)
        return max(1.0, src_cells / (grid.width * grid.height))
    except Exception:  # noqa: BLE001 - unknown: assume similar cells
        return 1.0


@dataclass
class _ClassWindows:
    """The window function: the class codes of a model-grid window, by majority of the source cells.

    A window is read in strips of rows, so a source block stays under ``SOURCE_BLOCK`` cells.
    """

    ds: DatasetReader
    src: ModelGrid
    grid: ModelGrid
    enc: ClassEncoding
    ratio: float  #: source cells per model cell
    name: str  #: the product's file name, for messages

    def __call__(self, window: Window) -> dict[str, NDArray]:
        """Return the window's classes as output codes (float32, NaN for nodata)."""
        out = np.full((1, int(window.height), int(window.width)), np.nan, np.float32)
        strip_rows = max(1, int(SOURCE_BLOCK // (self.ratio * int(window.width))))
        for r in range(0, int(window.height), strip_rows):
            strip = Window(window.col_off, window.row_off + r, window.width, min(strip_rows, window.height - r))
            out[0, r : r + int(strip.height)] = self._strip(strip)
        return {"classes": out}

    def _strip(self, window: Window) -> NDArray | float:
        """Return the output codes of a strip of model rows (NaN where the product does not reach)."""
        sw = source_window(self.src, self.grid, window, margin=1)
        if sw is None:
            return np.nan
        raw = self.ds.read(1, window=sw)
        nodata = self.ds.nodata
        mask = None
        if nodata is not None:
            mask = np.isnan(raw) if np.isnan(nodata) else raw == nodata
        if raw.dtype.kind == "f":
            finite = np.isfinite(raw)
            mask = ~finite if mask is None else (mask | ~finite)
            raw = np.where(finite, raw, -1).astype(np.int64)
        idx = self.enc.classify(raw, mask)
        unknown = idx == _UNKNOWN
        if unknown.any():
            shown = ", ".join(str(int(c)) for c in np.unique(raw[unknown])[:30])
            raise CasaInputError(
                "CLASS_LOOKUP",
                f"'{self.name}' holds codes {shown} that the lookup table does not list; add them to a copy of the "
                "table (code,class) and pass it as CLASS_LOOKUP, or pick the right PRODUCT.",
            )
        placed = onto_window(idx, sw, self.src, self.grid, window, Resampling.mode, dtype="uint8", nodata=0)[0]
        return np.where(placed > 0, self.enc.codes[placed].astype(np.float32), np.nan)


def _output_spec(
    enc: ClassEncoding, output: str, opened: str, lookup: str | Path | None, output_table: str | Path | None
) -> OutputSpec:
    """Return the spec of the classes raster: one band of output codes, with provenance and legend tags."""
    inputs: dict[str, str | None] = {
        "landcover": opened,
        "lookup": str(lookup),
        "output_table": str(output_table or "glc_fcs30_codes.csv (shipped)"),
    }
    tags = provenance_tags("vegetation class", "class code", EQUATION, {}, inputs)
    tags["casanep_class_codes"] = metadata_json(enc.legend())
    return OutputSpec(
        "classes",
        output,
        ["vegetation class"],
        "class code",
        tags,
        nodata=OUTPUT_NODATA,
        dtype="uint8" if enc.codes.max() <= 255 else "uint16",
    )


def run_landcover_classes(
    landcover: str,
    output: str,
    lookup: str | Path | None = "glc_fcs30",
    grid: ModelGrid | None = None,
    layer: str | None = None,
    output_table: str | Path | None = None,
    vegetation_table: str | Path | None = None,
    extent=None,
    extent_crs=None,
    callbacks: Callbacks | None = None,
) -> dict[str, str]:
    """Write CASA classes (as codes of the output class table) on ``grid`` by majority; return the path by key.

    ``lookup``: a product name (``glc_fcs30``, ``esa_worldcover`` or its alias
    ``worldcover``, ``modis_igbp``) or a CSV path (columns code,class).
    ``grid``: the model grid, or None to keep the product's grid, cut to
    ``extent`` (in ``extent_crs``, default the product's CRS).  ``layer``: the
    subdataset of an HDF4/NetCDF product (default: LC_Type1 or another
    land-cover layer).
    """
    cb = callbacks or Callbacks()
    enc = class_encoding(lookup, output_table, vegetation_table)
    ds, opened, src, grid = _open_on_grid(landcover, layer, grid, extent, extent_crs, cb)
    try:
        ratio = _source_cells_per_cell(src, grid)
        windows = _ClassWindows(ds, src, grid, enc, ratio, os.path.basename(landcover))
        spec = _output_spec(enc, output, opened, lookup, output_table)
        legend = ", ".join(f"{k}={c}" for k, c in enc.legend().items())
        cb.info(
            f"'{windows.name}' to {len(enc.keys)} CASA classes ({legend}) on a "
            f"{grid.width} x {grid.height} grid, majority of about {ratio:.0f} source cells per cell."
        )
        run_blocks(grid, windows, [spec], cb.progress, cb.is_cancelled, depth=4)
    finally:
        ds.close()
    return {"classes": output}

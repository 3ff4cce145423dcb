"""The block engine: stream aligned inputs window by window through a function.

Memory is bounded by the window size, not by the raster: each window reads the
inputs it needs, calls a pure function on the arrays and writes the outputs'
tiles.  Outputs go to temporary files beside their destinations and are moved
into place only when every window has succeeded; on error or cancellation they
are removed, so nothing half-written is ever left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.windows import Window

from .errors import CasaCancelled, CasaInputError
from .grid import TILE, ModelGrid

#: Output nodata for float rasters.
NODATA = -9999.0
#: Default number of values (cells x bands) per window and input; about 16 MB of float32.
DEFAULT_BLOCK_VALUES = 1 << 22
#: GDAL block cache used while the engine runs, bytes.
GDAL_CACHE_BYTES = 128 * 1024 * 1024

#: GeoTIFF creation options: tiled, ZSTD level 1 with the floating-point predictor,
#: compressed on all cores (measured in bench/bench_chain.py: deflate cost 38 % of the
#: chain's time; ZSTD 1 writes files of the same size 30 % faster; GDAL's compression
#: threads take another 5-10 %, within run-to-run noise; any GDAL >= 2.3 reads them).
GTIFF_PROFILE = dict(
    driver="GTiff",
    tiled=True,
    blockxsize=TILE,
    blockysize=TILE,
    compress="zstd",
    predictor=3,
    zstd_level=1,
    num_threads="ALL_CPUS",
    interleave="band",
    bigtiff="if_safer",
)

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]


@dataclass
class OutputSpec:
    """One output raster: destination, band descriptions, units and metadata."""

    key: str
    path: str
    descriptions: list[str]
    units: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    nodata: float = NODATA
    dtype: str = "float32"
    parameter: str = "OUTPUT"


def check_writable(path: str, parameter: str) -> None:
    """Raise a clear error if ``path`` cannot be written (before any work starts)."""
    if not path:
        raise CasaInputError(parameter, "no output path was given.")
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        raise CasaInputError(parameter, f"the folder '{folder}' does not exist; create it or choose another path.")
    if not os.access(folder, os.W_OK):
        raise CasaInputError(parameter, f"the folder '{folder}' is not writable; choose another path.")
    if os.path.isdir(path):
        raise CasaInputError(parameter, f"'{path}' is a folder; give a file name ending in .tif.")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise CasaInputError(parameter, f"'{path}' exists and cannot be overwritten.")


@contextlib.contextmanager
def gdal_cache(limit_bytes: int = GDAL_CACHE_BYTES) -> Iterator[None]:
    """Set GDAL's block cache for the duration (its default is 5 % of RAM)."""
    try:
        from osgeo import gdal  # the same GDAL rasterio links to on Debian
    except ImportError:  # pragma: no cover - without the bindings use rasterio's Env
        with rasterio.Env(GDAL_CACHEMAX=limit_bytes // (1024 * 1024)):
            yield
        return
    old = gdal.GetCacheMax()
    gdal.SetCacheMax(limit_bytes)
    try:
        yield
    finally:
        gdal.SetCacheMax(old)


class _Writer:
    """An output being written to its temporary file."""

    def __init__(self, spec: OutputSpec, grid: ModelGrid) -> None:
        self.spec = spec
        folder = os.path.dirname(os.path.abspath(spec.path))
        fd, self.tmp = tempfile.mkstemp(prefix=f".{os.path.basename(spec.path)}.", suffix=".part.tif", dir=folder)
        os.close(fd)
        profile = dict(GTIFF_PROFILE)
        profile.update(
            count=len(spec.descriptions),
            dtype=spec.dtype,
            nodata=spec.nodata,
            crs=grid.crs,
            transform=grid.transform,
            width=grid.width,
            height=grid.height,
        )
        if not spec.dtype.startswith("float"):
            profile.update(predictor=2)  # the floating-point predictor is for float rasters only
        if grid.width < TILE or grid.height < TILE:
            profile.update(tiled=False)
            profile.pop("blockxsize")
            profile.pop("blockysize")
        self.ds = rasterio.open(self.tmp, "w", **profile)
        for i, d in enumerate(spec.descriptions, start=1):
            self.ds.set_band_description(i, d)
            if spec.units:
                self.ds.update_tags(i, units=spec.units)
        self.ds.update_tags(**spec.tags)
        if spec.units:
            self.ds.update_tags(units=spec.units)

    def write(self, data: NDArray, window: Window) -> None:
        if data.shape[0] != len(self.spec.descriptions):
            raise RuntimeError(f"{self.spec.key}: {data.shape[0]} bands for {len(self.spec.descriptions)} outputs")
        out = np.where(np.isfinite(data), data, self.spec.nodata).astype(self.spec.dtype, copy=False)
        self.ds.write(out, window=window)

    def commit(self) -> None:
        self.ds.close()
        for stale in (self.spec.path + ".aux.xml",):
            if os.path.exists(stale):
                os.remove(stale)
        os.replace(self.tmp, self.spec.path)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.ds.close()
        with contextlib.suppress(OSError):
            os.remove(self.tmp)


def run_blocks(
    grid: ModelGrid,
    compute: Callable[[Window], Mapping[str, NDArray]],
    outputs: list[OutputSpec],
    progress: ProgressFn | None = None,
    is_cancelled: CancelFn | None = None,
    depth: int = 12,
    block_values: int | None = None,
    progress_range: tuple[float, float] = (0.0, 100.0),
) -> None:
    """Walk ``grid`` window by window and write ``compute(window)`` to ``outputs``.

    ``compute`` returns, for each output key, a float array (bands, rows, cols)
    with NaN for nodata.  ``depth`` is the deepest band count read per window
    (sizes the windows).  ``progress`` gets percentages within ``progress_range``;
    ``is_cancelled`` is asked before each window.  Outputs appear only on success.
    """
    for spec in outputs:
        check_writable(spec.path, spec.parameter)
    windows = list(grid.windows(block_values or DEFAULT_BLOCK_VALUES, depth))
    writers: list[_Writer] = []
    lo, hi = progress_range
    with gdal_cache():
        try:
            for spec in outputs:
                writers.append(_Writer(spec, grid))
            for n, window in enumerate(windows):
                if is_cancelled is not None and is_cancelled():
                    raise CasaCancelled()
                result = compute(window)
                for w in writers:
                    w.write(result[w.spec.key], window)
                if progress is not None:
                    progress(lo + (hi - lo) * (n + 1) / len(windows))
        except BaseException:
            for w in writers:
                w.discard()
            raise
        for w in writers:
            w.commit()


def scan_blocks(
    grid: ModelGrid,
    visit: Callable[[Window], None],
    progress: ProgressFn | None = None,
    is_cancelled: CancelFn | None = None,
    depth: int = 1,
    block_values: int | None = None,
    progress_range: tuple[float, float] = (0.0, 100.0),
) -> None:
    """Walk ``grid`` window by window calling ``visit`` (a read-only pass)."""
    windows = list(grid.windows(block_values or DEFAULT_BLOCK_VALUES, depth))
    lo, hi = progress_range
    with gdal_cache():
        for n, window in enumerate(windows):
            if is_cancelled is not None and is_cancelled():
                raise CasaCancelled()
            visit(window)
            if progress is not None:
                progress(lo + (hi - lo) * (n + 1) / len(windows))


@contextlib.contextmanager
def atomic_path(path: str, remove_first: bool = True) -> Iterator[str]:
    """A temporary path beside ``path`` to write to; moved onto ``path`` on success,
    removed on failure, so ``path`` is never half-written.  ``remove_first``: the
    temporary file does not exist yet (for writers that refuse to overwrite)."""
    folder = os.path.dirname(os.path.abspath(path))
    base, ext = os.path.splitext(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=f".part{ext}", dir=folder)
    os.close(fd)
    if remove_first:
        os.remove(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def metadata_json(value: object) -> str:
    """Compact JSON for GeoTIFF metadata tags."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))

"""Reading rasters onto a model grid, window by window (no science here).

:class:`RasterInput` opens a file once, checks what the model needs to know
(bands, months, nodata), and reads any window of the model grid as float32 with
NaN for nodata.  A file on another grid or CRS is resampled window by window
(bilinear for continuous fields, nearest for class maps): the part of the file
that covers the window is read once for all the bands asked for and warped in
memory, so the cost follows the window, not the length of the stack.

Reading is safe from several threads at once: each thread reads through its own
handle of the file (GDAL handles are not thread-safe, :class:`ThreadLocalDatasets`),
and a :class:`RasterInput` can be pickled (the handles are reopened where it
lands), so the same window task runs on local threads or on another process.

Also here: :func:`write_stack` for a stack held in memory.
"""

from __future__ import annotations

import math
import os
import re
import threading
import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window

from .blockops import nan_where_equal
from .engine import run_blocks
from .errors import CasaInputError
from .grid import GEOGRAPHIC_DEFAULT, ModelGrid
from .outputs import NODATA, OutputSpec
from .resample import reproject_window

# rasterio 1.3 warns about the in-memory source of every window warp although the
# transforms are given; only that message of that module is silenced
warnings.filterwarnings("ignore", category=NotGeoreferencedWarning, module="rasterio.warp")

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_months(descriptions: list[str | None], parameter: str, path: str) -> list[str] | None:
    """Months (``YYYY-MM``) from band descriptions; None if no band has one.

    Raises where some bands are described but not as months, or repeat.
    """
    texts = [(d or "").strip() for d in descriptions]
    if not any(texts):
        return None
    bad = [f"band {i + 1} '{t}'" for i, t in enumerate(texts) if not MONTH_RE.match(t)]
    if bad:
        raise CasaInputError(
            parameter,
            f"band descriptions of '{os.path.basename(path)}' must be months written YYYY-MM "
            f"(one band per month); found {', '.join(bad[:4])}{' ...' if len(bad) > 4 else ''}. "
            "Set them with casanep's preparation tools or gdal_edit.py.",
        )
    from .plausibility import check_month_order

    check_month_order(texts, parameter, path)  # increasing, each month once; names the first offending band
    return texts


def group_years(months: list[str]) -> dict[str, list[int]]:
    """Band indices (0-based) of each calendar year, in the stack's order."""
    years: dict[str, list[int]] = {}
    for i, m in enumerate(months):
        years.setdefault(m[:4], []).append(i)
    return years


def _nodata_only(ds) -> bool:
    """Return True where every band's validity is given by its nodata value alone (or all valid)."""
    from rasterio.enums import MaskFlags

    try:
        flags = ds.mask_flag_enums
    except Exception:  # noqa: BLE001 - cannot tell: take the masked path
        return False
    return all(f == [MaskFlags.all_valid] or MaskFlags.nodata in f for f in flags)


class ThreadLocalDatasets:
    """Open files, one handle per thread and path, opened on first use (GDAL handles are not thread-safe).

    ``get(path)`` returns this thread's handle of ``path``, opened with ``opener``
    the first time this thread asks; :meth:`close` closes every thread's handles,
    the last opened first (a view before the file under it).  Any per-thread
    object can be kept under a key of its own (``get(key, factory)``); those
    without ``close()`` are just dropped.  Pickling keeps only the opener (a
    module-level function), so a task holding one reopens its files wherever it
    lands: on a local thread or a Dask worker.
    """

    def __init__(self, opener: Callable[[Any], Any] = rasterio.open) -> None:
        self.opener = opener
        self._start()

    def _start(self) -> None:
        self._local = threading.local()
        self._handles: list = []
        self._lock = threading.Lock()

    def get(self, path: Hashable, opener: Callable[[Any], Any] | None = None) -> Any:
        """Return this thread's handle of ``path`` (``opener`` instead of the default for a first open)."""
        handles = getattr(self._local, "handles", None)
        if handles is None:
            handles = self._local.handles = {}
        handle = handles.get(path)
        if handle is None:
            handle = handles[path] = (opener or self.opener)(path)
            with self._lock:
                self._handles.append(handle)
        return handle

    def close(self) -> None:
        """Close every thread's handles, the last opened first (a view before the file under it)."""
        with self._lock:
            handles, self._handles = self._handles, []
        for handle in reversed(handles):
            if hasattr(handle, "close"):
                handle.close()
        self._local = threading.local()

    def __getstate__(self) -> dict:
        """Keep only the opener: the handles stay with the process that opened them."""
        return {"opener": self.opener}

    def __setstate__(self, state: dict) -> None:
        """Start with no handles where the copy lands."""
        self.opener = state["opener"]
        self._start()


@dataclass(frozen=True)
class Layout:
    """How a file stores its cells.

    Block size (rows, cols), whether a block holds every band (pixel interleave)
    and whether blocks are whole-width strips.
    """

    block_rows: int
    block_cols: int
    pixel_interleaved: bool
    striped: bool

    @classmethod
    def of(cls, ds) -> Layout:
        """Return the layout of an open rasterio dataset."""
        rows, cols = ds.block_shapes[0] if ds.count else (1, ds.width)
        inter = getattr(ds, "interleaving", None)
        pixel = ds.count > 1 and inter is not None and getattr(inter, "name", str(inter)).lower() == "pixel"
        return cls(int(rows), int(cols), bool(pixel), int(cols) >= ds.width)


@dataclass
class RasterInput:
    """An input raster read onto ``grid`` (set by :meth:`attach`)."""

    path: str
    parameter: str
    categorical: bool = False
    scale: float = 1.0
    dataset: rasterio.io.DatasetReader | None = field(default=None, repr=False)
    months: list[str] | None = None
    target: ModelGrid | None = field(default=None, repr=False)
    aligned: bool = True
    _fast: bool | None = field(default=None, repr=False)
    _facts: dict = field(default_factory=dict, repr=False)
    _files: ThreadLocalDatasets = field(default_factory=ThreadLocalDatasets, repr=False)
    _owner: int = field(default_factory=threading.get_ident, repr=False)

    @classmethod
    def open(
        cls, path: str, parameter: str, categorical: bool = False, scale: float = 1.0, monthly: bool = True
    ) -> RasterInput:
        """Open ``path``; a clear error names ``parameter`` if it cannot be read.

        ``monthly``: read the months from the band descriptions (a monthly stack).
        """
        if not path:
            raise CasaInputError(parameter, "no raster was given.")
        try:
            ds = rasterio.open(path)
        except (RasterioIOError, OSError) as exc:
            raise CasaInputError(parameter, f"cannot open '{path}' as a raster ({exc}).") from exc
        from .safety import require_crs

        try:
            require_crs(ds.crs, path, parameter)  # refused, no longer assumed EPSG:4326
        except CasaInputError:
            ds.close()
            raise
        inp = cls(path=path, parameter=parameter, categorical=categorical, scale=scale, dataset=ds)
        inp._remember(ds)
        if monthly:
            try:
                inp.months = parse_months(list(ds.descriptions), parameter, path)
            except CasaInputError:
                ds.close()
                raise
        return inp

    def _remember(self, ds) -> None:
        self._facts = {
            "count": ds.count,
            "grid": ModelGrid.of(ds),
            "nodata": ds.nodata,
            "scales": tuple(ds.scales),
            "offsets": tuple(ds.offsets),
            "layout": Layout.of(ds),
            "crs": ds.crs,
        }

    # -- pickling: handles stay behind and are reopened where the input lands ----------
    def __getstate__(self) -> dict:
        """Leave the open dataset behind; the copy reopens the file per thread where it lands."""
        return dict(self.__dict__, dataset=None, _owner=-1)

    # -- facts -----------------------------------------------------------
    @property
    def count(self) -> int:
        """Number of bands."""
        return self._facts["count"]

    @property
    def grid(self) -> ModelGrid:
        """The file's own grid."""
        return self._facts["grid"]

    @property
    def nodata(self) -> float | None:
        """The file's nodata value (None if unset)."""
        return self._facts["nodata"]

    @property
    def layout(self) -> Layout:
        """The file's block layout."""
        return self._facts["layout"]

    @property
    def crs(self):
        """The file's CRS (None if it has none)."""
        return self._facts["crs"]

    def attach(self, grid: ModelGrid) -> None:
        """Read onto ``grid`` from now on (resampling when the file sits elsewhere)."""
        self.target = grid
        self.aligned = self.grid.aligned_with(grid)
        if self.aligned:
            return
        if grid.crs is None:
            raise CasaInputError(self.parameter, "the model grid has no CRS, so this raster cannot be aligned to it.")
        self._check_overlap(grid)

    def _attached(self) -> ModelGrid:
        """Return the model grid set by :meth:`attach`."""
        if self.target is None:
            raise RuntimeError(f"{self.parameter}: attach() the raster to a model grid before reading resampled")
        return self.target

    @property
    def src_crs(self):
        """The CRS the file's coordinates are in (lon/lat where the file has none)."""
        return self.crs if self.crs is not None else GEOGRAPHIC_DEFAULT

    def _check_overlap(self, grid: ModelGrid) -> None:
        from rasterio.warp import transform_bounds

        try:
            b = transform_bounds(self.src_crs, grid.crs, *self.grid.bounds)
        except Exception:  # noqa: BLE001 - cannot tell; the read will show
            return
        g = grid.bounds
        if b[0] >= g[2] or b[2] <= g[0] or b[1] >= g[3] or b[3] <= g[1]:
            raise CasaInputError(
                self.parameter,
                f"'{os.path.basename(self.path)}' does not overlap the model grid (check its extent and CRS).",
            )

    # -- handles ---------------------------------------------------------
    def _handle(self):
        """Return the calling thread's handle of the file (the one opened first for the opening thread)."""
        if self.dataset is not None and threading.get_ident() == self._owner:
            return self.dataset  # the thread that opened the file reads through its handle
        return self._files.get(self.path)

    # -- reading ---------------------------------------------------------
    def read(self, window: Window, bands: list[int] | None = None) -> NDArray:
        """Bands (1-based; default all) of ``window`` on the model grid.

        Returns float32 (bands, rows, cols), NaN for nodata, the file's
        scale/offset and then ``scale`` applied.
        """
        idx = list(bands) if bands else list(range(1, self.count + 1))
        if self.aligned or self.target is None:
            out = self._read_own(window, idx)
        else:
            out = self._read_resampled(window, idx)
        scales = [self._facts["scales"][i - 1] for i in idx]
        offsets = [self._facts["offsets"][i - 1] for i in idx]
        if any(s != 1.0 for s in scales) or any(o != 0.0 for o in offsets):
            out = out * np.asarray(scales, np.float32)[:, None, None] + np.asarray(offsets, np.float32)[:, None, None]
        if self.scale != 1.0:
            out *= np.float32(self.scale)
        return out

    def _read_own(self, window: Window, idx: list[int]) -> NDArray:
        """``window`` of the file's own grid as float32 with NaN for nodata (before scales).

        A block GDAL cannot read (a truncated or damaged file) is an error naming the
        parameter and the file.
        """
        try:
            return self._read_own_unchecked(window, idx)
        except (RasterioIOError, OSError) as exc:
            cause = " ".join(str(exc).split()) or type(exc).__name__
            raise CasaInputError(
                self.parameter,
                f"'{os.path.basename(self.path)}' is not a readable raster: GDAL could not read its data "
                f"({cause}). The file may be truncated or damaged; copy or download it again.",
            ) from exc

    def _read_own_unchecked(self, window: Window, idx: list[int]) -> NDArray:
        ds = self._handle()
        if self._fast is None:
            self._fast = _nodata_only(ds)
        if self._fast:
            # validity is the nodata value alone: read float32 and mark it NaN (12 % faster
            # than a masked read in bench/bench_chain.py; the same cells)
            out = ds.read(idx, window=window, out_dtype="float32")
            if ds.nodata is not None:
                nan_where_equal(out, ds.nodata)
            return out
        data = ds.read(idx, window=window, masked=True)  # per-dataset masks or alpha bands
        return data.astype(np.float32).filled(np.nan)

    def source_window(self, window: Window) -> Window | None:
        """Return the window of the file that covers ``window`` of the model grid.

        With a margin for the resampling kernel; None where the two do not meet.
        """
        from rasterio.warp import transform_bounds
        from rasterio.windows import bounds as window_bounds
        from rasterio.windows import from_bounds

        grid = self._attached()
        b = window_bounds(window, grid.transform)
        if grid.crs is not None and rasterio.crs.CRS.from_user_input(self.src_crs) != grid.crs:
            b = transform_bounds(grid.crs, self.src_crs, *b, densify_pts=21)
        own = self.grid
        src = from_bounds(*b, transform=own.transform)
        # margin: the bilinear kernel reaches one cell, more where the model grid is coarser
        # (source cells per model cell, measured on this window)
        ratio = max(src.width / max(float(window.width), 1.0), src.height / max(float(window.height), 1.0))
        pad = 2 + (int(math.ceil(ratio)) if not self.categorical else 0)
        col0 = max(0, int(math.floor(src.col_off)) - pad)
        row0 = max(0, int(math.floor(src.row_off)) - pad)
        col1 = min(own.width, int(math.ceil(src.col_off + src.width)) + pad)
        row1 = min(own.height, int(math.ceil(src.row_off + src.height)) + pad)
        if col1 <= col0 or row1 <= row0:
            return None
        return Window(col0, row0, col1 - col0, row1 - row0)

    def _read_resampled(self, window: Window, idx: list[int]) -> NDArray:
        """``window`` of the model grid resampled from the file, all bands in one warp."""
        from rasterio.windows import transform as window_transform

        src_win = self.source_window(window)
        if src_win is None:
            return np.full((len(idx), int(window.height), int(window.width)), np.nan, np.float32)
        src = self._read_own(src_win, idx)
        if not np.isfinite(src).any():
            return np.full((len(idx), int(window.height), int(window.width)), np.nan, np.float32)
        resampling = Resampling.nearest if self.categorical else Resampling.bilinear
        return reproject_window(
            src, window_transform(src_win, self.grid.transform), self.src_crs, self._attached(), window, resampling
        )

    def opened(self) -> Any:
        """Return the open rasterio dataset (an error if the raster was closed)."""
        if self.dataset is None:
            raise RuntimeError(f"{self.parameter}: the raster is not open")
        return self.dataset

    def close(self) -> None:
        """Close the file and every thread's handle."""
        self._files.close()
        if self.dataset is not None:
            self.dataset.close()


# -- writing a stack held in memory ------------------------------------------------------


def write_stack(
    path: str,
    grid: ModelGrid,
    data: NDArray,
    descriptions: list[str],
    units: str = "",
    tags: dict[str, str] | None = None,
    nodata: float = NODATA,
    dtype: str = "float32",
    parameter: str = "OUTPUT",
) -> str:
    """Write an in-memory (bands, rows, cols) stack (NaN for nodata) on ``grid``.

    Through the block engine: tiled, compressed, band descriptions and units set,
    written to a temporary file and renamed on success.
    """
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    if data.shape[1:] != grid.shape:
        raise ValueError(f"stack of {data.shape[1:]} cells for a grid of {grid.shape}")
    spec = OutputSpec("stack", path, list(descriptions), units, dict(tags or {}), nodata, dtype, parameter)

    def compute(window: Window) -> dict[str, NDArray]:
        r0, c0 = int(window.row_off), int(window.col_off)
        return {"stack": data[:, r0 : r0 + int(window.height), c0 : c0 + int(window.width)]}

    run_blocks(grid, compute, [spec], depth=max(1, data.shape[0]))
    return path

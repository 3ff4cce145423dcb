"""Raster stacks read together, window by window, for the zone and land-cover tables.

A stack is one raster (NPP, RH, NEP, a fill count, class fractions) with a
name (its columns' prefix) and a label per band: ``YYYY_MM`` where every band
is described as a month (``YYYY-MM``), else the band's description
(``2021`` for the annual ratio raster) or ``b1``, ``b2``, ...  All bands of
all stacks are read in one pass over the grid, window by window (memory is
bounded by the window, not by the raster), the next windows read ahead by
worker threads.
"""

from __future__ import annotations

import math
import os
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from .engine import DEFAULT_BLOCK_VALUES, Callbacks, gdal_cache, scan_blocks
from .errors import CasaCancelled, CasaInputError
from .grid import ModelGrid
from .raster import MONTH_RE, RasterInput

__all__ = [
    "READ_THREADS",
    "Stack",
    "band_labels",
    "stack_periods",
    "open_stacks",
    "scan_stacks",
    "close_stacks",
]

#: Threads reading (decompressing) windows ahead of the one being summed.
READ_THREADS = 2

#: What a scan calls with each window and the blocks of every stack.
VisitFn = Callable[[Window, list[NDArray]], None]


def _noop(msg: str) -> None:
    return None


@dataclass
class Stack:
    """One input stack: name (column prefix), raster and band labels."""

    name: str
    raster: RasterInput
    labels: list[str]  # per band: 2021_01 / 2021 / b1
    months: list[str] | None  # YYYY-MM per band, when every band is a month
    aligned: bool = True

    @property
    def years(self) -> OrderedDict[str, list[int]]:
        """Band indices of each calendar year (empty without months)."""
        return _years(self.months)

    def read(self, window: Window, dataset=None) -> NDArray:
        """Return all bands of ``window`` as float32 (bands, rows, cols), NaN for nodata.

        ``dataset``: another open handle of the same file (one per thread).
        """
        inp = self.raster
        if not self.aligned:
            return inp.read(window)
        ds = dataset if dataset is not None else inp.opened()
        data = ds.read(window=window, out_dtype="float32")
        nod = ds.nodata
        if nod is not None and not math.isnan(nod):
            data[data == np.float32(nod)] = np.nan
        scales, offsets = np.asarray(ds.scales, np.float32), np.asarray(ds.offsets, np.float32)
        if (scales != 1).any() or (offsets != 0).any():
            data = data * scales[:, None, None] + offsets[:, None, None]
        if inp.scale != 1.0:
            data *= np.float32(inp.scale)
        return data


def _years(months: list[str] | None) -> OrderedDict[str, list[int]]:
    """Return the band indices of each calendar year of ``months`` (empty without months)."""
    out: OrderedDict[str, list[int]] = OrderedDict()
    for i, m in enumerate(months or []):
        out.setdefault(m[:4], []).append(i)
    return out


def band_labels(descriptions: list[str | None]) -> tuple[list[str], list[str] | None]:
    """Return the column label of each band and, when every band is a month, the months (``YYYY-MM``)."""
    texts = [(d or "").strip() for d in descriptions]
    if texts and all(MONTH_RE.match(t) for t in texts) and len(set(texts)) == len(texts):
        return [t.replace("-", "_") for t in texts], texts
    labels = []
    for i, t in enumerate(texts):
        s = re.sub(r"[^0-9A-Za-z]+", "_", t).strip("_").lower()
        labels.append(s if s else f"b{i + 1}")
    if len(set(labels)) != len(labels):
        labels = [f"b{i + 1}" for i in range(len(texts))]
    return labels, None


def stack_periods(path: str) -> tuple[list[str], list[str]]:
    """Return the band labels and the calendar years of a raster, as the tables name its columns."""
    import rasterio

    with rasterio.open(path) as ds:
        labels, months = band_labels(list(ds.descriptions))
    return labels, list(_years(months))


def _announce(st: Stack, warning: Callable[[str], None], info: Callable[[str], None]) -> None:
    """Say how a stack's columns are labelled, and which of its years are partial."""
    name, labels = st.name.upper(), st.labels
    if st.months is None:
        info(
            f"{name}: bands are not described as months (YYYY-MM); columns use "
            f"{', '.join(labels[:3])}{' ...' if len(labels) > 3 else ''} and no yearly sums are made."
        )
        return
    for year, idx in st.years.items():
        if len(idx) != 12:
            warning(f"{name}: {year} has {len(idx)} months; its yearly columns sum those.")


def _open_stack(
    name: str, path: str, grid: ModelGrid | None, first: str, same_grid: bool, warning: Callable[[str], None]
) -> Stack:
    """Open one stack and place it on ``grid`` (the first stack's, None for the first itself)."""
    inp = RasterInput.open(path, name.upper(), monthly=False)
    labels, months = band_labels(list(inp.opened().descriptions))
    st = Stack(name, inp, labels, months)
    try:
        if grid is None:
            if inp.grid.crs is None:
                raise CasaInputError(
                    name.upper(), f"'{os.path.basename(path)}' has no CRS; zones and cell areas need one."
                )
        elif not inp.grid.aligned_with(grid):
            if same_grid:
                raise CasaInputError(
                    name.upper(),
                    f"'{os.path.basename(path)}' is not on the grid of {first.upper()} "
                    f"({inp.grid.width} x {inp.grid.height} vs {grid.width} x {grid.height}, or another "
                    "origin, cell size or CRS); give stacks on one grid.",
                )
            inp.attach(grid)
            st.aligned = False
            warning(f"{name.upper()}: not on the grid of {first.upper()}; resampled bilinearly onto it.")
    except BaseException:
        inp.close()
        raise
    return st


def open_stacks(
    stacks: dict[str, str | None],
    warning: Callable[[str], None] = _noop,
    info: Callable[[str], None] = _noop,
    same_grid: bool = False,
) -> tuple[ModelGrid, list[Stack]]:
    """Open the named stacks (name -> path; None skipped) on the first one's grid.

    Returns (grid, [Stack]).  Parameter names in errors are the upper-case
    stack names.  ``same_grid``: a stack on another grid is an error instead
    of being resampled (bilinearly) onto the first one's grid.
    """
    from .plausibility import check_same_periods

    given = [(n, p) for n, p in stacks.items() if p]
    if not given:
        raise CasaInputError("/".join(n.upper() for n in stacks), "give at least one raster stack (NPP, RH or NEP).")
    out: list[Stack] = []
    grid: ModelGrid | None = None
    try:
        for name, path in given:
            st = _open_stack(name, path, grid, given[0][0], same_grid, warning)
            out.append(st)
            if grid is None:
                grid = st.raster.grid
            _announce(st, warning, info)
        check_same_periods(
            [
                (st.name.upper(), st.raster.path, [(d or "").strip() for d in st.raster.opened().descriptions])
                for st in out
                if st.name in ("npp", "rh", "nep")
            ]
        )  # the flux stacks only
    except BaseException:
        close_stacks(out)
        raise
    assert grid is not None
    return grid, out


def scan_stacks(
    grid: ModelGrid,
    stacks: list[Stack],
    visit: VisitFn,
    callbacks: Callbacks,
    block_values: int = DEFAULT_BLOCK_VALUES,
    threads: int = READ_THREADS,
    extra: int = 0,
) -> None:
    """Read every window of ``grid`` from all ``stacks`` and call ``visit(window, arrays)``.

    ``arrays`` holds each stack's float32 block (NaN nodata), in order.  With
    ``threads`` > 1 the next windows are read (and decompressed) by worker
    threads, each with its own file handles, while the current one is
    processed; windows are still visited in order.  ``extra``: further bands
    per cell the caller reads itself (sizes the windows).
    """
    depth = sum(len(st.labels) for st in stacks) + extra
    windows = list(grid.windows(block_values, depth))
    threads = max(1, min(threads, len(windows)))
    if threads == 1 or not all(st.aligned for st in stacks):

        def one(window: Window) -> None:
            visit(window, [st.read(window) for st in stacks])

        scan_blocks(grid, one, callbacks.progress, callbacks.is_cancelled, depth=depth, block_values=block_values)
        return
    with gdal_cache():
        _scan_ahead(windows, stacks, visit, callbacks, threads)


def _scan_ahead(windows: list[Window], stacks: list[Stack], visit: VisitFn, callbacks: Callbacks, threads: int) -> None:
    """Visit ``windows`` in order while ``threads`` workers read the next ones, each with its own handles."""
    import threading
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import rasterio

    progress, cancelled = callbacks.progress, callbacks.is_cancelled
    local = threading.local()
    opened: list = []
    lock = threading.Lock()

    def load(window: Window) -> list[NDArray]:
        handles = getattr(local, "handles", None)
        if handles is None:
            handles = [rasterio.open(st.raster.path) for st in stacks]
            local.handles = handles
            with lock:
                opened.extend(handles)
        return [st.read(window, h) for st, h in zip(stacks, handles)]

    try:
        with ThreadPoolExecutor(threads) as pool:
            queue: deque = deque()
            todo = iter(windows)
            for w in todo:
                queue.append((w, pool.submit(load, w)))
                if len(queue) > threads:
                    break
            done = 0
            while queue:
                if cancelled is not None and cancelled():
                    for _, f in queue:
                        f.cancel()
                    raise CasaCancelled()
                w, fut = queue.popleft()
                arrays = fut.result()
                nxt = next(todo, None)
                if nxt is not None:
                    queue.append((nxt, pool.submit(load, nxt)))
                visit(w, arrays)
                done += 1
                if progress is not None:
                    progress(100.0 * done / len(windows))
    finally:
        for h in opened:
            h.close()


def close_stacks(stacks: list[Stack]) -> None:
    """Close every stack's raster."""
    for st in stacks:
        st.raster.close()

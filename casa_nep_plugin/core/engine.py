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
import queue
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.windows import Window

from . import safety
from .errors import CasaCancelled, CasaInputError
from .grid import TILE, ModelGrid

#: Output nodata for float rasters.
NODATA = -9999.0
#: Default number of values (cells x bands) per window and input; about 16 MB of float32.
DEFAULT_BLOCK_VALUES = 1 << 22
#: GDAL block cache used while the engine runs, bytes.
GDAL_CACHE_BYTES = 128 * 1024 * 1024

#: GeoTIFF creation options: tiled, ZSTD level 1 without a predictor (measured on the
#: bench's 2000^2 x 12 NPP: ZSTD 1 writes in 0.67 CPU-s, 152 MB; with the floating-point
#: predictor 1.29 CPU-s for 143 MB; deflate 1 + predictor 2.27 CPU-s; any GDAL >= 2.3
#: reads them).  No GDAL compression threads: the engine's writer threads and workers
#: already use every core, and GDAL's hand-off cost made ALL_CPUS 35 % slower (issue 8).
GTIFF_PROFILE = dict(
    driver="GTiff",
    tiled=True,
    blockxsize=TILE,
    blockysize=TILE,
    compress="zstd",
    zstd_level=1,
    interleave="band",
    bigtiff="if_safer",
)

#: Output compressions offered (Processing setting, ``COMPRESSION`` parameters, ``CASANEP_COMPRESS``).
COMPRESSIONS = ("zstd", "deflate", "none")

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]


def _ignore(*_args) -> None:
    return None


@dataclass
class Callbacks:
    """How the core talks back: progress (0-100), cancel check, messages, and
    for multi-step runs the step starting (index from 0, name)."""

    progress: ProgressFn | None = None
    is_cancelled: CancelFn | None = None
    info: Callable[[str], None] = _ignore
    warning: Callable[[str], None] = _ignore
    step: Callable[[int, str], None] = _ignore

    def for_step(self, index: int, name: str, span: tuple[float, float] = (0.0, 100.0)) -> Callbacks:
        """Callbacks for step ``index`` of a multi-step run: announces the step and maps
        the step's progress (0-100) onto ``span`` of the whole run."""
        self.step(index, name)
        lo, hi = span
        outer = self.progress
        progress = None if outer is None else (lambda pct: outer(lo + (hi - lo) * pct / 100.0))
        return Callbacks(progress, self.is_cancelled, self.info, self.warning, self.step)
#: A window task: (window, part) in, output arrays out (see :func:`run_chunks`).
ChunkResult = Mapping[str, "NDArray | tuple[NDArray, Sequence[int]]"]

#: How often (seconds) the engine looks at the cancel flag while it waits for work.
POLL_SECONDS = 0.2


# -- settings: workers and output format ----------------------------------------------
@dataclass
class EngineSettings:
    """Engine settings: worker threads (0 = all cores), output compression
    (``zstd``, ``deflate`` or ``none``) and Cloud-Optimized GeoTIFF output.

    The Processing provider sets them from its options; ``CASANEP_THREADS``,
    ``CASANEP_COMPRESS`` and ``CASANEP_COG`` in the environment override them
    (for ``qgis_process`` and scripts).
    """

    threads: int = 0
    compress: str = "zstd"
    cog: bool = False


SETTINGS = EngineSettings()


def default_threads() -> int:
    """Worker threads for the window tasks: ``CASANEP_THREADS``, else the setting, else all cores."""
    env = os.environ.get("CASANEP_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise CasaInputError("CASANEP_THREADS", f"must be a whole number of threads, not '{env}'.") from None
        if n < 1:
            raise CasaInputError("CASANEP_THREADS", f"must be at least 1, not {n}.")
        return n
    if SETTINGS.threads and SETTINGS.threads > 0:
        return int(SETTINGS.threads)
    return max(1, os.cpu_count() or 1)


def output_format(compress: str | None = None, cog: bool | None = None) -> tuple[str, bool]:
    """(compression, COG) for outputs: the arguments, else the environment, else the settings."""
    if compress is None:
        compress = os.environ.get("CASANEP_COMPRESS", "").strip().lower() or SETTINGS.compress
    compress = compress.lower()
    if compress not in COMPRESSIONS:
        raise CasaInputError("COMPRESSION", f"must be one of {', '.join(COMPRESSIONS)}, not '{compress}'.")
    if cog is None:
        env = os.environ.get("CASANEP_COG", "").strip().lower()
        cog = env in ("1", "yes", "true") if env else SETTINGS.cog
    return compress, bool(cog)


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
    #: refuse a result without a single valid cell (the file at ``path`` is kept)
    require_valid: bool = True


def check_writable(path: str, parameter: str) -> None:
    """Raise a clear error if ``path`` cannot be written (before any work starts)."""
    if not path:
        raise CasaInputError(parameter, "no output path was given.")
    safety.check_output_paths({parameter: path}, {}, extensions=None)


def destination(path: str) -> str:
    """Where an output really goes: the target of a symbolic link (written through
    atomically, so the link stays a link), else ``path`` itself."""
    return os.path.realpath(path) if os.path.islink(path) else path


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
    gdal.SetCacheMax(max(old if _CACHE_DEPTH else 0, limit_bytes))
    _CACHE_DEPTH.append(1)
    try:
        yield
    finally:
        _CACHE_DEPTH.pop()
        gdal.SetCacheMax(old)


_CACHE_DEPTH: list[int] = []


# -- temporary files (removed on SIGTERM / SIGINT) and permissions: core.safety --------
register_temp = safety.register_temp
unregister_temp = safety.unregister_temp


def apply_umask(path: str) -> None:
    """Give ``path`` the mode any new file of the user gets (0666 less the umask):
    ``mkstemp`` creates 0600."""
    with contextlib.suppress(OSError):
        safety.apply_umask(path)


def _gdal_errors():
    try:
        from osgeo import gdal
    except ImportError:  # pragma: no cover
        return None
    return gdal


class OutputWriteError(CasaInputError):
    """An output could not be written (disk full, I/O error)."""


class _Writer:
    """An output being written to its temporary file."""

    def __init__(self, spec: OutputSpec, grid: ModelGrid, compress: str = "zstd", cog: bool = False) -> None:
        self.spec = spec
        self.target = destination(spec.path)
        self.cog = cog
        self.valid = 0
        folder = os.path.dirname(os.path.abspath(self.target))
        fd, self.tmp = tempfile.mkstemp(prefix=f".{os.path.basename(self.target)}.", suffix=".part.tif", dir=folder)
        os.close(fd)
        register_temp(self.tmp)
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
        if compress == "none":
            for k in ("compress", "predictor", "zstd_level"):
                profile.pop(k, None)
        elif compress == "deflate":  # the most widely read: with the floating-point predictor, as before
            profile.update(compress="deflate", zlevel=1, predictor=3)
            profile.pop("zstd_level", None)
        if "predictor" in profile and not spec.dtype.startswith("float"):
            profile.update(predictor=2)  # the floating-point predictor is for float rasters only
        if grid.width < TILE or grid.height < TILE:
            profile.update(tiled=False)
            profile.pop("blockxsize")
            profile.pop("blockysize")
        self.profile = profile
        self.ds = self._guard("create", lambda: rasterio.open(self.tmp, "w", **profile))
        for i, d in enumerate(spec.descriptions, start=1):
            self.ds.set_band_description(i, d)
            if spec.units:
                self.ds.update_tags(i, units=spec.units)
        self.ds.update_tags(**spec.tags)
        if spec.units:
            self.ds.update_tags(units=spec.units)

    # -- a thread of its own: each output compresses and writes on its thread, so the
    # outputs' tiles are compressed in parallel, overlapped with the computing workers
    def start(self, queue_size: int = 4) -> None:
        """Write from a thread of this output's own (call :meth:`put`, then :meth:`drain`)."""
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name=f"casanep-write-{self.spec.key}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    self.write(*item)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self._error = exc

    def put(self, data: NDArray, window: Window, bands: Sequence[int] | None = None) -> None:
        """Queue a window for writing (written at once where no thread was started)."""
        if getattr(self, "_thread", None) is None:
            self.write(data, window, bands)
            return
        if self._error is not None:
            raise self._error
        self._queue.put((data, window, bands))

    def drain(self) -> None:
        """Wait until every queued window is written; raise the thread's error, if any."""
        thread = getattr(self, "_thread", None)
        if thread is None:
            return
        self._queue.put(None)
        thread.join()
        self._thread = None
        if self._error is not None:
            raise self._error

    def _guard(self, what: str, action):
        """Run a GDAL action; any GDAL failure (disk full, I/O error) becomes a clear error."""
        gdal = _gdal_errors()
        if gdal is not None:
            gdal.ErrorReset()
        try:
            result = action()
        except Exception as exc:  # noqa: BLE001 - rasterio/GDAL raise many kinds
            raise self._failure(what, str(exc)) from exc
        if gdal is not None and gdal.GetLastErrorType() >= gdal.CE_Failure:
            raise self._failure(what, gdal.GetLastErrorMsg())
        return result

    def _failure(self, what: str, cause: str) -> OutputWriteError:
        cause = " ".join(cause.split()) or "unknown GDAL error"
        return OutputWriteError(
            self.spec.parameter,
            f"writing '{self.spec.path}' failed ({what}: {cause}). Nothing was replaced: check the free "
            "space and the disk, then run again.",
        )

    def write(self, data: NDArray, window: Window, bands: Sequence[int] | None = None) -> None:
        """Write ``data`` (bands, rows, cols; NaN = nodata) to ``window`` (all bands, or ``bands``, 1-based)."""
        n = len(bands) if bands is not None else len(self.spec.descriptions)
        if data.shape[0] != n:
            raise RuntimeError(f"{self.spec.key}: {data.shape[0]} bands for {n} outputs")
        bad = ~np.isfinite(data)
        nbad = int(np.count_nonzero(bad))
        self.valid += data.size - nbad
        if data.dtype == np.dtype(self.spec.dtype):
            # never in place: a task may hand back a view of its caller's array
            out = np.where(bad, data.dtype.type(self.spec.nodata), data) if nbad else data
        else:
            out = np.where(bad, self.spec.nodata, data).astype(self.spec.dtype, copy=False)
        idx = list(bands) if bands is not None else list(range(1, n + 1))
        self._guard("write", lambda: self.ds.write(out, indexes=idx, window=window))

    def commit(self) -> None:
        """Close, check and move the file into place (the previous file stays on any failure)."""
        self._guard("close", self.ds.close)
        if self.spec.require_valid and self.valid == 0:
            raise CasaInputError(
                self.spec.parameter,
                "the result has no valid cell (every cell is nodata): check that the inputs overlap and hold "
                f"data. '{self.spec.path}' was left as it was.",
            )
        self._check_readable(self.tmp)
        if self.cog:
            self._to_cog()
        for stale in (self.target + ".aux.xml",):
            if os.path.exists(stale):
                os.remove(stale)
        apply_umask(self.tmp)
        os.replace(self.tmp, self.target)
        unregister_temp(self.tmp)

    def _check_readable(self, path: str) -> None:
        def check() -> None:
            with rasterio.open(path) as ds:
                if (ds.count, ds.width, ds.height) != (self.profile["count"], self.profile["width"],
                                                       self.profile["height"]):
                    raise OSError("the written file has the wrong size")
                ds.read(ds.count, window=Window(ds.width - 1, ds.height - 1, 1, 1))  # the last block exists

        self._guard("check", check)

    def _to_cog(self) -> None:
        from rasterio.shutil import copy as gdal_copy

        folder = os.path.dirname(self.tmp)
        fd, cog_tmp = tempfile.mkstemp(prefix=".cog.", suffix=".part.tif", dir=folder)
        os.close(fd)
        register_temp(cog_tmp)
        try:
            opts = {k: v for k, v in self.profile.items() if k in ("compress", "predictor", "zstd_level", "zlevel")}
            self._guard("COG", lambda: gdal_copy(self.tmp, cog_tmp, driver="COG", blocksize=TILE,
                                                 bigtiff="if_safer", overviews="auto", **opts))
            self._check_readable(cog_tmp)
            os.replace(cog_tmp, self.tmp)
        finally:
            if os.path.exists(cog_tmp):
                os.remove(cog_tmp)
            unregister_temp(cog_tmp)

    def discard(self) -> None:
        """Remove the temporary file (the destination is untouched)."""
        thread = getattr(self, "_thread", None)
        if thread is not None:
            self._error = self._error or CasaCancelled()
            with contextlib.suppress(Exception):
                while True:  # empty the queue so the thread sees the end
                    self._queue.get_nowait()
            self._queue.put(None)
            thread.join()
            self._thread = None
        with contextlib.suppress(Exception):
            self.ds.close()
        with contextlib.suppress(OSError):
            os.remove(self.tmp)
        unregister_temp(self.tmp)


def check_output_paths(specs: Sequence[OutputSpec], inputs: Mapping[str, str | None] | None = None) -> None:
    """Refuse, before any work, outputs that would overwrite an input or each other,
    that are not GeoTIFF file paths or not regular files (:func:`.safety.check_output_paths`)."""
    safety.check_output_paths({s.parameter: s.path for s in specs}, dict(inputs or {}))


@dataclass
class RunStats:
    """What a run computed: valid values written per output, and the sums of the
    tasks' ``_``-prefixed counters."""

    valid: dict[str, int] = field(default_factory=dict)
    counters: dict[str, NDArray] = field(default_factory=dict)


def _cache_for(windows: list[Window], depth: int, threads: int, extra_bytes: int = 0) -> int:
    biggest = max((int(w.width) * int(w.height) for w in windows), default=0)
    need = biggest * max(depth, 1) * 4 * (threads + 1) + extra_bytes
    return int(min(max(GDAL_CACHE_BYTES, need), 4 * GDAL_CACHE_BYTES))


def run_chunks(
    grid: ModelGrid,
    task: Callable[[Window, int], ChunkResult],
    outputs: list[OutputSpec],
    *,
    parts: int = 1,
    progress: ProgressFn | None = None,
    is_cancelled: CancelFn | None = None,
    depth: int = 12,
    block_values: int | None = None,
    block: tuple[int, int] | None = None,
    threads: int | None = None,
    progress_range: tuple[float, float] = (0.0, 100.0),
    compress: str | None = None,
    cog: bool | None = None,
    cache_bytes: int | None = None,
    finish: Callable[[RunStats], Mapping[str, str] | None] | None = None,
    executor: Executor | None = None,
) -> RunStats:
    """Run ``task(window, part)`` over every window of ``grid`` and every part, and
    write what it returns to ``outputs``.

    The task is a pure function of its window (it reads its inputs, computes and
    returns arrays), so windows run concurrently on ``threads`` workers (default
    :func:`default_threads`), while this thread writes and compresses finished
    windows in order: outputs are bit-identical for any number of workers.
    ``task`` returns, for each output key, a float array (bands, rows, cols) with
    NaN for nodata, or ``(array, bands)`` to write only those bands (1-based; a
    part of the months); keys starting with ``_`` are counters summed over the run.
    ``depth`` is the deepest band count read per window and part (sizes the
    windows, with ``block`` the main input's block layout).  Cancel is checked
    every 0.2 s; outputs appear only when every window has succeeded, and are
    written to temporary files removed on any failure, cancel, SIGINT or SIGTERM.
    ``finish(stats)``, called once every window is written, may refuse the run
    (raise) or return metadata tags added to every output.  ``executor``: where
    the tasks run instead of local threads (anything with ``submit(fn, *args)``
    returning futures with ``result(timeout)`` and ``cancel()``, e.g. a Dask
    client adapter); default: :func:`default_executor`, else local threads.
    """
    check_output_paths(outputs)
    compress, cog = output_format(compress, cog)
    windows = list(grid.windows(block_values or DEFAULT_BLOCK_VALUES, depth, block))
    jobs = [(w, p) for w in windows for p in range(parts)]
    n_threads = max(1, threads if threads is not None else default_threads())
    lo, hi = progress_range
    stats = RunStats()
    writers: list[_Writer] = []
    cancelled = is_cancelled or (lambda: False)

    def consume(result: ChunkResult, window: Window) -> None:
        for key, value in result.items():
            if key.startswith("_"):
                arr = np.asarray(value)
                stats.counters[key] = stats.counters[key] + arr if key in stats.counters else arr.copy()
        for w in writers:
            if w.spec.key not in result:
                continue
            value = result[w.spec.key]
            data, bands = value if isinstance(value, tuple) else (value, None)
            w.put(data, window, bands)

    with gdal_cache(cache_bytes or _cache_for(windows, depth, n_threads)), safety.signal_cleanup():
        try:
            for spec in outputs:
                writers.append(_Writer(spec, grid, compress, cog))
            if len(writers) > 1 or n_threads > 1:
                for w in writers:
                    w.start(queue_size=max(2, n_threads))
            remote = None if executor is LOCAL else executor if executor is not None else default_executor()
            local = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="casanep") if remote is None else None
            pool = remote if remote is not None else local
            slots = getattr(remote, "slots", None) if remote is not None else n_threads
            with local if local is not None else contextlib.nullcontext():
                pending: deque = deque()
                todo = iter(enumerate(jobs))
                ahead = 2 * max(1, slots or n_threads)  # tasks in flight: bounds memory by the window
                try:
                    while True:
                        while len(pending) < ahead:
                            nxt = next(todo, None)
                            if nxt is None:
                                break
                            if cancelled():
                                raise CasaCancelled()
                            n, (window, part) = nxt
                            pending.append((n, window, pool.submit(task, window, part)))
                        if not pending:
                            break
                        n, window, fut = pending[0]  # stays pending (cancelled on failure) until it is in
                        while True:
                            try:
                                result = fut.result(timeout=POLL_SECONDS)
                                break
                            except (FutureTimeout, TimeoutError):
                                if cancelled():
                                    raise CasaCancelled() from None
                        pending.popleft()
                        consume(result, window)
                        if progress is not None:
                            progress(lo + (hi - lo) * (n + 1) / len(jobs))
                except BaseException:
                    for _, _, f in pending:
                        f.cancel()
                    raise
            for w in writers:
                w.drain()
                stats.valid[w.spec.key] = w.valid
            extra = finish(stats) if finish is not None else None
            for w in writers:
                if extra:
                    w.ds.update_tags(**extra)
                w.commit()
        except BaseException:
            for w in writers:
                w.discard()
            raise
    return stats


#: ``executor=LOCAL``: always local threads (tasks that are closures over open files).
LOCAL: Executor = object()  # type: ignore[assignment]

#: Where window tasks run when no executor is passed: None for local threads.  The
#: distributed engine (issue 13) installs a factory here.
EXECUTOR_FACTORY: Callable[[], Executor | None] | None = None


def default_executor() -> Executor | None:
    """The executor tasks go to by default: the installed factory's, else None (local threads).
    ``CASANEP_DASK_SCHEDULER`` set and no factory installed: the Dask one (core/cluster.py)."""
    if EXECUTOR_FACTORY is None and os.environ.get("CASANEP_DASK_SCHEDULER", "").strip():
        from . import cluster

        cluster.install()
    return EXECUTOR_FACTORY() if EXECUTOR_FACTORY is not None else None


def run_blocks(
    grid: ModelGrid,
    compute: Callable[[Window], Mapping[str, NDArray]],
    outputs: list[OutputSpec],
    progress: ProgressFn | None = None,
    is_cancelled: CancelFn | None = None,
    depth: int = 12,
    block_values: int | None = None,
    progress_range: tuple[float, float] = (0.0, 100.0),
    threads: int = 1,
) -> RunStats:
    """Walk ``grid`` window by window and write ``compute(window)`` to ``outputs``.

    ``compute`` returns, for each output key, a float array (bands, rows, cols)
    with NaN for nodata.  It runs on ``threads`` workers (default one, for
    computations that read through shared file handles) while this thread
    writes; see :func:`run_chunks`.  Outputs appear only on success.
    """
    return run_chunks(
        grid, lambda window, _part: compute(window), outputs, progress=progress, is_cancelled=is_cancelled,
        depth=depth, block_values=block_values, progress_range=progress_range, threads=threads, executor=LOCAL,
    )


def scan_blocks(
    grid: ModelGrid,
    visit: Callable[[Window], None],
    progress: ProgressFn | None = None,
    is_cancelled: CancelFn | None = None,
    depth: int = 1,
    block_values: int | None = None,
    progress_range: tuple[float, float] = (0.0, 100.0),
    block: tuple[int, int] | None = None,
) -> None:
    """Walk ``grid`` window by window calling ``visit`` (a read-only pass)."""
    windows = list(grid.windows(block_values or DEFAULT_BLOCK_VALUES, depth, block))
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
    path = destination(path)
    folder = os.path.dirname(os.path.abspath(path))
    base, ext = os.path.splitext(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=f".part{ext}", dir=folder)
    os.close(fd)
    register_temp(tmp)
    if remove_first:
        os.remove(tmp)
    try:
        with safety.signal_cleanup():
            yield tmp
        apply_umask(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
        unregister_temp(tmp)


def metadata_json(value: object) -> str:
    """Compact JSON for GeoTIFF metadata tags."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))

"""The block engine: stream aligned inputs window by window through a function.

Memory is bounded by the window size, not by the raster: each window reads the
inputs it needs, calls a pure function on the arrays and writes the outputs'
tiles.  Outputs go to temporary files beside their destinations and are moved
into place only when every window has succeeded; on error or cancellation they
are removed, so nothing half-written is ever left behind.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.windows import Window

from . import safety
from .choices import COMPRESSIONS
from .errors import CasaCancelled, CasaInputError
from .grid import ModelGrid
from .outputs import OutputFile, OutputSpec, check_output_paths

#: Default number of values (cells x bands) per window and input; about 16 MB of float32.
DEFAULT_BLOCK_VALUES = 1 << 22
#: GDAL block cache used while the engine runs, bytes.
GDAL_CACHE_BYTES = 128 * 1024 * 1024

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]


class Executor(Protocol):
    """Where window tasks run: local threads (``concurrent.futures``) or a cluster adapter.

    ``submit(fn, *args)`` returns a future with ``result(timeout)`` and ``cancel()``;
    an optional ``slots`` attribute tells how many tasks run at once.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """Run ``fn(*args)`` somewhere; return its future."""
        ...


def _ignore(*_args) -> None:
    return None


@dataclass
class Callbacks:
    """How the core talks back.

    Progress (0-100), cancel check, messages, and for multi-step runs the step
    starting (index from 0, name).
    """

    progress: ProgressFn | None = None
    is_cancelled: CancelFn | None = None
    info: Callable[[str], None] = _ignore
    warning: Callable[[str], None] = _ignore
    step: Callable[[int, str], None] = _ignore

    def for_step(self, index: int, name: str, span: tuple[float, float] = (0.0, 100.0)) -> Callbacks:
        """Return the callbacks of step ``index`` of a multi-step run.

        They announce the step and map the step's progress (0-100) onto ``span`` of
        the whole run.
        """
        self.step(index, name)
        lo, hi = span
        outer = self.progress
        progress = None if outer is None else (lambda pct: outer(lo + (hi - lo) * pct / 100.0))
        return Callbacks(progress, self.is_cancelled, self.info, self.warning, self.step)


#: A window task: (window, part) in, output arrays out (see :func:`run_chunks`).
ChunkResult = Mapping[str, object]

#: How often (seconds) the engine looks at the cancel flag while it waits for work.
POLL_SECONDS = 0.2


# -- settings: workers and output format ----------------------------------------------
@dataclass
class EngineSettings:
    """Engine settings: worker threads, output compression and COG output.

    Worker threads (0 = all cores), output compression (``zstd``, ``deflate`` or
    ``none``) and Cloud-Optimized GeoTIFF output.

    The Processing provider sets them from its options; ``CASANEP_THREADS``,
    ``CASANEP_COMPRESS`` and ``CASANEP_COG`` in the environment override them
    (for ``qgis_process`` and scripts).
    """

    threads: int = 0
    compress: str = "zstd"
    cog: bool = False


SETTINGS = EngineSettings()


def default_threads() -> int:
    """Return the number of worker threads for the window tasks.

    ``CASANEP_THREADS``, else the setting, else all the cores this process may run
    on (its CPU affinity: ``taskset``, container and batch-job limits).
    """
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
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity on this platform
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


@dataclass
class RunStats:
    """What a run computed.

    Valid values written per output, and the sums of the tasks' ``_``-prefixed
    counters.
    """

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
    """Run ``task(window, part)`` over every window and part; write what it returns.

    What it returns goes to ``outputs``.
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
    writers: list[OutputFile] = []

    def deliver(n: int, window: Window, result: ChunkResult) -> None:
        _deliver(result, window, writers, stats)
        if progress is not None:
            progress(lo + (hi - lo) * (n + 1) / len(jobs))

    with gdal_cache(cache_bytes or _cache_for(windows, depth, n_threads)), safety.signal_cleanup():
        try:
            for spec in outputs:
                writers.append(OutputFile(spec, grid, compress, cog))
            if len(writers) > 1 or n_threads > 1:
                for w in writers:
                    w.start(queue_size=max(2, n_threads))
            folder = os.path.dirname(writers[0].tmp) if writers else None
            pool, slots, owned = _executor(executor, n_threads, folder)
            with owned:
                _run_in_order(task, jobs, pool, 2 * slots, is_cancelled or (lambda: False), deliver)
            _commit(writers, stats, finish)
        except BaseException:
            for w in writers:
                w.discard()
            raise
    return stats


def _executor(
    executor: Executor | None, n_threads: int, folder: str | None = None
) -> tuple[Executor, int, contextlib.AbstractContextManager]:
    """Return where the tasks go, how many run at once and a context that owns it.

    The given or default executor, else ``n_threads`` local threads.
    """
    remote = None if executor is LOCAL else executor if executor is not None else default_executor(folder)
    if remote is not None:
        return remote, max(1, getattr(remote, "slots", None) or n_threads), contextlib.nullcontext()
    local = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="casanep")
    return local, n_threads, local


def _run_in_order(
    task: Callable[[Window, int], ChunkResult],
    jobs: list[tuple[Window, int]],
    pool: Executor,
    ahead: int,
    cancelled: CancelFn,
    deliver: Callable[[int, Window, ChunkResult], None],
) -> None:
    """Submit ``jobs`` to ``pool`` and hand their results to ``deliver`` in job order.

    At most ``ahead`` tasks are in flight (memory bounded by the window).  On any
    failure or cancel the outstanding tasks are cancelled.
    """
    pending: deque = deque()
    todo = iter(enumerate(jobs))
    try:
        while True:
            while len(pending) < ahead and (nxt := next(todo, None)) is not None:
                if cancelled():
                    raise CasaCancelled()
                n, (window, part) = nxt
                pending.append((n, window, pool.submit(task, window, part)))
            if not pending:
                return
            n, window, fut = pending[0]  # stays pending (cancelled on failure) until it is in
            result = _wait(fut, cancelled)
            pending.popleft()
            deliver(n, window, result)
    except BaseException:
        for _, _, f in pending:
            f.cancel()
        raise


def _wait(fut, cancelled: CancelFn) -> ChunkResult:
    """Wait for a future's result, checking for cancel every :data:`POLL_SECONDS`."""
    while True:
        try:
            return fut.result(timeout=POLL_SECONDS)
        except (FutureTimeout, TimeoutError):
            if cancelled():
                raise CasaCancelled() from None


def _deliver(result: ChunkResult, window: Window, writers: list[OutputFile], stats: RunStats) -> None:
    """Sum a task's ``_`` counters into ``stats`` and queue its arrays to the writers."""
    for key, value in result.items():
        if key.startswith("_"):
            arr = np.asarray(value)
            stats.counters[key] = stats.counters[key] + arr if key in stats.counters else arr.copy()
    for w in writers:
        if w.spec.key not in result:
            continue
        value = result[w.spec.key]
        data, bands = value if isinstance(value, tuple) else (value, None)
        w.put(np.asarray(data), window, bands)


def _commit(
    writers: list[OutputFile], stats: RunStats, finish: Callable[[RunStats], Mapping[str, str] | None] | None
) -> None:
    """Finish every output, let ``finish`` refuse the run or add tags, then move them into place.

    The outputs are closed and checked at once, each on a thread (closing flushes and
    compresses the last tiles), and renamed only when all of them are sound.
    """
    for w in writers:
        w.drain()
        stats.valid[w.spec.key] = w.valid
    extra = finish(stats) if finish is not None else None
    for w in writers:
        if extra:
            w.ds.update_tags(**extra)
    _each(writers, OutputFile.seal)
    _each(writers, OutputFile.move_into_place)


def _each(writers: list[OutputFile], step: Callable[[OutputFile], None]) -> None:
    """Run ``step`` on every writer, each on a thread of its own; raise the first failure."""
    if len(writers) < 2:
        for w in writers:
            step(w)
        return
    with ThreadPoolExecutor(max_workers=len(writers), thread_name_prefix="casanep-commit") as pool:
        for fut in [pool.submit(step, w) for w in writers]:
            fut.result()


#: ``executor=LOCAL``: always local threads (tasks that are closures over open files).
LOCAL: Any = object()

#: Where window tasks run when no executor is passed: None for local threads.  The
#: distributed engine (issue 13) installs a factory here.
EXECUTOR_FACTORY: Callable[[str | None], Executor | None] | None = None


def default_executor(folder: str | None = None) -> Executor | None:
    """Return the executor tasks go to by default.

    The installed factory's, else None (local threads).  With
    ``CASANEP_DASK_SCHEDULER`` set and no factory installed: the Dask one
    (core/cluster.py).  ``folder``: where the run's outputs go (a cluster stages
    results there when its workers share it).
    """
    if EXECUTOR_FACTORY is None and os.environ.get("CASANEP_DASK_SCHEDULER", "").strip():
        from . import cluster

        cluster.install()
    return EXECUTOR_FACTORY(folder) if EXECUTOR_FACTORY is not None else None


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
        grid,
        lambda window, _part: compute(window),
        outputs,
        progress=progress,
        is_cancelled=is_cancelled,
        depth=depth,
        block_values=block_values,
        progress_range=progress_range,
        threads=threads,
        executor=LOCAL,
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

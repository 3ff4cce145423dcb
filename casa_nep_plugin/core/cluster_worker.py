"""What a Dask worker runs for the block engine: the window task, its cache, and its faults.

The client (:mod:`core.cluster`) sends the pickled task once per run; a worker
process unpickles it once (:func:`_task`) and keeps its inputs' handles open
for the run's later windows.  On the way, the worker's glibc allocator gets its
adaptive heap sizes back (:func:`tune_allocator`).  A task that fails because
an input cannot be read names the path and the worker
(:func:`unreadable_input`); a ``CasaInputError`` travels back as data
(:data:`ERROR_KEY`).

No qgis here.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Any

from .errors import CasaInputError


def one_line(exc: BaseException) -> str:
    """Return ``exc`` as one line of at most 300 characters (its type's name when it says nothing)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


_TASKS: OrderedDict[str, Any] = OrderedDict()
_TASKS_LOCK = threading.Lock()
#: Runs whose task (and its open file handles) a worker keeps.
KEEP_TASKS = 4


#: glibc allocator on a worker: the largest array taken from the heap (bytes) and the free memory
#: kept at its top (bytes).  Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``,
#: which switches glibc's adaptive mmap threshold off: every temporary array of a window task
#: (megabytes) is then a fresh mmap whose pages fault in zeroed.  Measured on the bench's
#: 1000^2 x 12 chain on 2 workers: 880,000 page faults and 3.5 CPU-s per run, against 28,000
#: and 1.8 CPU-s with glibc's own adaptive ceiling restored (these values).
WORKER_MMAP_THRESHOLD = 32 << 20
WORKER_TRIM_THRESHOLD = 64 << 20
_allocator_tuned = False


def tune_allocator() -> bool:
    """Restore glibc's adaptive heap sizes in a worker whose nanny fixed ``MALLOC_TRIM_THRESHOLD_``.

    Once per process, on Linux only, and only where that variable is set; returns whether it did.
    """
    global _allocator_tuned
    if _allocator_tuned or not sys.platform.startswith("linux") or not os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        return False
    _allocator_tuned = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, WORKER_MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, WORKER_TRIM_THRESHOLD)  # M_TRIM_THRESHOLD
    except Exception:  # noqa: BLE001 - another C library: leave it as it is
        return False
    return True


def _task(key: str, blob: bytes):
    """Return the task of run ``key``, unpickled once per worker process.

    Its inputs' handles then stay open for the run's later windows.
    """
    with _TASKS_LOCK:
        task = _TASKS.get(key)
        if task is not None:
            _TASKS.move_to_end(key)
            return task
    tune_allocator()
    task = pickle.loads(blob)
    with _TASKS_LOCK:
        task = _TASKS.setdefault(key, task)
        while len(_TASKS) > KEEP_TASKS:
            _TASKS.popitem(last=False)
    return task


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except Exception:  # noqa: BLE001 - not on a worker (a direct call)
        import socket

        return f"{socket.gethostname()} (pid {os.getpid()})"


def input_paths(task: object, depth: int = 3) -> Iterator[tuple[str, str]]:
    """Yield (parameter, path) of every input a task reads.

    Its :class:`RasterInput` fields (in dicts and lists too), or what its
    ``input_paths()`` method lists.
    """
    from .raster import RasterInput

    if task is None or depth < 0:
        return
    if hasattr(task, "input_paths") and not isinstance(task, type):
        yield from task.input_paths()
    elif isinstance(task, RasterInput):
        yield task.parameter, task.path
    elif isinstance(task, dict):
        for v in task.values():
            yield from input_paths(v, depth - 1)
    elif isinstance(task, (list, tuple)):
        for v in task:
            yield from input_paths(v, depth - 1)
    elif is_dataclass(task) and not isinstance(task, type):
        for f in fields(task):
            yield from input_paths(getattr(task, f.name, None), depth - 1)


def unreadable_input(task: object) -> CasaInputError | None:
    """Return the error naming the first input of ``task`` this process cannot open, and the worker."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    seen = set()
    for parameter, path in input_paths(task):
        if path in seen:
            continue
        seen.add(path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                rasterio.open(path).close()
        except Exception as exc:  # noqa: BLE001 - any reason it cannot be read
            return CasaInputError(
                parameter,
                f"the Dask worker {_worker_name()} cannot read '{path}' ({one_line(exc)}); every "
                "worker needs read access to the inputs under the same path (a shared file system) or as "
                "GDAL /vsis3/ or /vsicurl/ paths.",
            )
    return None


class TaskTimeout(RuntimeError):
    """A window task raised a timeout itself (kept apart from the engine's polling timeouts)."""


#: Key of a result that carries a CasaInputError back as data: distributed versions differ in how
#: (and whether) they rebuild an exception class of ours on the client, plain data travels everywhere.
ERROR_KEY = "__casanep_error__"


def run_on_worker(key: str, blob: bytes, window, part: int) -> dict:
    """Run one window task on a worker; a failure to read an input names the path and the worker.

    A ``CasaInputError`` comes back as data (``{ERROR_KEY: (parameter, message)}``) and is
    raised again on the client by :class:`DaskFuture`.
    """
    task = _task(key, blob)
    try:
        return task(window, part)
    except Exception as exc:
        named = unreadable_input(task)
        if named is not None:
            return {ERROR_KEY: (named.parameter, named.message)}
        if isinstance(exc, CasaInputError):
            return {ERROR_KEY: (exc.parameter, exc.message)}
        if isinstance(exc, TimeoutError):
            raise TaskTimeout(f"a window task timed out on the Dask worker {_worker_name()}: {one_line(exc)}") from exc
        raise

"""Window tasks on a Dask cluster (``distributed``), past one machine (issue 13).

The block engine (:func:`core.engine.run_chunks`) submits ``task(window, part)``
to an executor and writes the results in order on this machine.  With a Dask
scheduler address set, :func:`executor_from_settings` gives it a
:class:`DaskExecutor`: the same pure, picklable window tasks run on the
cluster's workers and their arrays come back here, where the engine writes
them exactly as it writes local results, so the outputs are bit-identical to a
local run for any number of workers and appear atomically as locally.

The address: the environment variable ``CASANEP_DASK_SCHEDULER`` (for
``qgis_process`` and scripts), else the provider setting "Dask scheduler
address" (:func:`set_scheduler`); empty means the local threads.

Faults are named in one line: a scheduler not reached within
:data:`CONNECT_TIMEOUT` seconds, a worker with another plugin, dask,
distributed or Python version, a worker that cannot read an input path (the
path and the worker).  A task whose worker dies is recomputed elsewhere by
Dask (and one that raises is retried :data:`RETRIES` times).

No qgis here.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import pickle
import threading
import types
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import fields, is_dataclass
from typing import Any

from . import engine
from .errors import CasaInputError

#: The environment variable that selects the cluster (overrides the setting).
ENV = "CASANEP_DASK_SCHEDULER"
#: The provider setting's name, as Processing > Options > CASA NEP shows it.
SETTING = "Dask scheduler address"
#: Seconds to reach the scheduler (and to wait for a first worker) before giving up.
CONNECT_TIMEOUT = 10.0
#: Times Dask reruns a task that raised (a task whose worker died is recomputed anyway).
RETRIES = 2
#: Versions that must match between this machine and every worker.
MATCHED = ("casa_nep_plugin", "dask", "distributed", "python")

_setting = ""
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


# -- selecting the cluster -------------------------------------------------------------
def set_scheduler(address: str | None) -> None:
    """Set the provider setting "Dask scheduler address" (empty: local threads)."""
    global _setting
    _setting = (address or "").strip()


def scheduler_address() -> tuple[str, str]:
    """(address, where it came from): ``CASANEP_DASK_SCHEDULER``, else the setting; ``""`` for none."""
    env = os.environ.get(ENV, "").strip()
    if env:
        return env, ENV
    return _setting, SETTING


def install() -> None:
    """Make the engine send window tasks to the cluster whenever an address is set."""
    engine.EXECUTOR_FACTORY = executor_from_settings


def executor_from_settings() -> DaskExecutor | None:
    """A :class:`DaskExecutor` on the configured scheduler, or None (local threads)."""
    address, source = scheduler_address()
    if not address:
        return None
    return DaskExecutor(connect(address, source))


# -- connecting ---------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def connect(address: str, parameter: str = SETTING, timeout: float | None = None):
    """A ``distributed.Client`` on ``address`` (reused while it stays connected), checked:
    reached within ``timeout`` s (default :data:`CONNECT_TIMEOUT`), at least one worker,
    and the same plugin, dask, distributed and Python versions on every worker."""
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    with _clients_lock:
        client = _clients.get(address)
        if client is not None and client.status == "running":
            check_versions(client, parameter)  # again: workers may have joined since
            return client
        _clients.pop(address, None)
        try:
            from distributed import Client
        except ImportError:
            raise CasaInputError(
                parameter, f"is '{address}' but Dask's distributed scheduler is not installed here "
                "(Debian: apt install python3-distributed); install it or leave the address empty.") from None
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for bad addresses
            raise CasaInputError(
                parameter, f"cannot reach the Dask scheduler at '{address}' within {timeout:g} s "
                f"({_one_line(exc)}); start it (dask scheduler), correct the address, or leave it empty "
                "to run on this machine.") from None
        try:
            _wait_for_workers(client, address, parameter, timeout)
            check_versions(client, parameter)
        except BaseException:
            with contextlib.suppress(Exception):
                client.close(timeout=2)
            raise
        _clients[address] = client
        return client


def _wait_for_workers(client, address: str, parameter: str, timeout: float) -> None:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception:  # noqa: BLE001 - a timeout
        raise CasaInputError(
            parameter, f"the Dask scheduler at '{address}' has no worker (waited {timeout:g} s); start some "
            f"with: dask worker {address}") from None


def close_clients() -> None:
    """Close every client this process opened (tests, plugin unload)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for c in clients:
        with contextlib.suppress(Exception):
            c.close(timeout=5)


# -- versions -------------------------------------------------------------------------------
def _versions() -> dict[str, str | None]:
    """Versions of what must match (imported here, so the copy sent to workers is self-contained)."""
    import sys

    out: dict[str, str | None] = {"python": f"{sys.version_info[0]}.{sys.version_info[1]}"}
    for name in ("casa_nep_plugin", "dask", "distributed"):
        try:
            out[name] = str(__import__(name).__version__)
        except Exception:  # noqa: BLE001 - missing on the worker
            out[name] = None
    return out


def _probe() -> Callable[[], dict]:
    """:func:`_versions` as a function pickled by value (a worker without the plugin can run it)."""
    fn = types.FunctionType(_versions.__code__, {"__builtins__": builtins}, "casanep_versions")
    fn.__module__ = "__casanep_probe__"  # not importable: cloudpickle sends the code itself
    return fn


def check_versions(client, parameter: str = SETTING) -> None:
    """Refuse, in one line, a worker whose plugin, dask, distributed or Python version differs from here."""
    mine = _versions()
    try:
        found = client.run(_probe())
    except Exception as exc:  # noqa: BLE001 - a worker that cannot even run the probe
        raise CasaInputError(parameter, f"the Dask workers could not report their versions ({_one_line(exc)}); "
                             "install the same Python, dask and distributed on every worker.") from None
    for address, theirs in sorted(found.items()):
        diff = [f"{k} {theirs.get(k) or 'missing'} (here {mine[k]})" for k in MATCHED if theirs.get(k) != mine[k]]
        if diff:
            raise CasaInputError(
                parameter, f"the Dask worker {address} has {', '.join(diff)}; install the same versions on every "
                "worker (the plugin folder on its PYTHONPATH) and restart it.")


# -- on the workers --------------------------------------------------------------------------
_TASKS: OrderedDict[str, Any] = OrderedDict()
_TASKS_LOCK = threading.Lock()
#: Runs whose task (and its open file handles) a worker keeps.
KEEP_TASKS = 4


def _task(key: str, blob: bytes):
    """The task of run ``key``, unpickled once per worker process (its inputs' handles then
    stay open for the run's later windows)."""
    with _TASKS_LOCK:
        task = _TASKS.get(key)
        if task is not None:
            _TASKS.move_to_end(key)
            return task
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
    """(parameter, path) of every input a task reads: its :class:`RasterInput` fields (in
    dicts and lists too), or what its ``input_paths()`` method lists."""
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
    """The error naming the first input of ``task`` this process cannot open, and the worker."""
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
                parameter, f"the Dask worker {_worker_name()} cannot read '{path}' ({_one_line(exc)}); every "
                "worker needs read access to the inputs under the same path (a shared file system) or as "
                "GDAL /vsis3/ or /vsicurl/ paths.")
    return None


class TaskTimeout(RuntimeError):
    """A window task raised a timeout itself (kept apart from the engine's polling timeouts)."""


#: Key of a result that carries a CasaInputError back as data: distributed versions differ in how
#: (and whether) they rebuild an exception class of ours on the client, plain data travels everywhere.
ERROR_KEY = "__casanep_error__"


def run_on_worker(key: str, blob: bytes, window, part: int) -> dict:
    """Run one window task on a worker; a failure to read an input names the path and the worker.

    A ``CasaInputError`` comes back as data (``{ERROR_KEY: (parameter, message)}``) and is
    raised again on the client by :class:`DaskFuture`."""
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
            raise TaskTimeout(f"a window task timed out on the Dask worker {_worker_name()}: {_one_line(exc)}") from exc
        raise


# -- the executor ------------------------------------------------------------------------------
class DaskFuture:
    """A ``distributed.Future`` as the engine waits for it: ``result(timeout)`` raises
    ``concurrent.futures.TimeoutError`` while the task runs."""

    def __init__(self, future) -> None:
        self.future = future
        self._done: tuple | None = None

    def result(self, timeout: float | None = None):
        """The task's result (its exception re-raised here); once in, the cluster forgets it."""
        if self._done is not None:
            return self._done[0]
        try:
            value = self.future.result(timeout=timeout)
            with contextlib.suppress(Exception):
                self.future.release()  # the engine has it: free the worker's memory now
            if isinstance(value, dict) and ERROR_KEY in value:
                raise CasaInputError(*value[ERROR_KEY])
            self._done = (value,)
            return value
        except TimeoutError as exc:  # asyncio's and concurrent.futures' are builtin TimeoutError on 3.11
            if self.future.status == "error":
                raise TaskTimeout(_one_line(exc)) from exc
            raise FutureTimeout() from None
        except Exception as exc:
            from distributed.scheduler import KilledWorker

            if isinstance(exc, KilledWorker):
                raise RuntimeError(
                    f"a window task was running on every Dask worker that died ({_one_line(exc)}); a worker "
                    "may be out of memory: give workers more memory or set a smaller window "
                    "(the engine's block size)") from exc
            raise

    def cancel(self) -> bool:
        """Cancel the task on the cluster (it is forgotten there)."""
        with contextlib.suppress(Exception):
            self.future.cancel()
        return True

    def done(self) -> bool:
        """Whether the task has finished (or failed)."""
        return self.future.done()


class DaskExecutor:
    """Submits the engine's window tasks to a ``distributed.Client``.

    The task is pickled once per run; each worker unpickles it once (and keeps its
    inputs' handles open for the run).  Every submit is a new Dask task
    (``pure=False``) with :data:`RETRIES` retries.  ``slots``: the cluster's
    worker threads (the engine keeps twice as many tasks in flight).
    """

    def __init__(self, client) -> None:
        self.client = client
        self.slots = max(1, sum(client.nthreads().values()))
        self._run = uuid.uuid4().hex
        self._blobs: dict[int, tuple[object, str, bytes]] = {}

    def _blob(self, fn) -> tuple[str, bytes]:
        held = self._blobs.get(id(fn))
        if held is None:
            try:
                blob = pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001 - a closure over open files
                raise RuntimeError(f"this window task cannot go to a Dask cluster ({_one_line(exc)}); "
                                   "run it locally (unset the Dask scheduler address)") from exc
            held = self._blobs[id(fn)] = (fn, f"{self._run}-{len(self._blobs)}", blob)
        return held[1], held[2]

    def submit(self, fn, *args) -> DaskFuture:
        """Send ``fn(*args)`` (a window task) to the cluster."""
        key, blob = self._blob(fn)
        return DaskFuture(self.client.submit(run_on_worker, key, blob, *args, pure=False, retries=RETRIES))

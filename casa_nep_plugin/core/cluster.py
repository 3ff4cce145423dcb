"""Window tasks on a Dask cluster (``distributed``), past one machine (issue 13).

The block engine (:func:`core.engine.run_chunks`) submits ``task(window, part)``
to an executor and writes the results in order on this machine.  With a Dask
scheduler address set, :func:`executor_from_settings` gives it a
:class:`DaskExecutor`: the same pure, picklable window tasks run on the
cluster's workers and their arrays come to this machine, where the engine
writes them exactly as it writes local results, so the outputs are bit-identical
to a local run for any number of workers and appear atomically as locally.

How the arrays come back: through a staging folder beside the outputs, where
every worker can use it (:mod:`core.cluster_staging`), else through Dask.  The
folder is removed as soon as the run's last task is consumed or cancelled.  What
runs on the workers is in :mod:`core.cluster_worker`.

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
import logging
import os
import pickle
import threading
import types
import uuid
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from . import engine
from .cluster_staging import STAGED_KEY, STAGING_ENV, Staging, load_result, run_to_staging, staging_wanted
from .cluster_worker import ERROR_KEY, TaskTimeout, one_line, run_on_worker
from .errors import CasaInputError

log = logging.getLogger(__name__)

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


def executor_from_settings(folder: str | None = None) -> DaskExecutor | None:
    """Return a :class:`DaskExecutor` on the configured scheduler, or None (local threads).

    ``folder``: where the run's outputs go (the engine passes it); the shared staging
    folder is made there.  Without it results travel back through Dask.
    """
    address, source = scheduler_address()
    if not address:
        return None
    return DaskExecutor(connect(address, source), folder=folder)


def connect(address: str, parameter: str = SETTING, timeout: float | None = None):
    """Return a checked ``distributed.Client`` on ``address`` (reused while it stays connected).

    Checked: reached within ``timeout`` s (default :data:`CONNECT_TIMEOUT`), at least one
    worker, and the same plugin, dask, distributed and Python versions on every worker.
    """
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
                parameter,
                f"is '{address}' but Dask's distributed scheduler is not installed here "
                "(Debian: apt install python3-distributed); install it or leave the address empty.",
            ) from None
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for bad addresses
            raise CasaInputError(
                parameter,
                f"cannot reach the Dask scheduler at '{address}' within {timeout:g} s "
                f"({one_line(exc)}); start it (dask scheduler), correct the address, or leave it empty "
                "to run on this machine.",
            ) from None
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
            parameter,
            f"the Dask scheduler at '{address}' has no worker (waited {timeout:g} s); start some "
            f"with: dask worker {address}",
        ) from None


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
        raise CasaInputError(
            parameter,
            f"the Dask workers could not report their versions ({one_line(exc)}); "
            "install the same Python, dask and distributed on every worker.",
        ) from None
    for address, theirs in sorted(found.items()):
        diff = [f"{k} {theirs.get(k) or 'missing'} (here {mine[k]})" for k in MATCHED if theirs.get(k) != mine[k]]
        if diff:
            raise CasaInputError(
                parameter,
                f"the Dask worker {address} has {', '.join(diff)}; install the same versions on every "
                "worker (the plugin folder on its PYTHONPATH) and restart it.",
            )


# -- results straight from the workers ---------------------------------------------------------
#: Seconds to reach every worker from this machine; then results come straight from the
#: workers (``direct_to_workers``) instead of through the scheduler (half the traffic).
DIRECT_TIMEOUT = 2.0


async def _reach_all(addresses: list[str], timeout: float, connection_args: dict) -> None:
    import asyncio

    from distributed.comm import connect as comm_connect

    async def one(address: str) -> None:
        comm = await comm_connect(address, timeout=timeout, **connection_args)
        await comm.close()

    await asyncio.gather(*(one(a) for a in addresses))


def reach_workers(client, timeout: float = DIRECT_TIMEOUT) -> bool:
    """Return whether this machine can open a connection to every worker within ``timeout`` s."""
    try:
        workers = list(client.scheduler_info()["workers"])
        client.sync(_reach_all, workers, timeout, dict(getattr(client, "connection_args", None) or {}))
    except Exception:  # noqa: BLE001 - unreachable (firewall, NAT), refused, or no worker
        return False
    return bool(workers)


# -- the executor ------------------------------------------------------------------------------
class DaskFuture:
    """A ``distributed.Future`` as the engine waits for it.

    ``result(timeout)`` raises ``concurrent.futures.TimeoutError`` while the task runs.
    """

    def __init__(
        self, future, executor: DaskExecutor | None = None, staging: Staging | None = None, name: str = ""
    ) -> None:
        self.future = future
        self._done: tuple | None = None
        self._executor = executor
        self._staging = staging
        self._name = name
        self._settled = False

    def _settle(self) -> None:
        if not self._settled:
            self._settled = True
            if self._executor is not None:
                self._executor._settled()

    def result(self, timeout: float | None = None):
        """Return the task's result (its exception re-raised here); once in, the cluster forgets it."""
        if self._done is not None:
            return self._done[0]
        try:
            value = self.future.result(timeout=timeout)
            with contextlib.suppress(Exception):
                self.future.release()  # the engine has it: free the worker's memory now
            if isinstance(value, dict) and ERROR_KEY in value:
                raise CasaInputError(*value[ERROR_KEY])
            if isinstance(value, dict) and STAGED_KEY in value and self._staging is not None:
                path = os.path.join(self._staging.path, value[STAGED_KEY])
                try:
                    value = load_result(path)
                finally:
                    with contextlib.suppress(OSError):
                        os.remove(path)
            self._done = (value,)
            self._settle()
            return value
        except TimeoutError as exc:  # asyncio's and concurrent.futures' are builtin TimeoutError on 3.11
            if self.future.status == "error":
                raise TaskTimeout(one_line(exc)) from exc
            raise FutureTimeout() from None
        except Exception as exc:
            from distributed.scheduler import KilledWorker

            if isinstance(exc, KilledWorker):
                raise RuntimeError(
                    f"a window task was running on every Dask worker that died ({one_line(exc)}); a worker "
                    "may be out of memory: give workers more memory or set a smaller window "
                    "(the engine's block size)"
                ) from exc
            raise

    def cancel(self) -> bool:
        """Cancel the task on the cluster (it is forgotten there) and drop its staged file."""
        with contextlib.suppress(Exception):
            self.future.cancel()
        if self._staging is not None and self._name:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(self._staging.path, self._name))
        self._settle()
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

    ``folder``: where the outputs go.  At the first submit a :class:`Staging` folder is
    made there and probed; if every worker can use it (and ``CASANEP_DASK_STAGING`` is
    not ``off``) tasks leave their arrays there (``mode`` "staging"), else they come back
    through Dask (``mode`` "transfer"; also without a folder).  When every submitted
    task has been consumed or cancelled the folder is removed (a later submit makes a
    new one).
    """

    def __init__(self, client, folder: str | None = None) -> None:
        self.client = client
        self.slots = max(1, sum(client.nthreads().values()))
        self.folder = folder
        self.mode: str | None = None
        self.reason = ""
        self._run = uuid.uuid4().hex
        self._blobs: dict[int, tuple[object, str, bytes]] = {}
        self._staging: Staging | None = None
        self._open = 0
        self._count = 0
        self._lock = threading.Lock()

    def _start(self) -> None:
        """Choose how results come back (once per run: until every task is settled)."""
        self.mode, self.reason = "transfer", ""
        if not self.folder:
            self.reason = "no output folder is known"
        elif not staging_wanted():
            self.reason = f"{STAGING_ENV} is off"
        else:
            try:
                staging = Staging(self.folder)
            except OSError as exc:
                self.reason = f"cannot make a staging folder in '{self.folder}' ({one_line(exc)})"
            else:
                self.reason = staging.visible(self.client)
                if self.reason:
                    staging.remove()
                else:
                    self._staging, self.mode = staging, "staging"
        if self.mode == "staging" and self._staging is not None:
            log.info("Dask: results are staged in %s (shared with the workers)", self._staging.path)
            return
        direct = reach_workers(self.client)
        self.client.direct_to_workers = direct
        log.info(
            "Dask: results travel back %s (no shared staging folder: %s)",
            "straight from the workers" if direct else "through the scheduler",
            self.reason,
        )

    def _settled(self) -> None:
        with self._lock:
            self._open -= 1
            if self._open > 0:
                return
            staging, self._staging, self.mode = self._staging, None, None
        if staging is not None:
            staging.remove()

    def close(self) -> None:
        """Remove the staging folder now (outstanding tasks can no longer stage)."""
        with self._lock:
            staging, self._staging, self.mode, self._open = self._staging, None, None, 0
        if staging is not None:
            staging.remove()

    def _blob(self, fn) -> tuple[str, bytes]:
        held = self._blobs.get(id(fn))
        if held is None:
            try:
                blob = pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                raise RuntimeError(
                    f"this window task cannot go to a Dask cluster ({one_line(exc)}); "
                    "run it locally (unset the Dask scheduler address)"
                ) from exc
            held = self._blobs[id(fn)] = (fn, f"{self._run}-{len(self._blobs)}", blob)
        return held[1], held[2]

    def submit(self, fn, *args) -> DaskFuture:
        """Send ``fn(*args)`` (a window task) to the cluster."""
        key, blob = self._blob(fn)
        with self._lock:
            if self.mode is None:
                self._start()
            staging = self._staging
            self._open += 1
            self._count += 1
            name = f"{self._count:06d}.res"
        try:
            if staging is None:
                fut = self.client.submit(run_on_worker, key, blob, *args, pure=False, retries=RETRIES)
            else:
                fut = self.client.submit(
                    run_to_staging, key, blob, *args, staging.path, name, pure=False, retries=RETRIES
                )
        except BaseException:
            self._settled()
            raise
        return DaskFuture(fut, self, staging, name if staging is not None else "")

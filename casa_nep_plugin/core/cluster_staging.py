"""The shared staging folder: window results left beside the outputs instead of sent through Dask.

Where every worker can write to a staging folder made beside the outputs (a
shared file system), each task saves its arrays there (:func:`run_to_staging`,
:func:`save_result`) and returns only the file's name, which the client loads
(:func:`load_result`) and deletes.  :class:`Staging` makes the folder, probes
whether every worker sees it, and removes it; it is registered with
:mod:`core.safety` (SIGTERM and SIGINT remove it) while it exists.
``CASANEP_DASK_STAGING=off`` turns it off (:func:`staging_wanted`).

No qgis here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
import weakref

import numpy as np

from . import safety
from .cluster_worker import ERROR_KEY, one_line, run_on_worker

#: The environment variable that turns the shared staging folder off (``off``): results then travel through Dask.
STAGING_ENV = "CASANEP_DASK_STAGING"
#: Name prefix of the staging folder made beside the outputs.
STAGING_PREFIX = ".casanep-staging-"


def staging_wanted() -> bool:
    """Whether to try the shared staging folder (``CASANEP_DASK_STAGING`` is not ``off``/``0``/``no``)."""
    return os.environ.get(STAGING_ENV, "").strip().lower() not in ("off", "0", "no", "false")


#: Key of a result left in the staging folder: the file's name there.
STAGED_KEY = "__casanep_staged__"
_MAGIC = b"CASANEP1"


def save_result(result: dict, path: str) -> bool:
    """Save a window task's result (arrays, ``(array, bands)`` pairs, counters) to ``path``.

    The file: a magic, the length of a JSON header, the header (key, dtype, shape and bands
    of each array) and the arrays' bytes; no pickle, so loading it runs no code.  Written
    beside ``path`` first and renamed, so a reader never sees half a file.  Returns False
    (nothing written) for a result holding something else than plain arrays.
    """
    entries, arrays = [], []
    for key, value in result.items():
        data, bands = value if isinstance(value, tuple) and len(value) == 2 else (value, None)
        arr = np.asarray(data)
        if arr.dtype.hasobject or arr.dtype.fields is not None:
            return False
        arrays.append(np.ascontiguousarray(arr))
        entries.append(
            {
                "key": key,
                "dtype": arr.dtype.str,
                "shape": list(arr.shape),
                "bands": None if bands is None else [int(b) for b in bands],
            }
        )
    header = json.dumps(entries).encode()
    tmp = f"{path}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part"
    try:
        with open(tmp, "wb") as fh:
            fh.write(_MAGIC + len(header).to_bytes(8, "little") + header)
            for arr in arrays:
                fh.write(np.ascontiguousarray(arr).reshape(-1).view(np.uint8).data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return True


def load_result(path: str) -> dict:
    """Load what :func:`save_result` saved (arrays and ``(array, bands)`` pairs)."""
    with open(path, "rb") as fh:
        if fh.read(len(_MAGIC)) != _MAGIC:
            raise RuntimeError(f"'{path}' is not a window result of this plugin")
        header = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))
        out: dict = {}
        for e in header:
            dtype = np.dtype(e["dtype"])
            if dtype.hasobject or dtype.fields is not None:  # only plain numbers: nothing to run, nothing to point
                raise RuntimeError(f"'{path}' holds a {dtype} array, not a window result of this plugin")
            shape = tuple(int(n) for n in e["shape"])
            arr = np.empty(shape, dtype)
            if arr.nbytes and fh.readinto(arr.reshape(-1).view(np.uint8).data) != arr.nbytes:
                raise RuntimeError(f"'{path}' is truncated")
            out[e["key"]] = arr if e["bands"] is None else (arr, e["bands"])
    return out


def run_to_staging(key: str, blob: bytes, window, part: int, folder: str, name: str) -> dict:
    """Run one window task on a worker and leave its arrays in the staging ``folder``.

    Returns ``{STAGED_KEY: name}`` (the client loads the file), an error as data, or the
    result itself where it cannot be saved.  The folder is never created here: once the
    client removed it (run over, cancelled), a late task cannot write.
    """
    result = run_on_worker(key, blob, window, part)
    if ERROR_KEY in result or not os.path.isdir(folder):
        return result
    if save_result(result, os.path.join(folder, name)):
        return {STAGED_KEY: name}
    return result


def _probe_sees(path: str, token: str) -> str:
    """On a worker: "" where it reads ``token`` from ``path`` and can write beside it, else why not."""
    import os as _os
    import uuid as _uuid

    try:
        with open(path, encoding="ascii") as fh:
            if fh.read() != token:
                return "the probe file holds something else"
        mine = f"{path}.{_uuid.uuid4().hex}.w"  # workers on several hosts may share a pid
        with open(mine, "w", encoding="ascii") as fh:
            fh.write(token)
        _os.remove(mine)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return ""


class Staging:
    """A staging folder beside the outputs, shared with the workers.

    Made with the mode of any folder the user makes (``0777`` less the umask) so that workers
    running as another user of the same group can write where the umask allows; registered
    with :mod:`core.safety` (removed on SIGTERM and SIGINT) until :meth:`remove`.
    """

    def __init__(self, folder: str) -> None:
        self.path = safety.new_temp_file(folder, STAGING_PREFIX, "", directory=True)  # registered, SIGTERM held
        self._gone = weakref.finalize(self, shutil.rmtree, self.path, True)  # a run that never settled
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o777 & ~safety.current_umask())

    def probe_path(self) -> str:
        """Return the probe file the client writes and every worker must see."""
        return os.path.join(self.path, "probe")

    def visible(self, client) -> str:
        """Return why the workers cannot use the folder (empty: each reads the probe and writes beside it)."""
        token = uuid.uuid4().hex
        path = self.probe_path()
        written = os.path.join(self.path, "probe")
        with open(written, "w", encoding="ascii") as fh:
            fh.write(token)
        try:
            seen = client.run(_probe_sees, path, token)
        except Exception as exc:  # noqa: BLE001 - a worker that cannot run it
            return one_line(exc)
        finally:
            with contextlib.suppress(OSError):
                os.remove(written)
        for worker, why in sorted(seen.items()):
            if why:
                return f"the Dask worker {worker} cannot use '{self.path}' ({why})"
        return ""

    def remove(self) -> None:
        """Remove the folder and all in it (a write still open elsewhere loses its file)."""
        self._gone.detach()
        for _ in range(3):
            shutil.rmtree(self.path, ignore_errors=True)
            if not os.path.exists(self.path):
                break
        safety.unregister_temp(self.path)

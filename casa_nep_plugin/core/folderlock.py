"""One workflow per output folder at a time: a lock file that says which run holds it.

Pure Python (no QGIS, no GDAL).  :func:`folder_lock` takes the folder's lock
file (``.casanep-workflow.lock``) atomically or refuses, naming the run that
holds it; a lock left by a process that no longer runs on this host is stale
and taken over.  The lock file is registered with :mod:`core.safety`, so
SIGTERM and SIGINT remove it too.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import socket
import sys
import uuid
from collections.abc import Iterator

from .errors import CasaInputError
from .safety import register_temp, unregister_temp

#: Name of the workflow's lock file inside its output folder.
LOCK_NAME = ".casanep-workflow.lock"


def _process_start(pid: int) -> str | None:
    """Return the start time of process ``pid`` in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
        return text.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, start: str | None) -> bool:
    """Tell whether ``pid`` runs on this host and (when known) started at ``start``."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return True
    if start is not None:
        now = _process_start(pid)
        if now is not None and now != start:
            return False  # the pid was reused by another process
    return True


class FolderLock:
    """A held lock on a folder (see :func:`folder_lock`)."""

    def __init__(self, path: str, token: str) -> None:
        self.path = path
        self.token = token

    def release(self) -> None:
        """Remove the lock file if it is still this run's."""
        with contextlib.suppress(OSError, ValueError):
            with open(self.path, encoding="utf-8") as fh:
                info = json.load(fh)
            if info.get("token") == self.token:
                os.remove(self.path)


def _describe(info: dict) -> str:
    return (
        f"run {info.get('command') or 'casanep:workflow'} (pid {info.get('pid', '?')} on "
        f"{info.get('host', '?')}, started {info.get('started', '?')})"
    )


def acquire_folder_lock(
    folder: str, command: str = "casanep:workflow", parameter: str = "OUTPUT_FOLDER", grace_seconds: float = 30.0
) -> FolderLock:
    """Take the folder's lock file atomically, or refuse naming the run that holds it.

    The lock file (``.casanep-workflow.lock``, JSON: pid, host, start, command)
    is created with O_CREAT | O_EXCL.  A lock left by a process that no longer
    runs on this host is stale and taken over; one from another host, or one
    that cannot be read and is younger than ``grace_seconds`` (being written),
    is respected.
    """
    path = os.path.join(folder, LOCK_NAME)
    token = uuid.uuid4().hex
    host = socket.gethostname()
    info = {
        "pid": os.getpid(),
        "pid_start": _process_start(os.getpid()),
        "host": host,
        "started": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command": command,
        "argv": " ".join(sys.argv[:3]) if sys.argv else "",
        "token": token,
    }
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            _refuse_or_take_over(path, folder, host, parameter, grace_seconds)
            continue
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise CasaInputError(parameter, f"'{folder}' is not writable; choose another folder.") from exc
            raise
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(info, fh)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(path)
            raise
        return FolderLock(path, token)
    raise CasaInputError(parameter, f"cannot take the lock {LOCK_NAME} in '{folder}'; try again.")


def _refuse_or_take_over(path: str, folder: str, host: str, parameter: str, grace_seconds: float) -> None:
    """Refuse the lock at ``path`` held by a live run (or being written); else remove it if stale."""
    seen = _read_bytes(path)
    held = _read_lock(path)
    if held is None:
        try:
            age = _dt.datetime.now().timestamp() - os.stat(path).st_mtime
        except FileNotFoundError:
            return  # gone meanwhile: try again
        if age < grace_seconds:
            raise CasaInputError(
                parameter,
                f"another run is starting in '{folder}' (lock file {LOCK_NAME} is being "
                "written); wait for it or choose another folder.",
            ) from None
    elif held.get("host") != host or _alive(int(held.get("pid", 0) or 0), held.get("pid_start")):
        raise CasaInputError(
            parameter,
            f"'{folder}' is in use by another {_describe(held)}; two runs into one folder would overwrite "
            f"each other. Wait for it to finish or choose another folder (if that run is gone, delete "
            f"{os.path.join(folder, LOCK_NAME)}).",
        ) from None
    _take_over_stale(path, seen)


def _read_lock(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            info = json.load(fh)
        return info if isinstance(info, dict) else None
    except (OSError, ValueError):
        return None


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _take_over_stale(path: str, seen: bytes | None) -> None:
    """Remove the stale lock whose content was ``seen``, and only that one.

    The lock is renamed aside (atomic); if what was moved is not the stale lock
    (another contender replaced it meanwhile), it is put back with a hard link,
    which never overwrites.
    """
    aside = f"{path}.stale-{uuid.uuid4().hex}"
    try:
        os.rename(path, aside)
    except OSError:
        return
    if _read_bytes(aside) != seen:
        with contextlib.suppress(OSError):
            os.link(aside, path)
    with contextlib.suppress(OSError):
        os.remove(aside)


@contextlib.contextmanager
def folder_lock(
    folder: str, command: str = "casanep:workflow", parameter: str = "OUTPUT_FOLDER"
) -> Iterator[FolderLock]:
    """Hold the folder's lock while inside (see :func:`acquire_folder_lock`); released in ``finally``."""
    lock = acquire_folder_lock(folder, command, parameter)
    register_temp(lock.path)
    try:
        yield lock
    finally:
        unregister_temp(lock.path)
        lock.release()

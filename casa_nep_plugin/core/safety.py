"""Output safety: nothing the user owns is lost, nothing is left behind.

Pure Python (no QGIS, no GDAL).  Four pieces, each used before or around the
block engine and the workflow:

* :func:`check_output_paths` refuses, before any work, an output that would
  destroy an input or another output, or that cannot be a GeoTIFF file; it
  returns the real paths to write to (a symlink is written through to its
  target, atomically).
* :func:`apply_umask` gives a finished temporary file (``mkstemp`` makes them
  0600) the mode of any file the user writes: ``0666 & ~umask``.
* :func:`register_temp` / :func:`unregister_temp` and :func:`signal_cleanup`:
  SIGTERM and SIGINT remove the registered temporary files and staging folders
  before the process ends.
* :func:`folder_lock`: one workflow per output folder at a time, with a lock
  file that says which run holds it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import shutil
import signal
import socket
import stat
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from types import FrameType
from typing import Any

from .errors import CasaInputError

#: Extensions written as GeoTIFF (compared case-insensitively).
GEOTIFF_EXTENSIONS = (".tif", ".tiff")

#: Name of the workflow's lock file inside its output folder.
LOCK_NAME = ".casanep-workflow.lock"


# ---------------------------------------------------------------------------
# output paths
# ---------------------------------------------------------------------------
def input_file_of(source: str | None) -> str | None:
    """Return the file behind an input source string (``path|layername=x``, ``NETCDF:"f.nc":var``), or None."""
    if not source:
        return None
    s = str(source).split("|")[0].strip()
    # GDAL subdataset syntax: DRIVER:"path":sub or DRIVER:path:sub
    head, sep, rest = s.partition(":")
    if sep and head.isupper() and len(head) > 1 and not os.path.exists(s):
        rest = rest.strip()
        if rest.startswith('"'):
            end = rest.find('"', 1)
            if end > 0:
                return rest[1:end]
        return rest.rsplit(":", 1)[0] if ":" in rest else rest
    return s


def _same_file(a: str, b: str) -> bool:
    """Tell whether ``a`` and ``b`` are one file (symlinks and hard links included)."""
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def check_output_folder(folder: str, parameter: str) -> str:
    """Check that a folder exists (or can be created), is a folder and is writable; return its real path."""
    if not folder:
        raise CasaInputError(parameter, "no output folder was given.")
    real = os.path.realpath(folder)
    if os.path.exists(real) and not os.path.isdir(real):
        raise CasaInputError(parameter, f"'{folder}' is a file, not a folder; choose a folder.")
    parent = real
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise CasaInputError(parameter, f"'{parent}' is a file, so the folder '{folder}' cannot be made in it.")
    if not os.access(parent, os.W_OK | os.X_OK):
        what = "is not writable" if parent == real else f"cannot be created ('{parent}' is not writable)"
        raise CasaInputError(parameter, f"the folder '{folder}' {what}; choose another folder.")
    return real


def _check_one(path: str, parameter: str, extensions: tuple[str, ...] | None) -> str:
    """Check one output path on its own; return the real path to write to."""
    if not path:
        raise CasaInputError(parameter, "no output path was given.")
    if os.path.isdir(path):
        raise CasaInputError(parameter, f"'{path}' is a folder; give a file name.")
    real = os.path.realpath(path)  # a symlink (or a chain of them): write through to its target
    if os.path.lexists(real):
        try:
            mode = os.stat(real).st_mode
        except OSError as exc:
            raise CasaInputError(parameter, f"cannot inspect '{path}' ({exc.strerror}).") from exc
        if stat.S_ISDIR(mode):
            raise CasaInputError(parameter, f"'{path}' is a folder; give a file name.")
        if not stat.S_ISREG(mode):
            kind = (
                "a device"
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a named pipe"
                if stat.S_ISFIFO(mode)
                else "a socket"
                if stat.S_ISSOCK(mode)
                else "special"
            )
            raise CasaInputError(
                parameter,
                f"'{path}' is {kind} file, not a regular file; it will not be replaced. "
                "Choose a file name in a folder.",
            )
    if extensions is not None:
        ext = os.path.splitext(path)[1].lower()
        if ext not in extensions:
            raise CasaInputError(
                parameter,
                f"'{os.path.basename(path)}' does not end in {' or '.join(extensions)}; outputs are written as "
                f"GeoTIFF, so give a name ending in one of: {', '.join(extensions)}.",
            )
    folder = os.path.dirname(real) or "."
    if not os.path.exists(folder):
        shown = os.path.dirname(os.path.abspath(path))
        raise CasaInputError(parameter, f"the folder '{shown}' does not exist; create it or choose another path.")
    if not os.path.isdir(folder):
        raise CasaInputError(parameter, f"'{folder}' is a file, not a folder; choose a path in a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CasaInputError(parameter, f"the folder '{folder}' is not writable; choose another path.")
    if os.path.exists(real) and not os.access(real, os.W_OK):
        raise CasaInputError(parameter, f"'{path}' exists and cannot be overwritten.")
    return real


def check_output_paths(
    outputs: Mapping[str, str | None],
    inputs: Mapping[str, str | None],
    extensions: tuple[str, ...] | None = GEOTIFF_EXTENSIONS,
) -> dict[str, str]:
    """Refuse unsafe outputs before any work; return ``{parameter: real path to write to}``.

    ``outputs`` and ``inputs`` map parameter names to paths (None or "" skipped;
    inputs may be QGIS/GDAL source strings).  Refused, naming the output's
    parameter: an output that is one of the inputs (the same file by path,
    symlink or hard link), two outputs on one file, a path holding something
    that is not a regular file (a folder, a device such as ``/dev/full``, a
    pipe), a folder that is missing, is a file or is not writable, and (unless
    ``extensions`` is None) an extension other than ``extensions``.  A symlink
    is resolved to its target, so the result is written atomically over the
    target and the link stays a link.
    """
    real: dict[str, str] = {}
    for param, path in outputs.items():
        if path is None or path == "":
            continue
        real[param] = _check_one(str(path), param, extensions)
    candidates = [(p, input_file_of(v)) for p, v in inputs.items() if isinstance(v, (str, os.PathLike))]
    given_inputs = [(p, f) for p, f in candidates if f]
    for param, target in real.items():
        for in_param, in_file in given_inputs:
            if (os.path.exists(target) and os.path.exists(in_file) and _same_file(target, in_file)) or os.path.realpath(
                in_file
            ) == target:
                raise CasaInputError(
                    param,
                    f"'{outputs[param]}' is also the {in_param} input; writing there would destroy the input. "
                    "Choose another file name.",
                )
    params = list(real)
    for i, a in enumerate(params):
        for b in params[:i]:
            if real[a] == real[b] or (os.path.exists(real[a]) and _same_file(real[a], real[b])):
                raise CasaInputError(a, f"'{outputs[a]}' is also the {b} output; give each output its own file name.")
    return real


def require_crs(crs: object, path: str, parameter: str) -> None:
    """Refuse a raster without a coordinate reference system (``crs`` None or empty)."""
    if crs is None or not str(crs) or not getattr(crs, "to_wkt", lambda: "x")():
        raise CasaInputError(
            parameter,
            f"'{os.path.basename(path)}' has no coordinate reference system, so it cannot be placed on the "
            "model grid. Assign one (QGIS: Raster > Projections > Assign Projection; "
            "gdal_edit.py -a_srs EPSG:4326 file.tif) and run again.",
        )


# ---------------------------------------------------------------------------
# permissions
# ---------------------------------------------------------------------------
_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """Return the process umask, read without changing it where the system allows (Linux /proc)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    with _UMASK_LOCK:  # os.umask is process-wide: set and restore at once
        old = os.umask(0o022)
        os.umask(old)
    return old


def apply_umask(path: str) -> None:
    """Give ``path`` the mode of a file created by the user: ``0666 & ~umask``.

    For temporary files from ``tempfile.mkstemp`` (always 0600) before they are
    moved onto an output path.
    """
    os.chmod(path, 0o666 & ~current_umask())


# ---------------------------------------------------------------------------
# removal on SIGTERM / SIGINT
# ---------------------------------------------------------------------------
_REGISTRY_LOCK = threading.RLock()
_REGISTERED: dict[str, None] = {}  # insertion-ordered set of paths
_HANDLER_DEPTH = 0
_PREVIOUS: dict[int, Callable[[int, FrameType | None], Any] | int | signal.Handlers | None] = {}  # getsignal()'s
CLEANUP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def register_temp(path: str) -> None:
    """Remove ``path`` (a file or a folder) if SIGTERM or SIGINT arrives before :func:`unregister_temp`."""
    with _REGISTRY_LOCK:
        _REGISTERED[os.path.abspath(path)] = None


def unregister_temp(path: str) -> None:
    """``path`` was moved into place or removed: no longer clean it up."""
    with _REGISTRY_LOCK:
        _REGISTERED.pop(os.path.abspath(path), None)


def registered() -> list[str]:
    """Paths currently registered (for tests and diagnostics)."""
    with _REGISTRY_LOCK:
        return list(_REGISTERED)


def remove_registered() -> None:
    """Remove every registered path now (files and folders); errors are ignored."""
    with _REGISTRY_LOCK:
        paths = list(_REGISTERED)[::-1]
        _REGISTERED.clear()
    for p in paths:
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.remove(p)


_IN_HANDLER: set[int] = set()


def _handler(signum: int, frame) -> None:
    remove_registered()
    prev = _PREVIOUS.get(signum, signal.SIG_DFL)
    if signum in _IN_HANDLER:  # a handler installed over ours chained back to us: no loop, default action
        prev = signal.SIG_DFL
    if callable(prev) and prev not in (signal.SIG_DFL, signal.SIG_IGN):
        _IN_HANDLER.add(signum)
        try:
            prev(signum, frame)  # e.g. Python's default SIGINT handler raises KeyboardInterrupt
        finally:
            _IN_HANDLER.discard(signum)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    # the default action (SIGTERM): end the process by the signal itself, as if we had not been
    # here, so the parent sees it (shell status 128 + signum); what was registered is gone already
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@contextlib.contextmanager
def signal_cleanup() -> Iterator[None]:
    """While inside, SIGTERM and SIGINT remove the registered paths, then behave as before.

    Installs handlers only in the main thread (Python allows no other; QGIS runs
    algorithms in worker threads, where cancelling is the way to stop).  The
    previous handler is called afterwards (a SIGINT raises KeyboardInterrupt, so
    ``finally`` blocks run too); a SIGTERM with the default action then ends the
    process by the signal (shell status 128 + 15), so everything that must go
    has to be registered.  A signal that was ignored stays ignored, and one
    whose handler Python does not know (installed from C) is left alone.
    Nested uses share one installation.
    """
    global _HANDLER_DEPTH
    main = threading.current_thread() is threading.main_thread()
    installed: list[signal.Signals] = []
    if main:
        with _REGISTRY_LOCK:
            _HANDLER_DEPTH += 1
            if _HANDLER_DEPTH == 1:
                for sig in CLEANUP_SIGNALS:
                    try:
                        prev = signal.getsignal(sig)
                        if prev == signal.SIG_IGN or prev is None or prev is _handler:
                            continue
                        _PREVIOUS[sig] = prev
                        signal.signal(sig, _handler)
                        installed.append(sig)
                    except (ValueError, OSError):  # not allowed here (embedded interpreter)
                        continue
    try:
        yield
    finally:
        if main:
            with _REGISTRY_LOCK:
                _HANDLER_DEPTH -= 1
                for sig in installed:
                    if signal.getsignal(sig) is not _handler:
                        continue  # another handler was installed over ours (and may chain to it): leave both
                    with contextlib.suppress(ValueError, OSError, TypeError):
                        signal.signal(sig, _PREVIOUS.pop(sig))


@contextlib.contextmanager
def temp_registered(path: str) -> Iterator[str]:
    """Register ``path`` for removal on a signal while inside; unregister on leaving."""
    register_temp(path)
    try:
        yield path
    finally:
        unregister_temp(path)


# ---------------------------------------------------------------------------
# one workflow per folder
# ---------------------------------------------------------------------------
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
            seen = _read_bytes(path)
            held = _read_lock(path)
            if held is None:
                try:
                    age = _dt.datetime.now().timestamp() - os.stat(path).st_mtime
                except FileNotFoundError:
                    continue
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


# ---------------------------------------------------------------------------
# errors from below (GDAL, the OS) as one sentence
# ---------------------------------------------------------------------------
#: errno values that mean "the disk cannot take more".
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DISK_FULL_TEXTS = ("no space left on device", "disk quota exceeded", "file too large")


def is_disk_full(exc: BaseException | None) -> bool:
    """Tell whether ``exc`` (or what caused it) says the disk or quota is full."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            return True
        if any(t in str(exc).lower() for t in _DISK_FULL_TEXTS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def disk_is_full(folder: str, reserve: int = 64 * 1024) -> bool:
    """Tell whether the file system holding ``folder`` has less than ``reserve`` bytes left for the user."""
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return st.f_bavail * st.f_frsize < reserve


def disk_full_error(parameter: str, where: str) -> CasaInputError:
    """Return the error for a full disk while writing into ``where``."""
    return CasaInputError(
        parameter,
        f"the disk holding '{where}' is full (no space left on device); nothing was written and existing files "
        "were kept. Free some space or choose another folder, then run again.",
    )


def _first_line(text: str, limit: int = 200) -> str:
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def explain_exception(
    exc: BaseException, inputs: Mapping[str, str | None], outputs: Mapping[str, str | None]
) -> CasaInputError | None:
    """One clear sentence for an error from GDAL or the OS, naming the parameter; None if unknown.

    ``inputs``/``outputs``: parameter -> path as the user gave them.  A full
    disk names the first output (its folder); a read error naming an input's
    file says that this file is not a readable raster (truncated or damaged);
    a folder that is a file, or a missing one, names the output.
    """
    outs = [(p, str(v)) for p, v in outputs.items() if v]
    if is_disk_full(exc):
        param, path = outs[0] if outs else ("OUTPUT", "the output folder")
        return disk_full_error(param, os.path.dirname(os.path.abspath(path)) if outs else path)
    text = str(exc)
    module = type(exc).__module__ or ""
    gdal_error = module.startswith(("rasterio", "osgeo", "fiona", "pyogrio")) or "IReadBlock" in text
    for param, source in inputs.items():
        f = input_file_of(source) if isinstance(source, (str, os.PathLike)) else None
        if not f:
            continue
        names = {f, os.path.abspath(f), os.path.realpath(f)}
        if any(n in text for n in names) or (getattr(exc, "filename", None) in names):
            if isinstance(exc, FileNotFoundError):
                return CasaInputError(param, f"'{f}' does not exist (any more); give an existing file.")
            if isinstance(exc, PermissionError):
                return CasaInputError(param, f"'{f}' cannot be read (permission denied).")
            if gdal_error or isinstance(exc, OSError):
                return CasaInputError(
                    param,
                    f"'{os.path.basename(f)}' is not a readable raster: reading it failed ({_first_line(text)}). "
                    "The file may be truncated or damaged; copy or download it again.",
                )
    for param, path in outs:
        names = {path, os.path.abspath(path), os.path.dirname(os.path.abspath(path))}
        if isinstance(exc, OSError) and (getattr(exc, "filename", None) in names or any(n in text for n in names)):
            if isinstance(exc, (NotADirectoryError, FileExistsError)):
                return CasaInputError(
                    param,
                    f"'{path}' cannot be used: a part of the path is a file, not a folder. Choose a path in a folder.",
                )
            return CasaInputError(param, f"cannot write '{path}' ({exc.strerror or _first_line(text)}).")
    return None  # the caller says "unexpected error" with GDAL's or Python's own words


def move_into_place(src: str, target: str) -> str:
    """Move the finished file ``src`` onto ``target`` atomically; returns the path written.

    A symlink at ``target`` is written through: its target is replaced and the
    link stays.  When that lies on another file system, the file is first
    copied beside it, then renamed.
    """
    real = os.path.realpath(target)
    try:
        os.replace(src, real)
        return real
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    folder, base = os.path.split(real)
    tmp = os.path.join(folder, f".{base}.{uuid.uuid4().hex[:8]}.part")
    register_temp(tmp)
    try:
        shutil.copyfile(src, tmp)
        apply_umask(tmp)
        os.replace(tmp, real)
        os.remove(src)
    finally:
        unregister_temp(tmp)
        with contextlib.suppress(OSError):
            os.remove(tmp)
    return real


def new_temp_file(folder: str, prefix: str, suffix: str = "", directory: bool = False) -> str:
    """Create an empty temporary file (or ``directory``) in ``folder`` and register it for removal.

    SIGINT and SIGTERM are held back between the two steps, so a signal can never
    leave it behind unregistered (a pending signal is handled right after).

    Returns
    -------
    str
        The path of the new file or folder.
    """
    import tempfile

    held = {signal.SIGINT, signal.SIGTERM}
    can_hold = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held) if can_hold else None
    try:
        if directory:
            path = tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=folder)
        else:
            fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
            os.close(fd)
        register_temp(path)
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return path

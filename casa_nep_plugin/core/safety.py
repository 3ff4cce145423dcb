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
* :func:`new_temp_file` and :func:`move_into_place`: a temporary file made and
  registered at once, and moved onto its output atomically.

The folder lock is in :mod:`core.folderlock`, errors from GDAL and the OS as one
sentence in :mod:`core.explain`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import stat
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from types import FrameType
from typing import Any

from .errors import CasaInputError

#: Extensions written as GeoTIFF (compared case-insensitively).
GEOTIFF_EXTENSIONS = (".tif", ".tiff")


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
# temporary files: made registered, moved into place
# ---------------------------------------------------------------------------
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

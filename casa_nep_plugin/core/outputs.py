"""Output rasters: what they are, how they are written, and how they appear.

An output is written to a temporary file beside its destination (GeoTIFF, ZSTD by
default, see :data:`GTIFF_PROFILE`), on a thread of its own; every GDAL write and
close is checked; the finished file is read back, made a Cloud-Optimized GeoTIFF if
asked, given the user's umask and moved onto the destination in one rename.  On any
failure or cancel the temporary file is removed and the previous file is kept
(issues 8 and 9).  The engine (:mod:`.engine`) feeds the writers; :func:`atomic_path`
does the same for files other code writes (tables, reports).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import rasterio
from numpy.typing import NDArray
from rasterio.windows import Window

from . import safety
from .blockops import to_nodata
from .errors import CasaCancelled, CasaInputError
from .grid import TILE, ModelGrid

#: Output nodata for float rasters.
NODATA = -9999.0
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


def _load_writeback() -> Callable[..., int] | None:
    """Return libc's ``sync_file_range`` (Linux), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):  # pragma: no cover - a libc without it
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    return fn


_SYNC_FILE_RANGE = _load_writeback()
_SYNC_FILE_RANGE_WRITE = 2


def start_writeback(fd: int) -> None:
    """Ask the kernel to start writing a file's dirty pages to disk now, without waiting.

    Without it the file system allocates the blocks of a whole output at once, when
    GDAL closes it (ext4 does so for a file created over an empty one) or when it is
    renamed over the previous output, on one thread and, since rasterio's close holds
    the GIL, one output after the other: 0.25-0.4 s at the end of the benchmark's
    run.  Started window by window, that work overlaps the computing (measured: the
    2000 x 2000 x 12 chain 0.1 s faster).  The pages stay cached; nothing waits for
    the disk.  A no-op where ``sync_file_range`` is missing or fails.
    """
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)


def _hold_open(path: str) -> int | None:
    """Open the file at ``path`` for reading, if there is one (POSIX only; None otherwise).

    While it is open, renaming a new file over it does not free its blocks: freeing a
    large file's blocks takes the file system 0.03-0.05 s per output here, one after the
    other, inside the rename.  :func:`_close_later` then frees them on a thread of their
    own; the process frees them when it ends if it ends first, so nothing is ever left
    on disk.  (Windows cannot rename over an open file, so there the rename frees them.)
    """
    if os.name != "posix":
        return None
    try:
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None


def _close_later(fd: int) -> None:
    """Close ``fd`` (the file system frees the replaced file's blocks then) on a daemon thread."""
    threading.Thread(target=os.close, args=(fd,), name="casanep-free", daemon=True).start()


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
    """Return where an output really goes.

    That is the target of a symbolic link (written through atomically, so the link
    stays a link), else ``path`` itself; the same rule as :func:`.safety.check_output_paths` checks.
    """
    return os.path.realpath(path) if os.path.islink(path) else path


def apply_umask(path: str) -> None:
    """Give ``path`` the mode any new file of the user gets (0666 less the umask).

    ``mkstemp`` creates 0600.
    """
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


class OutputFile:
    """An output being written to its temporary file (one per :class:`OutputSpec` of a run)."""

    def __init__(self, spec: OutputSpec, grid: ModelGrid, compress: str = "zstd", cog: bool = False) -> None:
        self.spec = spec
        self.target = destination(spec.path)
        self.cog = cog
        self.valid = 0
        folder = os.path.dirname(os.path.abspath(self.target))
        self.tmp = safety.new_temp_file(folder, f".{os.path.basename(self.target)}.", ".part.tif")
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
        self._fd: int | None = None  # a descriptor of the file for start_writeback
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
        name = f"casanep-write-{self.spec.key}"
        self._thread: threading.Thread | None = threading.Thread(target=self._loop, name=name, daemon=True)
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
        except Exception as exc:  # rasterio/GDAL raise many kinds
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
        out, valid = to_nodata(data, self.spec.nodata, self.spec.dtype)  # never in place: data may be a view
        self.valid += valid
        idx = list(bands) if bands is not None else list(range(1, n + 1))
        self._guard("write", lambda: self.ds.write(out, indexes=idx, window=window))
        if self._fd is None:
            self._fd = os.open(self.tmp, os.O_RDONLY)
        start_writeback(self._fd)

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def commit(self) -> None:
        """Close, check and move the file into place (the previous file stays on any failure)."""
        self.seal()
        self.move_into_place()

    def seal(self) -> None:
        """Close and check the temporary file (and make it a COG if asked); nothing is replaced yet."""
        self._guard("close", self.ds.close)
        self._close_fd()
        if self.spec.require_valid and self.valid == 0:
            raise CasaInputError(
                self.spec.parameter,
                "the result has no valid cell (every cell is nodata): check that the inputs overlap and hold "
                f"data. '{self.spec.path}' was left as it was.",
            )
        self._check_readable(self.tmp)
        if self.cog:
            self._to_cog()

    def move_into_place(self) -> None:
        """Move the sealed file onto its destination in one rename."""
        for stale in (self.target + ".aux.xml",):
            if os.path.exists(stale):
                os.remove(stale)
        apply_umask(self.tmp)
        previous = _hold_open(self.target)
        os.replace(self.tmp, self.target)
        safety.unregister_temp(self.tmp)
        if previous is not None:
            _close_later(previous)

    def _check_readable(self, path: str) -> None:
        def check() -> None:
            with rasterio.open(path) as ds:
                if (ds.count, ds.width, ds.height) != (
                    self.profile["count"],
                    self.profile["width"],
                    self.profile["height"],
                ):
                    raise OSError("the written file has the wrong size")
                ds.read(ds.count, window=Window(ds.width - 1, ds.height - 1, 1, 1))  # the last block exists

        self._guard("check", check)

    def _to_cog(self) -> None:
        from rasterio.shutil import copy as gdal_copy

        folder = os.path.dirname(self.tmp)
        cog_tmp = safety.new_temp_file(folder, ".cog.", ".part.tif")
        try:
            opts = {k: v for k, v in self.profile.items() if k in ("compress", "predictor", "zstd_level", "zlevel")}
            self._guard(
                "COG",
                lambda: gdal_copy(
                    self.tmp, cog_tmp, driver="COG", blocksize=TILE, bigtiff="if_safer", overviews="auto", **opts
                ),
            )
            self._check_readable(cog_tmp)
            os.replace(cog_tmp, self.tmp)
        finally:
            if os.path.exists(cog_tmp):
                os.remove(cog_tmp)
            safety.unregister_temp(cog_tmp)

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
        self._close_fd()
        with contextlib.suppress(OSError):
            os.remove(self.tmp)
        safety.unregister_temp(self.tmp)


def check_output_paths(specs: Sequence[OutputSpec], inputs: Mapping[str, str | None] | None = None) -> None:
    """Refuse bad outputs before any work (:func:`.safety.check_output_paths`).

    Refused are outputs that would overwrite an input or each other, that are not
    GeoTIFF file paths or not regular files.
    """
    safety.check_output_paths({s.parameter: s.path for s in specs}, dict(inputs or {}))


@contextlib.contextmanager
def atomic_path(path: str, remove_first: bool = True) -> Iterator[str]:
    """Yield a temporary path beside ``path`` to write to.

    It is moved onto ``path`` on success, removed on failure, so ``path`` is never
    half-written.  ``remove_first``: the temporary file does not exist yet (for
    writers that refuse to overwrite).
    """
    path = destination(path)
    folder = os.path.dirname(os.path.abspath(path))
    base, ext = os.path.splitext(os.path.basename(path))
    tmp = safety.new_temp_file(folder, f".{base}.", f".part{ext}")
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
        safety.unregister_temp(tmp)


def metadata_json(value: object) -> str:
    """Compact JSON for GeoTIFF metadata tags."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def provenance_tags(
    kind: str,
    units: str,
    equation: str,
    params: Mapping[str, object],
    inputs: Mapping[str, object] | list[str],
    **extra: str,
) -> dict[str, str]:
    """Return the GeoTIFF metadata of an output: quantity, units, equation, parameters, inputs, version.

    ``inputs``: parameter -> path (empty ones dropped), or a list of file names;
    ``extra``: further ``casanep_*`` tags, already JSON where structured.
    """
    from .. import __version__

    given = {k: v for k, v in inputs.items() if v} if isinstance(inputs, Mapping) else inputs
    return {
        "casanep_quantity": kind,
        "units": units,
        "casanep_equation": equation,
        "casanep_parameters": metadata_json(params),
        "casanep_inputs": metadata_json(given),
        "casanep_version": __version__,
        **extra,
    }

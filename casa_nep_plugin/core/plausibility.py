"""Plausibility of input values: refuse what cannot be right, say how to fix it.

Pure functions on float32 blocks ``(bands, rows, cols)`` as
:meth:`core.raster.RasterInput.read` returns them (NaN = nodata, scales
applied).  Each takes the parameter name for its message and, where a band is
named, the band's month (``months``, optional).  They are cheap enough for the
main pass (a few vectorised comparisons per block) and raise
:class:`~core.errors.CasaInputError`; :func:`replace_inf` instead cleans the
block and returns a flag, so the caller warns once.
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

from .blockops import any_outside
from .errors import CasaInputError

#: Plausible monthly mean air temperature, degC (the Earth's records lie inside).
T_MIN_C, T_MAX_C = -60.0, 60.0
#: Negative values smaller than this are rounding (ERA5 accumulations), not errors.
NEGATIVE_TOLERANCE = 1e-3
#: Integer fill values of common NDVI products (MODIS -3000, GDAL/ENVI, int16 extremes).
NDVI_FILL_VALUES = (-3000.0, -9999.0, -32768.0, 32767.0, -28672.0, 65535.0, 255.0)
#: Valid NDVI (unitless).
NDVI_MIN, NDVI_MAX = -1.0, 1.0

INF_WARNING = "{parameter}: {count} infinite value(s) (Inf) read as nodata."


def _band_name(band: int, months: list[str] | None) -> str:
    """'band 3 (2021-03)' from a 0-based band index."""
    if months and 0 <= band < len(months):
        return f"band {band + 1} ({months[band]})"
    return f"band {band + 1}"


def _first_band(mask: NDArray) -> int:
    """0-based index of the first band where ``mask`` is true (mask (bands, rows, cols))."""
    if mask.ndim < 3:
        return 0
    return int(np.argmax(mask.reshape(mask.shape[0], -1).any(axis=1)))


def replace_inf(block: NDArray) -> tuple[NDArray, int]:
    """``block`` with +-Inf set to NaN (nodata), in place; returns (block, number replaced).

    Inf is no measurement: overflowed conversions and broken fill values write it.
    The caller warns once per input (see :data:`INF_WARNING`).
    """
    inf = np.isinf(block)
    n = int(np.count_nonzero(inf))
    if n:
        block[inf] = np.nan
    return block, n


def check_non_negative(
    block: NDArray,
    parameter: str,
    quantity: str,
    units: str,
    months: list[str] | None = None,
    tolerance: float = NEGATIVE_TOLERANCE,
) -> NDArray:
    """Refuse negative values of a quantity that cannot be negative (precipitation, solar radiation).

    Values in ``[-tolerance, 0)`` (``units``; rounding of accumulated fields) are
    set to 0 in place; anything lower raises.  Returns ``block``.
    """
    with np.errstate(invalid="ignore"):
        neg = block < 0
        if not neg.any():
            return block
        bad = block < -tolerance
    if bad.any():
        b = _first_band(bad)
        lo = float(np.nanmin(block[b][bad[b]] if block.ndim == 3 else block[bad]))
        n = int(np.count_nonzero(bad))
        raise CasaInputError(
            parameter,
            f"{quantity} cannot be negative, but {n} cell-month(s) are (first in {_band_name(b, months)}, "
            f"down to {lo:g} {units}). Check the input's units and sign convention (ERA5 writes some fluxes "
            "as negative downward values; casanep:era5land converts them), or set the file's nodata if these "
            "are fill values.",
        )
    block[neg] = 0.0
    return block


def check_temperature(block: NDArray, parameter: str = "TEMPERATURE", months: list[str] | None = None) -> NDArray:
    """Refuse monthly mean air temperatures outside [-60, 60] degC, suggesting the fix.

    Kelvin (values near 273) asks to subtract 273.15; very low values
    (-9999, -32768) look like fill values and ask for the file's nodata.
    Returns ``block`` unchanged.
    """
    with np.errstate(invalid="ignore"):
        bad = (block < T_MIN_C) | (block > T_MAX_C)
    if not bad.any():
        return block
    b = _first_band(bad)
    vals = block[b][bad[b]] if block.ndim == 3 else block[bad]
    hi, lo = float(np.max(vals)), float(np.min(vals))
    finite = block[np.isfinite(block)]
    typical = float(np.median(finite)) if finite.size else hi
    where = f"{int(np.count_nonzero(bad))} cell-month(s), first in {_band_name(b, months)}"
    if typical > 150.0 and hi <= 400.0:
        raise CasaInputError(
            parameter,
            f"values look like Kelvin (typical value {typical:.1f}, {where}); the model needs degC. Subtract "
            '273.15 (QGIS Raster Calculator: "t@1" - 273.15, or gdal_calc.py), or prepare ERA5 files with '
            "casanep:era5land.",
        )
    if lo < T_MIN_C and lo <= -999.0:
        raise CasaInputError(
            parameter,
            f"{lo:g} is not a temperature ({where}); it looks like a fill value the file does not declare as "
            f"nodata. Set it (gdal_edit.py -a_nodata {lo:g} file.tif, or in QGIS Layer Properties > "
            "Transparency) and run again.",
        )
    raise CasaInputError(
        parameter,
        f"monthly mean temperatures must lie in [{T_MIN_C:g}, {T_MAX_C:g}] degC; found {lo:g} .. {hi:g} "
        f"({where}). Check the units: Kelvin needs 273.15 subtracted, Fahrenheit (F - 32) / 1.8, tenths of "
        "a degree a division by 10.",
    )


def check_ndvi(
    block: NDArray,
    parameter: str = "NDVI",
    scale: float = 1.0,
    nodata_declared: bool = True,
    months: list[str] | None = None,
) -> NDArray:
    """Refuse NDVI outside [-1, 1] after ``scale``, and undeclared fill values.

    ``nodata_declared``: the file declares a nodata value (or a mask).  When it
    does not, cells holding a common fill value (MODIS -3000, -9999, -32768 ...,
    compared after scaling) are refused with the ``gdal_edit.py -a_nodata``
    fix, even where the scaled value lies in [-1, 1] (-3000 x 0.0001 = -0.3).
    Values outside [-1, 1] suggest ``NDVI_SCALE=0.0001`` when they look like
    MODIS integers, and a nodata value otherwise.  Returns ``block`` unchanged.
    """
    with np.errstate(invalid="ignore"):
        bad = (block < NDVI_MIN - 1e-6) | (block > NDVI_MAX + 1e-6)
    any_bad = bool(bad.any())
    if not nodata_declared:
        for fill in NDVI_FILL_VALUES:
            if not any_bad and not (NDVI_MIN <= fill * scale <= NDVI_MAX):
                continue  # it would lie outside [-1, 1], and nothing does: not there
            # as RasterInput.read scales (float32), and as its decimated sample does (float64)
            scaled = np.float32(np.float32(fill) * np.float32(scale))
            hit = block == scaled
            if block.dtype != np.float32:
                hit |= np.abs(block - fill * scale) <= abs(fill * scale) * 1e-6
            if hit.any():
                b = _first_band(hit)
                n = int(np.count_nonzero(hit))
                raise CasaInputError(
                    parameter,
                    f"{n} cell-month(s) hold {fill:g}{f' (x NDVI_SCALE = {float(scaled):g})' if scale != 1 else ''}"
                    f", a common NDVI fill value, first in {_band_name(b, months)}, and the file declares no "
                    f"nodata, so they would be read as data. Set the nodata (gdal_edit.py -a_nodata {fill:g} "
                    "file.tif, or Layer Properties > Transparency in QGIS) and run again.",
                )
    if not any_bad:
        return block
    b = _first_band(bad)
    finite = block[np.isfinite(block)]
    lo, hi = float(finite.min()), float(finite.max())
    where = f"first in {_band_name(b, months)}"
    if scale == 1.0 and 100.0 < hi <= 10000.0 and lo >= -3000.0:
        fix = "MODIS NDVI stored as integers needs NDVI_SCALE=0.0001."
        if not nodata_declared:
            fix += " The file declares no nodata either: set it (MODIS: gdal_edit.py -a_nodata -3000 file.tif)."
    elif not nodata_declared:
        fix = (
            "The file declares no nodata: if the out-of-range values are fill values, set the nodata "
            "(gdal_edit.py -a_nodata VALUE file.tif); otherwise check NDVI_SCALE."
        )
    else:
        fix = "Check NDVI_SCALE (MODIS integers need 0.0001) and the file's nodata value."
    raise CasaInputError(
        parameter,
        f"NDVI after scaling by NDVI_SCALE={scale:g} spans {lo:g} .. {hi:g}, outside [-1, 1] ({where}). {fix}",
    )


_F32_MAX = float(np.finfo(np.float32).max)
KINDS = ("ndvi", "temperature", "precipitation", "solar_radiation", "other")


def screen(
    block: NDArray,
    kind: str,
    parameter: str,
    months: list[str] | None = None,
    scale: float = 1.0,
    nodata_declared: bool = True,
) -> tuple[NDArray, int]:
    """Inf to NaN and the plausibility check of ``kind`` in one cheap pass; returns (block, Infs replaced).

    The main pass's entry point (about 0.5 ns per value where all is well: two
    comparisons).  ``kind``: ``ndvi`` (:func:`check_ndvi`, with ``scale`` and
    ``nodata_declared``), ``temperature`` (:func:`check_temperature`),
    ``precipitation`` / ``solar_radiation`` (:func:`check_non_negative`) or
    ``other`` (Inf only).  Only when a value falls outside the quick bounds are
    Infs replaced and the full check run, which raises with the fix.
    """
    if kind == "ndvi":
        lo, hi = NDVI_MIN - 1e-6, NDVI_MAX + 1e-6
    elif kind == "temperature":
        lo, hi = T_MIN_C, T_MAX_C
    elif kind in ("precipitation", "solar_radiation"):
        lo, hi = 0.0, _F32_MAX
    elif kind == "other":
        lo, hi = -_F32_MAX, _F32_MAX
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    n = 0
    if any_outside(block, lo, hi):
        block, n = replace_inf(block)
    elif not (kind == "ndvi" and not nodata_declared):
        return block, 0
    # else: fill values that scale into [-1, 1] (MODIS -3000 x 0.0001 = -0.3) pass the bounds: look for them
    if kind == "ndvi":
        check_ndvi(block, parameter, scale, nodata_declared, months)
    elif kind == "temperature":
        check_temperature(block, parameter, months)
    elif kind == "precipitation":
        check_non_negative(block, parameter, "precipitation", "mm month-1", months)
    elif kind == "solar_radiation":
        check_non_negative(block, parameter, "solar radiation", "MJ m-2 month-1", months)
    return block, n


def check_month_order(months: list[str], parameter: str, path: str | None = None) -> list[str]:
    """Refuse months (``YYYY-MM``) that are not strictly increasing: out of order or repeated.

    Names the first offending band (1-based).  Gaps are allowed (a partial
    record).  Returns ``months``.
    """
    name = f"'{os.path.basename(path)}'" if path else "the stack"
    seen: dict[str, int] = {}
    for i, m in enumerate(months):
        if m in seen:
            raise CasaInputError(
                parameter,
                f"band {i + 1} of {name} is {m} again, the same month as band {seen[m] + 1}; each month may "
                "appear once. Remove the duplicate band.",
            )
        if i and m < months[i - 1]:
            raise CasaInputError(
                parameter,
                f"band {i + 1} of {name} is {m}, which comes before band {i} ({months[i - 1]}); the bands must "
                "be months in increasing order. Reorder the bands (gdal_translate -b ...).",
            )
        seen[m] = i
    return months


def check_valid_result(valid_cells: int, parameter: str, what: str, limiting: str | None = None) -> None:
    """Refuse a result with no valid cell: the existing file at the output path is kept.

    ``what`` names the result (``NPP``); ``limiting`` the input that explains it, if known.
    """
    if valid_cells <= 0:
        why = f" {limiting}" if limiting else ""
        raise CasaInputError(
            parameter,
            f"the {what} result has no cell with data, so nothing was written (an existing file is kept).{why}",
        )


def check_same_periods(stacks: list[tuple[str, str, list[str]]]) -> None:
    """Refuse flux stacks (NPP, RH, NEP) that do not hold the same bands.

    ``stacks``: (parameter, path, band labels: months ``YYYY-MM``, years, or
    other descriptions) in the order given; the first is the reference.  Says
    what differs: the band count, or the first band whose label differs.
    """
    if len(stacks) < 2:
        return
    ref_param, ref_path, ref = stacks[0]

    def span(labels: list[str]) -> str:
        return f"{labels[0]} .. {labels[-1]}" if labels else "no bands"

    for param, path, labels in stacks[1:]:
        if len(labels) != len(ref):
            raise CasaInputError(
                param,
                f"'{os.path.basename(path)}' has {len(labels)} bands ({span(labels)}) but {ref_param} "
                f"'{os.path.basename(ref_path)}' has {len(ref)} ({span(ref)}); the stacks must cover the same "
                "months (or years). Give stacks from one run.",
            )
        if not any(labels) or not any(ref):
            continue  # undescribed bands: taken band for band (the callers say so)
        diff = next((i for i, (a, b) in enumerate(zip(labels, ref)) if a != b), None)
        if diff is not None:
            raise CasaInputError(
                param,
                f"band {diff + 1} of '{os.path.basename(path)}' is {labels[diff] or '(undescribed)'} but band "
                f"{diff + 1} of {ref_param} is {ref[diff] or '(undescribed)'}; the stacks must hold the same "
                "months in the same order. Give stacks from one run.",
            )

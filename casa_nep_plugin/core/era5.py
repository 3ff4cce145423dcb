"""ERA5-Land / ERA5 monthly means to the model's monthly climate stacks (METHOD.md section 6).

The conversions and the variables a file may hold are in :mod:`.era5_units`,
the time axis (monthly steps, or hourly/daily steps aggregated into months) in
:mod:`.era5_time`, the reader in :mod:`.era5_file`; this module runs them: one
stack per variable found, one band per month described ``YYYY-MM``, kept on the
native grid (clipped to an extent when given) or resampled bilinearly onto a
model grid, window by window.

Hourly and daily files are refused with the name of the product to download,
unless ``aggregation="mean"``: state variables (t2m) are then averaged over the
month's steps, and accumulated variables are taken as accumulated *over each
step* (ERA5 hourly single levels, daily sums), turned into a mean daily
accumulation (sum / days covered) and converted as monthly means are.  ERA5-Land
*hourly* accumulations run from 00 UTC through the day and cannot be aggregated
this way: use the monthly product.  Months the steps only partly cover are
reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from .engine import Callbacks, run_blocks
from .era5_file import Era5File, check_aggregation
from .era5_time import MONTHLY_PRODUCT, MONTHLY_PRODUCT_TYPE, days_in_month, days_per_month
from .era5_units import BY_KEY, VARIABLES, evaporation_mm, solar_radiation_mj, water_mm
from .errors import CasaInputError
from .grid import ModelGrid, as_crs, cut_grid, window_of_bounds
from .outputs import OutputSpec, metadata_json, provenance_tags
from .resample import onto_window, source_window

__all__ = [
    "MONTHLY_PRODUCT",
    "MONTHLY_PRODUCT_TYPE",
    "days_in_month",
    "days_per_month",
    "solar_radiation_mj",
    "water_mm",
    "evaporation_mm",
    "VARIABLES",
    "Era5File",
    "run_era5land",
]


def run_era5land(
    path: str,
    outputs: dict[str, str],
    grid: ModelGrid | None = None,
    extent=None,
    extent_crs=None,
    aggregation: str = "none",
    callbacks: Callbacks | None = None,
) -> dict[str, str]:
    """Monthly SOL, T, P, E and PET stacks from an ERA5(-Land) file; returns the written paths.

    ``outputs`` maps keys (SOL, T, P, E, PET) to destination GeoTIFFs; a key
    whose variable the file lacks is skipped with a warning (an error when no
    requested variable is present).  ``grid``: the model grid (bilinear), or
    None to keep the native grid, cut to ``extent`` (in ``extent_crs``,
    default the file's lon/lat) when given.  ``aggregation``: ``"none"`` (monthly files
    only) or ``"mean"`` (hourly/daily steps averaged into months).
    """
    cb = callbacks or Callbacks()
    requested = _requested(outputs, aggregation)
    f = Era5File(path, aggregate=aggregation == "mean", callbacks=cb)
    try:
        present = _present(f, requested, cb)
        native, out_grid = _output_grid(f, grid, extent, extent_crs)
        keys = list(present)
        _report_steps(f, keys, cb)
        specs = _output_specs(f, present, aggregation, grid is not None)
        depth = sum(len(f.sources[k].axis.months) for k in keys) * 3
        cb.info(
            f"{', '.join(keys)} for {len(f.sources[keys[0]].axis.months)} month(s) on a "
            f"{out_grid.width} x {out_grid.height} grid ({'model grid, bilinear' if grid else 'native grid'})."
        )
        run_blocks(out_grid, _Era5Window(f, keys, native, out_grid), specs, cb.progress, cb.is_cancelled, depth=depth)
    finally:
        f.close()
    return {s.key: s.path for s in specs}


def _requested(outputs: dict[str, str], aggregation: str) -> dict[str, str]:
    """Return the outputs asked for (key -> path); raise on an unknown key, a bad aggregation or none at all."""
    check_aggregation(aggregation)
    unknown = [k for k in outputs if k not in BY_KEY]
    if unknown:
        raise ValueError(f"unknown outputs {unknown}; known: {list(BY_KEY)}")
    requested = {k: p for k, p in outputs.items() if p}
    if not requested:
        raise CasaInputError("OUTPUT", "no output was requested.")
    return requested


def _present(f: Era5File, requested: dict[str, str], cb: Callbacks) -> dict[str, str]:
    """Return the requested outputs whose variable the file holds; warn of each of the others."""
    base = os.path.basename(f.path)
    present = {k: p for k, p in requested.items() if k in f.sources}
    for k in requested:
        if k not in present:
            cb.warning(
                f"{BY_KEY[k].key}: '{base}' has no {'/'.join(BY_KEY[k].names[:1])} "
                f"({BY_KEY[k].quantity}); that output is not written."
            )
    if not present:
        found = ", ".join(f"{s.name} ({k})" for k, s in f.sources.items())
        raise CasaInputError(
            "INPUT", f"'{base}' holds {found} but none of the requested outputs ({', '.join(requested)})."
        )
    if f.crs_assumed:
        cb.info(f"INPUT: '{base}' names no CRS; its regular lon/lat grid is taken as EPSG:4326.")
    return present


def _output_grid(f: Era5File, grid: ModelGrid | None, extent, extent_crs) -> tuple[ModelGrid, ModelGrid]:
    """Return the native grid (shifted west where 0..360 longitudes meet the request better) and the output grid."""
    base = os.path.basename(f.path)
    native = f.grid
    if grid is not None:
        if grid.crs is None:
            raise CasaInputError("GRID_CRS", "the model grid has no CRS.")
        req = transform_bounds(grid.crs, native.crs, *grid.bounds, densify_pts=21)
        native_s = _shifted(native, _lon_shift(native, req))
        if window_of_bounds(native_s, grid.bounds, grid.crs) is None:
            raise CasaInputError(
                "INPUT",
                f"'{base}' (lon {native.bounds[0]:g}..{native.bounds[2]:g}, lat "
                f"{native.bounds[1]:g}..{native.bounds[3]:g}) does not overlap the model grid.",
            )
        return native_s, grid
    if extent is None:
        return native, native
    ecrs = as_crs(extent_crs, "EXTENT") if extent_crs is not None else native.crs
    req = extent if ecrs == native.crs else transform_bounds(ecrs, native.crs, *extent, densify_pts=21)
    native_s = _shifted(native, _lon_shift(native, req))
    return native_s, cut_grid(native_s, extent, ecrs, f"'{base}'")


def _report_steps(f: Era5File, keys: list[str], cb: Callbacks) -> None:
    """Say which outputs were averaged from finer steps, and which months those steps only partly cover."""
    for k in keys:
        ax = f.sources[k].axis
        if ax.kind != "monthly":
            short = [
                f"{m} ({c:g} of {days_in_month(m)} days)"
                for m, c in zip(ax.months, ax.covered_days)
                if c < days_in_month(m) - 1e-6
            ]
            cb.info(f"{k}: {ax.kind} steps averaged into {len(ax.months)} month(s).")
            if short:
                cb.warning(
                    f"{k}: months only partly covered by the file: {', '.join(short[:6])}"
                    f"{' ...' if len(short) > 6 else ''}; their values extrapolate the days present."
                )


def _output_specs(f: Era5File, present: dict[str, str], aggregation: str, on_model_grid: bool) -> list[OutputSpec]:
    """Return one output spec per written stack: months, units and provenance tags."""
    specs = []
    for k, path in present.items():
        var, src = BY_KEY[k], f.sources[k]
        tags = provenance_tags(
            k,
            var.units,
            var.equation + ("  (N = days in the month)" if "N" in var.equation else ""),
            {"aggregation": aggregation, "time_steps": src.axis.kind, "grid": "model" if on_model_grid else "native"},
            {"file": f.path, "variable": src.name, "units": src.units},
            casanep_days_per_month=metadata_json([int(d) for d in days_per_month(src.axis.months)]),
        )
        specs.append(OutputSpec(k, path, src.axis.months, var.units, tags, parameter=f"OUTPUT_{k}"))
    return specs


@dataclass
class _Era5Window:
    """Compute each output's months on a window of the output grid: the window function of :func:`run_era5land`."""

    file: Era5File
    keys: list[str]
    native: ModelGrid
    grid: ModelGrid

    def __call__(self, window: Window) -> dict[str, NDArray]:
        sw = source_window(self.native, self.grid, window, margin=2)
        result = {}
        for k in self.keys:
            n = len(self.file.sources[k].axis.months)
            if sw is None:
                result[k] = np.full((n, int(window.height), int(window.width)), np.nan, np.float32)
                continue
            block = self.file.monthly_block(k, sw).astype(np.float32)
            result[k] = onto_window(block, sw, self.native, self.grid, window)
        return result


def _lon_shift(native: ModelGrid, request: tuple[float, float, float, float]) -> float:
    """Return -360 where a file in 0..360 longitudes better meets ``request`` shifted west; else 0.

    ``request``: bounds in the file's CRS, longitudes in -180..180.
    """
    if native.crs is None or not native.crs.is_geographic:
        return 0.0
    left, _, right, _ = native.bounds

    def overlap(shift: float) -> float:
        return max(0.0, min(right + shift, request[2]) - max(left + shift, request[0]))

    return -360.0 if right > 180.0 and overlap(-360.0) > overlap(0.0) else 0.0


def _shifted(grid: ModelGrid, shift: float) -> ModelGrid:
    if not shift:
        return grid
    t = grid.transform
    return ModelGrid(grid.crs, rasterio.Affine(t.a, t.b, t.c + shift, t.d, t.e, t.f), grid.width, grid.height)

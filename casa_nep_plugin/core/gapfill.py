"""Filling gaps in monthly NDVI stacks by linear interpolation in time.

A cloud-covered month leaves a cell without NDVI, so without NPP, so without an
annual total.  ``linear`` fills a missing month of a cell from the nearest valid
months before (p) and after (q) it in the same cell:

    NDVI(t) = NDVI(p) + (NDVI(q) - NDVI(p)) * (t - p) / (q - p)

where the run of missing months between them, q - p - 1, is at most
``max_gap`` months.  The months are the stack's bands in order, so a gap
crosses a year boundary whenever the stack continues into the next year
(December and February fill a missing January).  A gap longer than
``max_gap``, or with no valid month on one side (at the start or the end of the
stack), stays missing.  Each band must be one calendar month after the previous
(as :func:`core.ndvi.months_between` and casa-nep stacks are).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .errors import CasaInputError

__all__ = ["GAP_FILL_METHODS", "DEFAULT_MAX_GAP", "fill_linear", "check_gap_fill", "filled_per_year"]

GAP_FILL_METHODS = ("none", "linear")
DEFAULT_MAX_GAP = 2


def check_gap_fill(method: str, max_gap: int) -> None:
    """Raise a clear error on an unknown GAP_FILL or a negative MAX_GAP."""
    if method not in GAP_FILL_METHODS:
        raise CasaInputError("GAP_FILL", f"must be one of {', '.join(GAP_FILL_METHODS)}, not '{method}'.")
    if int(max_gap) != max_gap or max_gap < 0:
        raise CasaInputError("MAX_GAP", f"must be a whole number of months >= 0, not {max_gap}.")


def fill_linear(stack: NDArray, max_gap: int) -> tuple[NDArray, NDArray]:
    """Linearly interpolate missing months (NaN) of a (months, rows, cols) stack.

    Returns (filled stack as float32, number of filled months per cell as int32
    (rows, cols)).  Valid values are never changed.  ``max_gap``: the longest
    run of consecutive missing months that is filled (0 fills nothing).
    """
    if max_gap < 0:
        raise CasaInputError("MAX_GAP", f"must be >= 0, not {max_gap}.")
    data = np.asarray(stack, dtype=np.float32)
    if data.ndim != 3:
        raise ValueError(f"stack must be (months, rows, cols), not {data.shape}")
    n = data.shape[0]
    valid = np.isfinite(data)
    missing = ~valid
    if n < 3 or max_gap == 0 or not missing.any() or not valid.any():
        return data.copy(), np.zeros(data.shape[1:], np.int32)
    t = np.arange(n, dtype=np.int32)[:, None, None]
    # index of the nearest valid month at or before / at or after each month (-1 / n where none)
    prev = np.maximum.accumulate(np.where(valid, t, np.int32(-1)), axis=0)
    nxt = np.minimum.accumulate(np.where(valid, t, np.int32(n))[::-1], axis=0)[::-1]
    fill = missing & (prev >= 0) & (nxt < n) & (nxt - prev - 1 <= max_gap)
    out = data.copy()
    if fill.any():
        p = np.clip(prev, 0, n - 1)
        q = np.clip(nxt, 0, n - 1)
        vp = np.take_along_axis(data, p, axis=0)
        vq = np.take_along_axis(data, q, axis=0)
        span = np.maximum(q - p, 1).astype(np.float32)
        w = (t - p).astype(np.float32) / span
        out[fill] = (vp + (vq - vp) * w)[fill]
    return out, fill.sum(axis=0, dtype=np.int32)


def filled_per_year(before: NDArray, after: NDArray, groups: list[list[int]]) -> NDArray:
    """Count the filled months per cell and calendar year (years, rows, cols), float32.

    Filled: NaN in ``before`` and valid in ``after``; ``groups`` are the band indices of each year.
    """
    filled = ~np.isfinite(before) & np.isfinite(after)
    return np.stack([filled[idx].sum(axis=0, dtype=np.int32) for idx in groups]).astype(np.float32)


def npp_gap_kwargs(gap_fill: str, max_gap: int) -> dict:
    """Keyword arguments that ask ``model.run_npp`` for gap filling (checked; none for ``none``)."""
    check_gap_fill(gap_fill, max_gap)
    if gap_fill == "none":
        return {}
    return {"gap_fill": gap_fill, "max_gap": int(max_gap)}


def run_filled_count(ndvi: str, output: str, max_gap: int, ndvi_scale: float = 1.0, callbacks=None) -> str:
    """Write the number of NDVI months that ``fill_linear`` fills, per cell and calendar year.

    One band per year (described YYYY, int16), on the NDVI grid: what the zone table's
    ``filled_cell_months_YYYY`` columns read.  Returns ``output``; the total number of filled
    cell-months goes to the log.
    """
    from rasterio.windows import Window

    from .engine import Callbacks, run_blocks
    from .outputs import OutputSpec, metadata_json
    from .raster import RasterInput, group_years

    cb = callbacks or Callbacks()
    nd = RasterInput.open(ndvi, "NDVI", scale=ndvi_scale)
    try:
        if nd.months is None:
            raise CasaInputError("NDVI", "has no band descriptions; a monthly stack needs bands described YYYY-MM.")
        groups = list(group_years(nd.months).values())
        years = list(group_years(nd.months))
        grid = nd.grid
        nd.attach(grid)
        total = [0]

        def compute(window: Window) -> dict[str, NDArray]:
            data = nd.read(window)
            filled, count = fill_linear(data, max_gap)
            total[0] += int(count.sum())
            return {"filled": filled_per_year(data, filled, groups)}

        tags = {
            "casanep_quantity": "NDVI months filled by linear interpolation per calendar year",
            "units": "months",
            "casanep_gap_fill": metadata_json({"method": "linear", "max_gap": int(max_gap)}),
        }
        run_blocks(
            grid,
            compute,
            [OutputSpec("filled", output, years, "months", tags, nodata=-1, dtype="int16")],
            None,
            cb.is_cancelled,
            depth=4 * len(nd.months),
        )
    finally:
        nd.close()
    cb.info(f"GAP_FILL linear (MAX_GAP {max_gap}): {total[0]} NDVI cell-months filled.")
    return output

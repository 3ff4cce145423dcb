"""The model grid: CRS, transform and size that every stack is read onto."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.windows import Window

#: Output tile size (cells); block windows are whole multiples of it.
TILE = 256


@dataclass(frozen=True)
class ModelGrid:
    """A raster grid: CRS, affine transform (cell corners) and size in cells."""

    crs: CRS | None
    transform: Affine
    width: int
    height: int

    @classmethod
    def of(cls, dataset) -> ModelGrid:
        """The grid of an open rasterio dataset."""
        return cls(dataset.crs, dataset.transform, dataset.width, dataset.height)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return (min(xs), min(ys), max(xs), max(ys))

    def aligned_with(self, other: ModelGrid, tolerance: float = 1e-6) -> bool:
        """True where both grids share CRS, size and transform (to ``tolerance`` cells)."""
        if self.shape != other.shape:
            return False
        if (self.crs is None) != (other.crs is None):
            return False
        if self.crs is not None and self.crs != other.crs:
            return False
        a, b = self.transform, other.transform
        cell = max(abs(a.a), abs(a.e))
        return all(
            math.isclose(x, y, rel_tol=0, abs_tol=tolerance * cell) for x, y in zip(a[:6], b[:6])
        )

    def windows(self, max_values: int, bands: int = 1, block: tuple[int, int] | None = None) -> Iterator[Window]:
        """Windows covering the grid, each holding at most about ``max_values``.

        Windows are a whole number of TILE cells high and wide (so tiled outputs
        are written tile by tile), read and written in order.  ``bands`` is the
        deepest stack read per window.  ``block`` (rows, cols): the block layout of
        the main input on this grid; windows then hold whole blocks of it, so no
        block is decompressed twice (whole-width strips: full-width windows).
        """
        step_y, unit_x = TILE, TILE
        if block is not None:
            rows, cols = block
            if 0 < rows <= 4 * TILE:
                step_y = math.lcm(TILE, rows)
            if cols >= self.width:  # strips: a window spans the width
                unit_x = max(TILE, self.width)
            elif 0 < cols <= 4 * TILE:
                unit_x = math.lcm(TILE, cols)
        per_unit = step_y * unit_x * max(bands, 1)
        while step_y > TILE and step_y % (2 * TILE) == 0 and per_unit > max_values:  # within the budget
            step_y //= 2
            per_unit //= 2
        units_across = max(1, max_values // per_unit)
        step_x = units_across * unit_x
        for row in range(0, self.height, step_y):
            h = min(step_y, self.height - row)
            for col in range(0, self.width, step_x):
                yield Window(col, row, min(step_x, self.width - col), h)

    def row_cell_areas(self, row_off: int = 0, height: int | None = None) -> NDArray:
        """Cell area (m2) of each row; ellipsoidal in a geographic CRS.

        In a projected CRS: |a*e| of the transform times the square of the
        linear unit's metres.  In a geographic CRS: the exact area of a cell of
        the ellipsoid between the row's bounding parallels (authalic latitude).
        """
        height = self.height - row_off if height is None else height
        t = self.transform
        if self.crs is not None and self.crs.is_geographic:
            from pyproj import CRS as PCRS

            ellps = PCRS.from_user_input(self.crs.to_wkt()).ellipsoid
            a = ellps.semi_major_metre
            inv_f = ellps.inverse_flattening
            f = 1.0 / inv_f if inv_f else 0.0
            e2 = f * (2 - f)
            rows = np.arange(row_off, row_off + height + 1, dtype=np.float64)
            lat = np.radians(t.f + t.e * rows)
            q = _authalic_q(np.sin(lat), e2)
            dlon = np.radians(abs(t.a))
            band = np.abs(np.diff(q)) * a * a * (1 - e2) / 2.0
            return band * dlon
        unit = 1.0
        if self.crs is not None:
            try:
                unit = float(self.crs.linear_units_factor[1])
            except Exception:  # noqa: BLE001 - unknown unit: assume metres
                unit = 1.0
        area = abs(t.a * t.e - t.b * t.d) * unit * unit
        return np.full(height, area)


def _authalic_q(sin_phi: NDArray, e2: float) -> NDArray:
    """q(phi) of the authalic latitude; cell area = a^2 (1-e2)/2 * |dq| * dlon."""
    if e2 == 0:
        return 2.0 * sin_phi
    e = math.sqrt(e2)
    return sin_phi / (1 - e2 * sin_phi**2) - (1 / (2 * e)) * np.log(
        (1 - e * sin_phi) / (1 + e * sin_phi)
    )

"""Old import path of the grid builders and window resampling; new code imports from their homes.

Grid construction lives in :mod:`.grid` (beside :class:`~.grid.ModelGrid`),
window resampling in :mod:`.resample`, containers in :mod:`.containers`,
:func:`write_stack` in :mod:`.raster`.  These names stay importable from here for the modules that
still do.
"""

from __future__ import annotations

from .containers import open_raster, pick_subdataset
from .grid import GEOGRAPHIC_DEFAULT, cut_grid, grid_from_extent, grid_from_reference
from .raster import write_stack
from .resample import onto_window, source_window

__all__ = [
    "GEOGRAPHIC_DEFAULT",
    "cut_grid",
    "grid_from_extent",
    "grid_from_reference",
    "onto_window",
    "open_raster",
    "pick_subdataset",
    "source_window",
    "write_stack",
]

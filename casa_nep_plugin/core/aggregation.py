"""The run that zone statistics and land-cover budgets share.

Check the options before any work, open the stacks on one grid, place the
zones on it and pick the fields to carry, scan every window, close every
raster whatever happens, and write the table atomically.  What is summed per
window, and how the sums become columns, is the caller's
(:mod:`.zonal`, :mod:`.budget`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .columns import check_field_clash
from .engine import DEFAULT_BLOCK_VALUES, Callbacks
from .errors import CasaInputError
from .grid import ModelGrid
from .stacks import READ_THREADS, Stack, VisitFn, close_stacks, open_stacks, scan_stacks
from .tablefile import check_table_output, write_table
from .zones import ZoneSet, check_weighting

if TYPE_CHECKING:
    from geopandas import GeoDataFrame
    from pandas import DataFrame

__all__ = ["check_options", "Aggregation", "aggregation", "write_result"]


def check_options(weighting: str, output: str | None) -> None:
    """Fail before any work on an unknown cell weighting or an output table that cannot be written."""
    check_weighting(weighting)
    if output:
        check_table_output(output, "OUTPUT")


@dataclass
class Aggregation:
    """An aggregation's open inputs: the grid, the stacks scanned together and the zones on the grid."""

    grid: ModelGrid
    stacks: list[Stack]
    callbacks: Callbacks
    zones: ZoneSet | None = None
    fields: list[str] = field(default_factory=list)  #: the zone fields carried into the table

    def place_zones(
        self,
        zones: str | GeoDataFrame,
        weighting: str,
        fields: list[str] | None,
        columns: list[str],
    ) -> ZoneSet:
        """Place ``zones`` on the grid and pick the ``fields`` to carry (None: all).

        A field missing from the layer, or named as one of the computed
        ``columns``, is an error.
        """
        zs = ZoneSet.build(zones, self.grid, weighting, "ZONES", self.callbacks.warning)
        attr = [c for c in zs.frame.columns if c != zs.frame.geometry.name]
        if fields is not None:
            missing = [f for f in fields if f not in attr]
            if missing:
                raise CasaInputError("FIELDS", f"the zone layer has no field(s) {', '.join(missing)}.")
            attr = list(fields)
        check_field_clash(attr, columns, "ZONES")
        self.zones, self.fields = zs, attr
        return zs

    def scan(self, visit: VisitFn, block_values: int = DEFAULT_BLOCK_VALUES, threads: int = READ_THREADS) -> None:
        """Call ``visit(window, arrays)`` on every window, with the blocks of every stack in order."""
        scan_stacks(self.grid, self.stacks, visit, self.callbacks, block_values, threads)


@contextmanager
def aggregation(stacks: dict[str, str | None], callbacks: Callbacks, same_grid: bool = False) -> Iterator[Aggregation]:
    """Open ``stacks`` (name -> path) on the first one's grid; close them (and any added) on leaving.

    ``same_grid``: a stack on another grid is an error instead of being
    resampled onto the first one's (see :func:`.stacks.open_stacks`).
    """
    grid, sts = open_stacks(stacks, callbacks.warning, callbacks.info, same_grid=same_grid)
    run = Aggregation(grid, sts, callbacks)
    try:
        yield run
    finally:
        close_stacks(run.stacks)


def write_result(table: DataFrame, output: str | None, layer: str | None, callbacks: Callbacks, size: str) -> None:
    """Write ``table`` to ``output`` (if given) atomically, saying so (``size``: its rows x columns)."""
    if output:
        write_table(table, output, layer, "OUTPUT")
        callbacks.info(f"Wrote {size} to {output}.")

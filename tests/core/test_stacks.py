"""Stacks read together: band labels, opening on one grid, and the read-ahead scan visiting every window in order."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.transform import from_origin

from casa_nep_plugin.core.engine import Callbacks
from casa_nep_plugin.core.errors import CasaCancelled, CasaInputError
from casa_nep_plugin.core.stacks import band_labels, close_stacks, open_stacks, scan_stacks, stack_periods
from tests.rasters import write

T = from_origin(500000.0, 2500000.0, 100.0, 100.0)


def test_band_labels():
    assert band_labels(["2021-01", "2021-02"]) == (["2021_01", "2021_02"], ["2021-01", "2021-02"])
    assert band_labels(["2021", "RH/NPP ratio"]) == (["2021", "rh_npp_ratio"], None)
    assert band_labels([None, ""]) == (["b1", "b2"], None)
    assert band_labels(["a b", "a-b"]) == (["b1", "b2"], None)  # labels that would collide: numbered


def test_stack_periods(tmp_path):
    path = write(tmp_path / "s.tif", np.zeros((3, 2, 2), np.float32), ["2021-11", "2021-12", "2022-01"], transform=T)
    assert stack_periods(path) == (["2021_11", "2021_12", "2022_01"], ["2021", "2022"])


def test_open_stacks_on_one_grid(tmp_path):
    a = write(tmp_path / "a.tif", np.ones((2, 4, 4), np.float32), ["2021-01", "2021-02"], transform=T)
    other = write(
        tmp_path / "b.tif",
        np.ones((2, 2, 2), np.float32),
        ["2021-01", "2021-02"],
        transform=from_origin(500000.0, 2500000.0, 200.0, 200.0),
    )
    with pytest.raises(CasaInputError, match="at least one raster") as err:
        open_stacks({"npp": None, "rh": None})
    assert err.value.parameter == "NPP/RH"
    with pytest.raises(CasaInputError, match="not on the grid of NPP") as err:
        open_stacks({"npp": a, "rh": other}, same_grid=True)
    assert err.value.parameter == "RH"
    warnings: list[str] = []
    grid, sts = open_stacks({"npp": a, "rh": other}, warning=warnings.append)
    try:
        assert (grid.width, grid.height) == (4, 4)
        assert [st.aligned for st in sts] == [True, False]
        assert "RH: not on the grid of NPP; resampled bilinearly onto it." in warnings
        assert "NPP: 2021 has 2 months; its yearly columns sum those." in warnings
    finally:
        close_stacks(sts)


@pytest.mark.parametrize("threads", [1, 2])
def test_scan_visits_every_window_once_in_order(tmp_path, threads):
    data = np.arange(2 * 600 * 300, dtype=np.float32).reshape(2, 600, 300)  # 3 x 2 windows of 256 cells
    data[1, 5, 7] = -9999.0
    path = write(tmp_path / "s.tif", data, ["2021-01", "2021-02"], transform=T)
    grid, sts = open_stacks({"npp": path})
    seen = np.full(data.shape, np.nan, np.float32)
    offsets: list[tuple[int, int]] = []

    def visit(window, arrays):
        r, c = int(window.row_off), int(window.col_off)
        offsets.append((r, c))
        assert np.isnan(seen[:, r : r + int(window.height), c : c + int(window.width)]).all()  # once
        seen[:, r : r + int(window.height), c : c + int(window.width)] = arrays[0]

    try:
        scan_stacks(grid, sts, visit, Callbacks(), block_values=1000, threads=threads)
    finally:
        close_stacks(sts)
    expected = data.copy()
    expected[1, 5, 7] = np.nan  # nodata read as NaN
    np.testing.assert_array_equal(seen, expected)
    assert offsets == [(0, 0), (0, 256), (256, 0), (256, 256), (512, 0), (512, 256)]


def test_scan_stops_when_cancelled(tmp_path):
    path = write(tmp_path / "s.tif", np.zeros((1, 600, 300), np.float32), ["2021-01"], transform=T)
    grid, sts = open_stacks({"npp": path})
    visited: list[int] = []
    try:
        with pytest.raises(CasaCancelled):
            scan_stacks(
                grid,
                sts,
                lambda w, a: visited.append(1),
                Callbacks(is_cancelled=lambda: len(visited) >= 2),
                block_values=1000,
                threads=2,
            )
    finally:
        close_stacks(sts)
    assert len(visited) == 2

"""Exact cell coverage: every cell's covered fraction equals the polygon's intersection with the cell (shapely)."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from shapely.geometry import Point, Polygon, box

from casa_nep_plugin.core.affine_ops import matmul
from casa_nep_plugin.core.coverage import Segments, cell_coverage, pixel_rings


def brute_coverage(poly: Polygon, transform: Affine, h: int, w: int) -> np.ndarray:
    out = np.zeros((h, w))
    for r in range(h):
        for c in range(w):
            x0, y1 = matmul(transform, (c, r))
            x1, y0 = matmul(transform, (c + 1, r + 1))
            cell = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            out[r, c] = poly.intersection(cell).area / cell.area
    return out


@pytest.mark.parametrize("seed", range(6))
def test_cell_coverage_equals_polygon_intersection_areas(seed):
    rng = np.random.default_rng(seed)
    t = Affine(0.5, 0.0, 10.0, 0.0, -0.5, 20.0)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 25))
    rad = rng.uniform(0.5, 3.5, 25)
    star = Polygon(np.c_[12 + rad * np.cos(ang), 17 + rad * np.sin(ang)])
    hole = Point(12, 17).buffer(0.4)
    poly = star.difference(hole) if star.contains(hole) else star
    inv = ~t
    cov = cell_coverage(Segments.of(pixel_rings(poly, inv)), 0, 0, 12, 12)
    np.testing.assert_allclose(cov, brute_coverage(poly, t, 12, 12), atol=1e-12)
    # a window of the grid gives the same cells
    sub = cell_coverage(Segments.of(pixel_rings(poly, inv)), 3, 2, 5, 7)
    np.testing.assert_allclose(sub, cov[3:8, 2:9], atol=1e-12)


def test_cell_coverage_of_a_polygon_larger_than_the_window():
    poly = box(-100, -100, 100, 100)
    cov = cell_coverage(Segments.of(pixel_rings(poly, ~Affine(1, 0, 0, 0, -1, 5))), 0, 0, 5, 5)
    np.testing.assert_array_equal(cov, np.ones((5, 5)))


def test_rings_are_oriented_exterior_positive_and_holes_negative():
    # a clockwise exterior (in pixel space) with a hole: the rings come back exterior positive, hole negative
    square = Polygon([(0, 0), (0, 4), (4, 4), (4, 0)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    rings = pixel_rings(square, ~Affine(1, 0, 0, 0, -1, 4))

    def shoelace(r):
        return 0.5 * np.sum(r[:-1, 0] * r[1:, 1] - r[1:, 0] * r[:-1, 1])

    assert [shoelace(r) for r in rings] == [16.0, -1.0]
    # the hole's cell is empty, the others full
    cov = cell_coverage(Segments.of(rings), 0, 0, 4, 4)
    expected = np.ones((4, 4))
    expected[2, 1] = 0.0
    np.testing.assert_allclose(cov, expected, atol=1e-12)


def test_a_polygon_outside_the_window_covers_nothing():
    segs = Segments.of(pixel_rings(box(10, 10, 12, 12), ~Affine(1, 0, 0, 0, -1, 5)))
    assert not cell_coverage(segs, 0, 0, 5, 5).any()
    assert cell_coverage(Segments.of([]), 0, 0, 2, 3).shape == (2, 3)


@pytest.mark.parametrize("x", [0.25, 0.5, 0.75])
def test_a_vertical_edge_splits_a_cell_at_its_x(x):
    # the left part of a 1 x 1 cell, cut at x: coverage x, whatever row band
    segs = Segments.of(pixel_rings(box(0, 0, x, 1), ~Affine(1, 0, 0, 0, -1, 1)))
    assert cell_coverage(segs, 0, 0, 1, 2)[0].tolist() == pytest.approx([x, 0.0], abs=1e-12)

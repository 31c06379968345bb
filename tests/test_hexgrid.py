import math

import pytest
from hypothesis import given, strategies as st

from game.hexgrid import (DIRECTIONS, Grid, Hex, axial_to_offset, distance, edge_corners, hex_range,
                          hex_to_pixel, line, neighbour, neighbours, offset_to_axial, pixel_to_hex, ring)

coords = st.integers(-50, 50)


@given(coords, coords)
def test_neighbours_are_at_distance_one(q, r):
    h = Hex(q, r)
    assert all(distance(h, n) == 1 for n in neighbours(h))
    assert len(set(neighbours(h))) == 6


@given(coords, coords, coords, coords)
def test_distance_symmetric_and_line_length(q1, r1, q2, r2):
    a, b = Hex(q1, r1), Hex(q2, r2)
    assert distance(a, b) == distance(b, a)
    ln = line(a, b)
    assert ln[0] == a and ln[-1] == b and len(ln) == distance(a, b) + 1
    assert all(distance(x, y) == 1 for x, y in zip(ln, ln[1:]))


@pytest.mark.parametrize("radius", [0, 1, 2, 5])
def test_ring_and_range_sizes(radius):
    c = Hex(3, -2)
    assert len(ring(c, radius)) == (1 if radius == 0 else 6 * radius)
    assert all(distance(c, h) == radius for h in ring(c, radius))
    assert len(hex_range(c, radius)) == 1 + 3 * radius * (radius + 1)


@given(coords, coords, st.floats(5, 80))
def test_pixel_round_trip(q, r, size):
    h = Hex(q, r)
    x, y = hex_to_pixel(h, size)
    assert pixel_to_hex(x, y, size) == h
    assert pixel_to_hex(x + size * 0.4, y - size * 0.4, size) == h


@given(st.integers(0, 40), st.integers(0, 40))
def test_offset_round_trip(col, row):
    assert axial_to_offset(offset_to_axial(col, row)) == (col, row)


def test_edge_corners_are_shared_with_the_neighbour():
    h = Hex(2, 3)
    for d in range(6):
        a = edge_corners(h, d, 10)
        b = edge_corners(neighbour(h, d), (d + 3) % 6, 10)
        pts_a = sorted((round(x, 6), round(y, 6)) for x, y in a)
        pts_b = sorted((round(x, 6), round(y, 6)) for x, y in b)
        assert pts_a == pts_b
        # the side's midpoint lies halfway to the neighbour's centre
        mx = (a[0][0] + a[1][0]) / 2
        my = (a[0][1] + a[1][1]) / 2
        cx, cy = hex_to_pixel(h, 10)
        nx, ny = hex_to_pixel(neighbour(h, d), 10)
        assert math.isclose(mx, (cx + nx) / 2, abs_tol=1e-6) and math.isclose(my, (cy + ny) / 2, abs_tol=1e-6)


def test_grid_neighbour_table_and_cells():
    g = Grid(7, 5)
    for c in range(g.n_cells):
        assert g.cell(g.hex(c)) == c
        for nb in g.neighbours(c):
            assert g.distance(c, nb) == 1
    assert len(g.neighbours(g.cell_of_offset(3, 2))) == 6
    assert len(g.neighbours(0)) in (2, 3)


def test_georeferenced_grid_round_trip_and_scale():
    g = Grid(57, 60, 5.0, 36.6, 38.2)
    assert g.latlon(0) == pytest.approx((36.6, 38.2))
    for c in (0, 100, 1234, g.n_cells - 1):
        lat, lon = g.latlon(c)
        assert g.cell_at_latlon(lat, lon) == c
    # neighbouring centres are 5 km apart
    a, b = g.cell_of_offset(10, 10), g.cell_of_offset(11, 10)
    (la, lo), (lb, lob) = g.latlon(a), g.latlon(b)
    dx = (lob - lo) * 111.32 * math.cos(math.radians(la))
    dy = (lb - la) * 111.32
    assert math.hypot(dx, dy) == pytest.approx(5.0, rel=0.02)
    # the south-east corner reaches the bottom of the Middle Euphrates box
    lat, lon = g.latlon(g.n_cells - 1)
    assert 34.2 < lat < 34.4 and 41.2 < lon < 41.4
    assert g.cell_at_latlon(10.0, 10.0) is None

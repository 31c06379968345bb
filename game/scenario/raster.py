"""Geometry for the loader, vectorised with numpy: which hexes a polygon, buffered line or river
touches, and how a road polyline becomes a chain of adjacent cells.

Everything works in the grid's km plane (x east, y south, hex [0, 0] at the origin).  Work is
proportional to the shape's size on the map, not to the map: polygons are scan-converted row by
row, lines and rivers only test the hexes in each segment's bounding box, and segments are
clipped to the map first.  A ``Budget`` caps the total number of hex tests so a hostile file
cannot make loading slow.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Sequence

import numpy as np

from game import hexgrid
from game.hexgrid import Grid

SQRT3 = math.sqrt(3.0)
# A tiny shift applied to river lines so a river through a hex centre or corner still falls
# consistently on one side (no gaps, no islands).
_NUDGE = np.array([1.234567e-7, 7.654321e-8])
CALL_COST = 500          # budget units charged per vectorised step (covers Python overhead)


class TooComplex(Exception):
    """The geometry would take too long to rasterise."""


class Budget:
    """Counts hex tests; ``spend`` raises TooComplex past the limit."""

    def __init__(self, limit: float = 1e7):
        self.limit = limit
        self.used = 0.0

    def spend(self, n: float) -> None:
        self.used += n + CALL_COST
        if self.used > self.limit:
            raise TooComplex(f"map geometry is too complex to rasterise (more than "
                             f"{int(self.limit)} hex tests); use fewer or simpler shapes")


UNLIMITED = Budget(float("inf"))


def row_step(grid: Grid) -> float:
    return grid.hex_km * SQRT3 / 2.0


def centres_km(grid: Grid) -> np.ndarray:
    """(n_cells, 2) hex centres in km, computed from offset coords without a Python loop."""
    cells = np.arange(grid.n_cells)
    col, row = cells % grid.width, cells // grid.width
    x = grid.hex_km * (col + 0.5 * (row & 1))
    y = row_step(grid) * row
    return np.stack([x, y], axis=1).astype(float)


def project(grid: Grid, latlon: Sequence[tuple[float, float]]) -> np.ndarray:
    """(k, 2) km coordinates of lat/lon points."""
    if not latlon:
        return np.zeros((0, 2))
    return np.array([grid.latlon_to_km(lat, lon) for lat, lon in latlon], dtype=float)


def cells_at_km(grid: Grid, pts: np.ndarray) -> np.ndarray:
    """Cell under each km point (-1 off the map): vectorised pixel->hex with cube rounding."""
    if len(pts) == 0:
        return np.zeros(0, dtype=np.int64)
    size = grid.hex_km / SQRT3
    px, py = pts[:, 0] / size, pts[:, 1] / size
    fq = SQRT3 / 3.0 * px - py / 3.0
    fr = 2.0 / 3.0 * py
    fs = -fq - fr
    q, r, s = np.rint(fq), np.rint(fr), np.rint(fs)
    dq, dr, ds = np.abs(q - fq), np.abs(r - fr), np.abs(s - fs)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    ok = np.isfinite(q) & np.isfinite(r) & (np.abs(q) < 1e9) & (np.abs(r) < 1e9)
    q = np.where(ok, q, -1e9).astype(np.int64)
    r = np.where(ok, r, -1e9).astype(np.int64)
    col = q + (r - (r & 1)) // 2
    ok &= (col >= 0) & (col < grid.width) & (r >= 0) & (r < grid.height)
    return np.where(ok, r * grid.width + col, -1)


def map_box(grid: Grid, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """The km rectangle holding every hex centre, grown by ``margin``."""
    lo = np.array([0.0, 0.0]) - margin
    hi = np.array([grid.hex_km * (grid.width - 0.5), row_step(grid) * (grid.height - 1)]) + margin
    return lo, hi


def clip_segment(a: np.ndarray, b: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Liang-Barsky: the part of segment a-b inside the box, or None."""
    t0, t1 = 0.0, 1.0
    d = b - a
    for k in range(2):
        for p, q in ((-d[k], a[k] - lo[k]), (d[k], hi[k] - a[k])):
            if p == 0:
                if q < 0:
                    return None
                continue
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return None
    return a + t0 * d, a + t1 * d


def cells_in_box(grid: Grid, lo: np.ndarray, hi: np.ndarray, budget: Budget) -> np.ndarray:
    """Cells whose centre may lie in the km box (a superset by at most one column/row)."""
    dy = row_step(grid)
    r0 = max(0, int(math.floor(lo[1] / dy)))
    r1 = min(grid.height - 1, int(math.ceil(hi[1] / dy)))
    c0 = max(0, int(math.floor(lo[0] / grid.hex_km - 0.5)))
    c1 = min(grid.width - 1, int(math.ceil(hi[0] / grid.hex_km)))
    if r0 > r1 or c0 > c1:
        return np.zeros(0, dtype=np.int64)
    budget.spend((r1 - r0 + 1) * (c1 - c0 + 1))
    rows = np.arange(r0, r1 + 1)[:, None]
    cols = np.arange(c0, c1 + 1)[None, :]
    return (rows * grid.width + cols).ravel()


def polygon_mask(grid: Grid, poly: np.ndarray, budget: Budget = UNLIMITED) -> np.ndarray:
    """Cells whose centre is inside the polygon ring (even-odd rule), by scan conversion:
    each polygon edge toggles, in every row it crosses, the cells west of the crossing."""
    w, h, dy = grid.width, grid.height, row_step(grid)
    x1, y1 = poly[:, 0], poly[:, 1]
    x2, y2 = np.roll(x1, 1), np.roll(y1, 1)
    ymin, ymax = np.minimum(y1, y2), np.maximum(y1, y2)
    keep = (y1 != y2) & (ymax >= 0) & (ymin <= dy * (h - 1))
    x1, y1, x2, y2, ymin, ymax = (v[keep] for v in (x1, y1, x2, y2, ymin, ymax))
    r_lo = np.clip(np.ceil(ymin / dy), 0, h).astype(np.int64)          # rows with ymin <= y_r
    r_hi = np.clip(np.ceil(ymax / dy) - 1, -1, h - 1).astype(np.int64)  # ... and y_r < ymax
    counts = np.maximum(r_hi - r_lo + 1, 0)
    total = int(counts.sum())
    out = np.zeros((h, w), dtype=bool)
    if total == 0:
        return out.reshape(-1)
    top, bottom = int(r_lo[counts > 0].min()), int(r_hi[counts > 0].max())
    budget.spend(total + (bottom - top + 1) * (w + 1))
    edge = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    rows = r_lo[edge] + (np.arange(total) - starts[edge])
    yr = rows * dy
    xint = x1[edge] + (yr - y1[edge]) * (x2[edge] - x1[edge]) / (y2[edge] - y1[edge])
    k = np.ceil(xint / grid.hex_km - 0.5 * (rows & 1))   # cells c < k lie west of xint
    k = np.clip(k, 0, w).astype(np.int64)
    toggles = np.zeros((bottom - top + 1, w + 1), dtype=np.int64)
    np.add.at(toggles, (rows - top, k), 1)
    # cell c is toggled by every crossing with k > c: a suffix sum from c + 1
    suffix = np.cumsum(toggles[:, ::-1], axis=1)[:, ::-1]
    out[top:bottom + 1] = suffix[:, 1:] % 2 == 1
    return out.reshape(-1)


def _segment_distance(pts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    denom = float(ab @ ab)
    if denom == 0.0:
        return np.hypot(pts[:, 0] - a[0], pts[:, 1] - a[1])
    t = np.clip(((pts - a) @ ab) / denom, 0.0, 1.0)
    proj = a + t[:, None] * ab
    return np.hypot(pts[:, 0] - proj[:, 0], pts[:, 1] - proj[:, 1])


def line_mask(grid: Grid, centres: np.ndarray, line: np.ndarray, width_km: float,
              budget: Budget = UNLIMITED) -> np.ndarray:
    """Cells whose centre lies within ``width_km`` of the polyline."""
    out = np.zeros(grid.n_cells, dtype=bool)
    box_lo, box_hi = map_box(grid, width_km + grid.hex_km)
    segs = list(zip(line[:-1], line[1:])) if len(line) > 1 else [(line[0], line[0])]
    for a, b in segs:
        clipped = clip_segment(a, b, box_lo, box_hi)
        if clipped is None:
            continue
        a, b = clipped
        cand = cells_in_box(grid, np.minimum(a, b) - width_km, np.maximum(a, b) + width_km,
                            budget)
        if len(cand):
            out[cand] |= _segment_distance(centres[cand], a, b) <= width_km
    return out


def forward_edges(grid: Grid) -> np.ndarray:
    """(n_cells, 3): each cell's neighbours with a larger index (its edges a < b), -1 padded."""
    nbr = grid.neighbour_table.astype(np.int64)
    cells = np.arange(grid.n_cells)[:, None]
    fwd = np.where(nbr > cells, nbr, -1)
    fwd.sort(axis=1)
    return fwd[:, ::-1][:, :3].copy()


def grid_edges(grid: Grid) -> np.ndarray:
    """(n_edges, 2) all pairs of adjacent cells (a, b) with a < b."""
    fwd = forward_edges(grid)
    a = np.repeat(np.arange(grid.n_cells), 3)
    b = fwd.reshape(-1)
    keep = b >= 0
    return np.stack([a[keep], b[keep]], axis=1)


def edges_crossing(grid: Grid, centres: np.ndarray, fwd: np.ndarray, line: np.ndarray,
                   budget: Budget = UNLIMITED) -> set[tuple[int, int]]:
    """Edges whose centre-to-centre segment crosses the polyline (the river runs on that side).

    Only edges near each segment are tested: both centres of a crossed edge lie within one hex
    of the crossing point, so the segment's bounding box grown by a hex finds them all."""
    if len(line) < 2:
        return set()
    line = line + _NUDGE
    pad = grid.hex_km
    box_lo, box_hi = map_box(grid, 2 * pad)
    found: list[np.ndarray] = []
    eps = 1e-9
    for p, q in zip(line[:-1], line[1:]):
        clipped = clip_segment(p, q, box_lo, box_hi)
        if clipped is None:
            continue
        cp, cq = clipped
        cand = cells_in_box(grid, np.minimum(cp, cq) - pad, np.maximum(cp, cq) + pad, budget)
        if len(cand) == 0:
            continue
        ea = np.repeat(cand, 3)
        eb = fwd[cand].reshape(-1)
        keep = eb >= 0
        ea, eb = ea[keep], eb[keep]
        a, r = centres[ea], centres[eb] - centres[ea]
        s = q - p
        denom = r[:, 0] * s[1] - r[:, 1] * s[0]
        ap = p - a
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (ap[:, 0] * s[1] - ap[:, 1] * s[0]) / denom
            u = (ap[:, 0] * r[:, 1] - ap[:, 1] * r[:, 0]) / denom
        ok = (denom != 0) & (t > 0) & (t < 1) & (u >= -eps) & (u <= 1 + eps)
        if ok.any():
            found.append(np.stack([ea[ok], eb[ok]], axis=1))
    if not found:
        return set()
    return {(int(x), int(y)) for x, y in np.concatenate(found)}


def nearest_edge(centres: np.ndarray, edges: Sequence[tuple[int, int]] | set[tuple[int, int]],
                 point: np.ndarray) -> tuple[tuple[int, int], float]:
    """The edge whose side midpoint is closest to ``point``, and that distance in km."""
    arr = np.array(sorted(edges), dtype=np.int64)
    mid = (centres[arr[:, 0]] + centres[arr[:, 1]]) / 2.0
    d = np.hypot(mid[:, 0] - point[0], mid[:, 1] - point[1])
    i = int(np.argmin(d))
    return (int(arr[i, 0]), int(arr[i, 1])), float(d[i])


def _bfs_path(grid: Grid, a: int, b: int) -> list[int]:
    """Shortest in-map path of adjacent cells from a to b (fallback when a hex line leaves the map)."""
    prev = {a: -1}
    todo = deque([a])
    while todo:
        c = todo.popleft()
        if c == b:
            break
        for n in grid.neighbours(c):
            if n not in prev:
                prev[n] = c
                todo.append(n)
    out = [b]
    while out[-1] != a:
        out.append(prev[out[-1]])
    return out[::-1]


def hex_path(grid: Grid, a: int, b: int) -> list[int]:
    """Adjacent cells from a to b inclusive: the hex line, or a BFS path if the line leaves the map."""
    hexes = hexgrid.line(grid.hex(a), grid.hex(b))
    if all(grid.in_bounds(h) for h in hexes):
        cells = [grid.cell(h) for h in hexes]
        if all(grid.distance(x, y) <= 1 for x, y in zip(cells, cells[1:])):
            return cells
    return _bfs_path(grid, a, b)


def chain(grid: Grid, cells: Sequence[int], budget: Budget = UNLIMITED) -> list[int]:
    """Join cells into one chain of adjacent cells, dropping repeats and filling gaps."""
    out: list[int] = []
    for c in cells:
        if not out:
            out.append(c)
        elif c != out[-1]:
            if grid.distance(out[-1], c) == 1:
                out.append(c)
            else:
                budget.spend(50 * grid.distance(out[-1], c))
                out.extend(hex_path(grid, out[-1], c)[1:])
    return out


def polyline_runs(grid: Grid, line: np.ndarray, step_km: float,
                  budget: Budget = UNLIMITED) -> list[list[int]]:
    """Sample a km polyline every ``step_km``; return chains of adjacent cells, split where the
    line leaves the map (a road that runs off the edge and back becomes two pieces)."""
    box_lo, box_hi = map_box(grid, 2 * grid.hex_km)
    samples: list[np.ndarray] = []
    gap = np.array([[np.inf, np.inf]])          # maps to no cell: splits the run
    for a, b in zip(line[:-1], line[1:]):
        clipped = clip_segment(a, b, box_lo, box_hi)
        if clipped is None:
            samples.append(gap)
            continue
        ca, cb = clipped
        n = max(1, int(math.ceil(float(np.hypot(*(cb - ca))) / step_km)))
        budget.spend(n)
        t = np.arange(0, n + 1, dtype=float)[:, None] / n
        samples.append(ca + t * (cb - ca))
    if not samples:
        return []
    cells = cells_at_km(grid, np.concatenate(samples))
    runs: list[list[int]] = []
    current: list[int] = []
    for c in cells.tolist():
        if c < 0:
            if current:
                runs.append(current)
            current = []
        elif not current or current[-1] != c:
            current.append(c)
    if current:
        runs.append(current)
    return [chain(grid, r, budget) for r in runs]


def disc_mask(grid: Grid, cell: int, radius: int, budget: Budget = UNLIMITED) -> np.ndarray:
    """Cells within ``radius`` hexes of ``cell`` (only the disc's bounding box is tested)."""
    out = np.zeros(grid.n_cells, dtype=bool)
    centre = _centre(grid, cell)
    reach = (radius + 1) * grid.hex_km
    cand = cells_in_box(grid, centre - reach, centre + reach, budget)
    col, row = cand % grid.width, cand // grid.width
    q, r = col - (row - (row & 1)) // 2, row
    c_col, c_row = cell % grid.width, cell // grid.width
    cq, cr = c_col - (c_row - (c_row & 1)) // 2, c_row
    dq, dr = q - cq, r - cr
    out[cand[(np.abs(dq) + np.abs(dr) + np.abs(dq + dr)) // 2 <= radius]] = True
    return out


def _centre(grid: Grid, cell: int) -> np.ndarray:
    col, row = cell % grid.width, cell // grid.width
    return np.array([grid.hex_km * (col + 0.5 * (row & 1)), row_step(grid) * row])

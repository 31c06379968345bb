"""Deconfliction lines -> which wing's airspace each hex is.

A line is a lat/lon polyline.  Like a river it runs on the hex sides its course crosses between
neighbouring hex centres; the hexes beside it are split into the side to the left of its
direction of travel and the side to the right by flood-filling without crossing those sides,
so the zone border always follows hex sides exactly.  A line covers the strip of hexes whose
nearest point on it is not beyond either end (and, with ``depth_km``, no farther than that):
hexes past the ends are not covered.  Hexes no active line covers are *contested* (-1).  Later
lines in the scenario's list win where two overlap.

The result is an int8 array (cell -> index into ``AirSpec.wings``, -1 contested), cached on the
scenario per set of active line geometries, so clones and AI search share it.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from game.hexgrid import Grid
from game.rules.airspace.airstate import air_spec
from game.scenario.air_section import AirSpec, LineSpec
from game.state import GameEvent, GameState

CONTESTED = -1
_CACHE_KEY = "_air_zones"
_CACHE_LIMIT = 64
# A tiny irrational-ish shift so a line through a hex centre or corner falls on one side.
_NUDGE = np.array([1.234567e-7, 7.654321e-8])


def line_points(state: GameState, line: LineSpec) -> tuple[tuple[float, float], ...]:
    """The line's course now (an event may have redrawn or extended it)."""
    air = state.air
    if air is not None and line.id in air.line_points:
        return air.line_points[line.id]
    return line.points


def is_active(state: GameState, line: LineSpec) -> bool:
    if line.from_turn > state.turn:
        return False
    if line.until_turn is not None and state.turn >= line.until_turn:
        return False
    return state.air is None or line.id not in state.air.line_suspended


def active_lines(state: GameState) -> list[LineSpec]:
    spec = air_spec(state.scenario)
    if spec is None:
        return []
    return [ln for ln in spec.lines if is_active(state, ln)]


def zones(state: GameState) -> np.ndarray:
    """(n_cells,) int8: index of the wing whose airspace each hex is, -1 where contested."""
    spec = air_spec(state.scenario)
    grid = state.scenario.grid
    if spec is None:
        return np.full(grid.n_cells, CONTESTED, dtype=np.int8)
    air = state.air
    memo = getattr(air, "__dict__", {}).get("_zones_memo")
    # the zones depend on the turn (lines' dates), suspended lines and redrawn courses only
    if (memo is not None and memo[0] == state.turn and memo[1] is spec and memo[2] == air.line_suspended
            and memo[3] == air.line_points):
        return memo[4]
    key = tuple((ln.id, line_points(state, ln), ln.left, ln.right, ln.depth_km) for ln in active_lines(state))
    cache = state.scenario.extra.setdefault(_CACHE_KEY, {})
    got = cache.get(key)
    if got is None:
        got = compute_zones(grid, spec, key)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = got
    if air is not None and hasattr(air, "__dict__"):
        air.__dict__["_zones_memo"] = (state.turn, spec, set(air.line_suspended), dict(air.line_points), got)
    return got


def compute_zones(grid: Grid, spec: AirSpec, lines: tuple) -> np.ndarray:
    out = np.full(grid.n_cells, CONTESTED, dtype=np.int8)
    index = {w.id: i for i, w in enumerate(spec.wings)}
    for _lid, pts, left, right, depth in lines:
        left_i = index.get(left, CONTESTED) if left else CONTESTED
        right_i = index.get(right, CONTESTED) if right else CONTESTED
        z = line_zone(grid, pts, left_i, right_i, depth)
        out = np.where(z != CONTESTED, z, out).astype(np.int8)
    out.setflags(write=False)
    return out


def line_zone(grid: Grid, points_latlon, left: int, right: int, depth_km: float | None) -> np.ndarray:
    """Zones of one line: ``left``/``right`` on each side of its course, -1 where it does not reach."""
    n = grid.n_cells
    out = np.full(n, CONTESTED, dtype=np.int8)
    pts = np.array([grid.latlon_to_km(lat, lon) for lat, lon in points_latlon], dtype=float).reshape(-1, 2)
    if len(pts) >= 2:
        keep = np.concatenate([[True], np.hypot(*(pts[1:] - pts[:-1]).T) > 1e-9])
        pts = pts[keep]
    if len(pts) < 2:
        return out
    centres = grid.centres_km()
    a, ab = pts[:-1], pts[1:] - pts[:-1]                       # segments: (s, 2)
    rel = centres[:, None, :] - a[None, :, :]                 # (n, s, 2)
    t = (rel * ab[None]).sum(axis=2) / (ab * ab).sum(axis=1)[None]
    proj = a[None] + np.clip(t, 0.0, 1.0)[..., None] * ab[None]
    dist = np.hypot(*(centres[:, None, :] - proj).transpose(2, 0, 1))
    j = np.argmin(dist, axis=1)
    rows = np.arange(n)
    tj, dj = t[rows, j], dist[rows, j]
    s = len(ab)
    covered = ~(((j == 0) & (tj <= 0.0)) | ((j == s - 1) & (tj >= 1.0)))
    if depth_km is not None:
        covered &= dj <= depth_km
    # left of travel (dx, dy) on a north-up map (x east, y south) is the normal (dy, -dx)
    cross = rel[rows, j, 0] * ab[j, 1] - rel[rows, j, 1] * ab[j, 0]
    side = np.sign(cross)
    cut = crossed_sides(grid, centres, pts)
    nbr = grid.neighbour_table
    comp = np.full(n, -1, dtype=np.int64)
    cov = covered.tolist()
    for start in np.flatnonzero(covered).tolist():
        if comp[start] >= 0:
            continue
        members = [start]
        comp[start] = start
        todo = deque([start])
        while todo:
            c = todo.popleft()
            for nb in nbr[c].tolist():
                if nb < 0 or not cov[nb] or comp[nb] >= 0:
                    continue
                if ((c, nb) if c < nb else (nb, c)) in cut:
                    continue
                comp[nb] = start
                members.append(nb)
                todo.append(nb)
        vote = float(side[members].sum())
        if vote > 0:
            out[members] = left
        elif vote < 0:
            out[members] = right
    return out


def crossed_sides(grid: Grid, centres: np.ndarray, line: np.ndarray) -> set[tuple[int, int]]:
    """Hex sides (a, b), a < b, whose centre-to-centre segment the polyline crosses."""
    nbr = grid.neighbour_table
    a = np.repeat(np.arange(grid.n_cells), 6)
    b = nbr.reshape(-1).astype(np.int64)
    keep = b > a
    a, b = a[keep], b[keep]
    ea, r = centres[a], centres[b] - centres[a]
    line = line + _NUDGE
    hit = np.zeros(len(a), dtype=bool)
    pad = grid.hex_km
    for p, q in zip(line[:-1], line[1:]):
        lo, hi = np.minimum(p, q) - pad, np.maximum(p, q) + pad
        cand = np.flatnonzero((ea[:, 0] >= lo[0]) & (ea[:, 0] <= hi[0]) & (ea[:, 1] >= lo[1]) & (ea[:, 1] <= hi[1]))
        if len(cand) == 0:
            continue
        s = q - p
        rc, ap = r[cand], p - ea[cand]
        denom = rc[:, 0] * s[1] - rc[:, 1] * s[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (ap[:, 0] * s[1] - ap[:, 1] * s[0]) / denom
            u = (ap[:, 0] * rc[:, 1] - ap[:, 1] * rc[:, 0]) / denom
        ok = (denom != 0) & (t > 0) & (t < 1) & (u >= -1e-9) & (u <= 1 + 1e-9)
        hit[cand[ok]] = True
    return {(int(x), int(y)) for x, y in zip(a[hit], b[hit])}


def zone_owner(state: GameState, cell: int) -> str | None:
    """Id of the wing whose airspace ``cell`` is, or None if contested."""
    spec = air_spec(state.scenario)
    if spec is None:
        return None
    z = int(zones(state)[cell])
    return None if z < 0 else spec.wings[z].id


def note_line_changes(state: GameState, out: list[GameEvent]) -> None:
    """Log lines coming into or going out of force (dates, events) since the last check."""
    if state.air is None:
        return
    spec = air_spec(state.scenario)
    if spec is None:
        return
    now = tuple(ln.id for ln in active_lines(state))
    before = state.air.active_lines
    if now == before:
        return
    names = {ln.id: ln.name or ln.id for ln in spec.lines}
    for lid in now:
        if lid not in before:
            out.append(GameEvent("lines", f"Deconfliction line in force: {names[lid]}",
                                 data={"line": lid, "active": True}, turn=state.turn))
    for lid in before:
        if lid not in now:
            out.append(GameEvent("lines", f"Deconfliction line lapses: {names[lid]}",
                                 data={"line": lid, "active": False}, turn=state.turn))
    state.air.active_lines = now

"""The map renderer: terrain, rivers, roads, names, objectives, control, fog, counters, overlays.

Speed comes from layering.  The map is cut into square tiles per discrete zoom level:

* a *static* tile (terrain, textures, grid, roads, rivers, bridges) is drawn once and kept;
* a *composite* tile adds what changes rarely (control tint and borders, air zones, fog,
  deconfliction lines, objective markers, place names) and is keyed on hashes of those
  arrays, so it is rebuilt only when control, visibility or the lines change;
* each frame blits the visible composite tiles, then the unit counters (cached surfaces) and
  the orders overlay (reachable hexes, path, targets, hover, marks).

A frame while panning is therefore ~30 tile blits plus ~100 counter blits.
"""
from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pygame

from game.hexgrid import SQRT3, pixel_to_hex
from game.scenario.model import Scenario
from game.ui import counters, theme
from game.ui.camera import BASE_HEX_PX, ZOOM_LEVELS, Camera, zoom_index
from game.ui.theme import Colour

TILE = 256
STAMP_VARIANTS = 6
MARGIN = BASE_HEX_PX * 0.75          # world pixels of paper around the hexes
# corner i sits at angle 60*i-30 with y pointing down (south); the side facing DIRECTIONS[d]
# (E, NE, NW, W, SW, SE) lies between these two corners
SIDE: dict[int, tuple[int, int]] = {0: (0, 1), 1: (5, 0), 2: (4, 5), 3: (3, 4), 4: (2, 3), 5: (1, 2)}
_CORNER_UNIT = np.array([(math.cos(math.radians(60 * i - 30)), math.sin(math.radians(60 * i - 30)))
                         for i in range(6)])


@dataclass
class Overlay:
    """What the orders layer wants highlighted (all optional)."""
    selected: str | None = None                 # unit id
    reachable: dict[int, float] | None = None   # cell -> cost
    path: list[int] | None = None
    attack_targets: list[int] | None = None
    hover: int | None = None
    show_lines: bool = True                     # deconfliction lines / air zones toggle
    show_grid: bool = True
    marks: dict[int, str] | None = None         # cell -> short label (e.g. odds "3:1")
    # the side to move's units: "fresh" (not used yet), "partial" (can still move or attack),
    # "done" (nothing left this turn); drawn as a green / yellow pip or a greyed counter
    unit_status: dict[str, str] | None = None


# --- air power adapter -------------------------------------------------------------------------

@dataclass
class AirLine:
    name: str
    points: list[tuple[float, float]]           # world coordinates (zoom 1)
    colour: Colour = (214, 28, 150)


@dataclass
class AirZone:
    name: str
    cells: np.ndarray                           # (n_cells,) bool
    colour: Colour


@dataclass
class AirPicture:
    lines: list[AirLine] = field(default_factory=list)
    zones: list[AirZone] = field(default_factory=list)
    key: int = 0                                # changes when anything drawn changes


_ZONE_COLOURS: list[Colour] = [(40, 90, 200), (200, 40, 40), (30, 150, 80), (150, 60, 170)]


def air_picture(state: Any, view: "MapView") -> AirPicture | None:
    """Read deconfliction lines and air zones from ``state.air`` without depending on its class.

    Understood (each optional): ``lines`` / ``deconfliction_lines``: a list of objects or dicts
    with ``points_latlon`` / ``latlon`` / ``points`` ((lat, lon) pairs), or ``edges`` ((a, b)
    cell pairs), or ``cells``; ``zones`` / ``zone_cells``: a dict wing-or-faction id -> bool
    (n_cells,) array (or a ``zone_of(wing)`` method together with ``wings``).
    """
    air = getattr(state, "air", None) if state is not None else None
    if air is None:
        return None
    pic = _safe_call(_from_airspace, state, view)
    if pic is not None:
        return pic
    scn = view.scenario
    pic = AirPicture()
    lines = _first_attr(air, ("lines", "deconfliction_lines", "active_lines"))
    if callable(lines):
        lines = _safe_call(lines)
    for i, ln in enumerate(lines or ()):
        pts = view.line_points(ln)
        if pts and len(pts) >= 2:
            name = str(_field(ln, "name") or _field(ln, "id") or f"line {i + 1}")
            pic.lines.append(AirLine(name, pts))
    zones = _first_attr(air, ("zones", "zone_cells", "zone_arrays"))
    if callable(zones):
        zones = _safe_call(zones)
    if zones is None and hasattr(air, "zone_of"):
        wings = _first_attr(air, ("wings",)) or {}
        ids = list(wings.keys()) if isinstance(wings, dict) else [getattr(w, "id", w) for w in wings]
        zones = {w: _safe_call(air.zone_of, w) for w in ids}
    if isinstance(zones, dict):
        for i, (wid, arr) in enumerate(sorted(zones.items(), key=lambda kv: str(kv[0]))):
            try:
                a = np.asarray(arr).astype(bool).reshape(-1)
            except (TypeError, ValueError):
                continue
            if a.shape[0] != scn.grid.n_cells:
                continue
            pic.zones.append(AirZone(str(wid), a, view.wing_colour(str(wid), i)))
    if not pic.lines and not pic.zones:
        return None
    h = hash(tuple((ln.name, tuple(ln.points)) for ln in pic.lines))
    h = hash((h,) + tuple((z.name, z.cells.tobytes()) for z in pic.zones))
    pic.key = h
    return pic


def _from_airspace(state: Any, view: "MapView") -> AirPicture | None:
    """The lines and zones as ``game.rules.airspace`` computes them (None if not available)."""
    try:
        from game.rules.airspace import lines as airlines
        from game.rules.airspace.airstate import air_spec
    except ImportError:
        return None
    spec = air_spec(state.scenario)
    if spec is None:
        return None
    pic = AirPicture()
    z = np.asarray(airlines.zones(state))
    borders = view.zone_borders(z)
    if borders:
        # the rules put a line on the hex sides between the two wings' airspace: draw it there
        pic.lines.extend(AirLine("deconfliction line", pts) for pts, _k in borders)
    else:
        for ln in airlines.active_lines(state):
            pts = [view.latlon_to_world(float(a), float(b)) for a, b in airlines.line_points(state, ln)]
            if len(pts) >= 2:
                pic.lines.append(AirLine(ln.name or ln.id, pts))
    for i, w in enumerate(spec.wings):
        cells = z == i
        if cells.any():
            pic.zones.append(AirZone(w.name or w.id, cells, view.wing_colour(w.id, i, getattr(w, "factions", ()))))
    if not pic.lines and not pic.zones:
        return None
    pic.key = hash((tuple((ln.name, tuple(ln.points)) for ln in pic.lines), z.tobytes()))
    return pic


def _first_attr(obj: Any, names: Iterable[str]) -> Any:
    for n in names:
        v = getattr(obj, n, None)
        if v is None and isinstance(obj, dict):
            v = obj.get(n)
        if v is not None:
            return v
    return None


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _safe_call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # an adapter must never take the renderer down
        return None


# --- geometry helpers --------------------------------------------------------------------------

def chaikin(pts: list[tuple[float, float]], rounds: int = 2, closed: bool = False) -> list[tuple[float, float]]:
    """Corner-cutting smoothing that keeps the end points: hex-side zigzags become curves."""
    for _ in range(rounds):
        if len(pts) < 3:
            return pts
        out = [pts[0]] if not closed else []
        n = len(pts)
        rng = range(n) if closed else range(n - 1)
        for i in rng:
            (x0, y0), (x1, y1) = pts[i], pts[(i + 1) % n]
            out.append((0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1))
            out.append((0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1))
        if not closed:
            out.append(pts[-1])
        pts = out
    return pts


def chain_segments(segs: list[tuple[tuple[float, float], tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    """Join segments sharing end points into as few polylines as possible."""
    def key(p: tuple[float, float]) -> tuple[int, int]:
        return round(p[0] * 100), round(p[1] * 100)

    adj: dict[tuple[int, int], list[int]] = {}
    pt: dict[tuple[int, int], tuple[float, float]] = {}
    for i, (a, b) in enumerate(segs):
        for p in (a, b):
            k = key(p)
            adj.setdefault(k, []).append(i)
            pt[k] = p
    used = [False] * len(segs)

    def walk(start: tuple[int, int]) -> list[tuple[float, float]]:
        line = [pt[start]]
        cur = start
        while True:
            nxt = next((i for i in adj[cur] if not used[i]), None)
            if nxt is None:
                return line
            used[nxt] = True
            a, b = segs[nxt]
            other = key(b) if key(a) == cur else key(a)
            line.append(pt[other])
            cur = other

    out = []
    for k in sorted(adj, key=lambda k: len(adj[k]) % 2 == 0):   # odd-degree ends first
        while any(not used[i] for i in adj[k]):
            out.append(walk(k))
    return [ln for ln in out if len(ln) >= 2]


def river_courses(segs: list[tuple[tuple[float, float], tuple[float, float]]]) -> list[tuple[list[tuple[float, float]], float]]:
    """A river's hex sides as drawable courses: (smoothed polyline, width scale).

    The longest path through each connected piece is the main stem, drawn full width and
    smoothed as one curve; what is left (island loops, sides where the course clips a hex
    corner) is drawn thinner, joined to the stem where it leaves it."""
    def key(p: tuple[float, float]) -> tuple[int, int]:
        return round(p[0] * 100), round(p[1] * 100)

    pt: dict[tuple[int, int], tuple[float, float]] = {}
    adj: dict[tuple[int, int], set[tuple[int, int]]] = {}
    for a, b in segs:
        ka, kb = key(a), key(b)
        if ka == kb:
            continue
        pt[ka], pt[kb] = a, b
        adj.setdefault(ka, set()).add(kb)
        adj.setdefault(kb, set()).add(ka)

    def bfs(start: tuple[int, int]) -> tuple[tuple[int, int], dict]:
        prev = {start: None}
        order = [start]
        for v in order:
            for w in sorted(adj[v]):
                if w not in prev:
                    prev[w] = v
                    order.append(w)
        return order[-1], prev

    used: set[frozenset] = set()
    seen: set[tuple[int, int]] = set()
    out: list[tuple[list[tuple[float, float]], float]] = []
    stems: list[list[tuple[float, float]]] = []
    for v0 in sorted(adj):
        if v0 in seen:
            continue
        far, prev = bfs(v0)
        seen.update(prev)
        end, prev = bfs(far)
        path = [end]
        while prev[path[-1]] is not None:
            path.append(prev[path[-1]])
        for x, y in zip(path, path[1:]):
            used.add(frozenset((x, y)))
        stem = chaikin([pt[k] for k in path], 2)
        stems.append(stem)
        out.append((stem, 1.0))
    rest = [(pt[a], pt[b]) for a in adj for b in adj[a] if a < b and frozenset((a, b)) not in used]
    for ln in chain_segments(rest):
        ends = [key(ln[0]), key(ln[-1])]
        spur = len(ln) == 2 and min(len(adj[e]) for e in ends) == 1
        sm = chaikin(ln, 2)
        # join each end that sits on a stem to the nearest point of the smoothed stem
        for i in (0, -1):
            if len(adj[key(ln[i])]) >= 3 and stems:
                px, py = ln[i]
                best = min((q for st in stems for q in st), key=lambda q: (q[0] - px) ** 2 + (q[1] - py) ** 2)
                sm = [best] + sm if i == 0 else sm + [best]
        out.append((sm, 0.55 if spur else 0.8))
    return out


def dashes(pts: list[tuple[float, float]], on: float, off: float) -> list[list[tuple[float, float]]]:
    """Split a polyline into dash polylines of length ``on`` separated by ``off``."""
    out: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    drawing, left = True, on
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        seg = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        if drawing and not cur:
            cur = [(x0, y0)]
        while seg - pos > left:
            pos += left
            t = pos / seg
            p = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if drawing:
                cur.append(p)
                out.append(cur)
                cur = []
            else:
                cur = [p]
            drawing = not drawing
            left = on if drawing else off
        left -= seg - pos
        if drawing:
            cur.append((x1, y1))
    if drawing and len(cur) >= 2:
        out.append(cur)
    return out


@dataclass
class _Stroke:
    """A polyline at one zoom level, with its bounding box for tile culling."""
    pts: list[tuple[float, float]]
    colour: Colour
    width: int
    bbox: tuple[float, float, float, float]
    round_joints: bool = True


def _stroke(pts: list[tuple[float, float]], colour: Colour, width: int, joints: bool = True) -> _Stroke:
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    pad = width
    return _Stroke(pts, colour, width, (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad), joints)


def _chunks(pts: list[tuple[float, float]], n: int = 24) -> list[list[tuple[float, float]]]:
    if len(pts) <= n:
        return [pts]
    return [pts[i:i + n + 1] for i in range(0, len(pts) - 1, n)]


def _draw_stroke(surf: pygame.Surface, s: _Stroke, dx: float, dy: float) -> None:
    pts = [(x - dx, y - dy) for x, y in s.pts]
    if s.width <= 1:
        pygame.draw.aalines(surf, s.colour, False, pts)
        return
    pygame.draw.lines(surf, s.colour, False, pts, s.width)
    if s.round_joints and s.width >= 3:
        r = s.width / 2 - 0.5
        for p in pts:
            pygame.draw.circle(surf, s.colour, p, r)


# --- per-zoom data -----------------------------------------------------------------------------

@dataclass
class _Label:
    surf: pygame.Surface
    rect: pygame.Rect                  # zoomed-world pixels


@dataclass
class _Level:
    zi: int
    zoom: float
    r: float                           # hex corner radius in pixels
    centres: np.ndarray                # (n, 2) zoomed-world pixels
    corners: np.ndarray                # (n, 6, 2)
    strokes_under: list[_Stroke]       # roads (under rivers)
    strokes_over: list[_Stroke]        # rivers and bridges
    labels: list[_Label]
    objectives: list[tuple[int, int, pygame.Rect]]   # (objective index, cell, rect)
    stamp_half: int = 0
    last_tile: tuple[int, int] | None = None
    tile_cells: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    stamps: dict[tuple[int, int], pygame.Surface | None] = field(default_factory=dict)


class _LRU(OrderedDict):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def get_(self, key: Any) -> Any:
        v = self.get(key)
        if v is not None:
            self.move_to_end(key)
        return v

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.cap:
            self.popitem(last=False)


class MapView:
    """Draws one scenario's map; keep one per scenario (its caches are the point)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        g = scenario.grid
        self.grid = g
        n = g.n_cells
        cols = np.arange(n) % g.width
        rows = np.arange(n) // g.width
        self._origin = (MARGIN + BASE_HEX_PX * SQRT3 / 2, MARGIN + BASE_HEX_PX)  # centre of hex (0, 0)
        self._centres = np.stack([self._origin[0] + BASE_HEX_PX * SQRT3 * (cols + 0.5 * (rows & 1)),
                                  self._origin[1] + BASE_HEX_PX * 1.5 * rows], axis=1)
        self._size = (int(math.ceil(2 * MARGIN + BASE_HEX_PX * SQRT3 * (g.width + 0.5))),
                      int(math.ceil(2 * MARGIN + BASE_HEX_PX * (1.5 * g.height + 0.5))))
        self._styles = [theme.terrain_style(t.id, t.name, t.colour, t.impassable) for t in scenario.terrain_types]
        self._terrain = np.asarray(scenario.terrain, dtype=np.int64)
        rnd = np.random.default_rng(12345)
        jitter = rnd.uniform(-0.035, 0.035, n)          # per-hex tone variation, like a printed map
        terr = self._terrain.tolist()
        self._fill = [theme.shade(self._styles[terr[c]].colour, 1 + float(jitter[c])) for c in range(n)]
        self._grid_col = [theme.shade(self._styles[terr[c]].colour, 0.8) for c in range(n)]
        self._faction_rgb = [theme.hex_to_rgb(f.colour) for f in scenario.factions]
        self._faction_idx = {f.id: i for i, f in enumerate(scenario.factions)}
        self._river_lines = self._build_rivers()
        self._road_lines = [(rd.kind, [tuple(self._centres[c]) for c in rd.cells]) for rd in scenario.roads
                            if len(rd.cells) >= 2]
        self._levels: dict[int, _Level] = {}
        self._static = _LRU(160)
        self._comp = _LRU(160)
        self._vis_cache: tuple[Any, Any] = (None, None)
        self._overlay_cache: tuple[Any, Any] = (None, None)
        self._ctrl_cache: tuple[Any, int] = (None, 0)
        self._border_cache: dict[int, list] = {}
        self._air_cache: tuple[Any, AirPicture | None] = (None, None)
        self._last_offset: tuple[int, int, int] = (0, 0, -1)
        self._heading: tuple[float, float] = (0.0, 0.0)
        self._warm_done: tuple | None = None

    # --- geometry ----------------------------------------------------------------------
    def world_size(self) -> tuple[int, int]:
        return self._size

    def world_rect(self) -> tuple[float, float, float, float]:
        return 0.0, 0.0, float(self._size[0]), float(self._size[1])

    def cell_centre_world(self, cell: int) -> tuple[float, float]:
        x, y = self._centres[cell]
        return float(x), float(y)

    def cell_at_world(self, wx: float, wy: float) -> int | None:
        h = pixel_to_hex(wx, wy, BASE_HEX_PX, self._origin)
        return self.grid.cell(h) if self.grid.in_bounds(h) else None

    def cell_at(self, screen_pos: tuple[float, float], view_rect: pygame.Rect, camera: Camera) -> int | None:
        """The map cell under a window pixel, or None (off the map or outside the view)."""
        view_rect = pygame.Rect(view_rect)
        if not view_rect.collidepoint(screen_pos):
            return None
        camera.origin = view_rect.topleft
        return self.cell_at_world(*camera.screen_to_world(*screen_pos))

    def latlon_to_world(self, lat: float, lon: float) -> tuple[float, float]:
        x_km, y_km = self.grid.latlon_to_km(lat, lon)
        k = BASE_HEX_PX / (self.grid.hex_km / SQRT3)
        return self._origin[0] + x_km * k, self._origin[1] + y_km * k

    def line_points(self, ln: Any) -> list[tuple[float, float]]:
        """World polyline for a deconfliction line given as lat/lon points, hex sides or cells."""
        for name in ("points_latlon", "latlon", "path_latlon", "points", "path"):
            pts = _field(ln, name)
            if pts:
                try:
                    return [self.latlon_to_world(float(p[0]), float(p[1])) for p in pts]
                except (TypeError, ValueError, IndexError):
                    pass
        edges = _field(ln, "edges")
        if edges:
            segs = []
            for e in edges:
                try:
                    a, b = int(e[0]), int(e[1])
                except (TypeError, ValueError, IndexError):
                    continue
                seg = self._edge_segment(a, b)
                if seg:
                    segs.append(seg)
            chains = chain_segments(segs)
            return max(chains, key=len) if chains else []
        cells = _field(ln, "cells")
        if cells:
            return [self.cell_centre_world(int(c)) for c in cells if 0 <= int(c) < self.grid.n_cells]
        if isinstance(ln, (list, tuple)) and ln and isinstance(ln[0], (list, tuple)):
            return [self.latlon_to_world(float(p[0]), float(p[1])) for p in ln]
        return []

    def zone_borders(self, zones: np.ndarray) -> list[tuple[list[tuple[float, float]], float]]:
        """Smoothed courses along the hex sides between two different wings' airspace (cached)."""
        key = hash(zones.tobytes())
        cache = self._border_cache
        got = cache.get(key)
        if got is None:
            z = zones.astype(np.int64)
            nbr = self.grid.neighbour_table
            segs = []
            for d in range(3):          # E, NE, NW: each side once
                nb = nbr[:, d]
                ok = nb >= 0
                a = np.nonzero(ok)[0]
                b = nb[ok]
                m = (z[a] >= 0) & (z[b] >= 0) & (z[a] != z[b])
                for x, y in zip(a[m].tolist(), b[m].tolist()):
                    seg = self._edge_segment(x, y)
                    if seg:
                        segs.append(seg)
            got = river_courses(segs) if segs else []
            if len(cache) > 16:
                cache.clear()
            cache[key] = got
        return got

    def wing_colour(self, wid: str, i: int, factions: Iterable[str] = ()) -> Colour:
        """Zone colour: the colour of the faction the wing flies for, else a fixed cycle."""
        for fid in factions:
            if fid in self._faction_idx:
                return self._faction_rgb[self._faction_idx[fid]]
        for f in self.scenario.factions:
            if f.sponsor == wid or f.id == wid:
                return theme.hex_to_rgb(f.colour)
        return _ZONE_COLOURS[i % len(_ZONE_COLOURS)]

    def _edge_segment(self, a: int, b: int) -> tuple[tuple[float, float], tuple[float, float]] | None:
        d = self.grid.direction(a, b)
        if d < 0:
            return None
        c = self._centres[a]
        i, j = SIDE[d]
        p, q = c + _CORNER_UNIT[i] * BASE_HEX_PX, c + _CORNER_UNIT[j] * BASE_HEX_PX
        return (float(p[0]), float(p[1])), (float(q[0]), float(q[1]))

    def _build_rivers(self) -> list[tuple[float, list[list[tuple[float, float]]], list[tuple[tuple[float, float], tuple[float, float]]]]]:
        """Per river: width factor, (smoothed polyline, width scale) courses along its hex sides,
        bridges as (mid point, unit vector across)."""
        out = []
        biggest = max((len(r.edges) for r in self.scenario.rivers), default=1) or 1
        for rv in self.scenario.rivers:
            segs = [s for s in (self._edge_segment(a, b) for a, b in sorted(rv.edges)) if s]
            lines = river_courses(segs)
            bridges = []
            for a, b in sorted(rv.bridges):
                s = self._edge_segment(a, b)
                if not s:
                    continue
                mid = ((s[0][0] + s[1][0]) / 2, (s[0][1] + s[1][1]) / 2)
                ca, cb = self._centres[a], self._centres[b]
                d = (cb[0] - ca[0], cb[1] - ca[1])
                ln_ = math.hypot(*d) or 1.0
                bridges.append((mid, (d[0] / ln_, d[1] / ln_)))
            width = 0.2 + 0.12 * min(1.0, len(rv.edges) / biggest)
            out.append((width, lines, bridges))
        return out

    # --- levels ------------------------------------------------------------------------
    def _level(self, zi: int) -> _Level:
        lv = self._levels.get(zi)
        if lv is None:
            lv = self._build_level(zi)
            self._levels[zi] = lv
        return lv

    def _build_level(self, zi: int) -> _Level:
        z = ZOOM_LEVELS[zi]
        r = BASE_HEX_PX * z
        centres = self._centres * z
        corners = centres[:, None, :] + _CORNER_UNIT[None, :, :] * r
        under: list[_Stroke] = []
        # roads: casings first, then fills, so junctions merge
        kinds = {"track": 0, "road": 1, "highway": 2}
        roads = sorted(self._road_lines, key=lambda kr: kinds.get(kr[0], 1))
        for kind, pts in roads:
            p = chaikin([(x * z, y * z) for x, y in pts], 2)
            if kind == "track":
                for d in dashes(p, r * 0.32, r * 0.2):
                    under.append(_stroke(d, theme.TRACK, max(1, round(r * 0.07)), False))
                continue
            w = max(2, round(r * (0.2 if kind == "highway" else 0.13)))
            edge = theme.HIGHWAY_EDGE if kind == "highway" else theme.ROAD_EDGE
            for ch in _chunks(p):
                under.append(_stroke(ch, edge, w + 2))
        for kind, pts in roads:
            if kind == "track":
                continue
            p = chaikin([(x * z, y * z) for x, y in pts], 2)
            w = max(2, round(r * (0.2 if kind == "highway" else 0.13)))
            fill = theme.HIGHWAY if kind == "highway" else theme.ROAD
            for ch in _chunks(p):
                under.append(_stroke(ch, fill, w))
        over: list[_Stroke] = []
        for width, lines, bridges in self._river_lines:
            w = max(2, round(r * width))
            for ln, k in lines:
                p = [(x * z, y * z) for x, y in ln]
                for ch in _chunks(p):
                    over.append(_stroke(ch, theme.RIVER_EDGE, max(2, round(w * k)) + 2))
            for ln, k in lines:
                p = [(x * z, y * z) for x, y in ln]
                for ch in _chunks(p):
                    over.append(_stroke(ch, theme.RIVER, max(1, round(w * k))))
            for (mx, my), (ux, uy) in bridges:
                L = max(w * 1.6, r * 0.42)
                a = (mx * z - ux * L, my * z - uy * L)
                b = (mx * z + ux * L, my * z + uy * L)
                bw = max(3, round(r * 0.2))
                over.append(_stroke([a, b], theme.BRIDGE, bw + 2, False))
                over.append(_stroke([a, b], (236, 228, 210), max(1, bw - 2), False))
        labels = self._layout_labels(z, r, centres)
        objs = []
        h = min(26, max(15, int(r * 0.72)))
        for i, o in enumerate(self.scenario.objectives):
            cx, cy = centres[o.cell]
            img = objective_marker(h, o.vp_per_turn, o.vp_end, None)
            objs.append((i, o.cell, pygame.Rect(int(cx - r * 0.84), int(cy - r * 0.98), img.get_width(), h)))
        return _Level(zi, z, r, centres, corners, under, over, labels, objs, int(math.ceil(r)) + 1)

    def _layout_labels(self, z: float, r: float, centres: np.ndarray) -> list[_Label]:
        """Place names sized by kind, greedily decluttered (cities win over villages); below the
        hex's counter if there is room, else above it."""
        prio = {"city": 0, "town": 1, "base": 2, "field": 2, "crossing": 3, "border": 3, "village": 4, "site": 5}
        places = sorted(self.scenario.places, key=lambda p: (prio.get(p.kind, 4), p.name))
        placed: list[pygame.Rect] = []
        out = []
        for p in places:
            kind = p.kind
            halo = theme.LABEL_HALO
            italic = kind in ("site", "crossing", "border")
            if kind == "city":
                size, colour, bold = r * 0.5 + 10, theme.LABEL, True
                text = p.name.upper() if r >= 14 else p.name
            elif kind == "town":
                size, colour, bold = r * 0.42 + 8, theme.LABEL, True
                text = p.name
            elif kind in ("base", "field", "crossing", "border"):
                size, bold = r * 0.34 + 7, False
                colour = (20, 50, 110) if kind == "crossing" else (80, 40, 20)
                text = p.name
            else:
                size, colour, bold = r * 0.34 + 7, (40, 36, 32), False
                text = p.name
            size = min(size, 34)
            if r < 14 and prio.get(kind, 4) >= 2:
                continue
            if r < 20 and prio.get(kind, 4) >= 5:
                continue
            surf = theme.halo_text(text, int(size), colour, halo, bold, 2 if size >= 14 else 1, italic)
            cx, cy = centres[p.cell]
            below = surf.get_rect(midtop=(int(cx), int(cy + r * 0.6)))
            above = surf.get_rect(midbottom=(int(cx), int(cy - r * 0.62)))
            for rect in (below, above):
                if not any(rect.colliderect(q) for q in placed):
                    break
            else:
                if kind != "city":
                    continue
                rect = below
            placed.append(rect.inflate(4, 0))
            out.append(_Label(surf, rect))
        return out

    # --- tiles -------------------------------------------------------------------------
    def _cells_in(self, lv: _Level, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        c = lv.centres
        m = (c[:, 0] > x0 - lv.r) & (c[:, 0] < x1 + lv.r) & (c[:, 1] > y0 - lv.r) & (c[:, 1] < y1 + lv.r)
        return np.nonzero(m)[0]

    def _new_tile(self, alpha: bool = False) -> pygame.Surface:
        if alpha:
            return pygame.Surface((TILE, TILE), pygame.SRCALPHA)
        s = pygame.Surface((TILE, TILE))
        if pygame.display.get_init() and pygame.display.get_surface() is not None:
            s = s.convert()
        return s

    def _static_tile(self, lv: _Level, tx: int, ty: int, grid: bool) -> pygame.Surface:
        key = (lv.zi, tx, ty, grid)
        s = self._static.get_(key)
        if s is not None:
            return s
        s = self._new_tile()
        s.fill(theme.OFFMAP)
        x0, y0 = tx * TILE, ty * TILE
        cells = self._cells_in(lv, x0, y0, x0 + TILE, y0 + TILE)
        off = np.array([x0, y0])
        polys = (lv.corners[cells] - off).tolist()
        fills = self._fill
        for c, poly in zip(cells.tolist(), polys):
            pygame.draw.polygon(s, fills[c], poly)
            pygame.draw.polygon(s, fills[c], poly, 1)   # seal hairline gaps between hexes
        half = lv.stamp_half
        for c, (cx, cy) in zip(cells.tolist(), (lv.centres[cells] - off).tolist()):
            stamp = self._stamp(lv, c)
            if stamp is not None:
                s.blit(stamp, (round(cx) - half, round(cy) - half))
        if grid and lv.r >= 9:
            lines = self._grid_col
            for c, poly in zip(cells.tolist(), polys):
                pygame.draw.aalines(s, lines[c], True, poly)
        self._draw_strokes(s, lv.strokes_under, x0, y0)
        self._draw_strokes(s, lv.strokes_over, x0, y0)
        self._static.put(key, s)
        return s

    def _stamp(self, lv: _Level, cell: int) -> pygame.Surface | None:
        """The hex's terrain texture: one of a few pre-drawn variants per terrain type and zoom."""
        t = int(self._terrain[cell])
        v = (cell * 2654435761 >> 7) % STAMP_VARIANTS
        key = (t, v)
        got = lv.stamps.get(key, False)
        if got is False:
            st = self._styles[t]
            half = lv.stamp_half
            got = pygame.Surface((2 * half, 2 * half), pygame.SRCALPHA)
            _texture(got, st, v * 131 + t, half, half, lv.r)
            if got.get_bounding_rect().width == 0:
                got = None
            lv.stamps[key] = got
        return got

    def _draw_strokes(self, s: pygame.Surface, strokes: list[_Stroke], x0: float, y0: float) -> None:
        x1, y1 = x0 + TILE, y0 + TILE
        for st in strokes:
            bx0, by0, bx1, by1 = st.bbox
            if bx1 < x0 or bx0 > x1 or by1 < y0 or by0 > y1:
                continue
            _draw_stroke(s, st, x0, y0)

    def _comp_key(self, lv: _Level, tx: int, ty: int, ov: Overlay, ctrl: np.ndarray, vis: np.ndarray | None,
                  air: AirPicture | None) -> tuple:
        """A composite tile's cache key: control and fog of just the hexes that can show in it
        (and their neighbours, for borders), so a move re-renders only the tiles it touched."""
        cells = lv.tile_cells.get((tx, ty))
        if cells is None:
            x0, y0 = tx * TILE, ty * TILE
            c = lv.centres
            m = ((c[:, 0] > x0 - 2.2 * lv.r) & (c[:, 0] < x0 + TILE + 2.2 * lv.r)
                 & (c[:, 1] > y0 - 2.2 * lv.r) & (c[:, 1] < y0 + TILE + 2.2 * lv.r))
            cells = np.nonzero(m)[0]
            lv.tile_cells[(tx, ty)] = cells
        ck = hash(ctrl[cells].tobytes()) if len(cells) else 0
        vk = None if vis is None else hash(vis[cells].tobytes())
        air_key = air.key if (air is not None and ov.show_lines) else 0
        return (lv.zi, tx, ty, ov.show_grid, ck, vk, air_key)

    def _composite_tile(self, lv: _Level, tx: int, ty: int, ov: Overlay, ctrl: np.ndarray, ctrl_key: int,
                        vis: np.ndarray | None, vis_key: Any, air: AirPicture | None) -> pygame.Surface:
        key = self._comp_key(lv, tx, ty, ov, ctrl, vis, air)
        s = self._comp.get_(key)
        if s is not None:
            return s
        base = self._static_tile(lv, tx, ty, ov.show_grid)
        s = base.copy()
        x0, y0 = tx * TILE, ty * TILE
        cells = self._cells_in(lv, x0, y0, x0 + TILE, y0 + TILE)
        if len(cells):
            off = np.array([x0, y0])
            self._draw_control(s, lv, cells, off, ctrl)
            if air is not None and ov.show_lines and air.zones:
                self._draw_zones(s, lv, cells, off, air)
            if vis is not None:
                fog = pygame.Surface((TILE, TILE), pygame.SRCALPHA)
                hidden = [c for c in cells if not vis[c]]
                for c in hidden:
                    pygame.draw.polygon(fog, theme.FOG, (lv.corners[c] - off).tolist())
                if hidden:
                    s.blit(fog, (0, 0))
        if air is not None and ov.show_lines:
            self._draw_air_lines(s, lv, air, x0, y0)
        self._comp.put(key, s)
        return s

    def _draw_control(self, s: pygame.Surface, lv: _Level, cells: np.ndarray, off: np.ndarray, ctrl: np.ndarray) -> None:
        tint = pygame.Surface((TILE, TILE), pygame.SRCALPHA)
        any_ = False
        nbr = self.grid.neighbour_table
        border_w = max(2, round(lv.r * 0.085))
        borders: list[tuple[Colour, tuple[float, float], tuple[float, float]]] = []
        for c in cells:
            f = int(ctrl[c])
            if f < 0 or f >= len(self._faction_rgb):
                continue
            rgb = self._faction_rgb[f]
            alpha = 44 if theme.luminance(rgb) > 70 else 26
            poly = lv.corners[c] - off
            pygame.draw.polygon(tint, (*rgb, alpha), poly.tolist())
            any_ = True
            cx, cy = lv.centres[c] - off
            for d in range(6):
                nb = nbr[c, d]
                if nb >= 0 and int(ctrl[nb]) == f:
                    continue
                i, j = SIDE[d]
                (ax, ay), (bx, by) = poly[i], poly[j]
                k = 0.1  # pull the border inside the hex so two factions' borders sit side by side
                borders.append((rgb, (ax + (cx - ax) * k, ay + (cy - ay) * k), (bx + (cx - bx) * k, by + (cy - by) * k)))
        if any_:
            s.blit(tint, (0, 0))
        for rgb, a, b in borders:
            pygame.draw.line(s, rgb, a, b, border_w)

    def _draw_zones(self, s: pygame.Surface, lv: _Level, cells: np.ndarray, off: np.ndarray, air: AirPicture) -> None:
        layer = pygame.Surface((TILE, TILE), pygame.SRCALPHA)
        step = max(4, int(lv.r * 0.35))
        drawn = False
        for z in air.zones:
            for c in cells:
                if z.cells[c]:
                    pygame.draw.polygon(layer, (*z.colour, 26), (lv.corners[c] - off).tolist())
                    drawn = True
        if drawn:
            # diagonal hatching in the zone colour, so zones read differently from control tint
            hatch = pygame.Surface((TILE, TILE), pygame.SRCALPHA)
            for z in air.zones:
                mask = pygame.Surface((TILE, TILE), pygame.SRCALPHA)
                for c in cells:
                    if z.cells[c]:
                        pygame.draw.polygon(mask, (255, 255, 255, 255), (lv.corners[c] - off).tolist())
                lines = pygame.Surface((TILE, TILE), pygame.SRCALPHA)
                x0 = int(off[0]) % step
                for x in range(-TILE - x0, TILE, step):
                    pygame.draw.line(lines, (*z.colour, 70), (x, TILE), (x + TILE, 0), 1)
                lines.blit(mask, (0, 0), special_flags=pygame.BLEND_RGBA_MIN)
                hatch.blit(lines, (0, 0))
            s.blit(layer, (0, 0))
            s.blit(hatch, (0, 0))

    def _draw_air_lines(self, s: pygame.Surface, lv: _Level, air: AirPicture, x0: float, y0: float) -> None:
        z, r = lv.zoom, lv.r
        w = max(3, round(r * 0.16))
        for ln in air.lines:
            pts = [(x * z - x0, y * z - y0) for x, y in ln.points]
            xs = [p[0] for p in pts]
            ys = [p[1] for p in pts]
            if max(xs) < -w or min(xs) > TILE + w or max(ys) < -w or min(ys) > TILE + w:
                continue
            for d in dashes(pts, r * 0.62, r * 0.3):
                pygame.draw.lines(s, (40, 8, 30), False, d, w + 2)
                pygame.draw.lines(s, ln.colour, False, d, w)

    def _draw_top(self, surface: pygame.Surface, lv: _Level, ctrl: np.ndarray, dx: int, dy: int,
                  view: pygame.Rect) -> None:
        """Objective markers and place names, over the counters so they always read."""
        vis = view.move(-dx, -dy)
        for lb in lv.labels:
            if lb.rect.colliderect(vis):
                surface.blit(lb.surf, (lb.rect.x + dx, lb.rect.y + dy))
        for i, cell, r in lv.objectives:
            if not r.colliderect(vis):
                continue
            o = self.scenario.objectives[i]
            f = int(ctrl[cell])
            ring = self._faction_rgb[f] if 0 <= f < len(self._faction_rgb) else None
            img = objective_marker(r.height, o.vp_per_turn, o.vp_end, ring)
            surface.blit(img, (r.x + dx, r.y + dy))

    # --- visibility --------------------------------------------------------------------
    def _visibility(self, state: Any, viewer: str | None) -> tuple[np.ndarray | None, Any, set[str] | None]:
        """(visible cells or None, cache key, ids of visible units or None for all)."""
        if state is None or viewer is None:
            return None, None, None
        sig = hash(tuple((u.id, u.cell, u.steps) for u in state.units.values()))
        key = (id(state), getattr(state, "ply", 0), getattr(state, "turn", 0), getattr(state, "active", 0), viewer, sig)
        if self._vis_cache[0] == key:
            return self._vis_cache[1]
        from game.rules import visibility
        vis = visibility.visible_cells(state, viewer)
        units = {u.id for u in visibility.visible_units(state, viewer)}
        val = (vis, hash(vis.tobytes()), units)
        self._vis_cache = (key, val)
        return val

    def _air(self, state: Any) -> AirPicture | None:
        """``air_picture`` once per game position (it only changes when an action is applied)."""
        air = getattr(state, "air", None) if state is not None else None
        if air is None:
            return None
        key = (id(state), id(air), getattr(state, "ply", 0), getattr(state, "turn", 0), getattr(state, "active", 0))
        if self._air_cache[0] != key:
            self._air_cache = (key, air_picture(state, self))
        return self._air_cache[1]

    def _control(self, state: Any) -> tuple[np.ndarray, int]:
        ctrl = self.scenario.initial_control if state is None else state.control
        b = ctrl.tobytes()
        if self._ctrl_cache[0] != b:
            self._ctrl_cache = (b, hash(b))
        return ctrl, self._ctrl_cache[1]

    # --- drawing -----------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, view_rect: pygame.Rect, camera: Camera, state: Any,
             viewer: str | None, overlay: Overlay | None = None) -> None:
        """Draw the map into ``view_rect`` of ``surface``.  ``viewer``: whose fog applies (None:
        everything visible, for spectators and screenshots).  ``state`` may be None (the
        scenario's initial map, e.g. for a set-up screen)."""
        ov = overlay or Overlay()
        view_rect = pygame.Rect(view_rect)
        camera.origin = view_rect.topleft
        zi = zoom_index(camera.zoom)
        lv = self._level(zi)
        ox, oy = camera.offset_px()
        ctrl, ctrl_key = self._control(state)
        vis, vis_key, seen = self._visibility(state, viewer)
        air = self._air(state) if ov.show_lines else None
        old_clip = surface.get_clip()
        surface.set_clip(view_rect.clip(old_clip) if old_clip else view_rect)
        tx0, ty0 = ox // TILE, oy // TILE
        tx1, ty1 = (ox + view_rect.width - 1) // TILE, (oy + view_rect.height - 1) // TILE
        ntx, nty = self._tile_count(lv)
        tiles = pygame.Rect(view_rect.x - ox, view_rect.y - oy, (ntx + 1) * TILE, (nty + 1) * TILE)
        if not tiles.contains(view_rect):     # paint only where no tile will cover the view
            surface.fill(theme.OFFMAP, view_rect)
        visible = (tx1 - tx0 + 1) * (ty1 - ty0 + 1)
        self._comp.cap = max(120, visible * 6)
        self._static.cap = max(60, visible * 3)
        for ty in range(max(0, ty0), min(ty1, nty) + 1):
            for tx in range(max(0, tx0), min(tx1, ntx) + 1):
                t = self._composite_tile(lv, tx, ty, ov, ctrl, ctrl_key, vis, vis_key, air)
                surface.blit(t, (view_rect.x + tx * TILE - ox, view_rect.y + ty * TILE - oy))
        dx, dy = view_rect.x - ox, view_rect.y - oy
        self._draw_orders_under(surface, lv, ov, dx, dy, view_rect)
        if state is not None:
            self._draw_units(surface, lv, state, seen, ov, dx, dy, view_rect)
        self._draw_top(surface, lv, ctrl, dx, dy, view_rect)
        start = None
        if ov.path and ov.selected and state is not None and ov.selected in state.units:
            start = state.units[ov.selected].cell
        self._draw_orders_over(surface, lv, ov, dx, dy, start)
        surface.set_clip(old_clip)
        # use spare time: first the ring of tiles just outside the view, then the same view one
        # zoom step in and out, so panning and wheel zooming rarely wait for a tile
        t_end = time.perf_counter() + 0.005
        lx, ly, lzi = self._last_offset
        self._last_offset = (ox, oy, zi)
        if lzi == zi and (ox, oy) != (lx, ly):
            self._heading = (ox - lx, oy - ly)
        sig = (zi, tx0, ty0, tx1, ty1, ov.show_grid, ov.show_lines, ctrl_key, vis_key, air.key if air else 0)
        if sig == self._warm_done:
            return
        done = self._warm(lv, ov, ctrl, ctrl_key, vis, vis_key, air, tx0 - 1, ty0 - 1, tx1 + 1, ty1 + 1, t_end,
                          self._heading)
        if done:
            cx, cy = (ox + view_rect.width / 2) / lv.zoom, (oy + view_rect.height / 2) / lv.zoom
            for zj in (zi + 1, zi - 1):
                if not 0 <= zj < len(ZOOM_LEVELS):
                    continue
                lj = self._level(zj)
                z = lj.zoom
                x0, y0 = int(cx * z - view_rect.width / 2), int(cy * z - view_rect.height / 2)
                if not self._warm(lj, ov, ctrl, ctrl_key, vis, vis_key, air, x0 // TILE, y0 // TILE,
                                  (x0 + view_rect.width) // TILE, (y0 + view_rect.height) // TILE, t_end):
                    done = False
                    break
        if done:
            self._warm_done = sig

    def _tile_count(self, lv: _Level) -> tuple[int, int]:
        """Index of the last tile column and row that holds any of the map at this level."""
        if lv.last_tile is None:
            lv.last_tile = (int((lv.centres[:, 0].max() + lv.r + MARGIN * lv.zoom) // TILE),
                            int((lv.centres[:, 1].max() + lv.r + MARGIN * lv.zoom) // TILE))
        return lv.last_tile

    def _warm(self, lv: _Level, ov: Overlay, ctrl: np.ndarray, ctrl_key: int, vis: Any, vis_key: Any,
              air: AirPicture | None, x0: int, y0: int, x1: int, y1: int, t_end: float,
              heading: tuple[float, float] = (0.0, 0.0)) -> bool:
        """Render missing tiles in the range until ``t_end``, those ahead of the pan first;
        True if all of them are ready."""
        ntx, nty = self._tile_count(lv)
        missing = [(tx, ty) for ty in range(max(0, y0), min(y1, nty) + 1) for tx in range(max(0, x0), min(x1, ntx) + 1)
                   if self._comp_key(lv, tx, ty, ov, ctrl, vis, air) not in self._comp]
        if heading != (0.0, 0.0):
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            missing.sort(key=lambda t: -((t[0] - mx) * heading[0] + (t[1] - my) * heading[1]))
        for tx, ty in missing:
            if time.perf_counter() > t_end:
                return False
            self._composite_tile(lv, tx, ty, ov, ctrl, ctrl_key, vis, vis_key, air)
        return True

    def prerender(self, zoom: float, overlay: Overlay | None = None, state: Any = None, viewer: str | None = None) -> None:
        """Render every tile of one zoom level now (e.g. behind a loading screen)."""
        ov = overlay or Overlay()
        lv = self._level(zoom_index(zoom))
        ctrl, ctrl_key = self._control(state)
        vis, vis_key, _ = self._visibility(state, viewer)
        air = self._air(state) if ov.show_lines else None
        ntx, nty = self._tile_count(lv)
        self._static.cap = self._comp.cap = max(self._comp.cap, (ntx + 1) * (nty + 1) + 40)
        for ty in range(nty + 1):
            for tx in range(ntx + 1):
                self._composite_tile(lv, tx, ty, ov, ctrl, ctrl_key, vis, vis_key, air)

    def _draw_units(self, surface: pygame.Surface, lv: _Level, state: Any, seen: set[str] | None,
                    ov: Overlay, dx: float, dy: float, view: pygame.Rect) -> None:
        scn = self.scenario
        size = counters.counter_size(lv.r)
        by_cell: dict[int, list] = {}
        for u in state.units.values():
            if seen is not None and u.id not in seen:
                continue
            by_cell.setdefault(u.cell, []).append(u)
        active = getattr(state, "active_faction", None)
        step = max(2, size // 9)
        for cell, us in by_cell.items():
            cx, cy = lv.centres[cell]
            sx, sy = cx + dx, cy + dy
            if sx < view.left - size or sx > view.right + size or sy < view.top - size or sy > view.bottom + size:
                continue
            us.sort(key=lambda u: (u.id == ov.selected, u.steps, u.id))
            shown = us[-3:]
            n = len(shown)
            for k, u in enumerate(shown):
                ut = scn.unit_types.get(u.type)
                sym = ut.symbol if ut else "?"
                mx = ut.steps if ut else max(1, u.steps)
                fi = self._faction_idx.get(u.faction, -1)
                rgb = self._faction_rgb[fi] if fi >= 0 else (200, 200, 200)
                status = ov.unit_status.get(u.id) if ov.unit_status is not None else None
                if ov.unit_status is not None and u.faction == active:
                    spent = status == "done"
                else:
                    spent = u.faction == active and u.attacked     # a unit that attacked may not move
                img = counters.counter(sym, rgb, u.steps, mx, size, not u.in_supply, spent)
                o = (n - 1 - k) * step
                pos = (int(sx - size / 2 - o), int(sy - size / 2 - o))
                surface.blit(img, pos)
                if u.id == ov.selected:
                    _selection_frame(surface, pygame.Rect(pos[0] - 2, pos[1] - 2, size + 4, size + 4), size, rgb)
                if status in ("fresh", "partial") and k == n - 1:
                    _status_pip(surface, pos, size, status == "fresh")
            if len(us) > 3:
                b = counters.stack_badge(len(us) - 3, size)
                surface.blit(b, (int(sx + size / 2 - b.get_width() // 2), int(sy - size / 2 - b.get_height() // 2)))

    def _draw_orders_under(self, surface: pygame.Surface, lv: _Level, ov: Overlay, dx: float, dy: float,
                           view: pygame.Rect) -> None:
        if ov.reachable:
            img, (wx, wy) = self._reach_surface(lv, ov.reachable)
            surface.blit(img, (int(wx + dx), int(wy + dy)))

    def _reach_surface(self, lv: _Level, reach: dict[int, float]) -> tuple[pygame.Surface, tuple[float, float]]:
        """The reachable area as one cached surface: a light wash and an outline round its edge."""
        key = (lv.zi, frozenset(reach))
        if self._overlay_cache[0] == key:
            return self._overlay_cache[1]
        cells = [c for c in reach if 0 <= c < self.grid.n_cells]
        pts = lv.corners[cells].reshape(-1, 2) if cells else np.zeros((1, 2))
        x0, y0 = pts.min(axis=0) - 3
        x1, y1 = pts.max(axis=0) + 3
        surf = pygame.Surface((max(1, int(x1 - x0) + 1), max(1, int(y1 - y0) + 1)), pygame.SRCALPHA)
        off = np.array([x0, y0])
        inside = set(cells)
        nbr = self.grid.neighbour_table
        for c in cells:
            pygame.draw.polygon(surf, theme.REACH, (lv.corners[c] - off).tolist())
        w = max(2, round(lv.r * 0.1))
        for c in cells:
            poly = lv.corners[c] - off
            for d in range(6):
                if int(nbr[c, d]) in inside:
                    continue
                i, j = SIDE[d]
                pygame.draw.line(surf, theme.REACH_EDGE, poly[i].tolist(), poly[j].tolist(), w)
        val = (surf, (float(x0), float(y0)))
        self._overlay_cache = (key, val)
        return val

    def _draw_orders_over(self, surface: pygame.Surface, lv: _Level, ov: Overlay, dx: float, dy: float,
                          start: int | None = None) -> None:
        r = lv.r
        n = self.grid.n_cells
        if ov.attack_targets:
            w = max(2, round(r * 0.12))
            for c in ov.attack_targets:
                if 0 <= c < n:
                    poly = (lv.corners[c] + (dx, dy)).tolist()
                    pygame.draw.polygon(surface, theme.ATTACK, poly, w)
                    cx, cy = lv.centres[c] + (dx, dy)
                    rr = r * 0.72
                    for ax, ay in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                        pygame.draw.line(surface, theme.ATTACK, (cx + ax * rr * 0.62, cy + ay * rr * 0.62),
                                         (cx + ax * rr, cy + ay * rr), w)
        if ov.path:
            cells = [c for c in ov.path if 0 <= c < n]
            if start is not None and cells and cells[0] != start:
                cells.insert(0, start)          # the path runs from the selected unit
            pts = [tuple(lv.centres[c] + (dx, dy)) for c in cells]
            if len(pts) >= 2:
                w = max(3, round(r * 0.16))
                pygame.draw.lines(surface, (30, 24, 10), False, pts, w + 3)
                pygame.draw.lines(surface, theme.PATH, False, pts, w)
            for p in pts[1:-1]:
                pygame.draw.circle(surface, theme.PATH, p, max(2, r * 0.12))
            if pts:
                _arrow_head(surface, pts, r)
        if ov.hover is not None and 0 <= ov.hover < n:
            pygame.draw.aalines(surface, theme.HOVER, True, (lv.corners[ov.hover] + (dx, dy)).tolist())
            pygame.draw.polygon(surface, theme.HOVER, (lv.corners[ov.hover] + (dx, dy)).tolist(), max(1, round(r * 0.07)))
        if ov.marks:
            size = int(min(30, max(14, r * 0.62)))
            for c, txt in ov.marks.items():
                if 0 <= c < n:
                    img = theme.font(size, True).render(str(txt), True, (255, 255, 255))
                    cx, cy = lv.centres[c] + (dx, dy)
                    box = img.get_rect(center=(int(cx), int(cy))).inflate(8, 2)
                    pygame.draw.rect(surface, (20, 20, 24), box, border_radius=4)
                    pygame.draw.rect(surface, theme.ATTACK, box, 1, border_radius=4)
                    surface.blit(img, img.get_rect(center=box.center))


# --- small drawing helpers -----------------------------------------------------------------------

PIP_FRESH: Colour = (110, 220, 90)
PIP_PARTIAL: Colour = (255, 150, 40)


def _status_pip(surface: pygame.Surface, corner: tuple[int, int], size: int, fresh: bool) -> None:
    """A small dot on a counter's top-left corner (the top-right one is the out-of-supply mark):
    green = not used yet, orange = can still act."""
    r = max(4, size // 6)
    c = (corner[0] + r // 2, corner[1] + r // 2)
    pygame.draw.circle(surface, (16, 16, 16), c, r + 1)
    pygame.draw.circle(surface, PIP_FRESH if fresh else PIP_PARTIAL, c, r)


def _selection_frame(surface: pygame.Surface, rect: pygame.Rect, size: int, counter_rgb: Colour) -> None:
    """The selected counter's frame: yellow, or white on a yellowish counter, over a dark edge so it
    reads on any terrain and any faction colour."""
    w = max(2, size // 14)
    close = sum(abs(a - b) for a, b in zip(counter_rgb, theme.SELECT)) < 200
    colour = (255, 255, 255) if close else theme.SELECT
    radius = max(2, size // 8)
    pygame.draw.rect(surface, (12, 12, 12), rect.inflate(2 * w, 2 * w), w + 1, border_radius=radius + w)
    pygame.draw.rect(surface, colour, rect, w, border_radius=radius)

def _arrow_head(surface: pygame.Surface, pts: list[tuple[float, float]], r: float) -> None:
    (x1, y1) = pts[-1]
    x0, y0 = pts[-2] if len(pts) >= 2 else (x1 - 1, y1)
    ang = math.atan2(y1 - y0, x1 - x0)
    L = r * 0.5
    a = (x1 + math.cos(ang) * L * 0.3, y1 + math.sin(ang) * L * 0.3)
    b = (x1 - math.cos(ang - 0.5) * L, y1 - math.sin(ang - 0.5) * L)
    c = (x1 - math.cos(ang + 0.5) * L, y1 - math.sin(ang + 0.5) * L)
    pygame.draw.polygon(surface, (30, 24, 10), [a, b, c])
    pygame.draw.polygon(surface, theme.PATH, [a, b, c], 0)
    pygame.draw.polygon(surface, (30, 24, 10), [a, b, c], 1)


def star_points(cx: float, cy: float, R: float, inner: float = 0.45) -> list[tuple[float, float]]:
    pts = []
    for i in range(10):
        ang = -math.pi / 2 + i * math.pi / 5
        rr = R if i % 2 == 0 else R * inner
        pts.append((cx + rr * math.cos(ang), cy + rr * math.sin(ang)))
    return pts


_markers: dict[tuple, pygame.Surface] = {}


def objective_marker(h: int, vpt: float, vpe: float, ring: Colour | None) -> pygame.Surface:
    """A gold star in a disc of the holder's colour, with its VP (per turn + at the end) beside
    it; cached."""
    key = (h, vpt, vpe, ring)
    got = _markers.get(key)
    if got is not None:
        return got
    txt = f"{vpt:g}" if not vpe else f"{vpt:g}+{vpe:g}"
    num = theme.halo_text(txt, max(12, int(h * 0.95)), (110, 16, 8), theme.LABEL_HALO, True, 2 if h >= 18 else 1)
    R = h / 2 - 1
    s = pygame.Surface((int(h + num.get_width()), h), pygame.SRCALPHA)
    cx = cy = h / 2
    pygame.draw.circle(s, (30, 24, 10), (cx, cy), R)
    pygame.draw.circle(s, ring if ring is not None else (250, 246, 232), (cx, cy), R - 1)
    pts = star_points(cx, cy, R * 0.86)
    pygame.draw.polygon(s, theme.OBJECTIVE, pts)
    pygame.draw.aalines(s, theme.OBJECTIVE_EDGE, True, pts)
    s.blit(num, (int(h - 1), int(cy - num.get_height() / 2)))
    if len(_markers) > 500:
        _markers.clear()
    _markers[key] = s
    return s


_RAND = np.random.default_rng(20170901).random(4096 * 3).tolist()


class _CellRandom:
    """Cheap deterministic numbers for one hex's texture (a Random() per hex is too slow)."""
    __slots__ = ("i",)

    def __init__(self, cell: int) -> None:
        self.i = (cell * 97) % 4096

    def random(self) -> float:
        self.i += 1
        return _RAND[self.i]

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def choice(self, seq: tuple) -> Any:
        return seq[int(self.random() * len(seq)) % len(seq)]


def _texture(s: pygame.Surface, st: theme.TerrainStyle, cell: int, cx: float, cy: float, r: float) -> None:
    """Map-style marks inside one hex (seeded by the cell, so they are stable at every zoom)."""
    k = st.kind
    if r < 8 and k not in ("urban", "oil", "airbase"):
        return
    rnd = _CellRandom(cell)
    tc = st.texture
    if k == "desert":
        for _ in range(int(4 + r / 5)):
            a, d = rnd.uniform(0, 6.283), r * 0.78 * math.sqrt(rnd.random())
            x, y = cx + math.cos(a) * d, cy + math.sin(a) * d
            pygame.draw.circle(s, tc, (round(x), round(y)), max(1, round(r * 0.04)))
    elif k == "steppe":
        for _ in range(3 if r < 20 else 5):
            a, d = rnd.uniform(0, 6.283), r * 0.62 * math.sqrt(rnd.random())
            x, y = cx + math.cos(a) * d, cy + math.sin(a) * d
            h = r * 0.13
            for dx in (-0.5, 0, 0.5):
                pygame.draw.aaline(s, tc, (x + dx * h * 0.6, y), (x + dx * h, y - h))
    elif k == "valley":
        for _ in range(3):
            a, d = rnd.uniform(0, 6.283), r * 0.45 * math.sqrt(rnd.random())
            x, y = cx + math.cos(a) * d, cy + math.sin(a) * d
            w, h = r * rnd.uniform(0.28, 0.42), r * rnd.uniform(0.16, 0.26)
            col = theme.shade(st.colour, rnd.choice((0.9, 0.94, 1.08)))
            pygame.draw.rect(s, col, (x - w / 2, y - h / 2, w, h))
        if r >= 14:
            for i in range(-1, 2):
                y = cy + i * r * 0.3 + rnd.uniform(-2, 2)
                pygame.draw.aaline(s, tc, (cx - r * 0.55, y), (cx + r * 0.55, y + rnd.uniform(-2, 2)))
    elif k == "urban":
        b = max(2.0, r * 0.2)
        gap = max(1.0, r * 0.07)
        n = 3
        tot = n * b + (n - 1) * gap
        for i in range(n):
            for j in range(n):
                if rnd.random() < 0.22 and not (i == 1 and j == 1):
                    continue
                x = cx - tot / 2 + i * (b + gap) + (j % 2) * gap * 0.5
                y = cy - tot / 2 + j * (b + gap)
                pygame.draw.rect(s, tc, (x, y, b, b))
    elif k == "ridge":
        ang = rnd.uniform(-0.6, 0.6)
        ux, uy = math.cos(ang), math.sin(ang)
        nx, ny = -uy, ux
        L = r * 0.62
        crest = [(cx + ux * t * L + nx * math.sin(t * 2.4) * r * 0.08, cy + uy * t * L + ny * math.sin(t * 2.4) * r * 0.08)
                 for t in (-1, -0.5, 0, 0.5, 1)]
        pygame.draw.lines(s, tc, False, crest, max(1, round(r * 0.06)))
        for t in range(9):
            tt = -0.9 + t * 0.225
            px, py = cx + ux * tt * L, cy + uy * tt * L
            hl = r * (0.22 - 0.12 * abs(tt))
            pygame.draw.aaline(s, tc, (px, py), (px + nx * hl, py + ny * hl))
            pygame.draw.aaline(s, tc, (px, py), (px - nx * hl * 0.6, py - ny * hl * 0.6))
    elif k == "oil":
        h = r * 0.55
        x, y = cx, cy - r * 0.1
        top = (x, y - h / 2)
        bl, br = (x - h * 0.32, y + h / 2), (x + h * 0.32, y + h / 2)
        w = max(1, round(r * 0.06))
        pygame.draw.line(s, tc, top, bl, w)
        pygame.draw.line(s, tc, top, br, w)
        for f in (0.35, 0.7):
            pygame.draw.line(s, tc, (x - h * 0.32 * f, top[1] + h * f), (x + h * 0.32 * f, top[1] + h * f), w)
        pygame.draw.line(s, tc, (bl[0] - h * 0.15, bl[1]), (br[0] + h * 0.15, br[1]), w + 1)
        pygame.draw.circle(s, tc, (x + h * 0.55, y + h * 0.3), max(1.5, r * 0.09))
    elif k == "airbase":
        ang = math.radians(-10)
        ux, uy = math.cos(ang), math.sin(ang)
        L = r * 0.72
        w = max(2, round(r * 0.16))
        a, b = (cx - ux * L, cy - uy * L), (cx + ux * L, cy + uy * L)
        pygame.draw.line(s, tc, a, b, w)
        if r >= 14:
            for t in (-0.6, -0.2, 0.2, 0.6):
                p = (cx + ux * t * L, cy + uy * t * L)
                pygame.draw.line(s, (230, 230, 220), (p[0] - ux * r * 0.08, p[1] - uy * r * 0.08),
                                 (p[0] + ux * r * 0.08, p[1] + uy * r * 0.08), 1)
        pygame.draw.line(s, tc, (cx - r * 0.2, cy + r * 0.1), (cx + r * 0.1, cy + r * 0.42), max(2, w - 1))
    elif k == "closed":
        h = r * 0.45
        for t in (-0.66, -0.22, 0.22, 0.66):
            pygame.draw.aaline(s, tc, (cx + t * h * 2 - h * 0.5, cy + h), (cx + t * h * 2 + h * 0.5, cy - h))
    elif k == "lake":
        for i in range(3):
            y = cy - r * 0.3 + i * r * 0.3
            x = cx - r * 0.3 + rnd.uniform(-r * 0.1, r * 0.1)
            pts = [(x + t * r * 0.1, y + math.sin(t * 1.6) * r * 0.05) for t in range(7)]
            pygame.draw.aalines(s, tc, False, pts)
    elif k == "marsh":
        for i in range(3):
            y = cy - r * 0.3 + i * r * 0.3
            x = cx + rnd.uniform(-r * 0.3, r * 0.1)
            pygame.draw.line(s, tc, (x, y), (x + r * 0.3, y))
            for t in (0.3, 0.5, 0.7):
                pygame.draw.line(s, tc, (x + r * 0.3 * t, y), (x + r * 0.3 * t + (t - 0.5) * 4, y - r * 0.12))


# --- legend ----------------------------------------------------------------------------------

def draw_legend(surface: pygame.Surface, topleft: tuple[int, int], scenario: Scenario, width: int = 290) -> pygame.Rect:
    """A map key (terrain, water, roads, lines, unit symbols, factions); returns its rect."""
    rows: list[tuple[str, Any]] = []
    seen_kinds = set()
    for t in scenario.terrain_types:
        st = theme.terrain_style(t.id, t.name, t.colour, t.impassable)
        if (st.kind, st.colour) in seen_kinds:
            continue
        seen_kinds.add((st.kind, st.colour))
        rows.append((t.name, ("terrain", st)))
    if scenario.rivers:
        rows.append(("River (on hex sides) / bridge", ("river", None)))
    kinds = sorted({r.kind for r in scenario.roads}, key=lambda k: ("highway", "road", "track").index(k) if k in ("highway", "road", "track") else 3)
    for k in kinds:
        rows.append((k.title(), ("road", k)))
    rows.append(("Objective: VP per turn + at end", ("objective", None)))
    if scenario.extra.get("air") is not None:
        rows.append(("Deconfliction line / air zone", ("airline", None)))
    syms = []
    for ut in scenario.unit_types.values():
        if ut.symbol not in syms:
            syms.append(ut.symbol)
    fh = 16
    pad = 8
    sym_rows = (len(syms) + 1) // 2
    height = pad * 2 + 22 + len(rows) * (fh + 4) + 8 + sym_rows * 22 + 8 + len(scenario.factions) * (fh + 4)
    rect = pygame.Rect(topleft[0], topleft[1], width, height)
    bg = pygame.Surface(rect.size, pygame.SRCALPHA)
    bg.fill((246, 240, 222, 236))
    surface.blit(bg, rect.topleft)
    pygame.draw.rect(surface, (60, 52, 40), rect, 2)
    f = theme.font(18)
    title = theme.font(22, True).render("LEGEND", True, (40, 34, 26))
    surface.blit(title, (rect.x + pad, rect.y + pad))
    y = rect.y + pad + 24
    sw = pygame.Rect(0, 0, 28, fh - 2)
    for label, (kind, data) in rows:
        sw.topleft = (rect.x + pad, y)
        if kind == "terrain":
            s = pygame.Surface((sw.w, sw.h))
            s.fill(data.colour)
            _texture(s, data, 3, sw.w / 2, sw.h / 2 + 1, sw.h * 0.9)
            surface.blit(s, sw.topleft)
            pygame.draw.rect(surface, (90, 80, 60), sw, 1)
        elif kind == "river":
            pygame.draw.line(surface, theme.RIVER_EDGE, (sw.left, sw.centery), (sw.right, sw.centery), 6)
            pygame.draw.line(surface, theme.RIVER, (sw.left, sw.centery), (sw.right, sw.centery), 4)
            pygame.draw.line(surface, theme.BRIDGE, (sw.centerx, sw.top), (sw.centerx, sw.bottom), 4)
        elif kind == "road":
            if data == "track":
                for x in range(sw.left, sw.right, 8):
                    pygame.draw.line(surface, theme.TRACK, (x, sw.centery), (min(x + 5, sw.right), sw.centery), 2)
            else:
                w = 5 if data == "highway" else 3
                edge = theme.HIGHWAY_EDGE if data == "highway" else theme.ROAD_EDGE
                fill = theme.HIGHWAY if data == "highway" else theme.ROAD
                pygame.draw.line(surface, edge, (sw.left, sw.centery), (sw.right, sw.centery), w + 2)
                pygame.draw.line(surface, fill, (sw.left, sw.centery), (sw.right, sw.centery), w)
        elif kind == "airline":
            for x in range(sw.left, sw.right, 9):
                pygame.draw.line(surface, (40, 8, 30), (x, sw.centery), (min(x + 6, sw.right), sw.centery), 5)
                pygame.draw.line(surface, AirLine("", []).colour, (x, sw.centery), (min(x + 6, sw.right), sw.centery), 3)
        elif kind == "objective":
            m = objective_marker(18, 2, 10, None)
            surface.blit(m, (sw.x, sw.y - 2))
            sw.width = m.get_width()
        surface.blit(f.render(label, True, (30, 26, 20)), (sw.right + 8, y + 1))
        y += fh + 4
    y += 6
    col_w = (width - 2 * pad) // 2
    for i, sym in enumerate(syms):
        x = rect.x + pad + (i % 2) * col_w
        yy = y + (i // 2) * 22
        fr = pygame.Rect(x, yy, 28, 18)
        pygame.draw.rect(surface, (236, 232, 220), fr)
        counters.draw_symbol(surface, sym, fr, (20, 20, 20), 1)
        if sym != "militia":
            pygame.draw.rect(surface, (20, 20, 20), fr, 1)
        else:
            counters._dashed_rect(surface, fr, (20, 20, 20), 1)
        surface.blit(f.render(counters.SYMBOL_NAMES.get(sym, sym.title()), True, (30, 26, 20)), (fr.right + 6, yy + 2))
    y += sym_rows * 22 + 8
    for fac in scenario.factions:
        rgb = theme.hex_to_rgb(fac.colour)
        pygame.draw.rect(surface, rgb, (rect.x + pad, y, 28, fh - 2))
        pygame.draw.rect(surface, (40, 40, 40), (rect.x + pad, y, 28, fh - 2), 1)
        surface.blit(f.render(fac.name, True, (30, 26, 20)), (rect.x + pad + 36, y + 1))
        y += fh + 4
    return rect

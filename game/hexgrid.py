"""Hex geometry: axial coordinates, neighbours, distance, lines, rings, pixels, and a
georeferenced rectangular grid.

Conventions (Red Blob Games): pointy-top hexes, axial (q, r), cube s = -q - r.  A map is a
rectangle stored in "odd-r" offset layout, so a hex also has an offset (col, row) and a flat
integer *cell* index ``row * width + col`` that the engine uses for numpy arrays.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

import numpy as np

SQRT3 = math.sqrt(3.0)
KM_PER_DEG_LAT = 111.32


class Hex(NamedTuple):
    """An axial hex coordinate."""

    q: int
    r: int

    @property
    def s(self) -> int:
        return -self.q - self.r

    def __add__(self, other: "Hex") -> "Hex":  # type: ignore[override]
        return Hex(self.q + other.q, self.r + other.r)

    def __sub__(self, other: "Hex") -> "Hex":
        return Hex(self.q - other.q, self.r - other.r)


# Direction order: E, NE, NW, W, SW, SE (pointy-top, screen y grows downwards).
DIRECTIONS: tuple[Hex, ...] = (
    Hex(1, 0), Hex(1, -1), Hex(0, -1), Hex(-1, 0), Hex(-1, 1), Hex(0, 1),
)


def neighbour(h: Hex, direction: int) -> Hex:
    d = DIRECTIONS[direction % 6]
    return Hex(h.q + d.q, h.r + d.r)


def neighbours(h: Hex) -> list[Hex]:
    return [Hex(h.q + d.q, h.r + d.r) for d in DIRECTIONS]


def distance(a: Hex, b: Hex) -> int:
    dq, dr = a.q - b.q, a.r - b.r
    return (abs(dq) + abs(dr) + abs(dq + dr)) // 2


def _cube_round(fq: float, fr: float) -> Hex:
    fs = -fq - fr
    q, r, s = round(fq), round(fr), round(fs)
    dq, dr, ds = abs(q - fq), abs(r - fr), abs(s - fs)
    if dq > dr and dq > ds:
        q = -r - s
    elif dr > ds:
        r = -q - s
    return Hex(int(q), int(r))


def hex_round(fq: float, fr: float) -> Hex:
    """Nearest hex to fractional axial coordinates."""
    return _cube_round(fq, fr)


def line(a: Hex, b: Hex) -> list[Hex]:
    """Hexes on the straight line from a to b inclusive (nudged to break ties consistently)."""
    n = distance(a, b)
    if n == 0:
        return [a]
    out = []
    for i in range(n + 1):
        t = i / n
        fq = a.q + (b.q - a.q) * t + 1e-6
        fr = a.r + (b.r - a.r) * t + 1e-6
        out.append(_cube_round(fq, fr))
    return out


def ring(center: Hex, radius: int) -> list[Hex]:
    if radius == 0:
        return [center]
    out = []
    h = Hex(center.q + DIRECTIONS[4].q * radius, center.r + DIRECTIONS[4].r * radius)
    for i in range(6):
        for _ in range(radius):
            out.append(h)
            h = neighbour(h, i)
    return out


def hex_range(center: Hex, radius: int) -> list[Hex]:
    """All hexes within ``radius`` of ``center`` (a filled disc)."""
    out = []
    for dq in range(-radius, radius + 1):
        for dr in range(max(-radius, -dq - radius), min(radius, -dq + radius) + 1):
            out.append(Hex(center.q + dq, center.r + dr))
    return out


def spiral(center: Hex, radius: int) -> list[Hex]:
    out = [center]
    for k in range(1, radius + 1):
        out.extend(ring(center, k))
    return out


# --- pixels (pointy-top) ---------------------------------------------------------------

def hex_to_pixel(h: Hex, size: float, origin: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float]:
    """Centre of hex in pixels; ``size`` is the centre-to-corner radius."""
    x = size * (SQRT3 * h.q + SQRT3 / 2 * h.r)
    y = size * (1.5 * h.r)
    return x + origin[0], y + origin[1]


def pixel_to_hex(x: float, y: float, size: float, origin: tuple[float, float] = (0.0, 0.0)) -> Hex:
    px, py = (x - origin[0]) / size, (y - origin[1]) / size
    fq = SQRT3 / 3 * px - 1.0 / 3 * py
    fr = 2.0 / 3 * py
    return _cube_round(fq, fr)


def hex_corners(h: Hex, size: float, origin: tuple[float, float] = (0.0, 0.0)) -> list[tuple[float, float]]:
    cx, cy = hex_to_pixel(h, size, origin)
    pts = []
    for i in range(6):
        ang = math.radians(60 * i - 30)
        pts.append((cx + size * math.cos(ang), cy + size * math.sin(ang)))
    return pts


def edge_corners(h: Hex, direction: int, size: float, origin: tuple[float, float] = (0.0, 0.0)) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two pixel corners of the side of ``h`` facing ``DIRECTIONS[direction]``."""
    c = hex_corners(h, size, origin)
    # corner i sits at angle 60*i-30 (screen y down): corners 0 and 1 bound the east side.
    table = {0: (0, 1), 1: (5, 0), 2: (4, 5), 3: (3, 4), 4: (2, 3), 5: (1, 2)}
    a, b = table[direction % 6]
    return c[a], c[b]


# --- offset layout ---------------------------------------------------------------------

def offset_to_axial(col: int, row: int) -> Hex:
    return Hex(col - (row - (row & 1)) // 2, row)


def axial_to_offset(h: Hex) -> tuple[int, int]:
    return h.q + (h.r - (h.r & 1)) // 2, h.r


# --- georeferenced grid ------------------------------------------------------------------

@dataclass
class Grid:
    """A width x height rectangle of hexes, hex (col 0,row 0) centred at ``origin`` (lat, lon).

    Hexes are ``hex_km`` across flats (centre-to-centre distance).  Row 0 is the north edge;
    rows grow southwards and columns eastwards.  The projection is equirectangular about the
    map's mid latitude, good to well under a hex for areas a few hundred km across.
    """

    width: int
    height: int
    hex_km: float = 5.0
    origin_lat: float = 0.0
    origin_lon: float = 0.0
    _nbr: np.ndarray = field(init=False, repr=False)
    _nbr_lists: list[list[int]] = field(init=False, repr=False)
    _cell_hex: list[Hex] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w, h = self.width, self.height
        n = w * h
        self._cell_hex = [offset_to_axial(c % w, c // w) for c in range(n)]
        nbr = np.full((n, 6), -1, dtype=np.int32)
        for c, hx in enumerate(self._cell_hex):
            for d in range(6):
                nb = neighbour(hx, d)
                col, row = axial_to_offset(nb)
                if 0 <= col < w and 0 <= row < h:
                    nbr[c, d] = row * w + col
        self._nbr = nbr
        self._nbr_lists = [[int(x) for x in nbr[c] if x >= 0] for c in range(n)]
        self._size_px = self.hex_km / SQRT3  # corner radius in "km pixels"
        mid_lat = self.origin_lat - (h - 1) * 0.75 * 2 * self._size_px / KM_PER_DEG_LAT / 2
        self._km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(mid_lat))

    # sizes and indices
    @property
    def n_cells(self) -> int:
        return self.width * self.height

    @property
    def neighbour_table(self) -> np.ndarray:
        """(n_cells, 6) int32 array of neighbour cells in DIRECTIONS order, -1 off the map."""
        return self._nbr

    def neighbours(self, cell: int) -> list[int]:
        return self._nbr_lists[cell]

    def in_bounds(self, h: Hex) -> bool:
        col, row = axial_to_offset(h)
        return 0 <= col < self.width and 0 <= row < self.height

    def cell(self, h: Hex) -> int:
        col, row = axial_to_offset(h)
        if not (0 <= col < self.width and 0 <= row < self.height):
            raise ValueError(f"hex {tuple(h)} is off the map")
        return row * self.width + col

    def cell_of_offset(self, col: int, row: int) -> int:
        return row * self.width + col

    def hex(self, cell: int) -> Hex:
        return self._cell_hex[cell]

    def offset(self, cell: int) -> tuple[int, int]:
        return cell % self.width, cell // self.width

    def distance(self, a: int, b: int) -> int:
        return distance(self._cell_hex[a], self._cell_hex[b])

    def cells_within(self, cell: int, radius: int) -> list[int]:
        out = []
        for h in hex_range(self._cell_hex[cell], radius):
            if self.in_bounds(h):
                out.append(self.cell(h))
        return out

    def direction(self, a: int, b: int) -> int:
        """Direction index from cell a to adjacent cell b, or -1."""
        row = self._nbr[a]
        for d in range(6):
            if row[d] == b:
                return d
        return -1

    # geography: km plane with x east, y south, hex (0,0) at (0,0)
    def latlon_to_km(self, lat: float, lon: float) -> tuple[float, float]:
        x = (lon - self.origin_lon) * self._km_per_deg_lon
        y = (self.origin_lat - lat) * KM_PER_DEG_LAT
        return x, y

    def km_to_latlon(self, x: float, y: float) -> tuple[float, float]:
        return self.origin_lat - y / KM_PER_DEG_LAT, self.origin_lon + x / self._km_per_deg_lon

    def hex_centre_km(self, h: Hex) -> tuple[float, float]:
        return hex_to_pixel(h, self._size_px)

    def hex_at_km(self, x: float, y: float) -> Hex:
        return pixel_to_hex(x, y, self._size_px)

    def hex_at_latlon(self, lat: float, lon: float) -> Hex:
        return self.hex_at_km(*self.latlon_to_km(lat, lon))

    def cell_at_latlon(self, lat: float, lon: float) -> int | None:
        h = self.hex_at_latlon(lat, lon)
        return self.cell(h) if self.in_bounds(h) else None

    def latlon(self, cell: int) -> tuple[float, float]:
        """Lat/lon of the centre of ``cell``."""
        return self.km_to_latlon(*self.hex_centre_km(self._cell_hex[cell]))

    def centres_km(self) -> np.ndarray:
        """(n_cells, 2) array of hex centres in km (x east, y south)."""
        out = np.empty((self.n_cells, 2))
        for c, h in enumerate(self._cell_hex):
            out[c] = hex_to_pixel(h, self._size_px)
        return out

    def iter_cells(self) -> Iterator[int]:
        return iter(range(self.n_cells))

"""The map camera: which part of the world the map view shows, and how big.

World coordinates are the pixel space of the hex map at zoom 1 (hex corner radius =
``BASE_HEX_PX``).  Zoom snaps to a few discrete levels so the renderer's tile caches stay
bounded and text stays crisp.  ``x, y`` is the world point at the view's top-left corner and
``origin`` is where that corner sits on the screen (the map view's rect), so screen positions
given to and returned by the camera are absolute window pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

BASE_HEX_PX = 24.0
ZOOM_LEVELS: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)


def snap_zoom(z: float) -> float:
    """The zoom level nearest ``z``."""
    return min(ZOOM_LEVELS, key=lambda lv: abs(lv - z))


def zoom_index(z: float) -> int:
    return ZOOM_LEVELS.index(snap_zoom(z))


@dataclass
class Camera:
    x: float = 0.0
    y: float = 0.0
    zoom: float = 1.0
    origin: tuple[int, int] = (0, 0)   # screen position of the view's top-left corner

    def __post_init__(self) -> None:
        self.zoom = snap_zoom(self.zoom)

    # --- conversions -------------------------------------------------------------------
    def offset_px(self) -> tuple[int, int]:
        """The world-to-screen shift in whole pixels at this zoom (one rounding for every layer,
        so terrain, counters and overlays never drift apart by a pixel while panning)."""
        return round(self.x * self.zoom), round(self.y * self.zoom)

    def world_to_screen(self, wx: float, wy: float) -> tuple[float, float]:
        ox, oy = self.offset_px()
        return self.origin[0] + wx * self.zoom - ox, self.origin[1] + wy * self.zoom - oy

    def screen_to_world(self, sx: float, sy: float) -> tuple[float, float]:
        ox, oy = self.offset_px()
        return (sx - self.origin[0] + ox) / self.zoom, (sy - self.origin[1] + oy) / self.zoom

    # --- movement ----------------------------------------------------------------------
    def pan(self, dx_screen: float, dy_screen: float) -> None:
        """Move the map the way a drag moves it: the content follows the mouse by (dx, dy)."""
        self.x -= dx_screen / self.zoom
        self.y -= dy_screen / self.zoom

    def set_zoom(self, level: float, sx: float | None = None, sy: float | None = None) -> None:
        """Change zoom keeping the world point under screen (sx, sy) fixed (default: origin)."""
        sx = self.origin[0] if sx is None else sx
        sy = self.origin[1] if sy is None else sy
        wx, wy = self.screen_to_world(sx, sy)
        self.zoom = snap_zoom(level)
        self.x = wx - (sx - self.origin[0]) / self.zoom
        self.y = wy - (sy - self.origin[1]) / self.zoom

    def zoom_at(self, factor: float, sx: float, sy: float) -> None:
        """One wheel notch: step to the next zoom level up (factor > 1) or down (< 1)."""
        i = zoom_index(self.zoom)
        if factor > 1:
            i = min(i + 1, len(ZOOM_LEVELS) - 1)
        elif factor < 1:
            i = max(i - 1, 0)
        if ZOOM_LEVELS[i] != self.zoom:
            self.set_zoom(ZOOM_LEVELS[i], sx, sy)

    def clamp(self, map_world_rect: tuple[float, float, float, float], view_size: tuple[int, int]) -> None:
        """Keep the map on screen: a map smaller than the view is centred, a larger one may
        not be dragged further than its edge."""
        mx, my, mw, mh = map_world_rect
        vw, vh = view_size[0] / self.zoom, view_size[1] / self.zoom
        if mw <= vw:
            self.x = mx + (mw - vw) / 2
        else:
            self.x = min(max(self.x, mx), mx + mw - vw)
        if mh <= vh:
            self.y = my + (mh - vh) / 2
        else:
            self.y = min(max(self.y, my), my + mh - vh)

    def centre_on(self, wx: float, wy: float, view_size: tuple[int, int]) -> None:
        self.x = wx - view_size[0] / (2 * self.zoom)
        self.y = wy - view_size[1] / (2 * self.zoom)

    def view_world_rect(self, view_size: tuple[int, int]) -> tuple[float, float, float, float]:
        """The world rectangle (x, y, w, h) the view shows."""
        return self.x, self.y, view_size[0] / self.zoom, view_size[1] / self.zoom

"""The minimap: the whole map small, with control, visible units and the camera's view box.

The terrain picture is rasterised once with numpy (every minimap pixel looks up the hex under
it); control and units are redrawn only when they change.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pygame

from game.hexgrid import SQRT3
from game.scenario.model import Scenario
from game.ui import theme
from game.ui.camera import BASE_HEX_PX, Camera
from game.ui.map_view import MARGIN, MapView


class Minimap:
    def __init__(self, scenario: Scenario, size: tuple[int, int] = (220, 200), map_view: MapView | None = None) -> None:
        self.scenario = scenario
        self.view = map_view or MapView(scenario)
        self.size = size
        ww, wh = self.view.world_size()
        self.scale = min(size[0] / ww, size[1] / wh)
        self.img_size = (max(1, int(ww * self.scale)), max(1, int(wh * self.scale)))
        self._cellmap = self._pixel_cells()
        self._base = self._render_base()
        self._dyn_key: Any = None
        self._dyn: pygame.Surface | None = None

    def _pixel_cells(self) -> np.ndarray:
        """(h, w) array: the cell under each minimap pixel, -1 off the map."""
        w, h = self.img_size
        xs = (np.arange(w) + 0.5) / self.scale
        ys = (np.arange(h) + 0.5) / self.scale
        X, Y = np.meshgrid(xs, ys)
        ox, oy = MARGIN + BASE_HEX_PX * SQRT3 / 2, MARGIN + BASE_HEX_PX
        px, py = (X - ox) / BASE_HEX_PX, (Y - oy) / BASE_HEX_PX
        fq = SQRT3 / 3 * px - py / 3
        fr = 2 / 3 * py
        fs = -fq - fr
        q, r, s = np.round(fq), np.round(fr), np.round(fs)
        dq, dr, ds = np.abs(q - fq), np.abs(r - fr), np.abs(s - fs)
        qa = np.where((dq > dr) & (dq > ds), -r - s, q)
        ra = np.where(~((dq > dr) & (dq > ds)) & (dr > ds), -q - s, r)
        row = ra.astype(np.int64)
        col = (qa + (ra - (row & 1)) / 2).astype(np.int64)
        g = self.scenario.grid
        ok = (col >= 0) & (col < g.width) & (row >= 0) & (row < g.height)
        return np.where(ok, row * g.width + col, -1)

    def _render_base(self) -> pygame.Surface:
        scn = self.scenario
        pal = np.array([theme.terrain_style(t.id, t.name, t.colour, t.impassable).colour for t in scn.terrain_types], dtype=np.uint8)
        rgb = np.empty(self._cellmap.shape + (3,), dtype=np.uint8)
        rgb[:] = theme.OFFMAP
        on = self._cellmap >= 0
        rgb[on] = pal[np.asarray(scn.terrain, dtype=np.int64)[self._cellmap[on]]]
        surf = pygame.surfarray.make_surface(np.ascontiguousarray(rgb.transpose(1, 0, 2)))
        k = self.scale
        for rv in scn.rivers:
            for a, b in rv.edges:
                seg = self.view._edge_segment(a, b)
                if seg:
                    pygame.draw.line(surf, theme.RIVER, (seg[0][0] * k, seg[0][1] * k), (seg[1][0] * k, seg[1][1] * k), 2)
        for rd in scn.roads:
            if rd.kind == "track" or len(rd.cells) < 2:
                continue
            pts = [(x * k, y * k) for x, y in (self.view.cell_centre_world(c) for c in rd.cells)]
            pygame.draw.lines(surf, theme.HIGHWAY if rd.kind == "highway" else theme.ROAD, False, pts, 1)
        return surf

    def _dynamic(self, state: Any, viewer: str | None) -> pygame.Surface:
        ctrl = self.scenario.initial_control if state is None else state.control
        seen = None
        if state is not None and viewer is not None:
            _, _, seen = self.view._visibility(state, viewer)
        units = () if state is None else tuple(sorted((u.cell, u.faction) for u in state.units.values()
                                                      if seen is None or u.id in seen))
        key = (ctrl.tobytes(), units)
        if key == self._dyn_key and self._dyn is not None:
            return self._dyn
        surf = self._base.copy()
        cols = [theme.hex_to_rgb(f.colour) for f in self.scenario.factions]
        tint = np.zeros(self._cellmap.shape + (4,), dtype=np.uint8)
        on = self._cellmap >= 0
        c = np.asarray(ctrl, dtype=np.int64)[np.where(on, self._cellmap, 0)]
        for i, rgb in enumerate(cols):
            m = on & (c == i)
            tint[m] = (*rgb, 90)
        layer = pygame.image.frombuffer(np.ascontiguousarray(tint).tobytes(), self.img_size, "RGBA")
        surf.blit(layer, (0, 0))
        fidx = {f.id: i for i, f in enumerate(self.scenario.factions)}
        r = max(1.5, BASE_HEX_PX * self.scale * 0.55)
        for cell, fid in units:
            x, y = self.view.cell_centre_world(cell)
            rgb = cols[fidx[fid]] if fid in fidx else (255, 255, 255)
            pygame.draw.circle(surf, (10, 10, 10), (x * self.scale, y * self.scale), r + 1)
            pygame.draw.circle(surf, rgb, (x * self.scale, y * self.scale), r)
        self._dyn_key, self._dyn = key, surf
        return surf

    def _img_rect(self, rect: pygame.Rect) -> pygame.Rect:
        r = pygame.Rect(0, 0, *self.img_size)
        r.center = pygame.Rect(rect).center
        return r

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, state: Any, viewer: str | None,
             camera: Camera, view_rect: pygame.Rect) -> None:
        rect = pygame.Rect(rect)
        pygame.draw.rect(surface, theme.PANEL, rect)
        ir = self._img_rect(rect)
        surface.blit(self._dynamic(state, viewer), ir.topleft)
        vr = pygame.Rect(view_rect)
        x, y, w, h = camera.view_world_rect(vr.size)
        box = pygame.Rect(int(ir.x + x * self.scale), int(ir.y + y * self.scale),
                          max(3, int(w * self.scale)), max(3, int(h * self.scale)))
        clip = surface.get_clip()
        surface.set_clip(rect)
        pygame.draw.rect(surface, (0, 0, 0), box.inflate(2, 2), 1)
        pygame.draw.rect(surface, (255, 255, 255), box, 1)
        surface.set_clip(clip)
        pygame.draw.rect(surface, theme.PANEL_EDGE, rect, 1)

    def click_to_world(self, pos: tuple[int, int], rect: pygame.Rect) -> tuple[float, float]:
        """World point under a click on the minimap (centre the camera there)."""
        ir = self._img_rect(rect)
        return (pos[0] - ir.x) / self.scale, (pos[1] - ir.y) / self.scale

"""Line charts drawn with plain pygame: victory points and territory per faction over the turns.

No plotting library: the game-over screen needs two small charts, and pygame draws them in a
few dozen lines with the game's own fonts and faction colours.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from game.ui import theme

AXIS = (150, 150, 140)
GRID = (58, 60, 62)
BG = (28, 30, 33)


@dataclass
class Series:
    label: str
    colour: tuple[int, int, int]
    values: list[float]


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5, 5 x 10^n) giving about ``ticks`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def line_chart(surface: pygame.Surface, rect: pygame.Rect, title: str, series: list[Series],
               x_label: str = "turn", y_label: str = "", x_start: int = 1) -> None:
    """Draw ``series`` (same length, one value per turn) in ``rect`` with axes and a legend."""
    pygame.draw.rect(surface, BG, rect)
    pygame.draw.rect(surface, AXIS, rect, 1)
    # x runs from x_start over len(values) points
    f_title, f_tick = theme.font(24, True), theme.font(16)
    surface.blit(f_title.render(title, True, theme.TEXT), (rect.left + 12, rect.top + 8))
    plot = pygame.Rect(rect.left + 56, rect.top + 40, rect.width - 76, rect.height - 100)
    n = max((len(s.values) for s in series), default=0)
    if n == 0:
        msg = f_tick.render("no completed turns yet", True, AXIS)
        surface.blit(msg, msg.get_rect(center=plot.center))
        return
    lo = min(0.0, min((min(s.values) for s in series if s.values), default=0.0))
    hi = max((max(s.values) for s in series if s.values), default=1.0)
    if hi - lo < 1e-9:
        hi = lo + 1.0
    step = nice_step(hi - lo)
    hi = math.ceil(hi / step) * step
    lo = math.floor(lo / step) * step

    def sx(i: int) -> float:
        return plot.left + (plot.width * i / (n - 1) if n > 1 else plot.width / 2)

    def sy(v: float) -> float:
        return plot.bottom - (v - lo) / (hi - lo) * plot.height

    # horizontal grid and y ticks
    v = lo
    while v <= hi + 1e-9:
        y = int(sy(v))
        pygame.draw.line(surface, GRID, (plot.left, y), (plot.right, y))
        t = f_tick.render(f"{v:g}", True, AXIS)
        surface.blit(t, t.get_rect(midright=(plot.left - 6, y)))
        v += step
    # x ticks: at most ~10 labels
    every = max(1, math.ceil(n / 10))
    for i in range(0, n, every):
        x = int(sx(i))
        pygame.draw.line(surface, AXIS, (x, plot.bottom), (x, plot.bottom + 4))
        t = f_tick.render(str(x_start + i), True, AXIS)
        surface.blit(t, t.get_rect(midtop=(x, plot.bottom + 6)))
    pygame.draw.line(surface, AXIS, plot.bottomleft, plot.bottomright)
    pygame.draw.line(surface, AXIS, plot.bottomleft, plot.topleft)
    xl = f_tick.render(x_label, True, AXIS)
    surface.blit(xl, xl.get_rect(midtop=(plot.centerx, plot.bottom + 22)))
    if y_label:
        yl = pygame.transform.rotate(f_tick.render(y_label, True, AXIS), 90)
        surface.blit(yl, yl.get_rect(midleft=(rect.left + 6, plot.centery)))
    # the lines
    for k, s in enumerate(series):
        off = (k - (len(series) - 1) / 2) * 2.5     # lines that coincide stay visible side by side
        pts = [(sx(i), sy(val) + off) for i, val in enumerate(s.values)]
        if len(pts) > 1:
            pygame.draw.lines(surface, theme.shade(s.colour, 0.5), False, [(x + 1, y + 1) for x, y in pts], 4)
            pygame.draw.lines(surface, s.colour, False, pts, 3)
        for p in pts if len(pts) <= 40 else pts[-1:]:
            pygame.draw.circle(surface, s.colour, (int(p[0]), int(p[1])), 4)
    # legend
    x = plot.left
    y = rect.bottom - 24
    for s in series:
        pygame.draw.rect(surface, s.colour, (x, y + 3, 14, 14))
        pygame.draw.rect(surface, AXIS, (x, y + 3, 14, 14), 1)
        last = f"{s.values[-1]:g}" if s.values else "-"
        t = f_tick.render(f"{s.label} {last}", True, theme.TEXT)
        surface.blit(t, (x + 20, y + 2))
        x += t.get_width() + 44


def history_series(state, which: str) -> list[Series]:
    """Series for ``state.vp_history`` (which='vp') or ``state.territory_history`` ('territory'),
    starting with the position before turn 1 (x = 0)."""
    scn = state.scenario
    n = len(scn.factions)
    if which == "vp":
        start = [0.0] * n
        rows = state.vp_history
    else:
        ctrl = scn.initial_control
        start = [float((ctrl == i).sum()) for i in range(n)]
        rows = state.territory_history
    out = []
    for i, f in enumerate(scn.factions):
        vals = [start[i]] + [float(r[i]) for r in rows if i < len(r)]
        out.append(Series(f.name, line_colour(theme.hex_to_rgb(f.colour)), vals))
    return out


def line_colour(c: tuple[int, int, int]) -> tuple[int, int, int]:
    """A faction colour that shows on the dark chart (ISIL's black becomes a light grey)."""
    if theme.luminance(c) >= 90:
        return c
    return theme.mix(c, (225, 225, 218), 0.7)

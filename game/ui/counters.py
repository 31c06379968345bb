"""Unit counters in the NATO style of printed wargames.

A counter is a square in the faction's colour holding an APP-6 style frame with the type
symbol (infantry X, armour oval, both for mechanized, artillery dot, ...), the strength steps
left as pips (or a number when small) and an out-of-supply marker.  Counters are rendered once
per (type symbol, colour, steps, size, state flags) and reused, so a frame blits ~100 cached
surfaces instead of drawing shapes.
"""
from __future__ import annotations

import pygame

from game.ui import theme
from game.ui.theme import Colour

SYMBOLS = ("infantry", "mechanized", "armor", "artillery", "sof", "militia", "engineer", "hq",
           "airborne", "recon")

SYMBOL_NAMES = {"infantry": "Infantry", "mechanized": "Mechanized", "armor": "Armour", "artillery": "Artillery",
                "sof": "Special forces", "militia": "Militia", "engineer": "Engineers", "hq": "Headquarters",
                "airborne": "Airborne", "recon": "Reconnaissance"}

_cache: dict[tuple, pygame.Surface] = {}


def counter_size(hex_radius: float) -> int:
    """Side of a counter for hexes of this corner radius (fits inside the hex)."""
    return max(10, int(hex_radius * 1.26))


def counter(symbol: str, colour: Colour, steps: int, max_steps: int, size: int,
            out_of_supply: bool = False, spent: bool = False) -> pygame.Surface:
    """A cached counter surface (size + 2 px for the shadow), transparent around it."""
    key = (symbol, colour, steps, max_steps, size, out_of_supply, spent)
    s = _cache.get(key)
    if s is None:
        s = _render(symbol, colour, steps, max_steps, size, out_of_supply, spent)
        if len(_cache) > 3000:
            _cache.clear()
        _cache[key] = s
    return s


def _render(symbol: str, colour: Colour, steps: int, max_steps: int, size: int,
            oos: bool, spent: bool) -> pygame.Surface:
    sh = max(1, size // 14)
    surf = pygame.Surface((size + sh, size + sh), pygame.SRCALPHA)
    body = theme.mix(colour, (120, 120, 120), 0.55) if spent else colour
    ink = theme.ink_on(body)
    pygame.draw.rect(surf, (0, 0, 0, 110), (sh, sh, size, size), border_radius=max(1, size // 10))
    pygame.draw.rect(surf, body, (0, 0, size, size), border_radius=max(1, size // 10))
    if size >= 18:  # bevel: light top-left, dark bottom-right, like a die-cut counter
        hi, lo = theme.shade(body, 1.35), theme.shade(body, 0.62)
        pygame.draw.line(surf, hi, (2, 1), (size - 3, 1))
        pygame.draw.line(surf, hi, (1, 2), (1, size - 3))
        pygame.draw.line(surf, lo, (2, size - 2), (size - 3, size - 2))
        pygame.draw.line(surf, lo, (size - 2, 2), (size - 2, size - 3))
    pygame.draw.rect(surf, theme.shade(body, 0.45), (0, 0, size, size), 1, border_radius=max(1, size // 10))

    # the NATO frame
    fw, fh = int(size * 0.72), int(size * 0.46)
    fx, fy = (size - fw) // 2, int(size * 0.13)
    frame = pygame.Rect(fx, fy, fw, fh)
    frame_fill = theme.mix(body, (255, 255, 255), 0.62)
    frame_ink = (20, 20, 20)
    lw = 1 if size < 40 else 2
    pygame.draw.rect(surf, frame_fill, frame)
    draw_symbol(surf, symbol, frame, frame_ink, lw)
    if symbol == "militia":
        _dashed_rect(surf, frame, frame_ink, lw)
    else:
        pygame.draw.rect(surf, frame_ink, frame, lw)

    # strength
    _draw_strength(surf, steps, max_steps, size, fy + fh, ink, body)
    if oos:
        r = max(3, size // 7)
        c = (size - r - 1, r + 1)
        pygame.draw.circle(surf, theme.OOS, c, r)
        pygame.draw.circle(surf, (20, 20, 20), c, r, 1)
        if r >= 5:
            t = theme.font(int(r * 2.2), True).render("!", True, (20, 20, 20))
            surf.blit(t, t.get_rect(center=(c[0] + 1, c[1] + 1)))
    return surf


def _draw_strength(surf: pygame.Surface, steps: int, max_steps: int, size: int, top: int,
                   ink: Colour, body: Colour) -> None:
    bottom = size - max(2, size // 12)
    avail = bottom - top
    if max_steps <= 6 and size >= 22:
        pip = max(3, min(size // 7, avail - 3))
        gap = max(1, pip // 3)
        total = max_steps * pip + (max_steps - 1) * gap
        x = (size - total) // 2
        y = top + (avail - pip) // 2 + 1
        for i in range(max_steps):
            r = pygame.Rect(x + i * (pip + gap), y, pip, pip)
            if i < steps:
                pygame.draw.rect(surf, ink, r)
            else:
                pygame.draw.rect(surf, theme.mix(body, ink, 0.45), r, 1)
        return
    txt = str(steps) if size < 30 else f"{steps}/{max_steps}"
    fsz = max(9, int(avail * 1.25))
    t = theme.font(fsz, True).render(txt, True, ink)
    surf.blit(t, t.get_rect(center=(size // 2, top + avail // 2 + 1)))


def _dashed_rect(surf: pygame.Surface, r: pygame.Rect, c: Colour, lw: int) -> None:
    dash = max(2, r.width // 7)
    for x in range(r.left, r.right, dash * 2):
        pygame.draw.line(surf, c, (x, r.top), (min(x + dash, r.right - 1), r.top), lw)
        pygame.draw.line(surf, c, (x, r.bottom - 1), (min(x + dash, r.right - 1), r.bottom - 1), lw)
    for y in range(r.top, r.bottom, dash * 2):
        pygame.draw.line(surf, c, (r.left, y), (r.left, min(y + dash, r.bottom - 1)), lw)
        pygame.draw.line(surf, c, (r.right - 1, y), (r.right - 1, min(y + dash, r.bottom - 1)), lw)


def draw_symbol(surf: pygame.Surface, symbol: str, frame: pygame.Rect, ink: Colour, lw: int = 1) -> None:
    """The APP-6 type symbol inside ``frame`` (also used by the legend)."""
    l, t, r, b = frame.left, frame.top, frame.right - 1, frame.bottom - 1
    cx, cy = frame.centerx, frame.centery
    w, h = frame.width, frame.height

    def cross() -> None:
        pygame.draw.line(surf, ink, (l, t), (r, b), lw)
        pygame.draw.line(surf, ink, (l, b), (r, t), lw)

    def oval() -> None:
        ow, oh = int(w * 0.62), int(h * 0.56)
        pygame.draw.ellipse(surf, ink, (cx - ow // 2, cy - oh // 2, ow, oh), lw)

    def letters(txt: str) -> None:
        f = theme.font(max(8, int(h * 0.95)), True)
        s = f.render(txt, True, ink)
        surf.blit(s, s.get_rect(center=(cx, cy + 1)))

    if symbol in ("infantry", "militia"):
        cross()
    elif symbol == "armor":
        oval()
    elif symbol == "mechanized":
        cross()
        oval()
    elif symbol == "artillery":
        pygame.draw.circle(surf, ink, (cx, cy), max(2, h // 5))
    elif symbol == "airborne":
        cross()
        aw = int(w * 0.36)
        pygame.draw.arc(surf, ink, (cx - aw // 2, b - h // 3, aw // 2, h // 3), 0, 3.1416, lw)
        pygame.draw.arc(surf, ink, (cx, b - h // 3, aw // 2, h // 3), 0, 3.1416, lw)
    elif symbol == "recon":
        pygame.draw.line(surf, ink, (l, b), (r, t), lw)
    elif symbol == "engineer":
        ew, eh = int(w * 0.56), int(h * 0.36)
        x0, y0 = cx - ew // 2, cy - eh // 2
        pygame.draw.line(surf, ink, (x0, y0), (x0 + ew, y0), lw + 1)
        for x in (x0, cx, x0 + ew):
            pygame.draw.line(surf, ink, (x, y0), (x, y0 + eh), lw + 1)
    elif symbol == "sof":
        letters("SF")
    elif symbol == "hq":
        letters("HQ")
    else:
        letters("?")


def stack_badge(n: int, size: int) -> pygame.Surface:
    """A small "+n" tag for hexes holding more units than are drawn."""
    return theme.halo_text(f"+{n}", max(10, size // 2), (255, 255, 255), (0, 0, 0), True, 1)

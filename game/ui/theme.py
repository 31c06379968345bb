"""Colours and fonts for the map: one place, so every layer speaks the same visual language.

The palette follows printed operational maps: sand desert, khaki steppe, green irrigated
valley, grey built-up areas, brown ridges, blue water.  A scenario's terrain type is matched
to a style by its id/name ("desert", "steppe", "valley", ...); types the theme does not know
are drawn in the colour the scenario gives them.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pygame

Colour = tuple[int, int, int]

# --- map colours ---------------------------------------------------------------------------
PAPER: Colour = (236, 228, 206)          # off-map background
OFFMAP: Colour = (58, 62, 66)
RIVER: Colour = (46, 110, 190)
RIVER_EDGE: Colour = (22, 62, 122)
LAKE: Colour = (126, 172, 214)
BRIDGE: Colour = (40, 34, 30)
HIGHWAY: Colour = (200, 52, 36)
HIGHWAY_EDGE: Colour = (96, 24, 18)
ROAD: Colour = (226, 138, 46)
ROAD_EDGE: Colour = (110, 70, 30)
TRACK: Colour = (108, 82, 52)
LABEL: Colour = (24, 22, 20)
LABEL_HALO: Colour = (250, 246, 232)
OBJECTIVE: Colour = (206, 160, 20)
OBJECTIVE_EDGE: Colour = (60, 40, 0)
FOG: tuple[int, int, int, int] = (20, 24, 34, 118)
LINE: Colour = (20, 20, 24)
HOVER: Colour = (255, 255, 255)
SELECT: Colour = (255, 226, 60)
REACH: tuple[int, int, int, int] = (255, 255, 255, 70)
REACH_EDGE: Colour = (250, 250, 240)
PATH: Colour = (255, 236, 80)
ATTACK: Colour = (230, 30, 30)
OOS: Colour = (240, 200, 20)
PANEL: Colour = (34, 36, 40)
PANEL_EDGE: Colour = (150, 150, 140)
TEXT: Colour = (232, 230, 222)


@dataclass(frozen=True)
class TerrainStyle:
    kind: str                 # desert | steppe | valley | urban | ridge | oil | airbase | lake | marsh | plain | other
    colour: Colour
    texture: Colour           # colour of the texture marks


STYLES: dict[str, TerrainStyle] = {
    "desert": TerrainStyle("desert", (222, 204, 160), (196, 172, 124)),
    "steppe": TerrainStyle("steppe", (201, 193, 138), (160, 150, 92)),
    "valley": TerrainStyle("valley", (148, 182, 104), (112, 150, 74)),
    "urban": TerrainStyle("urban", (170, 162, 154), (112, 104, 98)),
    "ridge": TerrainStyle("ridge", (184, 154, 112), (122, 92, 60)),
    "oil": TerrainStyle("oil", (206, 190, 140), (30, 30, 30)),
    "airbase": TerrainStyle("airbase", (196, 192, 176), (70, 70, 74)),
    "lake": TerrainStyle("lake", LAKE, (96, 142, 196)),
    "marsh": TerrainStyle("marsh", (150, 176, 140), (80, 120, 130)),
    "plain": TerrainStyle("plain", (214, 206, 160), (184, 174, 130)),
    "closed": TerrainStyle("closed", (176, 172, 164), (140, 136, 128)),
}

_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("lake", ("lake", "water", "reservoir", "sea")),
    ("marsh", ("marsh", "swamp", "wetland")),
    ("oil", ("oil", "gas", "petrol")),
    ("airbase", ("air", "runway")),
    ("urban", ("urban", "city", "town", "built")),
    ("ridge", ("ridge", "rough", "hill", "mount", "jabal", "jebel", "escarp", "broken")),
    ("valley", ("valley", "irrig", "farm", "field", "crop", "agri", "river", "green")),
    ("steppe", ("steppe", "jazira", "jezira", "grass", "scrub")),
    ("desert", ("desert", "badia", "sand", "dune")),
    ("plain", ("clear", "open", "plain")),
]


def hex_to_rgb(s: str, default: Colour = (200, 180, 140)) -> Colour:
    s = (s or "").strip().lstrip("#")
    if len(s) == 3:
        s = "".join(ch * 2 for ch in s)
    try:
        return int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16)
    except (ValueError, IndexError):
        return default


def terrain_style(tid: str, name: str, colour: str, impassable: bool = False) -> TerrainStyle:
    """The drawing style for a scenario terrain type (matched on id first, then name).
    Impassable land (a closed border, say) is greyed and hatched."""
    if impassable and not any(w in (tid + " " + name).lower() for w in _KEYWORDS[0][1]):
        return STYLES["closed"]
    text = f"{tid} {name}".lower()
    for kind, words in _KEYWORDS:
        if any(w in text for w in words):
            return STYLES[kind]
    base = hex_to_rgb(colour)
    return TerrainStyle("other", base, shade(base, 0.8))


def shade(c: Colour, f: float) -> Colour:
    """Darken (f < 1) or lighten (f > 1, towards white) a colour."""
    if f <= 1:
        return tuple(max(0, min(255, int(v * f))) for v in c)  # type: ignore[return-value]
    t = f - 1
    return tuple(max(0, min(255, int(v + (255 - v) * t))) for v in c)  # type: ignore[return-value]


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def luminance(c: Colour) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def ink_on(c: Colour) -> Colour:
    """Black or white, whichever reads better on ``c``."""
    return (18, 18, 18) if luminance(c) > 140 else (248, 248, 244)


# --- fonts ----------------------------------------------------------------------------------
# Noto Sans ships with pygame_gui (a dependency, SIL Open Font License), so it is present on
# every install, headless too; pygame's own default font is the fallback.
_fonts: dict[tuple[int, bool, bool], pygame.font.Font] = {}
_labels: dict[tuple, pygame.Surface] = {}
_noto_dir: Path | None | bool = False


def _noto() -> Path | None:
    global _noto_dir
    if _noto_dir is False:
        _noto_dir = None
        spec = importlib.util.find_spec("pygame_gui")
        if spec is not None and spec.origin:
            d = Path(spec.origin).parent / "data"
            if (d / "NotoSans-Regular.ttf").is_file():
                _noto_dir = d
    return _noto_dir  # type: ignore[return-value]


def font(size: int, bold: bool = False, italic: bool = False) -> pygame.font.Font:
    """A cached font.  ``size`` is on pygame's default-font scale (its glyphs are ~0.7 of the
    nominal size), so sizes mean the same whichever font is found."""
    size = max(6, int(size))
    key = (size, bold, italic)
    f = _fonts.get(key)
    if f is None:
        if not pygame.font.get_init():
            pygame.font.init()
        d = _noto()
        name = "NotoSans-" + ("Bold" if bold else "") + ("Italic" if italic else "") if (bold or italic) else "NotoSans-Regular"
        if d is not None and (d / f"{name}.ttf").is_file():
            f = pygame.font.Font(str(d / f"{name}.ttf"), max(5, round(size * 0.68)))
        else:
            f = pygame.font.Font(None, size)
            f.set_bold(bold)
            f.set_italic(italic)
        _fonts[key] = f
    return f


def halo_text(text: str, size: int, colour: Colour = LABEL, halo: Colour | None = LABEL_HALO,
              bold: bool = False, halo_px: int = 2, italic: bool = False) -> pygame.Surface:
    """Text with a soft outline so it reads on any terrain; cached."""
    key = (text, size, colour, halo, bold, halo_px, italic)
    s = _labels.get(key)
    if s is not None:
        return s
    f = font(size, bold, italic)
    fg = f.render(text, True, colour)
    if halo is None:
        _labels[key] = fg
        return fg
    w, h = fg.get_width() + 2 * halo_px, fg.get_height() + 2 * halo_px
    s = pygame.Surface((w, h), pygame.SRCALPHA)
    hs = f.render(text, True, halo)
    for dx in range(-halo_px, halo_px + 1):
        for dy in range(-halo_px, halo_px + 1):
            if dx * dx + dy * dy <= halo_px * halo_px + 1 and (dx or dy):
                s.blit(hs, (halo_px + dx, halo_px + dy))
    s.blit(fg, (halo_px, halo_px))
    if len(_labels) > 4000:
        _labels.clear()
    _labels[key] = s
    return s

"""What every screen shares: the ``Screen`` base, the widget theme and a few drawing helpers.

Each screen owns its own pygame_gui manager, so a screen pushed on top (a dialog, the handover
screen) never leaks clicks to the widgets of the screen below, and leaving a screen drops all of
its widgets at once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pygame
import pygame_gui

from game.ui import theme

if TYPE_CHECKING:
    from game.ui.app import App

BG = (26, 28, 31)
PANEL = theme.PANEL
PANEL_DARK = (22, 23, 26)
EDGE = (78, 80, 76)
TEXT = theme.TEXT
DIM = (150, 150, 142)
ACCENT = (214, 170, 62)         # brass
GOOD = (120, 190, 110)
BAD = (222, 96, 80)
WARN = (236, 190, 70)

UI_THEME: dict[str, Any] = {
    "defaults": {
        "colours": {
            "normal_bg": "#3a3d42", "hovered_bg": "#4c5058", "disabled_bg": "#2a2c30",
            "selected_bg": "#6b5a2a", "active_bg": "#6b5a2a",
            "dark_bg": "#1f2124", "normal_text": "#e8e6de", "hovered_text": "#ffffff",
            "selected_text": "#ffffff", "disabled_text": "#7c7c76",
            "normal_border": "#5a5c58", "hovered_border": "#d6aa3e", "disabled_border": "#3a3c3a",
            "selected_border": "#d6aa3e", "active_border": "#d6aa3e",
            "link_text": "#d6aa3e", "link_hover": "#ffd36a", "text_cursor": "#e8e6de",
        },
        "misc": {"shape": "rounded_rectangle", "shape_corner_radius": "3", "border_width": "1"},
    },
    "@accent": {"colours": {"normal_bg": "#7a5f22", "hovered_bg": "#98772c", "normal_border": "#d6aa3e"}},
    "@danger": {"colours": {"normal_bg": "#6e2a22", "hovered_bg": "#8c362c"}},
    "label": {"misc": {"text_horiz_alignment": "left"}},
    "selection_list.#item_list_item": {"misc": {"text_horiz_alignment": "left", "text_horiz_alignment_padding": "10"}},
}


class Screen:
    """One entry of the app's screen stack.

    ``opaque`` screens draw the whole window, so nothing below them is drawn (the handover
    screen relies on that to hide the map).  Every screen in the stack gets ``update`` (so an AI
    turn under a dialog keeps going); only the top one gets input.
    """

    opaque = True
    name = "screen"

    def __init__(self, app: "App"):
        self.app = app
        self.ui = pygame_gui.UIManager(app.size, UI_THEME)

    # --- life cycle ------------------------------------------------------------------------
    def on_enter(self) -> None:
        """Pushed onto the stack (or uncovered again)."""

    def on_exit(self) -> None:
        """Popped off the stack for good."""

    def on_resize(self, size: tuple[int, int]) -> None:
        self.ui.set_window_resolution(size)
        self.layout(size)

    def layout(self, size: tuple[int, int]) -> None:
        """(Re)place widgets for a window of ``size``."""

    # --- per frame ---------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        """An input event the widgets did not consume (only the top screen gets these)."""

    def update(self, dt: float) -> None:
        """Background work: runs for every screen in the stack."""

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(BG)


# --- drawing helpers --------------------------------------------------------------------------

def text(surface: pygame.Surface, s: str, pos: tuple[int, int], size: int = 18,
         colour: tuple[int, int, int] = TEXT, bold: bool = False, anchor: str = "topleft") -> pygame.Rect:
    img = theme.font(size, bold).render(s, True, colour)
    r = img.get_rect(**{anchor: pos})
    surface.blit(img, r)
    return r


def fit(s: str, width: int, size: int = 18, bold: bool = False) -> str:
    """``s`` cut to ``width`` pixels with an ellipsis if it is too long."""
    f = theme.font(size, bold)
    if f.size(s)[0] <= width:
        return s
    lo, hi = 0, len(s)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if f.size(s[:mid].rstrip() + "...")[0] <= width:
            lo = mid
        else:
            hi = mid - 1
    return s[:lo].rstrip() + "..."


def wrap(s: str, width: int, size: int = 18, bold: bool = False) -> list[str]:
    """Greedy word wrap for pygame's font at ``size``."""
    f = theme.font(size, bold)
    out: list[str] = []
    for para in s.split("\n"):
        words = para.split(" ")
        line = ""
        for w in words:
            cand = w if not line else line + " " + w
            if f.size(cand)[0] <= width or not line:
                line = cand
            else:
                out.append(line)
                line = w
        out.append(line)
    return out


def text_block(surface: pygame.Surface, s: str, rect: pygame.Rect, size: int = 18,
               colour: tuple[int, int, int] = TEXT, line_gap: int = 2) -> int:
    """Wrapped text inside ``rect``; returns the y below the last line drawn."""
    y = rect.top
    h = theme.font(size).get_linesize()
    for line in wrap(s, rect.width, size):
        if y + h > rect.bottom:
            break
        text(surface, line, (rect.left, y), size, colour)
        y += h + line_gap
    return y


def panel(surface: pygame.Surface, rect: pygame.Rect, fill: tuple[int, int, int] = PANEL,
          edge: tuple[int, int, int] = EDGE, alpha: int = 255) -> None:
    if alpha < 255:
        s = pygame.Surface(rect.size, pygame.SRCALPHA)
        s.fill((*fill, alpha))
        surface.blit(s, rect.topleft)
    else:
        pygame.draw.rect(surface, fill, rect)
    pygame.draw.rect(surface, edge, rect, 1)


def dim(surface: pygame.Surface, alpha: int = 150) -> None:
    s = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    s.fill((0, 0, 0, alpha))
    surface.blit(s, (0, 0))


def readable(c: tuple[int, int, int], bg_luma: float = 40.0) -> tuple[int, int, int]:
    """``c`` lightened until it reads as text on the dark panels (ISIL's black, for one)."""
    if theme.luminance(c) - bg_luma >= 70:
        return c
    return theme.mix(c, (235, 235, 228), 0.55)


def faction_text_colour(scenario, fid: str | None) -> tuple[int, int, int]:
    return readable(faction_colour(scenario, fid))


def faction_colour(scenario, fid: str | None) -> tuple[int, int, int]:
    if fid is None:
        return DIM
    try:
        return theme.hex_to_rgb(scenario.factions[scenario.faction_index(fid)].colour)
    except KeyError:
        return DIM


def faction_name(scenario, fid: str | None) -> str:
    if fid is None:
        return "-"
    if fid == "draw":
        return "Draw"
    try:
        return scenario.factions[scenario.faction_index(fid)].name
    except KeyError:
        return fid


def button(ui: pygame_gui.UIManager, rect: pygame.Rect | tuple, label: str, tip: str | None = None,
           object_id: str | None = None, container: Any = None) -> pygame_gui.elements.UIButton:
    return pygame_gui.elements.UIButton(pygame.Rect(rect), label, ui, container=container,
                                        tool_tip_text=tip, object_id=object_id)


def label(ui: pygame_gui.UIManager, rect: pygame.Rect | tuple, s: str, object_id: str | None = None,
          container: Any = None) -> pygame_gui.elements.UILabel:
    return pygame_gui.elements.UILabel(pygame.Rect(rect), s, ui, container=container, object_id=object_id)

"""The help overlay: every key and mouse action, in one place (F1 or ? in the game)."""
from __future__ import annotations

import pygame

from game.ui.screens import common
from game.ui.screens.common import Screen

# (section, [(keys, what)]) - the one list of controls; the README section mirrors it.
KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Orders", [
        ("Left click own unit", "select it (click again: next unit in the hex)"),
        ("Left click lit hex", "move there along the shown path"),
        ("Shift + left click", "move onto a hex with your own units"),
        ("Left click red hex", "prepare an attack: odds and outcomes shown"),
        ("Enter", "commit the prepared attack / air mission"),
        ("A", "add every unit that can join the attack"),
        ("C", "toggle close air support for the attack"),
        ("S / B / I / D", "air strike / book CAS / ISR / airdrop: then click a hex"),
        ("H", "hotline: announce now, announce and wait, or fly unannounced"),
        ("Right click / Esc", "cancel the order, then the selection"),
        ("Tab / Shift+Tab", "next / previous unit with orders left"),
        ("Ctrl+Z / Backspace", "undo the last move (unless it found the enemy)"),
        ("E", "end turn (warns about units with orders left)"),
    ]),
    ("Counters", [
        ("Green dot", "has not moved or fought yet this turn"),
        ("Orange dot", "can still move or attack"),
        ("Greyed out", "done for this turn"),
        ("Yellow !", "out of supply"),
        ("Dots along the bottom", "strength steps left"),
    ]),
    ("Map", [
        ("Arrow keys", "scroll the map"),
        ("Right drag / middle drag", "pan"),
        ("Mouse wheel / + -", "zoom"),
        ("Click / drag minimap", "jump there"),
        ("Space", "centre on the selected unit"),
        ("G", "hex grid on/off"),
        ("L", "deconfliction lines on/off"),
    ]),
    ("Game", [
        ("F5 / Ctrl+S", "quick save"),
        ("F9 / Ctrl+L", "load the quick save"),
        ("Esc", "game menu (save as, load, replay, quit)"),
        ("Space / Esc during AI turn", "skip to the end of the AI turn"),
        ("F1 / ?", "this help"),
        ("F11", "screenshot into the save folder"),
    ]),
    ("Replay", [
        ("Right / Left", "step forward / back one action"),
        ("Page Down / Page Up", "next / previous turn"),
        ("Home / End", "start / end of the game"),
        ("P", "play / pause"),
        ("C", "continue playing from this point"),
    ]),
]


class HelpOverlay(Screen):
    opaque = False
    name = "help"

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.KEYDOWN or (event.type == pygame.MOUSEBUTTONDOWN and event.button in (1, 3)):
            self.app.remove(self)

    def draw(self, surface: pygame.Surface) -> None:
        common.dim(surface, 170)
        w, h = surface.get_size()
        box = pygame.Rect(0, 0, min(1160, w - 60), min(720, h - 40))
        box.center = (w // 2, h // 2)
        common.panel(surface, box, common.PANEL_DARK, common.ACCENT, alpha=245)
        common.text(surface, "Keys and mouse", (box.left + 24, box.top + 16), 32, common.ACCENT, bold=True)
        common.text(surface, "any key or click closes", (box.right - 24, box.top + 24), 18, common.DIM,
                    anchor="topright")
        col_w = (box.width - 48) // 2
        cols = [KEYS[:2], KEYS[2:]]
        for ci, sections in enumerate(cols):
            x = box.left + 24 + ci * (col_w + 12)
            y = box.top + 64
            for title, rows in sections:
                common.text(surface, title, (x, y), 22, (232, 216, 168), bold=True)
                y += 26
                for keys, what in rows:
                    common.text(surface, keys, (x + 8, y), 17, common.WARN)
                    common.text(surface, what, (x + 200, y), 17, common.TEXT)
                    y += 20
                y += 10


def markdown() -> str:
    """The controls as a Markdown list (for the README)."""
    out = []
    for title, rows in KEYS:
        out.append(f"**{title}:** " + "; ".join(f"{k} - {v}" for k, v in rows) + ".")
    return "\n\n".join(out)

"""The main menu: new game, continue, load, open a scenario file, replay, quit."""
from __future__ import annotations

import math

import pygame
import pygame_gui

from game.ui import theme
from game.ui.screens import common
from game.ui.screens.common import Screen

def save_suffix() -> str:
    try:
        from game.persistence import SAVE_SUFFIX
        return SAVE_SUFFIX
    except ImportError:
        return ".dsave"


SAVE_PATTERNS = (save_suffix(),)
SCENARIO_PATTERNS = (".yaml", ".yml")


def list_saves(save_dir) -> list:
    """Readable save files in ``save_dir``, newest first."""
    from pathlib import Path
    try:
        from game import persistence
        return [Path(info.path) for info in persistence.list_saves(save_dir) if not info.error]
    except ImportError:
        d = Path(save_dir)
        if not d.is_dir():
            return []
        files = [p for p in d.iterdir() if p.is_file() and p.suffix.lower() in SAVE_PATTERNS]
        return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)
    except Exception:  # a broken save folder must not break the menu
        return []


def continue_hint(path) -> str:
    """A few words on what Continue would open: scenario and turn."""
    try:
        from game import persistence
        i = persistence.read_save_info(path)
    except Exception:  # the menu must open whatever the save folder holds
        return ""
    name = (i.scenario_name or i.scenario_id or "").split(":")[0]
    where = "game over" if i.terminal else f"turn {i.turn}"
    return f"{name}, {where}" if name else where


class MenuScreen(Screen):
    name = "menu"

    def __init__(self, app):
        super().__init__(app)
        self.t = 0.0
        self.layout(app.size)

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        w, h = size
        bw, bh, gap = 320, 46, 12
        x = w // 2 - bw // 2
        y = int(h * 0.42)
        self.saves = list_saves(self.app.save_dir)
        items = [
            ("new", "New game", "Choose a scenario and who plays each side", "@accent"),
            ("continue", "Continue", "Continue the most recent save", None),
            ("load", "Load game", "Pick a saved game", None),
            ("open", "Open scenario file", "Open a scenario YAML file from anywhere", None),
            ("replay", "Watch a replay", "Step through a saved or finished game", None),
            ("quit", "Quit", None, "@danger"),
        ]
        self.continue_hint = continue_hint(self.saves[0]) if self.saves else ""
        self.buttons: dict[str, pygame_gui.elements.UIButton] = {}
        for key, text, tip, oid in items:
            if key == "continue" and self.continue_hint:
                tip = f"Continue the most recent save: {self.saves[0].name}"
            b = common.button(self.ui, (x, y, bw, bh), text, tip, object_id=oid)
            if key == "continue" and not self.saves:
                b.disable()
            self.buttons[key] = b
            y += bh + gap

    def on_enter(self) -> None:
        self.layout(self.app.size)

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            for key, b in self.buttons.items():
                if event.ui_element is b:
                    self.choose(key)
        elif event.type == pygame.KEYDOWN:
            keys = {pygame.K_n: "new", pygame.K_l: "load", pygame.K_o: "open", pygame.K_r: "replay",
                    pygame.K_c: "continue", pygame.K_q: "quit", pygame.K_RETURN: "new"}
            if event.key in keys:
                self.choose(keys[event.key])
            elif event.key == pygame.K_ESCAPE:
                self.app.quit(0)

    def choose(self, key: str) -> None:
        from game.ui.screens.file_dialog import FileDialog, describe_save
        if key == "new":
            self.app.open_setup()
        elif key == "continue" and self.saves:
            self.app.load_game(self.saves[0])
        elif key == "load":
            self.app.push(FileDialog(self.app, "Load a saved game", self.app.save_dir, SAVE_PATTERNS,
                                     self.app.load_game, describe=describe_save, newest_first=True))
        elif key == "open":
            self.app.push(FileDialog(self.app, "Open a scenario file", self.app.scenario_dir
                                     if self.app.scenario_dir.is_dir() else self.app.bundled_dir,
                                     SCENARIO_PATTERNS, self._open_scenario))
        elif key == "replay":
            self.app.push(FileDialog(self.app, "Replay a saved game", self.app.save_dir, SAVE_PATTERNS,
                                     self.app.open_replay, describe=describe_save, newest_first=True))
        elif key == "quit":
            self.app.quit(0)

    def _open_scenario(self, path) -> bool:
        self.app.open_setup(path)
        return True

    def update(self, dt: float) -> None:
        self.t += dt

    def draw(self, surface: pygame.Surface) -> None:
        draw_backdrop(surface, self.t)
        w, h = surface.get_size()
        common.text(surface, "DECONFLICTION", (w // 2, int(h * 0.17)), 84, (232, 216, 168), bold=True, anchor="center")
        common.text(surface, "Eastern Syria, September 2017  -  the race for the Middle Euphrates",
                    (w // 2, int(h * 0.17) + 56), 24, common.DIM, anchor="center")
        pygame.draw.line(surface, common.ACCENT, (w // 2 - 260, int(h * 0.17) + 82), (w // 2 + 260, int(h * 0.17) + 82), 2)
        if self.continue_hint and "continue" in self.buttons:
            b = self.buttons["continue"].rect
            common.text(surface, common.fit(self.continue_hint, w - b.right - 32, 16), (b.right + 16, b.centery), 16,
                        common.DIM, anchor="midleft")
        common.text(surface, f"Saves: {self.app.save_dir}", (16, h - 28), 16, common.DIM)
        common.text(surface, "F1 help in game  -  Esc quits", (w - 16, h - 28), 16, common.DIM, anchor="topright")


_backdrop_grid: dict[tuple[int, int], pygame.Surface] = {}


def draw_backdrop(surface: pygame.Surface, t: float = 0.0) -> None:
    """A quiet map-table backdrop: dark sand with a faint hex grid and a river line."""
    w, h = surface.get_size()
    grid = _backdrop_grid.get((w, h))
    if grid is None:                    # the hex grid is drawn once per window size
        grid = pygame.Surface((w, h))
        grid.fill((30, 31, 30))
        size = 36
        col = (40, 41, 38)
        dx = size * math.sqrt(3)
        for row in range(-1, int(h / (size * 1.5)) + 2):
            for c in range(-1, int(w / dx) + 2):
                cx = c * dx + (dx / 2 if row % 2 else 0)
                cy = row * size * 1.5
                pts = [(cx + size * math.cos(math.radians(60 * i - 30)), cy + size * math.sin(math.radians(60 * i - 30)))
                       for i in range(6)]
                pygame.draw.polygon(grid, col, pts, 1)
        _backdrop_grid.clear()
        _backdrop_grid[(w, h)] = grid
    surface.blit(grid, (0, 0))
    pts = []
    for i in range(0, w + 40, 40):
        pts.append((i, h * 0.62 + math.sin(i / 140.0 + t * 0.2) * 38 + math.sin(i / 53.0) * 12))
    if len(pts) > 1:
        pygame.draw.lines(surface, (38, 66, 96), False, pts, 6)
    pygame.draw.rect(surface, theme.shade(common.ACCENT, 0.5), surface.get_rect(), 2)

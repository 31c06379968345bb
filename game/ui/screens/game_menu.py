"""The in-game menu (Esc): resume, save, save as, load, replay this game, help, main menu, quit."""
from __future__ import annotations

import time

import pygame
import pygame_gui

from game.ui.screens import common
from game.ui.screens.common import Screen


class GameMenu(Screen):
    opaque = False
    name = "game_menu"

    def __init__(self, app, game):
        super().__init__(app)
        self.game = game
        self.layout(app.size)

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        w, h = size
        items = [
            ("resume", "Resume", "@accent"), ("quick", "Quick save (F5)", None), ("saveas", "Save as...", None),
            ("load", "Load game... (F9 quick)", None), ("replay", "Replay this game", None),
            ("help", "Keys and mouse (F1)", None), ("menu", "Main menu", None), ("quit", "Quit", "@danger"),
        ]
        bw, bh, gap = 300, 42, 10
        self.box = pygame.Rect(0, 0, bw + 60, len(items) * (bh + gap) + 80)
        self.box.center = (w // 2, h // 2)
        y = self.box.top + 64
        self.buttons: dict[pygame_gui.elements.UIButton, str] = {}
        for key, text, oid in items:
            b = common.button(self.ui, (self.box.left + 30, y, bw, bh), text, object_id=oid)
            self.buttons[b] = key
            y += bh + gap

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.buttons:
            self.choose(self.buttons[event.ui_element])
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.app.remove(self)

    def choose(self, key: str) -> None:
        from game.ui.screens.dialogs import PromptDialog
        from game.ui.screens.file_dialog import FileDialog, describe_save
        from game.ui.screens.menu import SAVE_PATTERNS
        g = self.game
        if key == "resume":
            self.app.remove(self)
        elif key == "quick":
            self.app.remove(self)
            g.quick_save()
        elif key == "saveas":
            self.app.remove(self)
            default = f"{g.session.scenario.meta.id}-turn{g.state.turn}-{time.strftime('%H%M')}"
            self.app.push(PromptDialog(self.app, "Save game", f"Name of the save (in {self.app.save_dir}):",
                                       default, self._save_as))
        elif key == "load":
            self.app.remove(self)
            self.app.push(FileDialog(self.app, "Load a saved game", self.app.save_dir, SAVE_PATTERNS,
                                     self.app.load_game, describe=describe_save, newest_first=True))
        elif key == "replay":
            self.app.remove(self)
            self.app.open_replay(g.session)
        elif key == "help":
            self.app.remove(self)
            g.open_help()
        elif key == "menu":
            self.app.confirm("Leave this game?", "Unsaved progress since the last autosave (end of the last "
                             "turn) is lost.", self.app.open_menu, yes="Main menu")
        elif key == "quit":
            self.app.confirm("Quit?", "Unsaved progress since the last autosave (end of the last turn) is lost.",
                             lambda: self.app.quit(0), yes="Quit")

    def _save_as(self, name: str) -> None:
        from game.ui.screens.menu import save_suffix
        safe = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in name).strip() or "save"
        if not safe.endswith(save_suffix()):
            safe += save_suffix()
        self.game.save_to(self.app.save_dir / safe)

    def draw(self, surface: pygame.Surface) -> None:
        common.dim(surface, 150)
        common.panel(surface, self.box, common.PANEL, common.ACCENT)
        common.text(surface, "Game menu", (self.box.centerx, self.box.top + 32), 32, common.ACCENT, bold=True,
                    anchor="center")

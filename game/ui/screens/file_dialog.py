"""A small in-game file browser (there is no native dialog in pygame): folders and the files
matching some extensions, a path line you can type into, and quick jumps to the usual folders."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterable

import pygame
import pygame_gui

from game.ui.screens import common
from game.ui.screens.common import Screen

UP = "..  (up one folder)"


class FileDialog(Screen):
    """Pick a file; ``on_pick(path) -> bool`` returns True when the dialog should close."""

    opaque = False
    name = "file_dialog"

    def __init__(self, app, title: str, start: str | Path, patterns: Iterable[str],
                 on_pick: Callable[[Path], bool | None], places: dict[str, Path] | None = None,
                 describe: Callable[[Path], str] | None = None, newest_first: bool = False):
        super().__init__(app)
        self.title = title
        self.patterns = tuple(p.lower() for p in patterns)
        self.on_pick = on_pick
        start = Path(start).expanduser()
        while not start.is_dir() and start != start.parent:
            start = start.parent
        self.dir = start if start.is_dir() else Path.home()
        self.places = places or {
            "Saves": app.save_dir, "My scenarios": app.scenario_dir,
            "Bundled scenarios": app.bundled_dir, "Home": Path.home(),
        }
        self.describe = describe
        self.newest_first = newest_first
        self.info = ""
        self.entries: dict[str, Path] = {}
        self.selected: Path | None = None
        self.error = ""
        self._last_click: tuple[str, float] = ("", 0.0)
        self.layout(app.size)

    # --- layout ------------------------------------------------------------------------------
    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        w, h = min(820, size[0] - 80), min(600, size[1] - 80)
        self.rect = pygame.Rect(0, 0, w, h)
        self.rect.center = (size[0] // 2, size[1] // 2)
        r = self.rect
        self.path_line = pygame_gui.elements.UITextEntryLine(
            pygame.Rect(r.left + 20, r.top + 56, r.width - 40, 32), self.ui, initial_text=str(self.dir))
        side = 170
        self.place_buttons: dict[pygame_gui.elements.UIButton, Path] = {}
        y = r.top + 100
        for name, p in self.places.items():
            b = common.button(self.ui, (r.left + 20, y, side, 32), name, str(p))
            self.place_buttons[b] = Path(p)
            y += 40
        self.list = pygame_gui.elements.UISelectionList(
            pygame.Rect(r.left + 30 + side, r.top + 100, r.width - 50 - side, r.height - 170), [], self.ui)
        self.open_b = common.button(self.ui, (r.right - 250, r.bottom - 54, 120, 36), "Open", object_id="@accent")
        self.cancel_b = common.button(self.ui, (r.right - 120, r.bottom - 54, 100, 36), "Cancel")
        self.refresh()

    def refresh(self) -> None:
        self.entries = {}
        items: list[str] = []
        self.error = ""
        if self.dir.parent != self.dir:
            items.append(UP)
            self.entries[UP] = self.dir.parent
        try:
            children = sorted(self.dir.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower()))
            if self.newest_first:
                children.sort(key=lambda p: (not p.is_dir(), -_mtime(p) if not p.is_dir() else 0))
        except OSError as e:
            children = []
            self.error = f"Cannot read {self.dir}: {e.strerror or e}"
        for p in children:
            if p.name.startswith("."):
                continue
            try:
                if p.is_dir():
                    text = f"[{p.name}]"
                elif p.suffix.lower() in self.patterns or "".join(p.suffixes).lower() in self.patterns:
                    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(p.stat().st_mtime))
                    text = f"{p.name}    {stamp}"
                else:
                    continue
            except OSError:
                continue
            items.append(text)
            self.entries[text] = p
        self.list.set_item_list(items)
        self.path_line.set_text(str(self.dir))
        self.selected = None

    # --- actions -----------------------------------------------------------------------------
    def go(self, d: Path) -> None:
        d = Path(d).expanduser()
        if not d.is_dir():
            self.error = f"No such folder: {d}"
            return
        self.dir = d.resolve()
        self.refresh()

    def choose(self, p: Path) -> None:
        if p.is_dir():
            self.go(p)
            return
        if not p.is_file():
            self.error = f"No such file: {p}"
            return
        ok = self.on_pick(p)
        if ok is not False:
            self.app.remove(self)

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.cancel_b:
                self.app.remove(self)
            elif event.ui_element is self.open_b:
                typed = Path(self.path_line.get_text()).expanduser()
                target = self.selected or typed
                self.choose(target)
            elif event.ui_element in self.place_buttons:
                p = self.place_buttons[event.ui_element]
                if not p.is_dir():
                    self.error = f"{p} does not exist yet"
                else:
                    self.go(p)
        elif event.type == pygame_gui.UI_SELECTION_LIST_NEW_SELECTION and event.ui_element is self.list:
            p = self.entries.get(event.text)
            self.selected = p
            self.error = ""
            self.info = ""
            if p is not None and p.is_file() and self.describe is not None:
                try:
                    self.info = self.describe(p)
                except Exception as e:  # a broken file: say so, never crash the dialog
                    self.info = f"cannot read: {e}"
            now = time.monotonic()
            if self._last_click[0] == event.text and now - self._last_click[1] < 0.5 and p is not None:
                self.choose(p)
            self._last_click = (event.text, now)
        elif event.type == pygame_gui.UI_SELECTION_LIST_DOUBLE_CLICKED_SELECTION and event.ui_element is self.list:
            p = self.entries.get(event.text)
            if p is not None:
                self.choose(p)
        elif event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and event.ui_element is self.path_line:
            self.choose(Path(self.path_line.get_text()).expanduser())
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.app.remove(self)
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_BACKSPACE:
            self.go(self.dir.parent)

    def draw(self, surface: pygame.Surface) -> None:
        common.dim(surface, 150)
        r = self.rect
        common.panel(surface, r, common.PANEL, common.ACCENT)
        common.text(surface, self.title, (r.left + 20, r.top + 16), 28, common.ACCENT, bold=True)
        common.text(surface, "Files: " + ", ".join(self.patterns), (r.right - 20, r.top + 22), 16, common.DIM,
                    anchor="topright")
        if self.error:
            common.text(surface, self.error, (r.left + 20, r.bottom - 44), 18, common.BAD)
        elif self.selected is not None:
            common.text(surface, self.selected.name, (r.left + 20, r.bottom - 56), 18, common.TEXT, bold=True)
            if self.info:
                line = common.wrap(self.info, r.width - 300, 16)[0]
                common.text(surface, line, (r.left + 20, r.bottom - 34), 16, common.DIM)


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def describe_save(path: Path) -> str:
    """One line about a save (scenario, turn, date, side to move) without replaying it."""
    from game import persistence
    from game.errors import SaveError
    try:
        i = persistence.read_save_info(path)
    except SaveError as e:
        return str(e)
    who = ", ".join(f for f in i.humans) or "AI only"
    state = f"game over ({i.winner} wins)" if i.terminal else f"turn {i.turn}, {i.date}, {i.active} to move"
    return f"{i.scenario_name}: {state}; {i.ply} actions; humans: {who}"


def files_in(folder: str | Path, patterns: Iterable[str]) -> list[Path]:
    """Files in ``folder`` with one of the extensions, sorted by name (missing folder -> [])."""
    pats = tuple(p.lower() for p in patterns)
    try:
        return sorted((p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in pats),
                      key=lambda p: p.name.lower())
    except OSError:
        return []


__all__ = ["FileDialog", "files_in", "os"]

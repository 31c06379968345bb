"""Modal dialogs drawn over the current screen: a message, a yes/no question, a name prompt.

They are screens pushed on the stack (not pygame_gui windows inside the screen below), so the
screen below gets no input while one is open and keeps updating (an AI turn continues).
"""
from __future__ import annotations

from typing import Callable

import pygame
import pygame_gui

from game.ui.screens import common
from game.ui.screens.common import Screen


class Dialog(Screen):
    opaque = False
    name = "dialog"
    width = 520

    def __init__(self, app, title: str, body: str):
        super().__init__(app)
        self.title = title
        self.body = body
        self.rect = pygame.Rect(0, 0, self.width, 200)
        self.buttons: dict[pygame_gui.elements.UIButton, Callable[[], None]] = {}

    def _box(self, size: tuple[int, int], extra: int = 0) -> pygame.Rect:
        lines = common.wrap(self.body, self.width - 40, 18)
        h = 70 + len(lines) * 20 + 60 + extra
        self.rect = pygame.Rect(0, 0, self.width, min(h, size[1] - 40))
        self.rect.center = (size[0] // 2, size[1] // 2)
        return self.rect

    def draw(self, surface: pygame.Surface) -> None:
        common.dim(surface, 140)
        r = self.rect
        common.panel(surface, r, common.PANEL, common.ACCENT)
        common.text(surface, self.title, (r.left + 20, r.top + 16), 26, common.ACCENT, bold=True)
        common.text_block(surface, self.body, pygame.Rect(r.left + 20, r.top + 52, r.width - 40, r.height - 110), 18)

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.buttons:
            self.buttons[event.ui_element]()

    def close(self) -> None:
        if self.app.top is self:
            self.app.pop()


class MessageDialog(Dialog):
    """One clear message and an OK button (bad files, failed saves, ...)."""

    def __init__(self, app, title: str, body: str, on_close: Callable[[], None] | None = None):
        super().__init__(app, title, body)
        self.on_close = on_close
        self.layout(app.size)

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        r = self._box(size)
        self.ok = common.button(self.ui, (r.right - 130, r.bottom - 50, 110, 34), "OK", object_id="@accent")
        self.buttons = {self.ok: self._ok}

    def _ok(self) -> None:
        self.close()
        if self.on_close:
            self.on_close()

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_ESCAPE, pygame.K_SPACE):
            self._ok()
            return
        super().handle_event(event)


class ConfirmDialog(Dialog):
    """A question with a confirm and a cancel button; Enter confirms, Esc cancels."""

    def __init__(self, app, title: str, body: str, on_yes: Callable[[], None], yes: str = "OK",
                 no: str = "Cancel", on_no: Callable[[], None] | None = None, confirm_keys: tuple[int, ...] = ()):
        super().__init__(app, title, body)
        self.on_yes, self.on_no = on_yes, on_no
        self.yes_text, self.no_text = yes, no
        self.confirm_keys = (pygame.K_RETURN, pygame.K_KP_ENTER) + tuple(confirm_keys)
        self.layout(app.size)

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        r = self._box(size)
        self.yes = common.button(self.ui, (r.right - 300, r.bottom - 50, 160, 34), self.yes_text, object_id="@accent")
        self.no = common.button(self.ui, (r.right - 130, r.bottom - 50, 110, 34), self.no_text)
        self.buttons = {self.yes: self._yes, self.no: self._no}

    def _yes(self) -> None:
        self.close()
        self.on_yes()

    def _no(self) -> None:
        self.close()
        if self.on_no:
            self.on_no()

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.KEYDOWN:
            if event.key in self.confirm_keys:
                self._yes()
                return
            if event.key == pygame.K_ESCAPE:
                self._no()
                return
        super().handle_event(event)


class PromptDialog(Dialog):
    """Ask for a short text (a save name)."""

    def __init__(self, app, title: str, body: str, initial: str, on_ok: Callable[[str], None]):
        super().__init__(app, title, body)
        self.initial = initial
        self.on_ok = on_ok
        self.layout(app.size)

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        r = self._box(size, extra=44)
        self.entry = pygame_gui.elements.UITextEntryLine(
            pygame.Rect(r.left + 20, r.bottom - 100, r.width - 40, 34), self.ui, initial_text=self.initial)
        self.entry.focus()
        n = len(self.initial)
        self.entry.select_range = [0, n]        # typing replaces the suggested name
        self.entry.edit_position = n
        self.yes = common.button(self.ui, (r.right - 260, r.bottom - 50, 120, 34), "OK", object_id="@accent")
        self.no = common.button(self.ui, (r.right - 130, r.bottom - 50, 110, 34), "Cancel")
        self.buttons = {self.yes: self._ok, self.no: self.close}

    def _ok(self) -> None:
        value = self.entry.get_text().strip()
        if not value:
            return
        self.close()
        self.on_ok(value)

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and event.ui_element is self.entry:
            self._ok()
            return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.close()
            return
        super().handle_event(event)

"""Hot-seat handover: an opaque screen that hides the map and every panel between two humans.

The game screen below keeps updating, so AI sides between the two humans play their turns
while this is showing; the next player can continue once it is their turn.
"""
from __future__ import annotations

import pygame
import pygame_gui

from game.ui import theme
from game.ui.screens import common
from game.ui.screens.common import Screen


class HandoverScreen(Screen):
    opaque = True
    name = "handover"

    def __init__(self, app, game, faction: str):
        super().__init__(app)
        self.game = game
        self.faction = faction
        self.layout(app.size)

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        w, h = size
        name = common.faction_name(self.game.state.scenario, self.faction)
        bw = max(300, min(w - 80, theme.font(21).size(f"I am {name} - continue")[0] + 60))
        self.b_go = common.button(self.ui, (w // 2 - bw // 2, int(h * 0.62), bw, 50), "Continue", object_id="@accent")
        self.b_menu = common.button(self.ui, (w // 2 - 150, int(h * 0.62) + 62, 300, 40), "Game menu")
        self._laid_for = self.faction

    @property
    def ready(self) -> bool:
        """The faction to hand over to may play now (any AI turns before theirs are done)."""
        st = self.game.state
        return st.terminal or (st.active_faction == self.faction and self.game.runner is None)

    def update(self, dt: float) -> None:
        if self._laid_for != self.faction:          # handed to someone else meanwhile
            self.layout(self.app.size)
        name = common.faction_name(self.game.state.scenario, self.faction)
        label = f"I am {name} - continue" if self.ready else "Please wait..."
        if self.b_go.text != label:
            self.b_go.set_text(label)
        self.b_go.enable() if self.ready else self.b_go.disable()

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.b_go:
                self.proceed()
            elif event.ui_element is self.b_menu:
                self.game.open_menu()
        elif event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.proceed()
            elif event.key in (pygame.K_SPACE, pygame.K_ESCAPE) and self.game.runner is not None:
                self.game.skip_ai()
            elif event.key == pygame.K_ESCAPE:
                self.game.open_menu()

    def proceed(self) -> None:
        if not self.ready:
            return
        self.app.remove(self)
        if not self.game.state.terminal:
            self.game.take_over(self.faction)

    def draw(self, surface: pygame.Surface) -> None:
        from game.ui.screens.menu import draw_backdrop
        draw_backdrop(surface)
        w, h = surface.get_size()
        st = self.game.state
        scn = st.scenario
        col = common.faction_colour(scn, self.faction)
        band = pygame.Rect(0, int(h * 0.24), w, int(h * 0.30))
        title = col if theme.luminance(col) >= 60 else common.faction_text_colour(scn, self.faction)
        pygame.draw.rect(surface, (20, 21, 23), band)
        pygame.draw.rect(surface, title, (0, band.top, w, 6))
        pygame.draw.rect(surface, title, (0, band.bottom - 6, w, 6))
        common.text(surface, "Pass the screen to", (w // 2, band.top + 40), 30, common.DIM, anchor="center")
        common.text(surface, common.faction_name(scn, self.faction), (w // 2, band.top + 96), 72, title,
                    bold=True, anchor="center")
        common.text(surface, f"Turn {st.turn} of {scn.meta.turns}  -  {st.date:%d %B %Y}",
                    (w // 2, band.top + 150), 24, common.TEXT, anchor="center")
        if not self.ready and not st.terminal:
            who = common.faction_name(scn, st.active_faction)
            n = self.game.runner.produced if self.game.runner is not None else 0
            msg = f"{who} is moving ({n} orders so far)  -  Space to hurry it up"
            common.text(surface, msg, (w // 2, band.bottom + 30), 22, common.WARN, anchor="center")
        else:
            common.text(surface, "The map stays hidden until you continue.", (w // 2, band.bottom + 30), 20,
                        common.DIM, anchor="center")

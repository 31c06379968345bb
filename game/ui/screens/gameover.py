"""Game over: the winner, the final score, and charts of victory points and territory by turn."""
from __future__ import annotations

import pygame
import pygame_gui

from game.rules import victory
from game.ui import charts
from game.ui.screens import common
from game.ui.screens.common import Screen


class GameOverScreen(Screen):
    opaque = True
    name = "gameover"

    def __init__(self, app, game):
        super().__init__(app)
        self.game = game
        self.layout(app.size)

    @property
    def state(self):
        return self.game.state

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        w, h = size
        bw = 200
        x = w // 2 - (4 * bw + 3 * 14) // 2
        y = h - 70
        self.b_map = common.button(self.ui, (x, y, bw, 44), "View the map", "Everything revealed")
        self.b_replay = common.button(self.ui, (x + bw + 14, y, bw, 44), "Watch the replay", object_id="@accent")
        self.b_menu = common.button(self.ui, (x + 2 * (bw + 14), y, bw, 44), "Main menu")
        self.b_quit = common.button(self.ui, (x + 3 * (bw + 14), y, bw, 44), "Quit", object_id="@danger")

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.b_map:
                self.app.remove(self)
            elif event.ui_element is self.b_replay:
                self.app.open_replay(self.game.session)
            elif event.ui_element is self.b_menu:
                self.app.open_menu()
            elif event.ui_element is self.b_quit:
                self.app.quit(0)
        elif event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_RETURN):
            self.app.remove(self)

    def draw(self, surface: pygame.Surface) -> None:
        from game.ui.screens.menu import draw_backdrop
        draw_backdrop(surface)
        w, h = surface.get_size()
        st = self.state
        scn = st.scenario
        winner = st.winner
        why = next((e.data.get("why", "") for e in reversed(st.log) if e.kind == "game_over"), "")
        if winner in (None, "draw"):
            title, col = "A draw", common.TEXT
        else:
            title, col = f"{common.faction_name(scn, winner)} wins", common.faction_text_colour(scn, winner)
        common.text(surface, "GAME OVER", (w // 2, 40), 26, common.DIM, anchor="center")
        common.text(surface, title, (w // 2, 86), 60, col, bold=True, anchor="center")
        sub = f"{scn.meta.name}  -  turn {st.turn}, {st.date:%d %B %Y}" + (f"  -  {why}" if why else "")
        common.text(surface, sub, (w // 2, 130), 22, common.DIM, anchor="center")
        # final score table
        sc = victory.scores(st)
        terr = victory.territory(st)
        x0 = w // 2 - 330
        y = 160
        for head, dx in (("Side", 0), ("VP", 300), ("Goal", 380), ("Score", 460), ("Hexes", 560)):
            common.text(surface, head, (x0 + dx, y), 18, common.ACCENT, bold=True)
        y += 24
        order = sorted(range(len(scn.factions)), key=lambda i: -sc[i])
        for i in order:
            f = scn.factions[i]
            c = common.faction_colour(scn, f.id)
            pygame.draw.rect(surface, c, (x0, y + 3, 14, 14))
            pygame.draw.rect(surface, common.DIM, (x0, y + 3, 14, 14), 1)
            common.text(surface, f.name, (x0 + 22, y), 20, common.TEXT, bold=f.id == winner)
            common.text(surface, f"{st.vp[i]:g}", (x0 + 300, y), 20)
            common.text(surface, f"{f.vp_goal:g}" if f.vp_goal else "-", (x0 + 380, y), 20)
            common.text(surface, f"{sc[i]:.0%}" if f.vp_goal else f"{sc[i]:g}", (x0 + 460, y), 20)
            common.text(surface, str(terr[i]), (x0 + 560, y), 20)
            y += 24
        top = y + 14
        ch = max(200, h - 90 - top)
        cw = (w - 3 * 32) // 2
        charts.line_chart(surface, pygame.Rect(32, top, cw, ch), "Victory points", charts.history_series(st, "vp"),
                          y_label="VP", x_start=0)
        charts.line_chart(surface, pygame.Rect(64 + cw, top, cw, ch), "Territory (hexes held)",
                          charts.history_series(st, "territory"), y_label="hexes", x_start=0)

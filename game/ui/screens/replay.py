"""The replay screen: step through a saved or finished game action by action, turn by turn, seen
by everyone or as one side saw it; continue playing from any point.

A game is its action log, so this is ``persistence.ReplayCursor`` (re-applying actions, with a
state kept at each turn start) drawn with the same map and panels as the game.
"""
from __future__ import annotations

import pygame
import pygame_gui

from game.actions import Attack, EndTurn, Move
from game.session import Session
from game.ui import panels
from game.ui.ai_runner import BackgroundTask
from game.ui.camera import Camera
from game.ui.map_view import Overlay
from game.ui.screens import common
from game.ui.screens.common import Screen
from game.ui.screens.game_screen import SIDE_W, STATUS_H, TOP_H
from game.ui.screens.news import event_seen_by

ALL = "Everyone (no fog)"


class ReplayScreen(Screen):
    opaque = True
    name = "replay"

    def __init__(self, app, session: Session, start: int = 0):
        super().__init__(app)
        from game.persistence import ReplayCursor, turn_marks
        self.session = session
        self.cursor = ReplayCursor(session, start)
        self.map = app.map_view(session.scenario)
        self.camera = Camera(zoom=1.0)
        self.viewer: str | None = None
        self.playing = False
        self.play_wait = 0.0
        self.play_delay = 0.45
        self.marks: list = []
        self.marks_task = BackgroundTask(lambda: turn_marks(session))
        self.drawn_unit_ids: list[str] = []
        self._followed = self.cursor.position
        self.layout(app.size)
        ww, wh = self.map.world_size()
        self.camera.centre_on(ww / 2, wh / 2, self.map_rect.size)

    @property
    def busy(self) -> bool:
        return self.playing

    @property
    def state(self):
        return self.cursor.state

    @property
    def position(self) -> int:
        return self.cursor.position

    # --- layout -------------------------------------------------------------------------------------
    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        w, h = size
        self.map_rect = pygame.Rect(0, TOP_H, w - SIDE_W, h - TOP_H - STATUS_H)
        self.side = pygame.Rect(w - SIDE_W, TOP_H, SIDE_W, h - TOP_H)
        x0 = self.side.left + 10
        y = TOP_H + 76
        bw = (SIDE_W - 20 - 5 * 4) // 6
        self.nav: dict[pygame_gui.elements.UIButton, str] = {}
        for i, (key, text, tip) in enumerate([("start", "|<", "Start (Home)"), ("prev_turn", "<<", "Previous turn (PgUp)"),
                                              ("back", "<", "Step back (Left)"), ("step", ">", "Step (Right)"),
                                              ("next_turn", ">>", "Next turn (PgDn)"), ("end", ">|", "End (End)")]):
            b = common.button(self.ui, (x0 + i * (bw + 4), y, bw, 34), text, tip)
            self.nav[b] = key
        y += 42
        self.b_play = common.button(self.ui, (x0, y, SIDE_W - 20, 34), "Play", "Play / pause (P)")
        y += 52
        self.turn_dd_rect = pygame.Rect(x0, y + 22, SIDE_W - 20, 32)
        self.turn_dd = None
        self._build_turn_dropdown()
        y += 70
        opts = [ALL] + [f.name for f in self.session.scenario.factions]
        self.view_dd = pygame_gui.elements.UIDropDownMenu(opts, ALL, pygame.Rect(x0, y + 22, SIDE_W - 20, 32), self.ui)
        self.view_label_y = y
        self.events_top = y + 66
        self.b_continue = common.button(self.ui, (x0, h - 96, SIDE_W - 20, 40), "Continue playing from here",
                                        "Start a game from this point (C)", "@accent")
        self.b_back = common.button(self.ui, (x0, h - 50, SIDE_W - 20, 38), "Back")

    def _build_turn_dropdown(self) -> None:
        if self.turn_dd is not None:
            self.turn_dd.kill()
            self.turn_dd = None
        if not self.marks:
            return
        opts = [self._mark_text(i, m) for i, m in enumerate(self.marks)]
        cur = opts[self._mark_at(self.position)]
        self.turn_dd = pygame_gui.elements.UIDropDownMenu(opts, cur, self.turn_dd_rect, self.ui,
                                                          expansion_height_limit=360)

    def _mark_text(self, i: int, m) -> str:
        return f"{i + 1}. Turn {m.turn}: {common.faction_name(self.session.scenario, m.faction)}"

    def _mark_at(self, pos: int) -> int:
        k = 0
        for i, m in enumerate(self.marks):
            if m.index <= pos:
                k = i
        return k

    # --- moving -------------------------------------------------------------------------------------
    def step(self) -> None:
        self.cursor.step()

    def back(self) -> None:
        self.cursor.back()

    def seek(self, n: int) -> None:
        self.cursor.seek(n)

    def seek_turn_mark(self, k: int) -> None:
        if self.marks:
            k = max(0, min(k, len(self.marks) - 1))
            self.cursor.seek(self.marks[k].index)
        else:
            self.cursor.seek_turn(k)

    def turn_step(self, d: int) -> None:
        """Next / previous faction turn; back first goes to the start of the current one."""
        if not self.marks:
            self.cursor.seek_turn(self.cursor.turn_index() + d)
            return
        k = self._mark_at(self.position)
        if d < 0 and self.position > self.marks[k].index:
            self.seek_turn_mark(k)
        else:
            self.seek_turn_mark(k + d)

    def do(self, key: str) -> None:
        if key == "start":
            self.seek(0)
        elif key == "end":
            self.seek(len(self.cursor))
        elif key == "step":
            self.step()
        elif key == "back":
            self.back()
        elif key == "next_turn":
            self.turn_step(1)
        elif key == "prev_turn":
            self.turn_step(-1)
        elif key == "play":
            self.playing = not self.playing
            if self.cursor.at_end and self.playing:
                self.seek(0)
        elif key == "continue":
            self.continue_here()
        elif key == "back_out":
            self.app.remove(self)

    def continue_here(self) -> None:
        n = self.position

        def go() -> None:
            session = self.cursor.continue_here()
            self.app.start_session(session)
        who = ", ".join(f"{common.faction_name(self.session.scenario, f)}: "
                        f"{'human' if p.controller == 'human' else 'AI ' + p.ai_level}"
                        for f, p in self.session.players.items())
        self.app.confirm("Continue from here?", f"A new game starts from action {n} of {len(self.cursor)} "
                         f"(turn {self.state.turn}). Everything after it is dropped from the new game; the saved "
                         f"file is not changed.\n\nSides: {who}", go, yes="Continue")

    # --- frame ---------------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        if self.marks_task is not None and self.marks_task.done:
            if self.marks_task.error is None:
                self.marks = list(self.marks_task.result)
                self._build_turn_dropdown()
            self.marks_task = None
        if self.playing:
            self.play_wait -= dt
            if self.play_wait <= 0:
                if self.cursor.at_end:
                    self.playing = False
                else:
                    self.step()
                    self.play_wait = self.play_delay
        if self.position != self._followed:
            self._followed = self.position
            self.follow()
        label = "Pause" if self.playing else "Play"
        if self.b_play.text != label:
            self.b_play.set_text(label)
        if self.turn_dd is not None and self.marks:
            k = self._mark_at(self.position)
            sel = self.turn_dd.selected_option
            sel = sel[0] if isinstance(sel, tuple) else sel
            if sel != self._mark_text(k, self.marks[k]) and self.turn_dd.current_state is self.turn_dd.menu_states["closed"]:
                self._build_turn_dropdown()

    def action_cell(self) -> int | None:
        """Where the last replayed action happened (a move's end, an attack's or mission's target)."""
        ov = self.overlay()
        if ov.path:
            return ov.path[-1]
        if ov.attack_targets:
            return ov.attack_targets[0]
        idx = self.position - 1
        if 0 <= idx < len(self.session.actions):
            c = getattr(self.session.actions[idx], "target", None)
            if isinstance(c, int) and 0 <= c < self.session.scenario.grid.n_cells:
                return c
        return None

    def follow(self) -> None:
        """Bring the last action into view when it happened off screen."""
        cell = self.action_cell()
        if cell is None:
            return
        wx, wy = self.map.cell_centre_world(cell)
        self.camera.origin = self.map_rect.topleft
        sx, sy = self.camera.world_to_screen(wx, wy)
        if not self.map_rect.inflate(-80, -80).collidepoint(sx, sy):
            self.camera.centre_on(wx, wy, self.map_rect.size)
            self.camera.clamp(self.map.world_rect(), self.map_rect.size)

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element in self.nav:
                self.do(self.nav[event.ui_element])
            elif event.ui_element is self.b_play:
                self.do("play")
            elif event.ui_element is self.b_continue:
                self.do("continue")
            elif event.ui_element is self.b_back:
                self.do("back_out")
        elif event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED:
            if event.ui_element is self.view_dd:
                self.viewer = None if event.text == ALL else next(
                    f.id for f in self.session.scenario.factions if f.name == event.text)
            elif event.ui_element is self.turn_dd:
                k = int(event.text.split(".", 1)[0]) - 1
                self.seek_turn_mark(k)
        elif event.type == pygame.KEYDOWN:
            keys = {pygame.K_RIGHT: "step", pygame.K_LEFT: "back", pygame.K_PAGEDOWN: "next_turn",
                    pygame.K_PAGEUP: "prev_turn", pygame.K_HOME: "start", pygame.K_END: "end", pygame.K_p: "play",
                    pygame.K_c: "continue", pygame.K_ESCAPE: "back_out"}
            if event.key in keys:
                self.do(keys[event.key])
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button in (2, 3):
            self._drag = event.pos
        elif event.type == pygame.MOUSEMOTION and getattr(self, "_drag", None) is not None:
            self.camera.pan(event.pos[0] - self._drag[0], event.pos[1] - self._drag[1])
            self._drag = event.pos
        elif event.type == pygame.MOUSEBUTTONUP and event.button in (2, 3):
            self._drag = None
        elif event.type == pygame.MOUSEWHEEL:
            pos = pygame.mouse.get_pos()
            at = pos if self.map_rect.collidepoint(pos) else self.map_rect.center
            self.camera.zoom_at(1.25 if event.y > 0 else 0.8, *at)

    def overlay(self) -> Overlay:
        ov = Overlay()
        idx = self.position - 1
        if 0 <= idx < len(self.session.actions):
            a = self.session.actions[idx]
            moved = [e.data for e in self.cursor.last_events if e.kind == "move"]
            if isinstance(a, Move) and moved:
                ov.path = [moved[0]["from"]] + list(moved[0]["path"])
            elif isinstance(a, Attack):
                ov.attack_targets = [a.target]
                res = [e.data for e in self.cursor.last_events if e.kind == "combat"]
                if res:
                    ov.marks = {a.target: f"{res[0]['odds']} d{res[0]['die']}"}
        return ov

    def draw(self, surface: pygame.Surface) -> None:
        st = self.state
        surface.fill(common.BG)
        self.camera.clamp(self.map.world_rect(), self.map_rect.size)
        self.map.draw(surface, self.map_rect, self.camera, st, self.viewer, self.overlay())
        from game.rules import visibility
        units = st.units.values() if self.viewer is None else visibility.visible_units(st, self.viewer)
        self.drawn_unit_ids = sorted(u.id for u in units)
        panels.draw_top_bar(surface, pygame.Rect(0, 0, surface.get_width(), TOP_H), st, "replay")
        side = self.side
        pygame.draw.rect(surface, common.PANEL, side)
        pygame.draw.line(surface, common.EDGE, side.topleft, side.bottomleft)
        common.text(surface, "Replay", (side.left + 10, TOP_H + 8), 28, common.ACCENT, bold=True)
        n = len(self.cursor)
        common.text(surface, f"Action {self.position} of {n}" + ("  (end)" if self.cursor.at_end else ""),
                    (side.left + 10, TOP_H + 44), 18, common.TEXT)
        common.text(surface, "Jump to turn" if self.marks else "Indexing turns...", (side.left + 10, self.turn_dd_rect.top - 20),
                    16, common.DIM)
        common.text(surface, "View as", (side.left + 10, self.view_label_y), 16, common.DIM)
        # what happened: the last action's events, then the current turn's log
        r = pygame.Rect(side.left, self.events_top, SIDE_W, self.b_continue.rect.top - 8 - self.events_top)
        log = panels.EventLog()
        for ev in st.log[-200:]:
            if event_seen_by(st, ev, self.viewer, set(), set()):
                log.add(ev)
        log.draw(surface, r)
        # status line
        sr = pygame.Rect(0, self.map_rect.bottom, self.map_rect.width, STATUS_H)
        pygame.draw.rect(surface, common.PANEL_DARK, sr)
        idx = self.position - 1
        what = "start of the game"
        if 0 <= idx < n:
            a = self.session.actions[idx]
            what = _describe(st, a, self.cursor.last_events)
        common.text(surface, what, (sr.left + 10, sr.centery), 17, common.TEXT, anchor="midleft")
        common.text(surface, "Left/Right step  PgUp/PgDn turn  P play  C continue from here", (sr.right - 10, sr.centery),
                    15, common.DIM, anchor="midright")


def _describe(st, action, events) -> str:
    if isinstance(action, EndTurn):
        return "End of turn"
    for e in events:
        if e.kind in ("combat", "air"):
            return e.text
    for e in events:
        if e.kind == "move":
            return e.text
    return str(action.to_dict().get("kind", "action"))

"""The game screen: the map, the panels, orders for the human to move, AI turns played out on
screen from a background thread, hot-seat handovers, saves, and the way to the game-over screen.

Every change to the game is an action applied through the Session (by ``Orders`` for humans and
``_apply_ai`` for agents).  What each human sees - the map's fog, the event log, the summary of
the other sides' turns - is filtered by what their faction could see when it happened.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygame
import pygame_gui

from game import engine
from game.actions import Action, Attack, EndTurn, Move
from game.ai.registry import make_agent
from game.errors import DeconflictionError, IllegalAction, SaveError
from game.rules import movement, visibility
from game.session import Session
from game.state import GameEvent, GameState
from game.ui import panels
from game.ui.ai_runner import AIError, AIRunner
from game.ui.camera import Camera
from game.ui.map_view import Overlay
from game.ui.orders import Orders
from game.ui.screens import common
from game.ui.screens.common import Screen
from game.ui.screens.news import News

TOP_H = 44
SIDE_W = 340
STATUS_H = 26
FLOAT_SECONDS = 2.4


@dataclass
class Floater:
    """A combat result shown over the map for a moment ("-1 step", "No effect")."""
    cell: int
    text: str
    colour: tuple[int, int, int]
    born: float


def combat_result_text(data: dict) -> tuple[str, bool | None]:
    """What a combat did in a few words, and whether it went the attacker's way (None: mixed or
    nothing happened)."""
    lost_d = int(data.get("defender_losses") or 0)
    lost_a = int(data.get("attacker_losses") or 0)
    retreated = bool(data.get("retreated"))
    parts = []
    if lost_d:
        parts.append(f"-{lost_d} step{'s' if lost_d != 1 else ''}")
    if retreated:
        parts.append("retreat")
    if lost_a:
        parts.append(f"attacker -{lost_a}")
    if not parts:
        return "No effect", None
    text = ", ".join(parts)
    good = None if (lost_d or retreated) and lost_a else bool(lost_d or retreated)
    return text[0].upper() + text[1:], good


class GameScreen(Screen):
    name = "game"

    def __init__(self, app, session: Session, loaded: bool = False):
        super().__init__(app)
        self.session = session
        app.session = session
        scn = session.scenario
        self.map = app.map_view(scn)
        self.camera = Camera(zoom=1.0)
        self.minimap = None
        self.orders = Orders(session, on_applied=self._on_human_applied)
        self.humans = [f.id for f in scn.factions if session.players.get(f.id) and session.players[f.id].controller == "human"]
        self.viewer: str | None = self.humans[0] if len(self.humans) == 1 else None
        self.at_screen: str | None = self.viewer     # the human currently at the keyboard
        self.news = News(self.state, self.humans, loaded)
        self.agents: dict[str, Any] = {}
        self.runner: AIRunner | None = None
        self.fast = False
        self.ai_wait = 0.0
        self.ai_highlight: list[int] | None = None
        self.turn_key: tuple[int, int] | None = None
        self.game_over_shown = False
        self.hover: int | None = None
        self.hover_since = 0.0
        self.mouse: tuple[int, int] | None = None
        self.drag: tuple[int, int] | None = None
        self.drag_moved = False
        self.mini_drag = False
        self.show_grid = True
        self.show_lines = True
        self.status = ""
        self.status_until = 0.0
        self.drawn_unit_ids: list[str] = []
        self.frames = 0
        self.floaters: list[Floater] = []
        self._status_key: Any = None
        self._status: dict[str, str] | None = None
        self.layout(app.size)
        self._fit_zoom()
        self._centre_start()
        self._started = False

    def on_enter(self) -> None:
        if not self._started:           # first shown: start the AI or ask for the first player
            self._started = True
            self._advance()

    # --- set-up ------------------------------------------------------------------------------------
    @property
    def state(self) -> GameState:
        assert self.session.state is not None
        return self.session.state

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        w, h = size
        self.map_rect = pygame.Rect(0, TOP_H, w - SIDE_W, h - TOP_H - STATUS_H)
        self.side = pygame.Rect(w - SIDE_W, TOP_H, SIDE_W, h - TOP_H)
        x0 = self.side.left
        by = h - 46
        ay = by - 40
        mini_h = 180 if h >= 760 else 130           # small windows: a smaller minimap
        self.mini_rect = pygame.Rect(x0 + 10, TOP_H + 10, SIDE_W - 20, mini_h)
        self._ensure_minimap(self.mini_rect.size)
        self.info_rect = pygame.Rect(x0, self.mini_rect.bottom + 6, SIDE_W, 176)
        # the Attack / Fly row: under the preview, and always above the air buttons and their label
        oy = min(self.info_rect.bottom + 232 - 42, ay - 24 - 40)
        self.orders_rect = pygame.Rect(x0, self.info_rect.bottom, SIDE_W, oy + 42 - self.info_rect.bottom)
        self.b_undo = common.button(self.ui, (x0 + 10, by, 72, 36), "Undo", "Undo the last move (Ctrl+Z)")
        self.b_end = common.button(self.ui, (x0 + 87, by, 124, 36), "End turn", "End your turn (E)", "@accent")
        self.b_menu = common.button(self.ui, (x0 + 216, by, 68, 36), "Menu", "Save, load, quit (Esc)")
        self.b_help = common.button(self.ui, (x0 + 289, by, 40, 36), "?", "Keys and mouse (F1)")
        self.b_attack = common.button(self.ui, (x0 + 10, oy, 112, 34), "Attack!", "Roll the die (Enter)", "@danger")
        self.b_all = common.button(self.ui, (x0 + 127, oy, 56, 34), "+All", "Every unit that can joins (A)")
        self.b_cas = common.button(self.ui, (x0 + 188, oy, 66, 34), "CAS", "Close air support: shift the odds (C)")
        self.b_cancel = common.button(self.ui, (x0 + 259, oy, 70, 34), "Cancel", "Right click / Esc")
        self.b_fly = common.button(self.ui, (x0 + 10, oy, 90, 34), "Fly", "Fly the mission (Enter)", "@accent")
        self.b_hotline = common.button(self.ui, (x0 + 105, oy, 149, 34), "Hotline", "Announce on the hotline or not (H)")
        self.air_buttons: dict[Any, str] = {}
        x = x0 + 10
        for mission, text, w, tip in (("strike", "Strike", 70, "Air strike on a seen enemy (S)"),
                                      ("cas", "CAS", 52, "Book close air support on a hex (B)"),
                                      ("isr", "ISR", 52, "Reconnaissance: see through the fog (I)"),
                                      ("airdrop", "Airdrop", 76, "Supply a cut-off unit by air (D)")):
            b = common.button(self.ui, (x, ay, w, 32), text, tip)
            self.air_buttons[b] = mission
            x += w + 5
        self.b_strike = next(iter(self.air_buttons))
        self.log_rect = pygame.Rect(x0, self.info_rect.bottom, SIDE_W, ay - 24 - self.info_rect.bottom)
        self._sync_buttons()

    def _ensure_minimap(self, size: tuple[int, int]) -> None:
        if self.minimap is not None and tuple(self.minimap.size) == tuple(size):
            return
        try:
            from game.ui.minimap import Minimap
            self.minimap = Minimap(self.session.scenario, size, self.map)
        except Exception:  # the minimap is a nicety; the game works without it
            self.minimap = None

    def _fit_zoom(self) -> None:
        """Start as close in as shows the whole map (a small tutorial map fills the view), but
        never further out than 1:1."""
        from game.ui.camera import ZOOM_LEVELS
        _, _, ww, wh = self.map.world_rect()
        vw, vh = self.map_rect.size
        fits = [z for z in ZOOM_LEVELS if 1.0 <= z <= 2.0 and ww * z <= vw and wh * z <= vh]
        self.camera.zoom = max(fits) if fits else 1.0

    def _centre_start(self) -> None:
        """Centre on the viewer's main body of troops: the unit with most friends within 8 hexes
        (the average of all units may be empty desert between two fronts)."""
        st = self.state
        fid = self.viewer or (self.humans[0] if self.humans else st.active_faction)
        own = [u for u in st.units.values() if u.faction == fid]
        if own:
            grid = st.scenario.grid
            best = max(own, key=lambda u: (sum(1 for v in own if grid.distance(u.cell, v.cell) <= 8), -u.cell))
            group = [v for v in own if grid.distance(best.cell, v.cell) <= 8]
            xs = [self.map.cell_centre_world(u.cell) for u in group]
            cx = sum(p[0] for p in xs) / len(xs)
            cy = sum(p[1] for p in xs) / len(xs)
        else:
            ww, wh = self.map.world_size()
            cx, cy = ww / 2, wh / 2
        self.camera.centre_on(cx, cy, self.map_rect.size)
        self.camera.clamp(self.map.world_rect(), self.map_rect.size)

    # --- whose turn -------------------------------------------------------------------------------
    def controller(self, fid: str) -> str:
        p = self.session.players.get(fid)
        return p.controller if p else "ai"

    @property
    def human_turn(self) -> bool:
        """A human may give orders now (their turn, and they are at the screen)."""
        st = self.state
        if st.terminal or self.controller(st.active_faction) != "human":
            return False
        return len(self.humans) < 2 or self.at_screen == st.active_faction

    @property
    def ai_turn(self) -> bool:
        return not self.state.terminal and self.controller(self.state.active_faction) != "human"

    def next_human(self) -> str | None:
        """The human who plays next, counting from the side to move now."""
        if not self.humans:
            return None
        facs = [f.id for f in self.state.scenario.factions]
        i = self.state.active
        for k in range(len(facs)):
            fid = facs[(i + k) % len(facs)]
            if fid in self.humans:
                return fid
        return None

    def _advance(self) -> None:
        """After every action: game over?  whose turn?  start the AI or hand over the screen."""
        st = self.state
        if st.terminal:
            self._stop_runner()
            if not self.game_over_shown:
                self.game_over_shown = True
                self.viewer = None
                from game.ui.screens.gameover import GameOverScreen
                from game.ui.screens.handover import HandoverScreen
                for s in [s for s in self.app.screen_stack if isinstance(s, HandoverScreen)]:
                    self.app.remove(s)
                self.app.push(GameOverScreen(self.app, self))
            return
        key = (st.turn, st.active)
        new_turn = key != self.turn_key
        self.turn_key = key
        fid = st.active_faction
        if self.controller(fid) == "human":
            if len(self.humans) >= 2 and self.at_screen != fid:
                self._handover(fid)
            elif new_turn:
                self.orders.begin_turn()
                self.ask_requests()
                self.show_dispatches(fid)
        else:
            if len(self.humans) >= 2 and not self._handover_shown():
                nxt = self.next_human()
                if nxt is not None:
                    self._handover(nxt)
            if self.runner is None:
                self._start_runner()

    def _handover_shown(self) -> bool:
        from game.ui.screens.handover import HandoverScreen
        return self.app.find(HandoverScreen) is not None

    def _handover(self, fid: str) -> None:
        from game.ui.screens.handover import HandoverScreen
        self.orders.clear()
        self.at_screen = None
        self.viewer = None
        existing = self.app.find(HandoverScreen)
        if existing is not None:
            existing.faction = fid
            return
        self.app.push(HandoverScreen(self.app, self, fid))

    def take_over(self, fid: str) -> None:
        """The handover screen was dismissed by ``fid``'s player: show their view."""
        self.at_screen = fid
        self.viewer = fid
        self.floaters = []
        self.orders.begin_turn()
        self.news.refresh(self.state)
        self._centre_start()
        self.ask_requests()
        news = [e for e in self.news.take(fid) if e.faction != fid and e.kind not in ("move", "turn")]
        first = self.state.turn + self.state.active <= 1
        if first or not getattr(self.app, "hotseat_summaries", True):
            news = [e for e in news if e.kind == "message"]     # scenario messages are always shown
        if news:
            lines = [f"T{e.turn}: {e.text}" for e in news]
            more = len(lines) - 14
            body = "\n".join(lines[-14:]) + (f"\n(and {more} earlier)" if more > 0 else "")
            who = common.faction_name(self.state.scenario, fid)
            opening = first or self.state.turn == 1       # this side's first turn
            self.app.message(f"{who}: the opening situation" if opening else f"Since your last turn, {who}", body)

    def show_dispatches(self, fid: str) -> None:
        """Solo: scenario messages since the player's last turn pop up (a tutorial's lessons)."""
        msgs = [e.text for e in self.news.take(fid) if e.kind == "message" and e.text]
        if msgs:
            self.app.message(f"Turn {self.state.turn}, {self.state.date:%d %B %Y}", "\n\n".join(msgs[-4:]))

    def ask_requests(self) -> None:
        """ISR-lift requests addressed to the side to move: ask its human to accept or refuse."""
        for rid in self.orders.pending_requests():
            text = next((e.text for e in reversed(self.state.log)
                         if e.kind == "isr_request" and e.data.get("request") == rid), f"Request {rid}")
            self.app.confirm("Request over the hotline", text + "\n\nAccept: your aircraft keep out of that area "
                             "for a while. Refuse: the scenario decides the price.",
                             lambda r=rid: self._answer(r, True), yes="Accept", no="Refuse",
                             on_no=lambda r=rid: self._answer(r, False))

    def _answer(self, rid: str, accept: bool) -> None:
        if self.human_turn and rid in self.orders.pending_requests():
            self.orders.answer_request(rid, accept)

    # --- AI ------------------------------------------------------------------------------------
    def agent_for(self, fid: str) -> Any:
        a = self.agents.get(fid)
        if a is None:
            level = self.session.players[fid].ai_level if fid in self.session.players else "random"
            seed = self.session.seed * 7919 + self.state.faction_index(fid)
            try:
                a = make_agent(level, seed)
            except DeconflictionError:
                a = make_agent("random", seed)
                self.flash(f"AI level {level!r} is not available; {fid} plays random")
            self.agents[fid] = a
        return a

    def _start_runner(self) -> None:
        self.fast = False
        self.ai_wait = 0.0
        self.runner = AIRunner(self.agent_for(self.state.active_faction), self.state)

    def _stop_runner(self) -> None:
        if self.runner is not None:
            self.runner.cancel()
            self.runner = None

    def skip_ai(self) -> None:
        """Space / Esc in an AI turn: apply the rest of it without pauses."""
        if self.runner is not None:
            self.fast = True

    def _pump_ai(self, dt: float) -> None:
        r = self.runner
        if r is None:
            return
        if not self.fast:
            self.ai_wait -= dt
            if self.ai_wait > 0:
                return
        got = r.poll(None if self.fast else 1)
        for item in got:
            if self.runner is not r:
                return
            if isinstance(item, AIError):
                self.flash(item.message, 8)
                self._apply_ai(EndTurn())
                return
            visible = self._apply_ai(item)
            if not self.fast and visible:
                self.ai_wait = self.app.ai_delay
        if self.runner is r and r.finished and self.state.active_faction == r.faction \
                and self.state.turn == r.turn and not self.state.terminal:
            self._apply_ai(EndTurn())      # the agent stopped without ending its turn

    def _apply_ai(self, action: Action) -> bool:
        """Apply one AI action through the Session; True if the viewer saw something happen."""
        r = self.runner
        try:
            events = self.session.apply(action)
        except IllegalAction as e:
            self.flash(f"AI move refused ({e}); its turn ends", 6)
            self._stop_runner()
            try:
                events = self.session.apply(EndTurn())
            except IllegalAction:
                return False
            action = EndTurn()
        visible = self.news.record(self.state, events, self.viewer)
        self._add_floaters(events)
        self.ai_highlight = None
        if visible and isinstance(action, Move) and self.viewer is not None:
            path = [e.data for e in events if e.kind == "move"]
            if path:
                cells = [path[0]["from"]] + list(path[0]["path"])
                vis = visibility.visible_cells(self.state, self.viewer)
                self.ai_highlight = [c for c in cells if vis[c]]
                self._keep_in_view(cells[-1])
        if isinstance(action, EndTurn) or self.state.terminal or (r is not None and self.state.active_faction != r.faction):
            self.runner = None
            self.ai_highlight = None
            self._after_end_turn()
        return visible and not self._handover_shown()

    # --- what each side saw ---------------------------------------------------------------------------
    def _on_human_applied(self, action: Action, events: list[GameEvent]) -> None:
        self.news.record(self.state, events, self.viewer)
        self._add_floaters(events)
        for ev in events:
            if ev.kind in ("combat", "reveal", "capture", "message", "incident", "air"):
                self.flash(ev.text, 5)
        if not isinstance(action, EndTurn):
            self._show_news_now(events)
        if isinstance(action, EndTurn):
            self._after_end_turn()
        else:
            self._advance()

    def _show_news_now(self, events: list[GameEvent]) -> None:
        """Scenario messages the player's own order set off (a town taken, a lesson) pop up now,
        not at the start of their next turn."""
        fid = self.viewer
        if fid is None:
            return
        box = self.news.inbox.get(fid, [])
        msgs = [e for e in events if e.kind == "message" and e.text and any(e is x for x in box)]
        if msgs:
            self.news.inbox[fid] = [x for x in box if not any(x is m for m in msgs)]
            self.app.message(f"Turn {self.state.turn}: news", "\n\n".join(m.text for m in msgs[-4:]))

    def _add_floaters(self, events: list[GameEvent]) -> None:
        """Combat results the viewer could see, shown over the target hex for a moment."""
        st = self.state
        if self.viewer is None and self.humans:
            return                      # hot-seat, between players: nobody may see it
        vis = None
        now = time.monotonic()
        for ev in events:
            if ev.kind != "combat" or not isinstance((ev.data or {}).get("target"), int):
                continue
            d = ev.data
            target = d["target"]
            mine = self.viewer is None or (ev.faction is not None and st.friendly(ev.faction, self.viewer))
            if not mine:
                if vis is None:
                    vis = visibility.visible_cells(st, self.viewer)
                if not (0 <= target < len(vis) and vis[target]):
                    continue
            text, good = combat_result_text(d)
            if good is not None and not mine:
                good = not good             # the viewer was attacked
            colour = common.WARN if good is None else common.GOOD if good else common.BAD
            self.floaters.append(Floater(target, text, colour, now))
        del self.floaters[:-12]

    def _after_end_turn(self) -> None:
        self.autosave()
        self._advance()

    # --- saves --------------------------------------------------------------------------------------
    def autosave(self) -> None:
        try:
            from game import persistence
        except ImportError:
            return
        try:
            persistence.autosave(self.session, self.app.save_dir)
        except (SaveError, OSError) as e:
            self.flash(f"Autosave failed: {e}", 8)

    def quick_save_path(self) -> Path:
        try:
            from game.persistence import SAVE_SUFFIX
        except ImportError:
            SAVE_SUFFIX = ".dsave"
        return self.app.save_dir / f"quicksave{SAVE_SUFFIX}"

    def save_to(self, path: Path) -> bool:
        try:
            from game import persistence
            persistence.save_session(self.session, path)
        except ImportError:
            self.app.message("Cannot save", "Saved games are not available in this build.")
            return False
        except (SaveError, OSError) as e:
            self.app.message("Cannot save", str(e))
            return False
        self.flash(f"Saved {path.name}")
        return True

    def quick_save(self) -> None:
        self.save_to(self.quick_save_path())

    def quick_load(self) -> None:
        p = self.quick_save_path()
        if not p.is_file():
            self.app.message("No quick save", f"Press F5 to quick save first ({p}).")
            return
        self.app.load_game(p)

    # --- per frame -----------------------------------------------------------------------------------
    def flash(self, msg: str, seconds: float = 4.0) -> None:
        self.status = msg
        self.status_until = time.monotonic() + seconds

    def update(self, dt: float) -> None:
        if self.runner is not None:
            self._pump_ai(dt)
        self._track_hover()
        if self.orders.message:
            self.flash(self.orders.message)
            self.orders.message = ""
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        human = self.human_turn
        o = self.orders
        _show(self.b_undo, human)
        _show(self.b_end, human)
        if human:
            self.b_undo.enable() if o.can_undo() else self.b_undo.disable()
        attack = human and o.attack is not None
        for b in (self.b_attack, self.b_all, self.b_cancel):
            _show(b, attack or (b is self.b_cancel and human and o.air is not None))
        _show(self.b_cas, attack and o.air_available())
        if attack:
            self.b_attack.enable() if o.attack.prediction is not None else self.b_attack.disable()
            self.b_all.enable() if len(o.attack.eligible) > len(o.attack.attackers) else self.b_all.disable()
        air = human and o.air is not None
        _show(self.b_fly, air)
        pv = o.air.preview if air else None
        _show(self.b_hotline, air and pv is not None and (pv.hotline_needed or pv.incident_risk_unannounced > 0))
        if air:
            self.b_fly.enable() if (o.air.action is not None and not o.air.error) else self.b_fly.disable()
        if air:
            label = o.air.hotline_text.split(" (")[0].capitalize()
            if self.b_hotline.text != label:
                self.b_hotline.set_text(label)
        armable = human and o.air_available()
        for b in self.air_buttons:
            _show(b, armable)

    # --- input -------------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            self._button(event.ui_element)
        elif event.type == pygame.KEYDOWN:
            self._key(event)
        elif event.type == pygame.MOUSEMOTION:
            self._motion(event)
        elif event.type == pygame.MOUSEBUTTONDOWN:
            self._mouse_down(event)
        elif event.type == pygame.MOUSEBUTTONUP:
            self._mouse_up(event)
        elif event.type == pygame.WINDOWLEAVE:
            self.mouse = None
            self._track_hover()
        elif event.type == pygame.MOUSEWHEEL:
            pos = self.mouse
            if pos is None and pygame.mouse.get_focused():
                pos = pygame.mouse.get_pos()        # wheel before any motion (a freshly opened window)
            if pos is None:
                return
            if self.map_rect.collidepoint(pos):
                self.camera.zoom_at(1.25 if event.y > 0 else 0.8, *pos)
                self.camera.clamp(self.map.world_rect(), self.map_rect.size)
            elif self.log_rect.collidepoint(pos):
                self.news.log_for(self.viewer).scroll_by(event.y * 2)

    def _button(self, el: Any) -> None:
        o = self.orders
        if el is self.b_end:
            self.request_end_turn()
        elif el is self.b_undo:
            self.undo()
        elif el is self.b_menu:
            self.open_menu()
        elif el is self.b_help:
            self.open_help()
        elif el is self.b_attack:
            o.confirm_attack()
        elif el is self.b_all:
            o.add_all_attackers()
        elif el is self.b_cas:
            o.toggle_air_support()
        elif el is self.b_cancel:
            o.cancel()
        elif el is self.b_fly:
            o.confirm_air()
        elif el is self.b_hotline:
            o.toggle_hotline()
        elif el in self.air_buttons:
            self.arm_air(self.air_buttons[el])

    def _key(self, event: pygame.event.Event) -> None:
        k, mods = event.key, event.mod
        ctrl = bool(mods & (pygame.KMOD_CTRL | pygame.KMOD_META))
        o = self.orders
        if k == pygame.K_F1 or event.unicode == "?":
            self.open_help()
        elif k == pygame.K_F5 or (ctrl and k == pygame.K_s):
            self.quick_save()
        elif k == pygame.K_F9 or (ctrl and k == pygame.K_l):
            self.quick_load()
        elif k == pygame.K_F11:
            self.screenshot()
        elif self.runner is not None and k in (pygame.K_SPACE, pygame.K_ESCAPE):
            self.skip_ai()
        elif k == pygame.K_ESCAPE:
            if o.selected or o.attack or o.air or o.air_mode:
                o.cancel()
                self.status_until = 0.0
            else:
                self.open_menu()
        elif k in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN):
            step = 120
            dx = {pygame.K_LEFT: step, pygame.K_RIGHT: -step}.get(k, 0)
            dy = {pygame.K_UP: step, pygame.K_DOWN: -step}.get(k, 0)
            self.camera.pan(dx, dy)
            self.camera.clamp(self.map.world_rect(), self.map_rect.size)
        elif k in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
            self.camera.zoom_at(1.25, *self.map_rect.center)
        elif k in (pygame.K_MINUS, pygame.K_KP_MINUS):
            self.camera.zoom_at(0.8, *self.map_rect.center)
        elif k == pygame.K_g:
            self.show_grid = not self.show_grid
        elif k == pygame.K_l:
            self.show_lines = not self.show_lines
        elif not self.human_turn:
            return
        elif (ctrl and k == pygame.K_z) or k == pygame.K_BACKSPACE:
            self.undo()
        elif k in (pygame.K_RETURN, pygame.K_KP_ENTER):
            if o.attack is not None:
                o.confirm_attack()
            elif o.air is not None:
                o.confirm_air()
        elif k == pygame.K_e:
            self.request_end_turn()
        elif k == pygame.K_a:
            o.add_all_attackers()
        elif k == pygame.K_c:
            o.toggle_air_support()
        elif k == pygame.K_h:
            o.toggle_hotline()
        elif k == pygame.K_s:
            self.arm_air("strike")
        elif k == pygame.K_i:
            self.arm_air("isr")
        elif k == pygame.K_b:
            self.arm_air("cas")
        elif k == pygame.K_d:
            self.arm_air("airdrop")
        elif k == pygame.K_TAB:
            self.cycle_idle(-1 if mods & pygame.KMOD_SHIFT else 1)
        elif k == pygame.K_SPACE:
            u = o.selected_unit()
            if u is not None:
                self.camera.centre_on(*self.map.cell_centre_world(u.cell), self.map_rect.size)
                self.camera.clamp(self.map.world_rect(), self.map_rect.size)

    @property
    def busy(self) -> bool:
        """Something on screen moves by itself (the app keeps its full frame rate)."""
        return self.runner is not None or bool(self.floaters) or self.drag is not None

    def _track_hover(self) -> None:
        """The hex under the mouse, also when the map moved under a still mouse (AI moves, keys,
        wheel), so the tooltip and hex panel never describe a hex the mouse has left."""
        if self.mouse is None:
            cell = None
        else:
            cell = self.map.cell_at(self.mouse, self.map_rect, self.camera)
        if cell != self.hover:
            self.hover = cell
            self.hover_since = time.monotonic()

    def _motion(self, event: pygame.event.Event) -> None:
        self.mouse = event.pos
        if self.mini_drag:
            if event.buttons and event.buttons[0]:
                self._minimap_jump(event.pos)
            else:
                self.mini_drag = False
        if self.drag is not None:
            dx, dy = event.pos[0] - self.drag[0], event.pos[1] - self.drag[1]
            if abs(dx) + abs(dy) > 3 or self.drag_moved:
                self.drag_moved = True
                self.camera.pan(dx, dy)
                self.camera.clamp(self.map.world_rect(), self.map_rect.size)
                self.drag = event.pos
        cell = self.map.cell_at(event.pos, self.map_rect, self.camera)
        if cell != self.hover:
            self.hover = cell
            self.hover_since = time.monotonic()

    def _mouse_down(self, event: pygame.event.Event) -> None:
        self.mouse = event.pos
        if event.button in (2, 3) and self.map_rect.collidepoint(event.pos):
            self.drag = event.pos
            self.drag_moved = False
            return
        if event.button != 1:
            return
        if self.minimap is not None and self.mini_rect.collidepoint(event.pos):
            self.mini_drag = True           # holding the button on the minimap keeps steering
            self._minimap_jump(event.pos)
            return
        cell = self.map.cell_at(event.pos, self.map_rect, self.camera)
        if cell is None:
            return
        self.hover = cell
        if not self.human_turn:
            return
        shift = bool(pygame.key.get_mods() & pygame.KMOD_SHIFT) or bool(getattr(event, "mod", 0) & pygame.KMOD_SHIFT)
        self.orders.click(cell, force_move=shift)

    def _minimap_jump(self, pos: tuple[int, int]) -> None:
        if self.minimap is None:
            return
        x = min(max(pos[0], self.mini_rect.left), self.mini_rect.right - 1)
        y = min(max(pos[1], self.mini_rect.top), self.mini_rect.bottom - 1)
        wx, wy = self.minimap.click_to_world((x, y), self.mini_rect)
        self.camera.centre_on(wx, wy, self.map_rect.size)
        self.camera.clamp(self.map.world_rect(), self.map_rect.size)

    def _mouse_up(self, event: pygame.event.Event) -> None:
        if event.button == 1:
            self.mini_drag = False
        if event.button in (2, 3) and self.drag is not None:
            moved = self.drag_moved
            self.drag = None
            self.drag_moved = False
            if not moved and event.button == 3 and self.human_turn:
                self.orders.cancel()
                self.status_until = 0.0

    # --- commands ----------------------------------------------------------------------------------
    def request_end_turn(self) -> None:
        if not self.human_turn:
            return
        idle = self.orders.idle_units()
        if not idle:
            self.end_turn()
            return
        names = ", ".join(u.name for u in idle[:8]) + (f" and {len(idle) - 8} more" if len(idle) > 8 else "")
        self.app.confirm("End turn?", f"{len(idle)} unit{'s' if len(idle) != 1 else ''} can still move or attack: "
                         f"{names}.\n\nEnd the turn anyway?", self.end_turn, yes="End turn", no="Keep playing",
                         confirm_keys=(pygame.K_e,))

    def end_turn(self) -> None:
        if self.human_turn:
            self.orders.end_turn()

    def undo(self) -> None:
        last_events = [e for d in self.orders._done[-1:] for e in d.events]
        if self.orders.undo():
            self.news.forget(last_events, self.state)

    def arm_air(self, mission: str) -> None:
        if not self.human_turn or not self.orders.air_available():
            return
        self.orders.attack = None
        self.orders.air = None
        self.orders.air_mode = mission
        self.status_until = 0.0

    def cycle_idle(self, d: int) -> None:
        """Tab: the next unit that can still move or attack (green or orange dot), sweeping the
        map in reading order from the selected one."""
        st = self.state
        status = self.unit_status()
        grid = st.scenario.grid

        def place(u):
            col, row = grid.offset(u.cell)
            return (row, col, u.id)
        idle = sorted((st.units[i] for i, s in status.items() if s != "done" and i in st.units), key=place)
        if not idle:
            self.flash("Every unit has acted")
            return
        ids = [u.id for u in idle]
        sel = self.orders.selected_unit()
        if sel is not None and sel.id in ids:
            i = ids.index(sel.id) + d
        elif sel is not None:                   # it has just finished: carry on from where it stands
            after = [k for k, u in enumerate(idle) if place(u) > place(sel)]
            i = (after[0] if after else 0) if d > 0 else (after[0] - 1 if after else -1)
        else:
            i = 0 if d > 0 else -1
        u = idle[i % len(idle)]
        self.orders.select(u.id)
        self.camera.centre_on(*self.map.cell_centre_world(u.cell), self.map_rect.size)
        self.camera.clamp(self.map.world_rect(), self.map_rect.size)

    def open_help(self) -> None:
        from game.ui.help import HelpOverlay
        self.app.push(HelpOverlay(self.app))

    def open_menu(self) -> None:
        from game.ui.screens.game_menu import GameMenu
        self.app.push(GameMenu(self.app, self))

    def screenshot(self) -> None:
        try:
            self.app.save_dir.mkdir(parents=True, exist_ok=True)
            p = self.app.save_dir / time.strftime("screenshot-%Y%m%d-%H%M%S.png")
            self.app.screenshot(p)
            self.flash(f"Screenshot {p}")
        except (OSError, pygame.error) as e:
            self.flash(f"Screenshot failed: {e}")

    def _keep_in_view(self, cell: int) -> None:
        wx, wy = self.map.cell_centre_world(cell)
        sx, sy = self.camera.world_to_screen(wx, wy)
        if not self.map_rect.inflate(-80, -80).collidepoint(sx, sy):
            self.camera.centre_on(wx, wy, self.map_rect.size)
            self.camera.clamp(self.map.world_rect(), self.map_rect.size)

    # --- drawing -------------------------------------------------------------------------------------
    def overlay(self) -> Overlay:
        o = self.orders
        ov = Overlay(hover=self.hover, show_grid=self.show_grid, show_lines=self.show_lines)
        if self.human_turn:
            ov.unit_status = self.unit_status()
            ov.selected = o.selected
            if o.reach is not None and o.attack is None and o.air is None:
                ov.reachable = dict(o.reach.cost)
                ov.path = list(o.path_preview(self.hover)) or None
            ov.attack_targets = list(o.targets) or None
            if o.attack is not None:
                ov.attack_targets = [o.attack.target]
                if o.attack.prediction is not None:
                    ov.marks = {o.attack.target: o.attack.prediction.odds.label}
            elif o.air is not None:
                ov.marks = {o.air.target: o.air.mission.upper()}
                ov.attack_targets = [o.air.target] if o.air.mission == "strike" else None
                if o.air.preview is not None and o.air.preview.reveals:
                    ov.reachable = {c: 0.0 for c in o.air.preview.reveals}
        elif self.ai_highlight:
            ov.path = list(self.ai_highlight)
        return ov

    def unit_status(self) -> dict[str, str]:
        """Each of the moving side's units: fresh (unused), partial (can still act) or done."""
        st = self.state
        key = (id(st), st.ply, len(self.session.actions), st.active)
        if self._status_key != key or self._status is None:
            out: dict[str, str] = {}
            for u in st.units_of(st.active_faction):
                targets = engine.attack_targets(st, u)
                can_move = not u.attacked and not u.static and u.mp > 0
                if can_move and not targets:
                    can_move = bool(engine.move_targets(st, u).destinations())
                if not can_move and not targets:
                    out[u.id] = "done"
                elif not u.attacked and u.mp >= movement.movement_allowance(st, u) - 1e-9:
                    out[u.id] = "fresh"
                else:
                    out[u.id] = "partial"
            self._status, self._status_key = out, key
        return self._status

    def draw(self, surface: pygame.Surface) -> None:
        self.frames += 1
        st = self.state
        surface.fill(common.BG)
        camera, mr = self.camera, self.map_rect
        camera.clamp(self.map.world_rect(), mr.size)
        self.map.draw(surface, mr, camera, st, self.viewer, self.overlay())
        self._draw_floaters(surface)
        self.drawn_unit_ids = self._units_on_screen()
        status = ""
        if self.ai_turn:
            status = "AI moving" + (" (skipping)" if self.fast else "  -  Space to skip")
        elif st.terminal:
            status = "game over"
        elif self.human_turn:
            status = "your turn"
        panels.draw_top_bar(surface, pygame.Rect(0, 0, surface.get_width(), TOP_H), st, status)
        self._draw_side(surface)
        self._draw_status(surface)
        self._draw_tooltip(surface)

    def _draw_floaters(self, surface: pygame.Surface) -> None:
        now = time.monotonic()
        self.floaters = [f for f in self.floaters if now - f.born < FLOAT_SECONDS]
        if not self.floaters or self.viewer is None and self.humans and not self.state.terminal:
            return
        from game.ui import theme
        old = surface.get_clip()
        surface.set_clip(self.map_rect)
        size = max(18, min(28, int(20 * self.camera.zoom)))
        stacked: dict[int, int] = {}
        for f in reversed(self.floaters):       # newest lowest; older ones of the same hex above
            age = now - f.born
            k = stacked.get(f.cell, 0)
            stacked[f.cell] = k + 1
            x, y = self.camera.world_to_screen(*self.map.cell_centre_world(f.cell))
            y -= 18 * self.camera.zoom + age * 14 + k * (size + 6)
            img = theme.font(size, True).render(f.text, True, f.colour)
            box = img.get_rect(center=(int(x), int(y))).inflate(12, 4)
            tile = pygame.Surface(box.size, pygame.SRCALPHA)
            tile.fill((16, 17, 20, 225))
            pygame.draw.rect(tile, (*f.colour, 255), tile.get_rect(), 1, border_radius=4)
            tile.blit(img, img.get_rect(center=(box.width // 2, box.height // 2)))
            fade = min(1.0, (FLOAT_SECONDS - age) / 0.6)
            if fade < 1.0:
                tile.set_alpha(int(255 * fade))
            surface.blit(tile, box)
        surface.set_clip(old)

    def _units_on_screen(self) -> list[str]:
        """Ids of units the map drew this frame (the viewer's fog applied), for tests and AI pacing."""
        out = []
        for u in self._visible_units():
            sx, sy = self.camera.world_to_screen(*self.map.cell_centre_world(u.cell))
            if self.map_rect.collidepoint(sx, sy):
                out.append(u.id)
        return sorted(out)

    def _draw_side(self, surface: pygame.Surface) -> None:
        st = self.state
        pygame.draw.rect(surface, common.PANEL, self.side)
        pygame.draw.line(surface, common.EDGE, self.side.topleft, self.side.bottomleft)
        if self.minimap is not None:
            self.minimap.draw(surface, self.mini_rect, st, self.viewer, self.camera, self.map_rect)
        o = self.orders
        r = self.info_rect
        sel = o.selected_unit() if self.human_turn else None
        preview = self.human_turn and (o.attack is not None or o.air is not None)
        if preview:
            pass                        # the attack / air preview below uses this space too
        elif sel is not None:
            y = panels.heading(surface, r, "Selected unit")
            panels.draw_lines(surface, r, panels.unit_lines(st, sel, True), y)
        elif self.hover is not None:
            y = panels.heading(surface, r, "Hex")
            panels.draw_lines(surface, r, panels.hex_lines(st, self.hover, self._visible_units(), self.viewer), y)
        else:
            y = panels.heading(surface, r, "Orders")
            hint = ("Click one of your units to select it. Lit hexes: where it can go; red: what it can attack. "
                    "Tab: next unit with orders. F1: all keys." if self.human_turn else
                    "Waiting for the other side." if not st.terminal else "The game is over.")
            panels.draw_lines(surface, r, [(hint, common.DIM)], y, 16)
        log_top = self.info_rect.bottom
        prect = self.preview_rect()
        if self.human_turn and o.attack is not None:
            defenders = [u for u in self._visible_units() if u.cell == o.attack.target and st.at_war(u.faction, st.active_faction)]
            panels.draw_attack_preview(surface, prect, st, o.attack, defenders)
            log_top = self.orders_rect.bottom
        elif self.human_turn and o.air is not None:
            panels.draw_air_preview(surface, prect, st, o.air)
            log_top = self.orders_rect.bottom
        log_rect = pygame.Rect(self.side.left, log_top, SIDE_W, self.log_rect.bottom - log_top)
        if log_rect.height > 70:
            self.news.log_for(self.viewer).draw(surface, log_rect)
        if self.b_strike.visible:
            wing = self.orders.wing()
            left = getattr(self.state.air, "sorties", {}).get(wing.id, 0) if wing is not None else 0
            common.text(surface, f"{left} sorties", (self.side.left + 280, self.b_strike.rect.top + 9), 15,
                        common.DIM)
            common.text(surface, f"AIR: {getattr(wing, 'name', '')}", (self.side.left + 10, self.b_strike.rect.top - 18),
                        14, common.ACCENT, bold=True)

    def preview_rect(self) -> pygame.Rect:
        """Where the attack / air-mission preview goes: the unit panel and the orders area above
        the Attack / Fly buttons (room for the odds and all six outcomes)."""
        return pygame.Rect(self.side.left, self.info_rect.top, SIDE_W, self.b_attack.rect.top - 6 - self.info_rect.top)

    def _visible_units(self) -> list:
        """Units the viewer sees now (cached per state and action: asked several times a frame)."""
        st = self.state
        key = (id(st), st.ply, self.viewer)
        if getattr(self, "_vis_key", None) != key:
            self._vis = list(st.units.values()) if self.viewer is None else visibility.visible_units(st, self.viewer)
            self._vis_key = key
        return self._vis

    def _draw_status(self, surface: pygame.Surface) -> None:
        r = pygame.Rect(0, self.map_rect.bottom, self.map_rect.width, STATUS_H)
        pygame.draw.rect(surface, common.PANEL_DARK, r)
        msg, col = self._hint()
        if time.monotonic() < self.status_until and self.status:
            msg, col = self.status, common.WARN
        right = f"zoom {self.camera.zoom:g}"
        if self.hover is not None:
            c, rw = self.state.scenario.grid.offset(self.hover)
            right = f"hex [{c},{rw}]   " + right
        if self.viewer is None and not self.state.terminal and self.humans:
            right = "map hidden   " + right
        rr = common.text(surface, right, (r.right - 10, r.centery), 16, common.DIM, anchor="midright")
        common.text(surface, common.fit(msg, rr.left - r.left - 30, 17), (r.left + 10, r.centery), 17, col,
                    anchor="midleft")

    def _hint(self) -> tuple[str, Any]:
        o = self.orders
        st = self.state
        if self.runner is not None:
            who = common.faction_name(st.scenario, st.active_faction)
            return f"{who} is moving... (Space: skip to the end of its turn)", common.DIM
        if not self.human_turn:
            return "", common.DIM
        if o.air_mode:
            title = panels.MISSION_TITLES.get(o.air_mode, o.air_mode)
            return f"{title}: click the target hex  (Esc / right click: cancel)", common.WARN
        if o.air is not None:
            return "Enter / Fly: fly the mission.  H: hotline choice.  Click another hex to retarget.  Esc: cancel", \
                common.TEXT
        cell = self.hover
        sel = o.selected_unit()
        if sel is not None and cell is not None:
            if cell in o.targets:
                return "Click: prepare an attack on this hex (odds shown before you commit)", common.BAD
            if o.reach is not None and cell in o.reach.cost and cell != sel.cell:
                return f"Click: move here ({o.reach.cost[cell]:g} of {sel.mp:g} movement points)", common.TEXT
        if o.attack is not None:
            return "Enter / Attack!: roll the die.  Click your other units to add them.  Esc: cancel", common.TEXT
        return "Select a unit  -  E: end turn  -  F1: help", common.DIM

    def _draw_tooltip(self, surface: pygame.Surface) -> None:
        if self.hover is None or self.drag is not None or time.monotonic() - self.hover_since < 0.6:
            return
        if self.mouse is None or not self.map_rect.collidepoint(self.mouse):
            return
        lines = panels.hex_lines(self.state, self.hover, self._visible_units(), self.viewer)
        o = self.orders
        if self.human_turn and o.selected and self.hover in o.targets and o.attack is None:
            try:
                p = engine.predict(self.state, Attack((o.selected,), self.hover))
                lines.append((f"Attack alone at {p.odds.label}: defender hit {p.p_defender_loss:.0%}, "
                              f"you hit {p.p_attacker_loss:.0%}", common.WARN))
            except IllegalAction:
                pass
        panels.tooltip(surface, self.mouse, lines, bounds=self.map_rect)

    def on_exit(self) -> None:
        self._stop_runner()


def _show(el: Any, on: bool) -> None:
    if on and not el.visible:
        el.show()
    elif not on and el.visible:
        el.hide()

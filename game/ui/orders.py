"""The orders controller: turns clicks on hexes into Move / Attack / air actions via the Session.

It holds only the *selection* (which unit, which attack is being prepared); every change to the
game goes through ``Session.apply``.  Undo is ``Session.truncate`` to before the last move, and
only while nothing was learnt from it: the move revealed no enemy, bumped into nobody, fired no
scripted event and rolled no die.  Moves made after an attack can be taken back too: undoing
them replays the same rolls, so nothing can be re-rolled.

No pygame here, so the whole controller is testable without a window.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from game import engine
from game.actions import Action, Attack, EndTurn, Move
from game.errors import IllegalAction
from game.rules import movement
from game.session import Session
from game.state import GameEvent, GameState, Unit

Applied = Callable[[Action, list[GameEvent]], None]


@dataclass
class PendingAttack:
    """An attack being prepared: shown with its odds before the player commits."""
    target: int
    attackers: list[str]
    air_support: bool = False
    prediction: Any = None          # game.rules.combat.Prediction
    error: str | None = None
    eligible: list[str] = field(default_factory=list)   # own units that could join

    def action(self) -> Attack:
        return Attack(tuple(self.attackers), self.target, self.air_support)


HOTLINE_CHOICES: tuple[tuple[bool, bool, str], ...] = (
    (True, False, "announce now (+1 sortie)"),
    (True, True, "announce, fly next turn"),
    (False, False, "unannounced (raises tension)"),
)


@dataclass
class PendingAir:
    """An air mission being prepared, with its deconfliction preview (zone, hotline, risk)."""
    mission: str
    target: int
    choice: int = 0                 # index into HOTLINE_CHOICES
    action: Action | None = None
    preview: Any = None             # game.rules.air.AirPrediction
    error: str | None = None

    @property
    def announce(self) -> bool:
        return HOTLINE_CHOICES[self.choice][0]

    @property
    def wait(self) -> bool:
        return HOTLINE_CHOICES[self.choice][1]

    @property
    def hotline_text(self) -> str:
        return HOTLINE_CHOICES[self.choice][2]


@dataclass
class _Done:
    index: int                      # position of the action in session.actions
    action: Action
    events: list[GameEvent]
    rng_before: Any = None          # the dice before the action (a move that rolled cannot be undone)


class Orders:
    """Selection and orders of the human whose turn it is."""

    def __init__(self, session: Session, on_applied: Applied | None = None):
        self.session = session
        self.on_applied = on_applied
        self.selected: str | None = None
        self.reach: movement.Reach | None = None
        self.targets: list[int] = []
        self.attack: PendingAttack | None = None
        self.air: PendingAir | None = None
        self.air_mode: str | None = None         # mission type armed by a key, waiting for a hex
        self.message: str = ""
        self._turn_start = len(session.actions)
        self._rng_at_start = session.state.rng.getstate() if session.state else None
        self._done: list[_Done] = []
        self._cycle: dict[int, int] = {}

    # --- turn bookkeeping ------------------------------------------------------------------
    @property
    def state(self) -> GameState:
        assert self.session.state is not None
        return self.session.state

    def begin_turn(self) -> None:
        """A human turn starts (or a game is loaded): undo cannot reach before this point."""
        self.clear()
        self._turn_start = len(self.session.actions)
        self._rng_at_start = self.state.rng.getstate()
        self._done = []

    def clear(self) -> None:
        self.selected = None
        self.reach = None
        self.targets = []
        self.attack = None
        self.air = None
        self.air_mode = None

    # --- applying ----------------------------------------------------------------------------
    def apply(self, action: Action) -> list[GameEvent] | None:
        """Apply through the session; on an illegal action keep the state and set ``message``."""
        rng_before = self.state.rng.getstate()
        try:
            events = self.session.apply(action)
        except IllegalAction as e:
            self.message = f"Not allowed: {e}"
            return None
        self._done.append(_Done(len(self.session.actions) - 1, action, events, rng_before))
        self.message = ""
        if self.on_applied:
            self.on_applied(action, events)
        return events

    # --- selection ---------------------------------------------------------------------------
    def select(self, uid: str | None) -> None:
        self.attack = None
        self.air = None
        if uid is None or uid not in self.state.units:
            self.selected = None
            self.reach = None
            self.targets = []
            return
        u = self.state.units[uid]
        self.selected = uid
        self.reach = engine.move_targets(self.state, u)
        self.targets = engine.attack_targets(self.state, u)

    def refresh(self) -> None:
        """Recompute reach and targets after the state changed."""
        keep_attack = self.attack
        self.select(self.selected)
        if keep_attack is not None and self.selected:
            self.attack = keep_attack
            self._predict()

    def selected_unit(self) -> Unit | None:
        return self.state.units.get(self.selected) if self.selected else None

    def own_units_at(self, cell: int) -> list[Unit]:
        fid = self.state.active_faction
        return sorted((u for u in self.state.units.values() if u.cell == cell and u.faction == fid),
                      key=lambda u: u.id)

    def path_preview(self, cell: int | None) -> tuple[int, ...]:
        """Start cell followed by the path to ``cell`` if the selected unit can get there."""
        if cell is None or self.reach is None or cell not in self.reach.cost or cell == self.reach.start:
            return ()
        return (self.reach.start,) + self.reach.path_to(cell)

    # --- clicks ------------------------------------------------------------------------------
    def click(self, cell: int, force_move: bool = False) -> str:
        """A left click on ``cell``; returns what it did: select | move | attack | air | none."""
        st = self.state
        if st.terminal:
            return "none"
        if self.air_mode is not None:
            self.prepare_air(self.air_mode, cell)
            return "air"
        sel = self.selected_unit()
        own_here = self.own_units_at(cell)
        if sel is not None and self.attack is not None and own_here:
            # while preparing an attack, clicking own units adds or removes them
            for u in own_here:
                if u.id in self.attack.eligible:
                    self.toggle_attacker(u.id)
                    return "attack"
        if sel is not None and cell in self.targets:
            self.prepare_attack(cell)
            return "attack"
        if sel is not None and self.reach is not None and cell != sel.cell and cell in self.reach.cost \
                and (force_move or not own_here):
            self.move_to(cell)
            return "move"
        if own_here:
            i = self._cycle.get(cell, -1)
            ids = [u.id for u in own_here]
            if self.selected in ids:
                i = ids.index(self.selected) + 1
                if i >= len(ids):
                    self.select(None)
                    return "select"
            else:
                i = 0
            self._cycle[cell] = i
            self.select(ids[i])
            return "select"
        self.select(None)
        return "none"

    def move_to(self, cell: int) -> list[GameEvent] | None:
        sel = self.selected_unit()
        if sel is None or self.reach is None:
            return None
        path = self.reach.path_to(cell)
        if not path:
            return None
        events = self.apply(Move(sel.id, path))
        if events is not None:
            if sel.id in self.state.units:
                self.select(sel.id)
            else:
                self.select(None)
        return events

    # --- attacks -----------------------------------------------------------------------------
    def prepare_attack(self, target: int) -> PendingAttack | None:
        sel = self.selected_unit()
        if sel is None:
            return None
        eligible = sorted(u.id for u in self.state.units_of(self.state.active_faction)
                          if target in engine.attack_targets(self.state, u))
        self.air = None
        self.attack = PendingAttack(target, [sel.id], False, eligible=eligible)
        self._predict()
        return self.attack

    def toggle_attacker(self, uid: str) -> None:
        a = self.attack
        if a is None or uid not in a.eligible:
            return
        if uid in a.attackers:
            if len(a.attackers) > 1:
                a.attackers.remove(uid)
        else:
            a.attackers.append(uid)
        self._predict()

    def add_all_attackers(self) -> None:
        if self.attack is not None:
            self.attack.attackers = list(dict.fromkeys(self.attack.attackers + self.attack.eligible))
            self._predict()

    def toggle_air_support(self) -> None:
        if self.attack is not None:
            self.attack.air_support = not self.attack.air_support
            self._predict()

    def _predict(self) -> None:
        a = self.attack
        if a is None:
            return
        try:
            a.prediction = engine.predict(self.state, a.action())
            a.error = None
        except IllegalAction as e:
            a.prediction = None
            a.error = str(e)

    def confirm_attack(self) -> list[GameEvent] | None:
        a = self.attack
        if a is None or a.prediction is None:
            return None
        sel = self.selected
        events = self.apply(a.action())
        self.attack = None
        if events is not None:
            self.select(sel if sel in self.state.units else None)
        return events

    def cancel(self) -> None:
        """Right click / Esc: drop the pending attack or air mission first, then the selection."""
        if self.attack is not None or self.air is not None or self.air_mode is not None:
            self.attack = None
            self.air = None
            self.air_mode = None
        else:
            self.select(None)

    # --- air missions (game.rules.air, when present) -------------------------------------------
    def wing(self) -> Any:
        """The air wing flying for the side to move, or None (no air power, or none for it)."""
        air = _air_module()
        if air is None or self.state.air is None:
            return None
        try:
            return air.wing_for(self.state, self.state.active_faction)
        except Exception:  # a scenario without an air section
            return None

    def air_available(self) -> bool:
        return self.wing() is not None

    def prepare_air(self, mission: str, target: int, choice: int = 0) -> PendingAir | None:
        self.air_mode = None
        if self.wing() is None:
            self.message = "No air wing flies for this side"
            return None
        self.attack = None
        p = PendingAir(mission, target, choice)
        self.air = p
        self._air_preview()
        return p

    def toggle_hotline(self) -> None:
        if self.air is not None:
            self.air.choice = (self.air.choice + 1) % len(HOTLINE_CHOICES)
            self._air_preview()

    def _air_preview(self) -> None:
        p = self.air
        air = _air_module()
        wing = self.wing()
        if p is None or air is None or wing is None:
            return
        try:
            p.action = air.AirMission(wing.id, p.mission, p.target, p.announce, p.wait)
            p.preview = air.predict_air(self.state, p.action)
            p.error = None if p.preview.legal else (p.preview.reason or "not possible now")
        except IllegalAction as e:
            p.preview = None
            p.error = str(e)

    def confirm_air(self) -> list[GameEvent] | None:
        p = self.air
        if p is None or p.action is None or p.error:
            return None
        events = self.apply(p.action)
        self.air = None
        self.refresh()
        return events

    def pending_requests(self) -> list[str]:
        """ISR-lift requests waiting for the side to move to answer."""
        air = _air_module()
        if air is None or self.state.air is None:
            return []
        return list(air.pending_requests(self.state))

    def answer_request(self, request: str, accept: bool) -> list[GameEvent] | None:
        air = _air_module()
        if air is None:
            return None
        return self.apply(air.IsrAnswer(request, accept))

    # --- undo -------------------------------------------------------------------------------------
    def undo_blocker(self) -> str | None:
        """Why the last order cannot be taken back, or None if it can."""
        if not self._done or self._done[-1].index != len(self.session.actions) - 1:
            return "nothing to undo this turn"
        last = self._done[-1]
        if not isinstance(last.action, Move):
            return "only moves can be undone"
        if self.state.rng.getstate() != last.rng_before:
            return "that move rolled a die"
        for e in last.events:
            if e.kind == "move":
                if e.data.get("revealed") or e.data.get("stopped"):
                    return "that move revealed the enemy"
            else:
                return f"that move caused: {e.text}"
        return None

    def can_undo(self) -> bool:
        return self.undo_blocker() is None

    def undo(self) -> bool:
        why = self.undo_blocker()
        if why is not None:
            self.message = f"Cannot undo: {why}"
            return False
        last = self._done.pop()
        uid = last.action.unit if isinstance(last.action, Move) else None
        self.session.truncate(last.index)
        self.message = "Move undone"
        self.select(uid)
        return True

    # --- end of turn --------------------------------------------------------------------------
    def idle_units(self) -> list[Unit]:
        """Units that have done nothing yet and could still move or attack."""
        st = self.state
        out = []
        for u in sorted(st.units_of(st.active_faction), key=lambda x: x.name):
            if u.attacked or u.static and not engine.attack_targets(st, u):
                continue
            untouched = not u.static and u.mp >= movement.movement_allowance(st, u) - 1e-9 and u.mp > 0
            if untouched and engine.move_targets(st, u).destinations():
                out.append(u)
            elif engine.attack_targets(st, u):
                out.append(u)
        return out

    def end_turn(self) -> list[GameEvent] | None:
        self.clear()
        return self.apply(EndTurn())


# --- air glue -----------------------------------------------------------------------------------

def _air_module():
    """game.rules.air, the optional air-power rules (None if this build has none)."""
    try:
        import game.rules.air as air
    except ModuleNotFoundError as e:
        if e.name != "game.rules.air":
            raise
        return None
    return air if hasattr(air, "predict_air") else None

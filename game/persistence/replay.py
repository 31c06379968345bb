"""Stepping through a game's action log: for the replay screen, "jump to turn" and checkpoints.

A game is its action log, so a replay is re-applying the actions from the start.  The cursor
keeps a copy of the state at each faction-turn start it passes, so stepping back or jumping to a
turn replays at most one turn.  "Continue from here" builds a fresh session by a full replay from
the start, so the continued game is exactly what a save of that point would load.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from game import engine
from game.actions import Action, EndTurn
from game.session import PlayerSetup, Session
from game.state import GameEvent, GameState


def turn_boundaries(session: Session) -> list[int]:
    """Action indices where each faction turn starts (``session.replay_to(i)`` shows its start).

    Index 0 is the first; every index after an EndTurn is another, except after the EndTurn that
    ended the game.  The last entry may equal ``len(session.actions)`` (the turn now being played).
    """
    n = len(session.actions)
    out = [0]
    for i, a in enumerate(session.actions):
        if isinstance(a, EndTurn):
            if i + 1 < n or session.state is None or not session.state.terminal:
                out.append(i + 1)
    return out


@dataclass(frozen=True)
class TurnMark:
    index: int          # action index where this faction turn starts
    turn: int
    faction: str


def turn_marks(session: Session) -> list[TurnMark]:
    """``turn_boundaries`` with the turn number and faction of each (one replay)."""
    marks: list[TurnMark] = []
    st = engine.new_game(session.scenario, session.seed)
    marks.append(TurnMark(0, st.turn, st.active_faction))
    for i, a in enumerate(session.actions):
        engine.apply(st, a)
        if isinstance(a, EndTurn) and not st.terminal:
            marks.append(TurnMark(i + 1, st.turn, st.active_faction))
    return marks


@dataclass
class ReplayStep:
    index: int                  # the action just applied is session.actions[index]
    action: Action
    events: list[GameEvent]
    state: GameState            # live: changes on the next step; clone() it to keep it


def replay_states(session: Session, start: int = 0, stop: int | None = None) -> Iterator[ReplayStep]:
    """Yield each action of the log with its events and the state after it, from ``start``."""
    stop = len(session.actions) if stop is None else min(stop, len(session.actions))
    st = session.replay_to(start)
    for i in range(start, stop):
        a = session.actions[i]
        ev = engine.apply(st, a)
        yield ReplayStep(i, a, ev, st)


@dataclass
class ReplayCursor:
    """A position in a game's log that can move forward, back, or jump to a turn.

    ``state`` is the state after ``position`` actions; ``last_events`` what the last forward
    step produced (for animating it).  The session itself is never changed.
    """
    session: Session
    position: int = 0
    state: GameState = field(init=False)
    last_events: list[GameEvent] = field(default_factory=list, init=False)
    _keys: dict[int, GameState] = field(default_factory=dict, init=False, repr=False)
    _bounds: list[int] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self._bounds = turn_boundaries(self.session)
        target = max(0, min(self.position, len(self)))
        self.position = 0
        self.state = engine.new_game(self.session.scenario, self.session.seed)
        self._keys[0] = self.state.clone()
        self.seek(target)

    def __len__(self) -> int:
        return len(self.session.actions)

    @property
    def at_end(self) -> bool:
        return self.position >= len(self)

    @property
    def boundaries(self) -> list[int]:
        return list(self._bounds)

    def step(self) -> list[GameEvent]:
        """Apply the next action; [] at the end of the log."""
        if self.at_end:
            self.last_events = []
            return []
        a = self.session.actions[self.position]
        self.last_events = engine.apply(self.state, a)
        self.position += 1
        if isinstance(a, EndTurn) and self.position not in self._keys:
            self._keys[self.position] = self.state.clone()
        return self.last_events

    def back(self) -> None:
        self.seek(self.position - 1)

    def seek(self, n: int) -> GameState:
        """Go to the state after ``n`` actions (clamped to the log)."""
        n = max(0, min(n, len(self)))
        if n < self.position or n - self.position > 1:
            base = max(k for k in self._keys if k <= n)
            if not (base <= self.position <= n):
                self.state = self._keys[base].clone()
                self.position = base
        while self.position < n:
            self.step()
        if n == 0:
            self.last_events = []
        return self.state

    def turn_index(self) -> int:
        """Which faction turn (index into ``boundaries``) the position is in."""
        k = 0
        for i, b in enumerate(self._bounds):
            if b <= self.position:
                k = i
        return k

    def seek_turn(self, k: int) -> GameState:
        """Jump to the start of the k-th faction turn (0 = the first)."""
        k = max(0, min(k, len(self._bounds) - 1))
        return self.seek(self._bounds[k])

    def continue_here(self, players: dict[str, PlayerSetup] | None = None) -> Session:
        """A new session holding the first ``position`` actions, ready to play on."""
        ps = players if players is not None else {f: PlayerSetup(p.controller, p.ai_level)
                                                  for f, p in self.session.players.items()}
        s = Session(self.session.scenario, self.session.seed, ps, list(self.session.actions[:self.position]))
        s.state = s.replay_to(self.position)
        return s

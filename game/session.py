"""A match: scenario + seed + player set-up + the action log, and the state they produce.

This is the one object the UI, saves, replays and hot-seat share.  Because a game *is* its
action log, undo is "replay all but the last actions", and a save is this object written out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from game import engine
from game.actions import Action
from game.scenario.model import Scenario
from game.state import GameEvent, GameState


@dataclass
class PlayerSetup:
    """Who plays a faction: a human at this screen, or an AI at a level."""
    controller: str = "ai"            # human | ai
    ai_level: str = "normal"          # random | normal | hard

    def to_dict(self) -> dict:
        return {"controller": self.controller, "ai_level": self.ai_level}


@dataclass
class Session:
    scenario: Scenario
    seed: int
    players: dict[str, PlayerSetup]
    actions: list[Action] = field(default_factory=list)
    state: GameState | None = None

    @classmethod
    def start(cls, scenario: Scenario, seed: int | None = None,
              players: dict[str, PlayerSetup] | None = None) -> "Session":
        seed = scenario.meta.seed if seed is None else seed
        if players is None:
            players = {f.id: PlayerSetup(f.controller, f.ai_level) for f in scenario.factions}
        s = cls(scenario, seed, players)
        s.state = engine.new_game(scenario, seed)
        return s

    def apply(self, action: Action) -> list[GameEvent]:
        """Apply and record one action (raises IllegalAction and records nothing if illegal)."""
        assert self.state is not None
        events = engine.apply(self.state, action)
        self.actions.append(action)
        return events

    def replay_to(self, n: int) -> GameState:
        """The state after the first ``n`` actions (a fresh replay from the start)."""
        st = engine.new_game(self.scenario, self.seed)
        for a in self.actions[:n]:
            engine.apply(st, a)
        return st

    def truncate(self, n: int) -> None:
        """Forget every action after the first ``n`` (undo, or continue from a replay point)."""
        self.actions = self.actions[:n]
        self.state = self.replay_to(n)

    def humans(self) -> list[str]:
        return [f for f, p in self.players.items() if p.controller == "human"]

"""The baseline: a random legal action, each unit acting at most once per turn.

Cheap on purpose (one movement search per unit per turn) so random campaigns run in seconds.
"""
from __future__ import annotations

import random

from game import engine
from game.actions import Action, Attack, EndTurn, Move
from game.state import GameState


class RandomAgent:
    name = "random"

    def __init__(self, seed: int = 0, attack_chance: float = 0.6):
        self.rng = random.Random(seed)
        self.attack_chance = attack_chance
        self._done: set[str] = set()
        self._key: tuple[int, int] | None = None

    def choose(self, state: GameState, budget: float | None = None) -> Action:
        key = (state.turn, state.active)
        if key != self._key:
            self._key = key
            self._done = set()
        fid = state.active_faction
        units = sorted((u for u in state.units.values() if u.faction == fid and u.id not in self._done),
                       key=lambda u: u.id)
        self.rng.shuffle(units)
        for u in units:
            self._done.add(u.id)
            targets = engine.attack_targets(state, u)
            if targets and self.rng.random() < self.attack_chance:
                return Attack((u.id,), self.rng.choice(targets))
            if u.mp > 0 and not u.static:
                reach = engine.move_targets(state, u)
                dests = sorted(reach.destinations())
                if dests:
                    return Move(u.id, reach.path_to(self.rng.choice(dests)))
        return EndTurn()

"""One agent interface for the UI, ``simulate`` and tests.

An agent is asked for one action at a time for the active faction (``choose``); the caller
applies it and asks again until the agent answers ``EndTurn``.  Agents that plan a whole turn
keep the plan internally.  ``budget`` is the think time in seconds the caller allows.
"""
from __future__ import annotations

from typing import Protocol

from game.actions import Action
from game.state import GameState


class Agent(Protocol):
    name: str

    def choose(self, state: GameState, budget: float | None = None) -> Action:
        """The next action for ``state.active_faction``; must be legal in ``state``."""
        ...


def play_turn(agent: Agent, state: GameState, max_actions: int = 10_000) -> list:
    """Let ``agent`` play the active faction's whole turn; returns the actions taken."""
    from game import engine
    from game.actions import EndTurn
    taken = []
    fid = state.active_faction
    turn = state.turn
    for _ in range(max_actions):
        if state.terminal or state.active_faction != fid or state.turn != turn:
            break
        a = agent.choose(state)
        engine.apply(state, a)
        taken.append(a)
        if isinstance(a, EndTurn):
            break
    else:
        engine.apply(state, EndTurn())
        taken.append(EndTurn())
    return taken

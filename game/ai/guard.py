"""Never hand the engine an illegal action: check an agent's choice on a throw-away copy of the
real state and fall back to a legal action (ending the turn) if the engine would refuse it.

Agents plan on their fog-of-war view, so a plan can in principle disagree with the truth; the
guard makes that a counted, visible event (``stats['fallbacks']``) instead of a crash.
"""
from __future__ import annotations

from game import engine
from game.actions import Action, EndTurn
from game.errors import IllegalAction
from game.state import GameState


def is_legal(state: GameState, action: Action) -> bool:
    """True if ``engine.apply`` accepts ``action`` in ``state`` (tried on a clone)."""
    if state.terminal:
        return False
    if isinstance(action, EndTurn):
        return True
    try:
        engine.apply(state.clone(), action)
    except IllegalAction:
        return False
    return True


def guarded(state: GameState, action: Action, stats: dict[str, int]) -> Action:
    """``action`` if legal, else ``EndTurn()``; counts decisions and fallbacks in ``stats``."""
    stats["decisions"] = stats.get("decisions", 0) + 1
    if is_legal(state, action):
        return action
    stats["fallbacks"] = stats.get("fallbacks", 0) + 1
    return EndTurn()

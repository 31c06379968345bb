"""Never hand the engine an illegal action: check an agent's choice against the real state and
fall back to a legal action (ending the turn) if the engine would refuse it.

Agents plan on their fog-of-war view, so a plan can in principle disagree with the truth; the
guard makes that a counted, visible event (``stats['fallbacks']``) instead of a crash.  Moves
and plain attacks are checked with the engine's own validators (cheap); anything else is tried
on a throw-away copy of the state.
"""
from __future__ import annotations

from game import engine
from game.actions import Action, Attack, EndTurn, Move
from game.errors import IllegalAction
from game.state import GameState


def is_legal(state: GameState, action: Action, strict: bool = False) -> bool:
    """True if ``engine.apply`` accepts ``action`` in ``state``; ``strict`` always tries it on a
    clone instead of the validators."""
    if state.terminal:
        return False
    if isinstance(action, EndTurn):
        return True
    try:
        if not strict and isinstance(action, Move):
            u = state.units.get(action.unit)
            if u is None or u.faction != state.active_faction or not action.path:
                return False
            if u.attacked or u.static or u.mp <= 0:
                return False
            engine._validate_path(state, u, tuple(int(c) for c in action.path))
            return True
        if not strict and isinstance(action, Attack) and not action.air_support:
            engine._check_attack(state, action)
            return True
        engine.apply(state.clone(), action)
    except IllegalAction:
        return False
    return True


def guarded(state: GameState, action: Action, stats: dict[str, int], log: list[str] | None = None) -> Action:
    """``action`` if legal, else ``EndTurn()``; counts decisions and fallbacks in ``stats`` and
    notes the refused action in ``log`` (the first few)."""
    stats["decisions"] = stats.get("decisions", 0) + 1
    if is_legal(state, action):
        return action
    stats["fallbacks"] = stats.get("fallbacks", 0) + 1
    if log is not None and len(log) < 10:
        log.append(f"turn {state.turn} {state.active_faction}: {action}")
    return EndTurn()

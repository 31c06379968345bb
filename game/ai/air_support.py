"""Air missions as candidates for the agents, when the air rules are present.

The air rules (``game.rules.air``) are optional: without them this offers nothing, so the agents
work on scenarios and builds that have no air power.
"""
from __future__ import annotations

from typing import Any

from game.state import GameState


def air_module() -> Any | None:
    """The air rules module if it is installed and offers missions to agents."""
    import importlib
    try:
        air = importlib.import_module("game.rules.air")
    except ModuleNotFoundError as e:
        if e.name != "game.rules.air":
            raise
        return None
    return air if hasattr(air, "air_actions_for") else None


def air_candidates(obs: GameState, sit: Any, params: Any) -> list:
    """Scored air missions for the active faction (none while the air rules are absent)."""
    air = air_module()
    if air is None:
        return []
    return []

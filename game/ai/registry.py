"""Agent names -> constructors, so the UI, ``simulate`` and tests share one list."""
from __future__ import annotations

from game.errors import DeconflictionError

AGENTS: dict = {}


def _builtin() -> None:
    from game.ai.random_agent import RandomAgent
    AGENTS.setdefault("random", RandomAgent)
    try:  # later agents register themselves here
        from game.ai import normal  # noqa: F401
    except ModuleNotFoundError as e:
        if e.name != "game.ai.normal":
            raise


def make_agent(name: str, seed: int = 0):
    _builtin()
    cls = AGENTS.get(name)
    if cls is None:
        raise DeconflictionError(f"unknown agent {name!r} (choose from: {', '.join(sorted(AGENTS))})")
    return cls(seed=seed)

"""Agent names -> constructors, so the UI, ``simulate`` and tests share one list."""
from __future__ import annotations

from game.errors import DeconflictionError

AGENTS: dict = {}


def _builtin() -> None:
    from game.ai.random_agent import RandomAgent
    from game.ai.normal import NormalAgent
    AGENTS.setdefault("random", RandomAgent)
    AGENTS.setdefault("normal", NormalAgent)
    try:
        from game.ai.hard import HardAgent
    except ModuleNotFoundError as e:  # pragma: no cover - hard.py is part of the package
        if e.name != "game.ai.hard":
            raise
    else:
        AGENTS.setdefault("hard", HardAgent)


def agent_names() -> list[str]:
    _builtin()
    return sorted(AGENTS)


def make_agent(name: str, seed: int = 0):
    """A fresh agent called ``name`` with its own RNG seeded by ``seed``."""
    _builtin()
    cls = AGENTS.get(name)
    if cls is None:
        raise DeconflictionError(f"unknown agent {name!r} (choose from: {', '.join(sorted(AGENTS))})")
    return cls(seed=seed)

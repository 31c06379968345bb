"""Actions are data: every change to a game is one of these, applied by ``game.engine.apply``.

They are small frozen dataclasses with a stable text form (``str(action)`` / ``parse_action``)
so saves, replays and logs read like a move list in chess notation.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Action:
    kind: ClassVar[str] = "?"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            v = getattr(self, f.name)
            d[f.name] = list(v) if isinstance(v, tuple) else v
        return d


@dataclass(frozen=True)
class Move(Action):
    """Move ``unit`` along ``path`` (cells after its start, each adjacent to the previous)."""
    kind: ClassVar[str] = "move"
    unit: str
    path: tuple[int, ...]

    @property
    def dest(self) -> int:
        return self.path[-1]


@dataclass(frozen=True)
class Attack(Action):
    """Units in ``attackers`` attack the hex ``target`` together (one die roll)."""
    kind: ClassVar[str] = "attack"
    attackers: tuple[str, ...]
    target: int
    air_support: bool = False     # spend one close-air-support sortie on this combat


@dataclass(frozen=True)
class EndTurn(Action):
    """The active faction ends its turn."""
    kind: ClassVar[str] = "end_turn"


ACTION_TYPES: dict[str, type[Action]] = {"move": Move, "attack": Attack, "end_turn": EndTurn}


def register_action(cls: type[Action]) -> type[Action]:
    """Class decorator for action types added by rule modules (air missions, ...)."""
    ACTION_TYPES[cls.kind] = cls
    return cls


def action_from_dict(d: dict[str, Any]) -> Action:
    """Inverse of ``Action.to_dict``; raises ValueError/KeyError/TypeError on malformed input."""
    if not isinstance(d, dict):
        raise TypeError("an action must be a mapping")
    kind = d.get("kind")
    cls = ACTION_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown action kind {kind!r}")
    kwargs = {}
    for f in fields(cls):
        if f.name not in d:
            if f.default is not f.default_factory:  # has default
                continue
            raise KeyError(f.name)
        v = d[f.name]
        if isinstance(v, list):
            v = tuple(v)
        kwargs[f.name] = v
    extra = set(d) - {f.name for f in fields(cls)} - {"kind"}
    if extra:
        raise ValueError(f"unexpected fields {sorted(extra)} in {kind} action")
    return cls(**kwargs)

"""``state.air``: everything about air power and deconfliction that changes during a game.

Plain dicts, sets and small tuples so ``clone()`` is cheap and ``digest()`` is a stable text
the state hash includes.  ``revealed_cells(fid)`` is what fog of war asks for ISR.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from game.scenario.air_section import AirSpec
from game.scenario.model import Scenario

Pair = tuple[str, str]


def pair_key(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def air_spec(scenario: Scenario) -> AirSpec | None:
    """The scenario's air section, or None when it has no air power."""
    spec = scenario.extra.get("air")
    return spec if isinstance(spec, AirSpec) else None


@dataclass(frozen=True)
class Reveal:
    """Cells ``viewer`` sees through the fog until ``flyer``'s next turn starts."""
    viewer: str
    cells: frozenset[int]
    flyer: str
    turn: int


@dataclass(frozen=True)
class Queued:
    """An announced mission that waited for the hotline: it flies when ``turn`` starts for ``faction``."""
    faction: str
    wing: str
    mission: str
    target: int
    turn: int


@dataclass
class AirState:
    sorties: dict[str, int] = field(default_factory=dict)          # wing -> sorties left this round
    base_sorties: dict[str, int] = field(default_factory=dict)     # wing -> sorties per round
    suspended: dict[str, tuple[int, int]] = field(default_factory=dict)  # wing -> (resets left, withheld; 0 = all)
    tension: dict[Pair, float] = field(default_factory=dict)
    fired: dict[Pair, frozenset[int]] = field(default_factory=dict)      # thresholds passed (re-armed below)
    hotline_down: dict[Pair, int] = field(default_factory=dict)    # pair -> down while turn < this
    violated: set[Pair] = field(default_factory=set)               # pairs with a violation this round
    culprit: dict[Pair, str] = field(default_factory=dict)         # faction behind the last rise
    line_points: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)  # redrawn lines
    line_suspended: set[str] = field(default_factory=set)
    active_lines: tuple[str, ...] = ()                             # lines in force at the last check
    reveals: list[Reveal] = field(default_factory=list)
    queued: list[Queued] = field(default_factory=list)
    cas: dict[tuple[str, int], int] = field(default_factory=dict)  # (faction, cell) -> turn CAS is booked for
    crossed: set[tuple[str, int]] = field(default_factory=set)     # (unit, turn) already charged for crossing
    requests: dict[str, str] = field(default_factory=dict)         # request id -> pending|accepted|refused
    offered: dict[str, tuple[str, int]] = field(default_factory=dict)  # request id -> (faction, turn)
    no_fly: list[tuple[str, frozenset[int], int]] = field(default_factory=list)  # (wing, cells, until turn)
    schedule_done: int = 0                                         # air.schedule entries already fired
    stats: dict[str, int] = field(default_factory=dict)            # announced / unannounced / incidents ...
    pending_events: list[Any] = field(default_factory=list)        # events raised inside combat, flushed after
    _rev_cache: dict[str, frozenset[int]] = field(default_factory=dict, repr=False)

    # --- fog ---------------------------------------------------------------------------
    def revealed_cells(self, fid: str) -> frozenset[int]:
        """Cells ``fid`` sees by ISR (and by the other side's hotline notices) right now."""
        got = self._rev_cache.get(fid)
        if got is None:
            got = frozenset().union(*[r.cells for r in self.reveals if r.viewer == fid])
            self._rev_cache[fid] = got
        return got

    def add_reveal(self, r: Reveal) -> None:
        self.reveals.append(r)
        self._rev_cache.clear()

    def set_reveals(self, reveals: list[Reveal]) -> None:
        self.reveals = reveals
        self._rev_cache.clear()

    def bump(self, stat: str, n: int = 1) -> None:
        self.stats[stat] = self.stats.get(stat, 0) + n

    # --- copying and hashing ---------------------------------------------------------------
    def clone(self) -> "AirState":
        return AirState(
            sorties=dict(self.sorties), base_sorties=dict(self.base_sorties),
            suspended=dict(self.suspended), tension=dict(self.tension), fired=dict(self.fired),
            hotline_down=dict(self.hotline_down), violated=set(self.violated),
            culprit=dict(self.culprit), line_points=dict(self.line_points),
            line_suspended=set(self.line_suspended), active_lines=self.active_lines,
            reveals=list(self.reveals), queued=list(self.queued), cas=dict(self.cas),
            crossed=set(self.crossed), requests=dict(self.requests), offered=dict(self.offered),
            no_fly=list(self.no_fly), schedule_done=self.schedule_done, stats=dict(self.stats), pending_events=list(self.pending_events),
        )

    def digest(self) -> str:
        """Every rule-relevant field in a canonical text (the log-only ``stats`` included)."""
        parts = [
            sorted(self.sorties.items()), sorted(self.base_sorties.items()), sorted(self.suspended.items()),
            sorted((k, round(v, 6)) for k, v in self.tension.items()),
            sorted((k, sorted(v)) for k, v in self.fired.items()), sorted(self.hotline_down.items()),
            sorted(self.violated), sorted(self.culprit.items()),
            sorted((k, [(round(a, 6), round(b, 6)) for a, b in v]) for k, v in self.line_points.items()),
            sorted(self.line_suspended), self.active_lines,
            sorted((r.viewer, sorted(r.cells), r.flyer, r.turn) for r in self.reveals),
            sorted((q.faction, q.wing, q.mission, q.target, q.turn) for q in self.queued),
            sorted(self.cas.items()), sorted(self.crossed), sorted(self.requests.items()),
            sorted(self.offered.items()), sorted((w, sorted(c), t) for w, c, t in self.no_fly),
            self.schedule_done,
            sorted(self.stats.items()),
        ]
        return repr(parts)

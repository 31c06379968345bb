"""The game state: map arrays in numpy, units as small plain objects, one seeded RNG.

A ``GameState`` is everything that changes during play; the ``Scenario`` it points to never
changes and is shared between clones, so ``clone()`` is cheap enough for AI search.
"""
from __future__ import annotations

import copy
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from game.scenario.model import Scenario, SupplySource, UnitSpec, UnitType


@dataclass
class Unit:
    id: str
    name: str
    type: str
    faction: str
    cell: int
    steps: int
    mp: float = 0.0
    attacked: bool = False
    in_supply: bool = True
    oos_turns: int = 0            # consecutive own turns out of supply
    supply_exempt: bool = False
    static: bool = False
    airdrop_turn: int = 0         # turn of the last airdrop (counts as supplied that turn)

    @classmethod
    def from_spec(cls, spec: UnitSpec, utype: UnitType) -> "Unit":
        return cls(id=spec.id, name=spec.name, type=spec.type, faction=spec.faction,
                   cell=spec.cell, steps=spec.steps or utype.steps,
                   supply_exempt=spec.supply_exempt, static=spec.static)


def _copy_unit(u: Unit) -> Unit:
    """``copy.copy`` of a unit (a plain dataclass), without its generic machinery: clones for
    AI search copy every unit, so this is most of ``clone``'s cost."""
    n = object.__new__(type(u))
    n.__dict__.update(u.__dict__)
    return n


@dataclass
class GameEvent:
    """Something that happened, for the log, the UI and tests (not needed to replay)."""
    kind: str                     # move | attack | combat | message | reinforcement | supply | turn | vp | capture | game_over | air | tension | incident | reveal | ...
    text: str
    faction: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    turn: int = 0


@dataclass
class GameState:
    scenario: Scenario
    seed: int
    turn: int = 1
    active: int = 0                                     # index into scenario.factions
    units: dict[str, Unit] = field(default_factory=dict)
    control: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    vp: list[float] = field(default_factory=list)
    vp_history: list[list[float]] = field(default_factory=list)        # after each completed turn
    territory_history: list[list[int]] = field(default_factory=list)   # hexes held after each turn
    relations: dict[tuple[str, str], str] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)       # ids of events that have fired
    pending: list[tuple[int, UnitSpec, str]] = field(default_factory=list)  # (turn, spec, message) reinforcements
    extra_sources: list[SupplySource] = field(default_factory=list)
    spotted: dict[str, set[str]] = field(default_factory=dict)  # faction -> enemy unit ids revealed this turn
    eliminated: list[str] = field(default_factory=list)
    log: list[GameEvent] = field(default_factory=list)  # events of the whole game (UI/log only)
    winner: str | None = None
    terminal: bool = False
    ply: int = 0                                        # number of actions applied
    air: Any = None                                     # owned by game.rules.air (air wings, tension, lines)
    rng: random.Random = field(default_factory=random.Random)

    # --- identity ----------------------------------------------------------------------
    @property
    def factions(self) -> list:
        return self.scenario.factions

    @property
    def active_faction(self) -> str:
        return self.scenario.factions[self.active].id

    def faction_index(self, fid: str) -> int:
        return self.scenario.faction_index(fid)

    def relation(self, a: str, b: str) -> str:
        if a == b:
            return "allied"
        return self.relations.get((a, b) if a < b else (b, a), "neutral")

    def at_war(self, a: str, b: str) -> bool:
        return a != b and self.relation(a, b) == "war"

    def friendly(self, a: str, b: str) -> bool:
        """Same side: may stack together and pass through each other."""
        return a == b or self.relation(a, b) == "allied"

    @property
    def date(self):
        return self.scenario.date_of_turn(self.turn)

    # --- units -------------------------------------------------------------------------
    def utype(self, unit: Unit) -> UnitType:
        return self.scenario.unit_types[unit.type]

    def units_of(self, fid: str) -> list[Unit]:
        return [u for u in self.units.values() if u.faction == fid]

    def units_at(self, cell: int) -> list[Unit]:
        return [u for u in self.units.values() if u.cell == cell]

    def occupancy(self) -> dict[int, list[Unit]]:
        occ: dict[int, list[Unit]] = {}
        for u in self.units.values():
            occ.setdefault(u.cell, []).append(u)
        return occ

    # --- copying and hashing -------------------------------------------------------------
    def clone(self) -> "GameState":
        """An independent copy for search; the scenario and the log's old entries are shared."""
        new = copy.copy(self)
        new.units = {k: _copy_unit(u) for k, u in self.units.items()}
        new.control = self.control.copy()
        new.vp = list(self.vp)
        new.vp_history = [list(x) for x in self.vp_history]
        new.territory_history = [list(x) for x in self.territory_history]
        new.relations = dict(self.relations)
        new.fired = set(self.fired)
        new.pending = list(self.pending)
        new.extra_sources = list(self.extra_sources)
        new.spotted = {k: set(v) for k, v in self.spotted.items()}
        new.eliminated = list(self.eliminated)
        new.log = list(self.log)
        new.air = self.air.clone() if self.air is not None and hasattr(self.air, "clone") else copy.deepcopy(self.air)
        rng = random.Random()
        rng.setstate(self.rng.getstate())
        new.rng = rng
        return new

    def state_hash(self) -> str:
        """A digest of everything that matters to the rules (not the log)."""
        h = hashlib.blake2b(digest_size=12)
        h.update(f"{self.scenario.meta.id}|{self.seed}|{self.turn}|{self.active}|{self.ply}|{self.winner}|{self.terminal}".encode())
        for uid in sorted(self.units):
            u = self.units[uid]
            h.update(f"|{u.id},{u.type},{u.faction},{u.cell},{u.steps},{u.mp:.3f},{int(u.attacked)},{int(u.in_supply)},{u.oos_turns},{u.airdrop_turn}".encode())
        h.update(self.control.tobytes())
        h.update(repr([round(v, 6) for v in self.vp]).encode())
        h.update(repr(sorted(self.relations.items())).encode())
        h.update(repr(sorted(self.fired)).encode())
        h.update(repr(sorted((t, s.id) for t, s, _ in self.pending)).encode())
        h.update(repr(sorted(self.eliminated)).encode())
        h.update(repr(sorted((k, sorted(v)) for k, v in self.spotted.items())).encode())
        if self.air is not None and hasattr(self.air, "digest"):
            h.update(self.air.digest().encode())
        h.update(repr(self.rng.getstate()).encode())
        return h.hexdigest()

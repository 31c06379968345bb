"""A validated scenario as plain data.  The loader builds these; the engine only reads them.

Everything is resolved to map cells (flat ``row * width + col`` indices, see ``game.hexgrid.Grid``)
by the loader, so rules never deal with lat/lon, place names or YAML.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from game.hexgrid import Grid


@dataclass(frozen=True)
class Meta:
    id: str
    name: str
    description: str
    start_date: _dt.date
    days_per_turn: int
    turns: int
    seed: int = 1


@dataclass(frozen=True)
class TerrainType:
    id: str
    name: str
    code: str              # one character used in map rows
    move_cost: float       # movement points to enter; >= 99 means impassable
    defence: float         # defender strength multiplier
    colour: str = "#c8b48c"
    supply_cost: float | None = None   # cost for supply tracing; defaults to move_cost

    @property
    def impassable(self) -> bool:
        return self.move_cost >= 99


@dataclass(frozen=True)
class River:
    name: str
    edges: frozenset[tuple[int, int]]        # (a, b) with a < b: the river runs on this hex side
    bridges: frozenset[tuple[int, int]]      # subset of edges crossable at normal cost
    path_latlon: tuple[tuple[float, float], ...] = ()   # the real course, for drawing
    crossing_cost: float = 3.0               # extra movement points to cross without a bridge
    defence: float = 1.5                     # defender multiplier when attacked across it


@dataclass(frozen=True)
class Road:
    name: str
    cells: tuple[int, ...]                   # consecutive, adjacent cells
    kind: str = "road"                       # road | highway | track


@dataclass(frozen=True)
class Place:
    name: str
    cell: int
    lat: float | None
    lon: float | None
    kind: str = "town"                       # city | town | village | base | field | crossing | border | site
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Faction:
    id: str
    name: str
    colour: str
    order: int
    controller: str = "ai"                   # human | ai
    ai_level: str = "normal"
    hidden: bool = False                     # units stay unseen until adjacent (ISIL)
    vp_goal: float = 0.0                     # victory: VP needed to win at the end
    sponsor: str | None = None               # id of the air wing that flies for this faction
    description: str = ""


RELATIONS = ("war", "deconflicted", "allied", "neutral")


@dataclass(frozen=True)
class UnitType:
    id: str
    name: str
    symbol: str                              # NATO symbol: infantry | mechanized | armor | artillery | sof | militia | engineer | hq | airborne | recon
    attack: float
    defence: float
    movement: float
    steps: int = 3
    sight: int = 2
    range: int = 1                           # >1: may bombard from distance without advancing
    zoc: bool = True
    engineer: bool = False                   # crosses rivers at +1 instead of the river's cost


@dataclass(frozen=True)
class UnitSpec:
    """A unit as the scenario places it (at start or as a reinforcement)."""
    id: str
    name: str
    type: str
    faction: str
    cell: int
    steps: int | None = None                 # None = full strength
    supply_exempt: bool = False              # e.g. a besieged garrison on airdrops: no attrition
    static: bool = False                     # may not move (fortress garrisons)


@dataclass(frozen=True)
class SupplySource:
    faction: str
    cell: int
    name: str = ""
    needs_control: bool = True               # the faction must control the hex for it to work


@dataclass(frozen=True)
class Objective:
    name: str
    cell: int
    vp_per_turn: float = 1.0
    vp_end: float = 0.0
    factions: tuple[str, ...] = ()           # who scores it; empty = everyone


@dataclass(frozen=True)
class Reinforcement:
    turn: int
    units: tuple[UnitSpec, ...]
    message: str = ""


@dataclass(frozen=True)
class Trigger:
    kind: str                                # turn | date | captured | tension
    turn: int | None = None
    cell: int | None = None                  # captured: this hex
    by: str | None = None                    # captured: by this faction (None = anyone but the holder at start)
    pair: tuple[str, str] | None = None      # tension: between these sponsors
    level: float | None = None


@dataclass(frozen=True)
class Effect:
    kind: str                                # message | reinforcements | relation | vp | lines | supply_source | ... (see docs)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    id: str
    trigger: Trigger
    effects: tuple[Effect, ...]
    once: bool = True


@dataclass(frozen=True)
class SuddenDeath:
    faction: str                             # this faction wins at once when ...
    control: tuple[int, ...]                 # ... it controls all these cells
    description: str = ""


@dataclass(frozen=True)
class Rules:
    """Per-scenario rule constants (all have defaults)."""
    stacking: int = 2                        # units per hex
    supply_range: float = 12.0               # movement-point cost a supply line may run
    road_cost: float = 0.5                   # cost to move along a road between road hexes
    attrition_chance: float = 0.34           # per turn out of supply: chance to lose one step
    out_of_supply_factor: float = 0.5        # attack/defence/movement multiplier when out of supply
    control_radius: int = 0                  # end-of-turn: units also claim uncontested hexes within this radius


@dataclass
class Scenario:
    """A whole validated scenario.  ``terrain`` is an int array (cell -> index into terrain_types)."""
    meta: Meta
    grid: Grid
    terrain_types: list[TerrainType]
    terrain: np.ndarray                      # (n_cells,) int8 index into terrain_types
    rivers: list[River]
    roads: list[Road]
    places: list[Place]
    factions: list[Faction]                  # sorted by turn order
    relations: dict[tuple[str, str], str]    # key sorted pair -> war | deconflicted | allied | neutral
    unit_types: dict[str, UnitType]
    units: list[UnitSpec]
    initial_control: np.ndarray              # (n_cells,) int8 faction index, -1 = nobody
    supply_sources: list[SupplySource]
    objectives: list[Objective]
    reinforcements: list[Reinforcement]      # pre-grouped by faction via UnitSpec.faction
    events: list[Event]
    sudden_death: list[SuddenDeath]
    rules: Rules
    source_path: str = "<memory>"
    source_text: str = ""                    # the YAML text, for embedding in saves
    extra: dict[str, Any] = field(default_factory=dict)   # sections later issues add (air, lines)

    # --- lookups -----------------------------------------------------------------------
    def faction_index(self, fid: str) -> int:
        for i, f in enumerate(self.factions):
            if f.id == fid:
                return i
        raise KeyError(fid)

    def relation(self, a: str, b: str) -> str:
        if a == b:
            return "allied"
        return self.relations.get((a, b) if a < b else (b, a), "neutral")

    def place(self, name: str) -> Place | None:
        low = name.lower()
        for p in self.places:
            if p.name.lower() == low or low in (x.lower() for x in p.aliases):
                return p
        return None

    def date_of_turn(self, turn: int) -> _dt.date:
        return self.meta.start_date + _dt.timedelta(days=(turn - 1) * self.meta.days_per_turn)

    def turn_of_date(self, d: _dt.date) -> int:
        return 1 + max(0, (d - self.meta.start_date).days) // self.meta.days_per_turn

"""Tiny scenarios built in Python for rule tests (no YAML, so each test states what it needs)."""
from __future__ import annotations

import datetime as dt

import numpy as np

from game.hexgrid import Grid
from game.scenario.model import (Event, Effect, Faction, Meta, Objective, Place, Reinforcement, River, Road,
                                 Rules, Scenario, SupplySource, TerrainType, Trigger, UnitSpec, UnitType)

TERRAIN = [
    TerrainType("clear", "Clear", ".", 1, 1.0),
    TerrainType("rough", "Rough", "r", 2, 1.5),
    TerrainType("urban", "Urban", "u", 2, 2.0),
    TerrainType("lake", "Lake", "~", 99, 1.0),
]

UNIT_TYPES = {
    "inf": UnitType("inf", "Infantry", "infantry", attack=4, defence=4, movement=4, steps=4),
    "arm": UnitType("arm", "Armour", "armor", attack=8, defence=4, movement=6, steps=4),
    "art": UnitType("art", "Artillery", "artillery", attack=4, defence=2, movement=3, steps=2, range=2, zoc=False),
    "eng": UnitType("eng", "Engineers", "engineer", attack=2, defence=2, movement=4, steps=2, engineer=True),
}


def cell(s: Scenario, col: int, row: int) -> int:
    return s.grid.cell_of_offset(col, row)


def make(width: int = 10, height: int = 8, rows: list[str] | None = None,
         units: list[tuple] = (), factions=("red", "blue"), relations=None, turns: int = 5,
         rivers: list[tuple] = (), roads: list[list[tuple[int, int]]] = (), sources=(), objectives=(),
         events=(), reinforcements=(), rules: Rules | None = None, hidden=(), goals=None) -> Scenario:
    """units: (id, type, faction, col, row[, steps]); rivers: (edges[(c1,r1,c2,r2)], bridges[...])."""
    grid = Grid(width, height, 5.0, 36.0, 38.0)
    codes = {t.code: i for i, t in enumerate(TERRAIN)}
    terrain = np.zeros(grid.n_cells, dtype=np.int8)
    if rows:
        for r, line in enumerate(rows):
            for c, ch in enumerate(line.replace(" ", "")):
                terrain[grid.cell_of_offset(c, r)] = codes[ch]
    facs = [Faction(fid, fid.title(), "#ff0000", i, hidden=fid in hidden,
                    vp_goal=(goals or {}).get(fid, 0.0)) for i, fid in enumerate(factions)]
    rel = {}
    if relations is None:
        relations = [(factions[0], factions[1], "war")]
    for a, b, st in relations:
        rel[(a, b) if a < b else (b, a)] = st
    specs = []
    for u in units:
        uid, ut, fac, c, r = u[:5]
        specs.append(UnitSpec(uid, uid, ut, fac, grid.cell_of_offset(c, r), u[5] if len(u) > 5 else None))
    ctrl = np.full(grid.n_cells, -1, dtype=np.int8)
    fidx = {f.id: i for i, f in enumerate(facs)}
    for s in specs:
        ctrl[s.cell] = fidx[s.faction]
    rv = []
    for edges, bridges in rivers:
        e = frozenset(tuple(sorted((grid.cell_of_offset(a, b), grid.cell_of_offset(c, d)))) for a, b, c, d in edges)
        br = frozenset(tuple(sorted((grid.cell_of_offset(a, b), grid.cell_of_offset(c, d)))) for a, b, c, d in bridges)
        rv.append(River("River", e, br))
    rd = [Road("road", tuple(grid.cell_of_offset(c, r) for c, r in chain)) for chain in roads]
    src = [SupplySource(f, grid.cell_of_offset(c, r)) for f, c, r in sources]
    objs = [Objective(n, grid.cell_of_offset(c, r), vpt, vpe) for n, c, r, vpt, vpe in objectives]
    return Scenario(
        meta=Meta("test", "Test", "", dt.date(2017, 9, 1), 3, turns, 1),
        grid=grid, terrain_types=TERRAIN, terrain=terrain, rivers=rv, roads=rd,
        places=[], factions=facs, relations=rel, unit_types=dict(UNIT_TYPES), units=specs,
        initial_control=ctrl, supply_sources=src, objectives=objs, reinforcements=list(reinforcements),
        events=list(events), sudden_death=[], rules=rules or Rules(supply_range=30))


def barrier(width: int, height: int, col: int) -> list[tuple[int, int, int, int]]:
    """River sides separating columns <= col from columns > col (odd-r layout)."""
    from game.hexgrid import Grid
    g = Grid(width, height, 5.0, 36.0, 38.0)
    out = []
    for c in range(g.n_cells):
        for nb in g.neighbours(c):
            a, b = g.offset(c), g.offset(nb)
            if a[0] <= col < b[0]:
                out.append((a[0], a[1], b[0], b[1]))
    return out

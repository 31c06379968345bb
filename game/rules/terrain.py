"""Per-scenario lookup tables derived once from the scenario: move costs, road and river sides.

Cached on the Scenario object (``scenario.extra['_tables']``) so every rule reads plain Python
lists and sets, which is what makes pathfinding fast.
"""
from __future__ import annotations

from dataclasses import dataclass

from game.scenario.model import Scenario


@dataclass
class Tables:
    move_cost: list[float]                   # cell -> cost to enter (>=99 impassable)
    supply_cost: list[float]
    defence: list[float]                     # cell -> terrain defence multiplier
    road_edges: set[tuple[int, int]]         # (a, b) both orders
    river: dict[tuple[int, int], tuple[float, float, bool]]  # (a, b) both orders -> (crossing_cost, defence, bridged)
    objective_cells: dict[int, list[int]]    # cell -> objective indices
    neighbours: list[list[int]]


def edge(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def tables(scn: Scenario) -> Tables:
    t = scn.extra.get("_tables")
    if t is None:
        t = _build(scn)
        scn.extra["_tables"] = t
    return t


def _build(scn: Scenario) -> Tables:
    tt = scn.terrain_types
    idx = [int(x) for x in scn.terrain]
    move = [float(tt[i].move_cost) for i in idx]
    sup = [float(tt[i].supply_cost if tt[i].supply_cost is not None else tt[i].move_cost) for i in idx]
    dfn = [float(tt[i].defence) for i in idx]
    roads: set[tuple[int, int]] = set()
    for rd in scn.roads:
        for a, b in zip(rd.cells, rd.cells[1:]):
            if a != b:
                roads.add((a, b))
                roads.add((b, a))
    river: dict[tuple[int, int], tuple[float, float, bool]] = {}
    for rv in scn.rivers:
        for a, b in rv.edges:
            val = (rv.crossing_cost, rv.defence, (a, b) in rv.bridges or (b, a) in rv.bridges)
            river[(a, b)] = val
            river[(b, a)] = val
    obj: dict[int, list[int]] = {}
    for i, o in enumerate(scn.objectives):
        obj.setdefault(o.cell, []).append(i)
    nb = [scn.grid.neighbours(c) for c in range(scn.grid.n_cells)]
    return Tables(move, sup, dfn, roads, river, obj, nb)

"""Supply: a unit is in supply if a line of limited cost runs from a working source to it.

The line may not pass hexes held by an enemy at war or occupied by one, nor enemy zones of
control unless a friendly unit stands there.  Units out of supply move and fight weaker and
risk losing a step each turn (attrition); units flagged ``supply_exempt`` (a garrison on
airdrops) and units airdropped this turn count as supplied.
"""
from __future__ import annotations

import heapq
import math

import numpy as np

from game.rules.terrain import tables
from game.state import GameState


def sources(state: GameState, fid: str) -> list[int]:
    fi = state.faction_index(fid)
    out = []
    for s in list(state.scenario.supply_sources) + state.extra_sources:
        if s.faction != fid:
            continue
        if s.needs_control and int(state.control[s.cell]) != fi:
            continue
        if any(u.cell == s.cell and state.at_war(u.faction, fid) for u in state.units.values()):
            continue
        out.append(s.cell)
    return out


def supply_map(state: GameState, fid: str) -> np.ndarray:
    """Float array: cost of the cheapest supply line to each cell (inf where none)."""
    out = np.array(_trace(state, fid))
    out[out < 0] = np.inf                 # blocked hexes are marked -inf inside the search
    return out


def _supply_steps(state: GameState) -> list[list[tuple[int, float]]]:
    """Per cell, (neighbour, cost of the supply line's step into it): terrain, road and river
    are fixed by the scenario, so this is worked out once rather than in every search."""
    scn = state.scenario
    got = scn.extra.get("_supply_steps")
    if got is not None:
        return got
    t = tables(scn)
    road_cost = scn.rules.road_cost
    out: list[list[tuple[int, float]]] = []
    for c in range(scn.grid.n_cells):
        row = []
        for nb in t.neighbours[c]:
            step = t.supply_cost[nb]
            if step >= 99:
                continue
            if (c, nb) in t.road_edges and road_cost < step:
                step = road_cost
            rv = t.river.get((c, nb))
            if rv is not None and not rv[2]:
                step += rv[0]
            row.append((nb, step))
        out.append(row)
    scn.extra["_supply_steps"] = out
    return out


def _trace(state: GameState, fid: str, targets: set[int] | None = None) -> list[float]:
    """Dijkstra from the faction's working sources, as a list of costs: inf = no line,
    -inf = a hex the line may not enter (held or occupied by an enemy at war).

    With ``targets`` the search stops once every target cell has a line: callers that only
    ask *whether* those cells are supplied get the same answer without the rest of the map.
    """
    scn = state.scenario
    t = tables(scn)
    n = scn.grid.n_cells
    war = [i for i, f in enumerate(scn.factions) if state.at_war(f.id, fid)]
    if war:
        base = np.full(n, math.inf)
        base[np.isin(state.control, war)] = -math.inf
        dl = base.tolist()
    else:
        dl = [math.inf] * n
    # blocked hexes hold -inf, so "nd < dl[nb]" never lets a line into them
    zoc: set[int] = set()
    friendly_cells: set[int] = set()
    for u in state.units.values():
        if state.at_war(u.faction, fid):
            dl[u.cell] = -math.inf
            if state.utype(u).zoc:
                zoc.update(t.neighbours[u.cell])
        elif state.friendly(u.faction, fid):
            friendly_cells.add(u.cell)
    zoc -= friendly_cells
    limit = scn.rules.supply_range + 1e-9
    steps = _supply_steps(state)
    srcs = sources(state, fid)
    for c in srcs:
        dl[c] = 0.0
    todo = None
    if targets is not None:
        todo = {c for c in targets if dl[c] == math.inf}     # not a source, not blocked
        if not todo:
            return dl
    quant = _quantised_steps(state)
    if quant is not None:
        return _buckets(dl, zoc, srcs, quant, limit, todo)
    heap = [(0.0, c) for c in srcs]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        d, c = pop(heap)
        if d > dl[c]:
            continue                      # a stale entry: c was reached cheaper since
        if d > 0 and c in zoc:
            continue                      # a supply line may reach into ZOC but not through it
        for nb, step in steps[c]:
            nd = d + step
            if nd <= limit and nd < dl[nb]:
                dl[nb] = nd
                push(heap, (nd, nb))
                if todo is not None and nb in todo:
                    todo.discard(nb)
                    if not todo:
                        return dl
    return dl


def _quantised_steps(state: GameState) -> tuple[int, list[list[tuple[int, int]]]] | None:
    """(q, steps in units of 1/q) when every supply step cost is a multiple of 1/q for a small
    power of two q, so costs add up exactly and the search can use buckets; else None."""
    scn = state.scenario
    if "_supply_quant" in scn.extra:
        return scn.extra["_supply_quant"]
    steps = _supply_steps(state)
    got = None
    for q in (1, 2, 4, 8):
        if all(s >= 0 and (s * q).is_integer() for row in steps for _, s in row):
            if (scn.rules.supply_range + 1e-9) * q < 100_000:
                got = (q, [[(nb, int(s * q)) for nb, s in row] for row in steps])
            break
    scn.extra["_supply_quant"] = got
    return got


def _buckets(dl: list[float], zoc: set[int], srcs: list[int], quant: tuple[int, list[list[tuple[int, int]]]],
             limit: float, todo: set[int] | None) -> list[float]:
    """Dial's algorithm: Dijkstra with one bucket per cost value, for exactly quantised costs.

    Costs are multiples of 1/q with q a power of two, so every sum is exact and each hex gets
    the same cost as the heap search gives it; only the order among equal costs differs.
    """
    q, steps = quant
    top = math.floor(limit * q)           # limit already includes the 1e-9 tolerance
    buckets: list[list[int]] = [[] for _ in range(top + 1)]
    buckets[0].extend(srcs)
    for b in range(top + 1):
        d = b / q
        for c in buckets[b]:              # zero-cost steps append to this bucket while we read it
            if dl[c] != d:
                continue                  # stale: c was reached cheaper since
            if b and c in zoc:
                continue                  # a supply line may reach into ZOC but not through it
            for nb, sq in steps[c]:
                k = b + sq
                if k <= top:
                    nd = k / q
                    if nd < dl[nb]:
                        dl[nb] = nd
                        buckets[k].append(nb)
                        if todo is not None and nb in todo:
                            todo.discard(nb)
                            if not todo:
                                return dl
    return dl


def update_supply(state: GameState, fid: str) -> list[tuple[str, bool]]:
    """Recompute ``in_supply`` for the faction's units; returns (unit id, in_supply) changes."""
    changes = []
    if not any(s.faction == fid for s in list(state.scenario.supply_sources) + state.extra_sources):
        # a faction the scenario gives no supply sources does not use the supply rules
        for u in state.units.values():
            if u.faction == fid:
                u.in_supply = True
        return changes
    sm = _trace(state, fid, {u.cell for u in state.units.values()
                             if u.faction == fid and not u.supply_exempt and u.airdrop_turn != state.turn})
    for u in state.units.values():
        if u.faction != fid:
            continue
        ok = 0.0 <= sm[u.cell] < math.inf or u.supply_exempt or u.airdrop_turn == state.turn
        if ok != u.in_supply:
            changes.append((u.id, ok))
        u.in_supply = ok
    return changes

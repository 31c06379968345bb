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
    occupied: set[int] | None = None          # hexes with a unit at war with fid, worked out once
    for s in list(state.scenario.supply_sources) + state.extra_sources:
        if s.faction != fid:
            continue
        if s.needs_control and int(state.control[s.cell]) != fi:
            continue
        if occupied is None:
            occupied = {u.cell for u in state.units.values() if state.at_war(u.faction, fid)}
        if s.cell in occupied:
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


_BIG = 1 << 30


def _zoc_types(scn) -> dict[str, bool]:
    got = scn.extra.get("_supply_zoc_types")
    if got is None:
        got = scn.extra["_supply_zoc_types"] = {k: t.zoc for k, t in scn.unit_types.items()}
    return got


def _reverse_steps(state: GameState) -> list[list[tuple[int, int]]] | None:
    """Per cell, (predecessor, quantised cost of the step from it into the cell), when every
    quantised step costs at least one unit; else None (the forward search is used)."""
    scn = state.scenario
    if "_supply_rev" in scn.extra:
        return scn.extra["_supply_rev"]
    quant = _quantised_steps(state)
    got = None
    if quant is not None and all(sq >= 1 for row in quant[1] for _, sq in row):
        got = [[] for _ in range(scn.grid.n_cells)]
        for c, row in enumerate(quant[1]):
            for nb, sq in row:
                got[nb].append((c, sq))
    scn.extra["_supply_rev"] = got
    return got


def _static_bound(state: GameState, srcs: tuple[int, ...], top: int) -> list[int]:
    """Quantised cost of the cheapest line from ``srcs`` to each cell on the bare map (no
    enemies, no zones of control); _BIG beyond ``top``.  A lower bound on the real line's
    cost, cached per source set (it depends on nothing else)."""
    scn = state.scenario
    cache = scn.extra.setdefault("_supply_bound", {})
    got = cache.get(srcs)
    if got is not None:
        return got
    steps = _quantised_steps(state)[1]
    dl = [_BIG] * scn.grid.n_cells
    buckets: list[list[int]] = [[] for _ in range(top + 1)]
    for c in srcs:
        dl[c] = 0
    buckets[0].extend(srcs)
    for b in range(top + 1):
        for c in buckets[b]:
            if dl[c] != b:
                continue
            for nb, sq in steps[c]:
                k = b + sq
                if k <= top and k < dl[nb]:
                    dl[nb] = k
                    buckets[k].append(nb)
    if len(cache) >= 64:
        cache.clear()
    cache[srcs] = dl
    return dl


def supplied_cells(state: GameState, fid: str, targets: set[int]) -> set[int]:
    """The cells of ``targets`` a supply line reaches: the same answer as ``supply_map``
    (finite cost there), without tracing the whole map.

    Each target is searched backwards from the target towards the sources (A*), pruned by the
    cost of the cheapest line on the bare map (``_static_bound``, an exact lower bound), so a
    target near a source is settled in a few steps and one cut off by the enemy only costs the
    hexes between it and the sources.  Lines found, and hexes a failed search proved
    unreachable within a budget, are remembered for the next target.
    """
    rev = _reverse_steps(state)
    if rev is None:
        sm = _trace(state, fid, targets)
        return {c for c in targets if 0.0 <= sm[c] < math.inf}
    scn = state.scenario
    factions = scn.factions
    war_f = {f.id: state.at_war(f.id, fid) for f in factions}
    friend_f = {f.id: state.friendly(f.id, fid) for f in factions}
    nbrs = tables(scn).neighbours
    zoc_types = _zoc_types(scn)
    occupied: set[int] = set()            # hexes with a unit at war with fid
    zoc: set[int] = set()                 # their zones of control
    friendly_cells: set[int] = set()
    for u in state.units.values():
        f = u.faction
        w = war_f.get(f)
        if w if w is not None else state.at_war(f, fid):
            occupied.add(u.cell)
            if zoc_types[u.type]:
                zoc.update(nbrs[u.cell])
        else:
            fr = friend_f.get(f)
            if fr if fr is not None else state.friendly(f, fid):
                friendly_cells.add(u.cell)
    # the working sources, as sources() finds them
    fi = state.faction_index(fid)
    control = state.control
    srcset: set[int] = set()
    for s in list(scn.supply_sources) + state.extra_sources:
        if s.faction != fid or (s.needs_control and int(control[s.cell]) != fi) or s.cell in occupied:
            continue
        srcset.add(s.cell)
    if not srcset or not targets:
        return targets & srcset
    q = _quantised_steps(state)[0]
    top = math.floor((scn.rules.supply_range + 1e-9) * q)
    bound = _static_bound(state, tuple(sorted(srcset)), top)
    out = set()
    todo = []
    for c in targets:
        if c in srcset:
            out.add(c)
        elif bound[c] <= top:
            todo.append(c)
    if not todo:
        return out
    # the map as the line sees it: hexes held or occupied by an enemy at war are blocked,
    # zones of control of enemies at war (not where a friendly unit stands) stop a line
    wtab = bytearray(256)
    for i, f in enumerate(factions):
        if war_f[f.id]:
            wtab[i & 0xFF] = 1
    held = control.astype(np.int8, copy=False).tobytes().translate(wtab)   # 1 where an enemy holds
    blk = bytearray(held)                 # 1 where no line passes through
    for c in occupied:
        blk[c] = 1
    zoc -= friendly_cells
    for c in zoc:
        blk[c] = 1
    n = scn.grid.n_cells
    good = [_BIG] * n                     # hex -> cost of a line known to reach it (and go on)
    for c in srcset:
        good[c] = 0
    best = [_BIG] * n                     # hex -> the cheapest cost to it from the current target,
    dead: dict[int, int] = {}             # or below which failed searches proved it unreachable
    pop, push = heapq.heappop, heapq.heappush
    for x in sorted(todo):
        if held[x] or x in occupied:
            continue                      # the line may not enter the target's hex
        # first try the cheapest line of the bare map: step back along hexes whose bare-map
        # cost falls by exactly the step's cost; if it is open the target is supplied
        c, gc, line = x, 0, []
        while True:
            bc = bound[c]
            nxt = None
            for p, w in rev[c]:
                ng = gc + w
                if good[p] + ng <= top:
                    nxt = p
                    break
                if bound[p] + w == bc and not blk[p]:
                    nxt = p
                    break
            if nxt is None or good[nxt] + gc + w <= top:
                break
            line.append((c, w))
            c, gc = nxt, gc + w
        if nxt is not None:
            out.add(x)
            acc = good[nxt] + w           # the line's cost up to c, and back along it to x
            while True:
                if c != x or not blk[x]:
                    if acc < good[c]:
                        good[c] = acc
                if not line:
                    break
                c, w = line.pop()
                acc += w
            continue
        touched = [x]
        best[x] = 0
        par: dict[int, tuple[int, int]] = {}
        heap = [(bound[x], 0, x)]
        hit = None
        while heap:
            _, gc, c = pop(heap)
            gc = -gc                      # ties go deepest first: along a line, not around it
            if gc > best[c]:
                continue
            for p, w in rev[c]:
                ng = gc + w
                if ng + bound[p] > top:
                    continue
                if good[p] + ng <= top:
                    hit = (p, c, w)
                    break
                if blk[p] or ng >= best[p]:
                    continue              # the line may not pass through p, or came cheaper
                best[p] = ng
                touched.append(p)
                par[p] = (c, w)
                push(heap, (ng + bound[p], -ng, p))
            if hit is not None:
                break
        if hit is not None:
            out.add(x)
            for c in touched:             # these costs proved nothing: back to what was known
                best[c] = dead.get(c, _BIG)
            # every hex on the line found is reached at its cost along it: later targets
            # whose search meets the line are settled there
            p, c, w = hit
            acc = good[p] + w
            while c != x:
                if acc < good[c]:
                    good[c] = acc
                c, w = par[c]
                acc += w
            if not blk[x] and acc < good[x]:
                good[x] = acc
        else:
            for c in touched:             # no line reaches c at this cost or less
                dead[c] = best[c]
    return out


def update_supply(state: GameState, fid: str) -> list[tuple[str, bool]]:
    """Recompute ``in_supply`` for the faction's units; returns (unit id, in_supply) changes."""
    changes = []
    if not any(s.faction == fid for s in list(state.scenario.supply_sources) + state.extra_sources):
        # a faction the scenario gives no supply sources does not use the supply rules
        for u in state.units.values():
            if u.faction == fid:
                u.in_supply = True
        return changes
    turn = state.turn
    ok_cells = supplied_cells(state, fid, {u.cell for u in state.units.values()
                                           if u.faction == fid and not u.supply_exempt and u.airdrop_turn != turn})
    for u in state.units.values():
        if u.faction != fid:
            continue
        ok = u.cell in ok_cells or u.supply_exempt or u.airdrop_turn == turn
        if ok != u.in_supply:
            changes.append((u.id, ok))
        u.in_supply = ok
    return changes

"""Movement: movement points x terrain, roads, river sides, zones of control, stacking.

``reachable`` is a Dijkstra over cells from the unit's hex with what the unit's faction
*knows* (visible units only); the engine then walks the chosen path against the truth and
stops the unit on contact with enemies it could not see.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

from game.rules.terrain import tables
from game.rules import visibility
from game.state import GameState, Unit

IMPASSABLE = 99.0


@dataclass
class Reach:
    """Result of a movement search: cost and predecessor of every reachable cell."""
    start: int
    cost: dict[int, float]
    prev: dict[int, int]
    stop: set[int]              # cells where the move must end (enemy ZOC)

    def path_to(self, cell: int) -> tuple[int, ...]:
        """Cells after the start up to ``cell`` (empty if unreachable or the start)."""
        if cell not in self.cost or cell == self.start:
            return ()
        out = []
        c = cell
        while c != self.start:
            out.append(c)
            c = self.prev[c]
        out.reverse()
        return tuple(out)

    def destinations(self) -> list[int]:
        return [c for c in self.cost if c != self.start]

    def paths(self, cells: list[int]) -> list[tuple[int, ...]]:
        """``path_to`` of each of ``cells``, sharing the work of common prefixes."""
        memo: dict[int, tuple[int, ...]] = {self.start: ()}
        prev, cost, start = self.prev, self.cost, self.start
        out = []
        for cell in cells:
            if cell not in cost or cell == start:
                out.append(())
                continue
            chain = []
            c = cell
            while c not in memo:
                chain.append(c)
                c = prev[c]
            p = memo[c]
            for x in reversed(chain):
                p = p + (x,)
                memo[x] = p
            out.append(p)
        return out


def movement_allowance(state: GameState, unit: Unit) -> float:
    """Full movement points for the unit at the start of its turn."""
    mp = state.utype(unit).movement
    if not unit.in_supply:
        mp *= state.scenario.rules.out_of_supply_factor
    return mp


def step_cost(state: GameState, unit: Unit, a: int, b: int) -> float:
    """Cost to move from a to adjacent b, ignoring units (>= IMPASSABLE if not allowed)."""
    t = tables(state.scenario)
    base = t.move_cost[b]
    if base >= IMPASSABLE:
        return IMPASSABLE
    if (a, b) in t.road_edges:
        base = min(base, state.scenario.rules.road_cost)
    rv = t.river.get((a, b))
    if rv is not None and not rv[2]:
        base += 1.0 if state.utype(unit).engineer else rv[0]
    return base


def blockers(state: GameState, unit: Unit, known_only: bool = True,
             seen: set[str] | None = None) -> tuple[set[int], set[int], dict[int, int]]:
    """(cells with non-friendly units, enemy ZOC cells, friendly stack sizes) for ``unit``.

    ``seen`` may pass in ``visibility.seen_ids(state, unit.faction)`` when the caller has it.
    """
    fid = unit.faction
    scn = state.scenario
    grid_nb = tables(scn).neighbours
    friendly = {f.id: state.friendly(f.id, fid) for f in scn.factions}
    war = {f.id: state.at_war(f.id, fid) for f in scn.factions}
    types = scn.unit_types
    if known_only and seen is None:
        seen = visibility.seen_ids(state, fid)
    blocked: set[int] = set()
    zoc: set[int] = set()
    stack: dict[int, int] = {}
    uid = unit.id
    for o in state.units.values():
        if o.id == uid:
            continue
        fr = friendly.get(o.faction)
        if fr is None:
            fr = state.friendly(o.faction, fid)
        if fr:
            stack[o.cell] = stack.get(o.cell, 0) + 1
            continue
        if known_only and o.id not in seen:
            continue
        blocked.add(o.cell)
        if (war[o.faction] if o.faction in war else state.at_war(o.faction, fid)) and types[o.type].zoc:
            zoc.update(grid_nb[o.cell])
    return blocked, zoc, stack


def _move_steps(state: GameState, engineer: bool) -> list[list[tuple[int, float]]]:
    """Per cell, (neighbour, step cost) for every passable neighbour: what ``step_cost``
    gives, worked out once per scenario (terrain, roads and rivers never change)."""
    key = "_move_steps_eng" if engineer else "_move_steps"
    got = state.scenario.extra.get(key)
    if got is not None:
        return got
    t = tables(state.scenario)
    road_cost = state.scenario.rules.road_cost
    out: list[list[tuple[int, float]]] = []
    for cell, nbs in enumerate(t.neighbours):
        row = []
        for nb in nbs:
            base = t.move_cost[nb]
            if base >= IMPASSABLE:
                continue
            if (cell, nb) in t.road_edges and road_cost < base:
                base = road_cost
            rv = t.river.get((cell, nb))
            if rv is not None and not rv[2]:
                base += 1.0 if engineer else rv[0]
                if base >= IMPASSABLE:
                    continue              # a river side costed at 99 cannot be crossed at all
            row.append((nb, base))
        out.append(row)
    state.scenario.extra[key] = out
    return out


def reachable(state: GameState, unit: Unit, known_only: bool = True, mp: float | None = None,
              seen: set[str] | None = None) -> Reach:
    """Every cell the unit can end its move in this turn, with the cheapest path.

    ``seen`` may pass in ``visibility.seen_ids(state, unit.faction)`` when the caller has it.
    """
    start = unit.cell
    budget = unit.mp if mp is None else mp
    cost: dict[int, float] = {start: 0.0}
    prev: dict[int, int] = {}
    if budget <= 0 or unit.static:
        return Reach(start, cost, prev, set())
    blocked, zoc, stack = blockers(state, unit, known_only, seen)
    steps = _move_steps(state, state.utype(unit).engineer)
    limit = state.scenario.rules.stacking
    # a unit that has not moved may always move one hex (as in most hex games)
    first_free = budget >= movement_allowance(state, unit) - 1e-9
    over = budget + 1e-9
    stop_cells: set[int] = set()
    heap = [(0.0, start)]
    done: set[int] = set()
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        c, cell = pop(heap)
        if cell in done:
            continue
        done.add(cell)
        if cell != start and cell in zoc:
            stop_cells.add(cell)
            continue                      # entering enemy ZOC ends movement
        for nb, base in steps[cell]:
            if nb in blocked:
                continue
            nc = c + base
            if nc > over:
                if not (cell == start and first_free):
                    continue
                nc = budget
            old = cost.get(nb)
            if old is None or nc < old - 1e-9:
                cost[nb] = nc
                prev[nb] = cell
                push(heap, (nc, nb))
    # drop destinations where stacking is full (they stay usable as waypoints)
    for cell in [c for c in cost if c != start and stack.get(c, 0) >= limit]:
        del cost[cell]
    return Reach(start, cost, prev, stop_cells)


def path_cost(state: GameState, unit: Unit, path: tuple[int, ...]) -> float | None:
    """Cost of a path (cells after the unit's hex), or None if a step is not adjacent/passable."""
    t = tables(state.scenario)
    c = 0.0
    a = unit.cell
    for b in path:
        if b not in t.neighbours[a]:
            return None
        s = step_cost(state, unit, a, b)
        if s >= IMPASSABLE:
            return None
        c += s
        a = b
    return c

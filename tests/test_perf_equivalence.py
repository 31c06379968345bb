"""The fast paths in the engine must agree with the plain definitions they replace.

Each optimisation (fog via set unions, per-move views, bucketed supply search, precomputed
step costs) is checked here against the straightforward version on states from random games,
so a later edit that breaks the equivalence fails a test instead of silently changing play.
"""
from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from game import engine
from game.actions import Move
from game.ai.random_agent import RandomAgent
from game.errors import IllegalAction
from game.rules import movement, supply, visibility
from game.scenario.loader import load_scenario
from tests.builders import barrier, make

ROOT = Path(__file__).resolve().parent.parent


def _scenarios():
    out = [make(width=12, height=10,
                units=[("r1", "inf", "red", 1, 1), ("r2", "arm", "red", 2, 2), ("r3", "art", "red", 1, 3),
                       ("r4", "eng", "red", 0, 5), ("b1", "inf", "blue", 10, 8), ("b2", "arm", "blue", 9, 9),
                       ("b3", "inf", "blue", 9, 4), ("g1", "inf", "green", 6, 1)],
                factions=("red", "blue", "green"), hidden=("blue",),
                relations=[("red", "blue", "war"), ("blue", "green", "war"), ("green", "red", "deconflicted")],
                rivers=[(barrier(12, 10, 5), [(5, 4, 6, 4)])], roads=[[(c, 5) for c in range(12)]],
                sources=[("red", 0, 0), ("blue", 11, 9), ("green", 6, 0)], turns=5)]
    for name in ("tutorial.yaml", "deir_ez_zor_2017.yaml"):
        p = ROOT / "scenarios" / name
        if p.exists():
            out.append(load_scenario(p))
    return out


SCENARIOS = _scenarios()


def _states(scn, seed: int, every: int):
    """States along a random game, every ``every`` plies."""
    st = engine.new_game(scn, seed)
    agent = RandomAgent(seed)
    n = 0
    while not st.terminal and n < 400:
        if n % every == 0:
            yield st
        engine.apply(st, agent.choose(st))
        n += 1


# --- the plain definitions ------------------------------------------------------------------------

def plain_seen(state, fid):
    vis = np.zeros(state.scenario.grid.n_cells, dtype=bool)
    for u in state.units.values():
        if state.friendly(u.faction, fid):
            vis[state.scenario.grid.cells_within(u.cell, state.utype(u).sight)] = True
    for c in visibility.isr_cells(state, fid):
        vis[c] = True
    own = [u.cell for u in state.units.values() if state.friendly(u.faction, fid)]
    return {u.id for u in state.units.values()
            if not state.friendly(u.faction, fid) and visibility.unit_visible(state, u, fid, vis, own)}


def plain_validate(state, u, path):
    """_validate_path as first written: blockers over the faction's whole view."""
    seen = plain_seen(state, u.faction)
    others = [o for o in state.units.values() if o.id != u.id and (o.id in seen or state.friendly(o.faction, u.faction))]
    blocked, zoc, stack = set(), set(), {}
    for o in others:
        if state.friendly(o.faction, u.faction):
            stack[o.cell] = stack.get(o.cell, 0) + 1
            continue
        blocked.add(o.cell)
        if state.at_war(o.faction, u.faction) and state.utype(o).zoc:
            zoc.update(state.scenario.grid.neighbours(o.cell))
    n = state.scenario.grid.n_cells
    cur, cost = u.cell, 0.0
    for i, nxt in enumerate(path):
        if not (0 <= nxt < n) or nxt not in state.scenario.grid.neighbours(cur):
            return f"path step {i} is not adjacent"
        if nxt in blocked:
            return "path enters a hex held by another faction's units"
        s = movement.step_cost(state, u, cur, nxt)
        if s >= movement.IMPASSABLE:
            return "path enters impassable terrain"
        cost += s
        if nxt in zoc and i != len(path) - 1:
            return "path continues through an enemy zone of control"
        cur = nxt
    if cost > u.mp + 1e-9 and not (len(path) == 1 and u.mp >= movement.movement_allowance(state, u) - 1e-9):
        return f"path costs {cost:g} movement points, {u.mp:g} left"
    if stack.get(path[-1], 0) >= state.scenario.rules.stacking:
        return "stacking limit reached in the destination hex"
    if len(set(path)) != len(path) or u.cell in path:
        return "path revisits a hex"
    return None


# --- the checks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
def test_seen_ids_and_visible_cells_match_unit_visible(scn):
    for st in _states(scn, 3, 25):
        for f in scn.factions:
            assert visibility.seen_ids(st, f.id) == plain_seen(st, f.id)
            vis = np.zeros(scn.grid.n_cells, dtype=bool)
            for u in st.units.values():
                if st.friendly(u.faction, f.id):
                    vis[scn.grid.cells_within(u.cell, st.utype(u).sight)] = True
            for c in visibility.isr_cells(st, f.id):
                vis[c] = True
            assert (visibility.visible_cells(st, f.id) == vis).all()


@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
def test_move_validation_matches_the_plain_rules(scn):
    rng = random.Random(9)
    grid = scn.grid
    checked = 0
    for st in _states(scn, 4, 15):
        own = [u for u in st.units.values() if u.faction == st.active_faction and u.mp > 0
               and not u.attacked and not u.static]
        for _ in range(8 if own else 0):
            u = rng.choice(own)
            cur, path = u.cell, []
            for _ in range(rng.randint(1, 6)):
                cur = rng.choice(grid.neighbours(cur)) if rng.random() < 0.95 else rng.randrange(grid.n_cells)
                path.append(cur)
            try:
                engine._validate_path(st, u, tuple(path))
                got = None
            except IllegalAction as e:
                got = str(e)
            assert got == plain_validate(st, u, tuple(path)), (u.id, path)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
def test_moves_reveal_what_the_whole_view_reveals(scn):
    """The move event's ``revealed`` equals the difference of the faction's views."""
    st = engine.new_game(scn, 6)
    agent = RandomAgent(6)
    n = 0
    while not st.terminal and n < 300:
        a = agent.choose(st)
        if isinstance(a, Move):
            fid = st.active_faction
            before = plain_seen(st, fid)
            ev = engine.apply(st, a)
            move = next(e for e in ev if e.kind == "move")
            expect = sorted(plain_seen(st, fid) - before)
            got = move.data["revealed"]
            if move.data["stopped"]:           # the unit bumped into is spotted and listed too
                enemy = next(e for e in ev if e.kind == "reveal").data["enemy"]
                assert enemy in got
                expect = [x for x in expect if x != enemy]
                got = [x for x in got if x != enemy]
            assert got == expect
        else:
            engine.apply(st, a)
        n += 1


@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
def test_reachable_matches_step_costs(scn):
    """Every cost movement.reachable reports is the cost of its own path by step_cost."""
    for st in _states(scn, 5, 40):
        for u in st.units.values():
            if u.faction != st.active_faction:
                continue
            reach = engine.move_targets(st, u)
            for dest, cost in reach.cost.items():
                if dest == u.cell:
                    continue
                pc = movement.path_cost(st, u, reach.path_to(dest))
                assert pc is not None
                assert cost == pytest.approx(min(pc, u.mp))     # min: the one-hex move a fresh unit may always make


def _heap_trace(state, fid):
    """supply_map by a plain Dijkstra with a heap and step_cost-style arithmetic."""
    import heapq
    scn = state.scenario
    from game.rules.terrain import tables
    t = tables(scn)
    war = [i for i, f in enumerate(scn.factions) if state.at_war(f.id, fid)]
    blocked = set(np.flatnonzero(np.isin(state.control, war)).tolist()) if war else set()
    zoc, friends = set(), set()
    for u in state.units.values():
        if state.at_war(u.faction, fid):
            blocked.add(u.cell)
            if state.utype(u).zoc:
                zoc.update(t.neighbours[u.cell])
        elif state.friendly(u.faction, fid):
            friends.add(u.cell)
    zoc -= friends
    dist = [math.inf] * scn.grid.n_cells
    heap = []
    for c in supply.sources(state, fid):
        dist[c] = 0.0
        heap.append((0.0, c))
    heapq.heapify(heap)
    done = set()
    while heap:
        d, c = heapq.heappop(heap)
        if c in done:
            continue
        done.add(c)
        if c in zoc and d > 0:
            continue
        for nb in t.neighbours[c]:
            if nb in blocked or t.supply_cost[nb] >= 99:
                continue
            step = t.supply_cost[nb]
            if (c, nb) in t.road_edges and scn.rules.road_cost < step:
                step = scn.rules.road_cost
            rv = t.river.get((c, nb))
            if rv is not None and not rv[2]:
                step += rv[0]
            if d + step <= scn.rules.supply_range + 1e-9 and d + step < dist[nb]:
                dist[nb] = d + step
                heapq.heappush(heap, (d + step, nb))
    return np.array(dist)


@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
def test_supply_search_matches_a_plain_dijkstra(scn):
    for st in _states(scn, 2, 30):
        for f in scn.factions:
            plain = _heap_trace(st, f.id)
            assert np.array_equal(supply.supply_map(st, f.id), plain)
            # update_supply's early-stopping search gives every unit the same answer
            c = st.clone()
            supply.update_supply(c, f.id)
            for u in c.units_of(f.id):
                if any(s.faction == f.id for s in list(scn.supply_sources) + c.extra_sources):
                    assert u.in_supply == (bool(np.isfinite(plain[u.cell])) or u.supply_exempt
                                           or u.airdrop_turn == c.turn)


def test_heap_and_bucket_supply_searches_agree():
    """Costs that are not multiples of 1/2^k use the heap search; both give the same map."""
    scn = SCENARIOS[-1]
    st = next(iter(_states(scn, 8, 50)))
    for f in scn.factions:
        fast = supply.supply_map(st, f.id)
        saved = scn.extra.get("_supply_quant")
        scn.extra["_supply_quant"] = None          # force the heap search
        try:
            slow = supply.supply_map(st, f.id)
        finally:
            scn.extra["_supply_quant"] = saved
        assert np.array_equal(fast, slow)


@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
def test_sees_unit_matches_unit_visible(scn):
    for st in _states(scn, 7, 30):
        for f in scn.factions:
            seen = plain_seen(st, f.id)
            helpers = [None] + list(st.units.values())[:3]
            for u in st.units.values():
                expect = st.friendly(u.faction, f.id) or u.id in seen
                for h in helpers:
                    assert visibility.sees_unit(st, u, f.id, h) == expect, (u.id, f.id)

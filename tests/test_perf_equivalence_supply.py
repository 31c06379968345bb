"""update_supply's backward search (``supply.supplied_cells``) must give every cell the answer
the plain forward Dijkstra gives: a line of cost within range, or none."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from game.rules import supply
from tests.test_perf_equivalence import SCENARIOS, _heap_trace, _states


def _check(st, fid, targets):
    plain = _heap_trace(st, fid)
    want = {c for c in targets if 0.0 <= plain[c] < math.inf}
    assert supply.supplied_cells(st, fid, set(targets)) == want


@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
@pytest.mark.parametrize("seed", [3, 11])
def test_supplied_cells_match_a_plain_dijkstra(scn, seed):
    rng = random.Random(seed)
    n = scn.grid.n_cells
    for st in _states(scn, seed, 17):
        for f in scn.factions:
            units = {u.cell for u in st.units.values() if u.faction == f.id}
            _check(st, f.id, units)
            # any cells at all: enemy-held, in zones of control, sources, far away
            _check(st, f.id, set(rng.sample(range(n), min(n, 60))) | units)


def test_supplied_cells_on_every_cell():
    scn = SCENARIOS[-1]
    for st in list(_states(scn, 5, 90))[:3]:
        for f in scn.factions:
            _check(st, f.id, set(range(scn.grid.n_cells)))


@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
def test_update_supply_matches_the_full_map(scn):
    for st in _states(scn, 7, 23):
        for f in scn.factions:
            c = st.clone()
            supply.update_supply(c, f.id)
            if not any(s.faction == f.id for s in list(scn.supply_sources) + c.extra_sources):
                continue
            plain = _heap_trace(c, f.id)
            for u in c.units_of(f.id):
                assert u.in_supply == (bool(np.isfinite(plain[u.cell]) and plain[u.cell] >= 0)
                                       or u.supply_exempt or u.airdrop_turn == c.turn)


# --- the unit index moves keep between them (engine._unit_index) -----------------------------------

@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.meta.id)
def test_kept_unit_index_matches_a_fresh_one(scn):
    from game import engine
    from game.ai.random_agent import RandomAgent
    st = engine.new_game(scn, 4)
    agent = RandomAgent(4)
    n = 0
    while not st.terminal and n < 300:
        a = agent.choose(st)
        engine.apply(st, a)
        n += 1
        if a.kind != "move":
            continue
        fid = st.active_faction
        kept = engine._unit_index(st, fid)
        fresh = engine._UnitIndex(st, fid, tuple(st.units.values()), [u.cell for u in st.units.values()])
        assert {c: {u.id for u in us} for c, us in kept.fcells.items()} == \
               {c: {u.id for u in us} for c, us in fresh.fcells.items()}
        assert {c: [u.id for u in us] for c, us in kept.others.items()} == \
               {c: [u.id for u in us] for c, us in fresh.others.items()}
        assert {c: u.id for c, u in kept.occupied.items()} == {c: u.id for c, u in fresh.occupied.items()}
        assert {c: (i, u.id) for c, (i, u) in kept.zoc_src.items()} == \
               {c: (i, u.id) for c, (i, u) in fresh.zoc_src.items()}

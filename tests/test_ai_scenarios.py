"""The agents on the bundled scenarios: a few rounds with every faction, nothing illegal, and
air power priced by the scenario's own tension thresholds."""
from __future__ import annotations

from pathlib import Path

import pytest

from game import engine
from game.actions import EndTurn
from game.ai import air_support
from game.ai.evaluate import situation
from game.ai.normal import NormalAgent
from game.ai.guard import is_legal
from game.errors import ScenarioError
from game.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def _load(path: Path):
    try:
        return load_scenario(str(path))
    except ScenarioError:
        pytest.skip(f"{path.name} does not load (its own tests cover that)")


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_normal_plays_every_faction_of_bundled_scenarios(path):
    scn = _load(path)
    state = engine.new_game(scn, 11)
    agents = {f.id: NormalAgent(i) for i, f in enumerate(scn.factions)}
    acted = {f.id: 0 for f in scn.factions}
    rounds = 2 if scn.grid.n_cells > 1000 else 3
    while not state.terminal and state.turn <= rounds:
        fid = state.active_faction
        a = agents[fid].choose(state)
        assert is_legal(state, a, strict=True), a
        engine.apply(state, a)
        if not isinstance(a, EndTurn):
            acted[fid] += 1
    assert all(a.stats["fallbacks"] == 0 for a in agents.values())
    assert sum(acted.values()) > 0


def test_tension_is_priced_by_the_scenario_thresholds():
    path = ROOT / "scenarios" / "deir_ez_zor_2017.yaml"
    if not path.exists():
        pytest.skip("default scenario missing")
    scn = _load(path)
    state = engine.new_game(scn, 1)
    if air_support.air_module() is None or air_support._spec(state) is None:
        pytest.skip("no air rules in this build")
    sit = situation(state, state.active_faction)
    sv, goal = sit.sv, 100.0
    thresholds = sorted(th.at for th in air_support._spec(state).tension.thresholds)
    assert thresholds
    at = thresholds[0]
    far = air_support.tension_cost(state, 0.0, 2.0, sv, goal) if at > 12 else None
    crossing = air_support.tension_cost(state, at - 1.0, 2.0, sv, goal)
    assert air_support.tension_cost(state, 0.0, 0.0, sv, goal) == 0.0
    assert crossing > air_support.PER_POINT * sv * 2.0          # crossing a threshold costs extra
    if far is not None:
        assert far < crossing

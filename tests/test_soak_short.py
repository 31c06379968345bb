"""The short soak that runs in ``make test``: whole games with invariants after every action,
and proof that the soak notices each kind of fault it is meant to catch."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from game import engine, soak
from game.actions import EndTurn, Move
from game.cli import main
from game.scenario.loader import load_scenario
from game.scenario.model import Effect, Event, Reinforcement, Trigger, UnitSpec
from tests.builders import barrier, cell, make

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"
DEFAULT = ROOT / "scenarios" / "deir_ez_zor_2017.yaml"
RANDOM3 = {"red": "random", "blue": "random", "green": "random"}


def _skirmish():
    """Three factions, one hidden, a river with a bridge, a road, supply, events, reinforcements."""
    g = lambda c, r: (c, r)  # noqa: E731
    units = [("r1", "inf", "red", 1, 1), ("r2", "arm", "red", 2, 2), ("r3", "art", "red", 1, 3),
             ("r4", "eng", "red", 0, 4), ("b1", "inf", "blue", 10, 8), ("b2", "arm", "blue", 9, 9),
             ("b3", "inf", "blue", 10, 6), ("g1", "inf", "green", 6, 1), ("g2", "inf", "green", 6, 9)]
    rel = [("red", "blue", "war"), ("blue", "green", "war"), ("green", "red", "deconflicted")]
    grid_probe = make(width=12, height=10)
    arrive = UnitSpec("r9", "r9", "inf", "red", cell(grid_probe, 0, 0))
    return make(width=12, height=10, units=units, factions=("red", "blue", "green"), relations=rel,
                hidden=("blue",), turns=6, rivers=[(barrier(12, 10, 5), [(5, 4, 6, 4)])],
                roads=[[g(c, 5) for c in range(12)]], sources=[("red", 0, 0), ("blue", 11, 9), ("green", 6, 0)],
                objectives=[("ford", 6, 4, 1.0, 4.0), ("town", 8, 7, 2.0, 0.0)],
                reinforcements=[Reinforcement(3, (UnitSpec("b9", "b9", "inf", "blue", cell(grid_probe, 11, 9)),))],
                events=[Event("bonus", Trigger("turn", turn=2), (Effect("vp", {"faction": "green", "amount": 2.0}),)),
                        Event("taken", Trigger("captured", cell=cell(grid_probe, 8, 7)),
                              (Effect("reinforcements", {"units": (arrive,)}),))])


def test_skirmish_games_stay_clean():
    scn = _skirmish()
    for seed in range(1, 7):
        r = soak.soak_game(scn, seed, RANDOM3, probe_every=5)
        assert r.ok, (seed, r.problem, r.detail)
        assert r.actions > 20 and r.winner in ("red", "blue", "green", "draw")


@pytest.mark.skipif(not TUTORIAL.exists(), reason="tutorial scenario not written yet")
@pytest.mark.parametrize("agent", ["random", "normal"])
def test_tutorial_full_games(agent):
    scn = load_scenario(TUTORIAL)
    agents = soak.parse_agents(agent, [f.id for f in scn.factions])
    for seed in (1, 2):
        r = soak.soak_game(scn, seed, agents)
        assert r.ok, (seed, r.problem, r.detail)
        assert r.winner != "unfinished" and r.turns >= 1


@pytest.mark.skipif(not DEFAULT.exists(), reason="default scenario not written yet")
def test_default_scenario_first_turns():
    scn = load_scenario(DEFAULT)
    fids = [f.id for f in scn.factions]
    r = soak.soak_game(scn, 3, soak.parse_agents("random", fids), max_turns=3)
    assert r.ok, (r.problem, r.detail)
    assert r.turns == 3 and r.winner == "unfinished"
    r = soak.soak_game(scn, 4, soak.parse_agents("normal", fids), max_turns=1, probe_every=0)
    assert r.ok, (r.problem, r.detail)


# --- the soak must notice faults -----------------------------------------------------------------

def test_soak_catches_a_broken_invariant(monkeypatch):
    def corrupt(state, unit, walked, out):
        if state.ply >= 5:
            unit.steps = 99
    monkeypatch.setattr(engine, "MOVE_DONE_HOOKS", engine.MOVE_DONE_HOOKS + [corrupt])
    r = soak.soak_game(_skirmish(), 1, RANDOM3)
    assert r.problem == "violation" and "99 steps" in r.detail[0]


def test_soak_catches_an_illegal_choice(monkeypatch):
    class Cheat:
        name = "cheat"

        def choose(self, state, budget=None):
            u = min(state.units_of(state.active_faction), key=lambda x: x.id)
            return Move(u.id, (cell(state.scenario, 11, 9),))       # far away: not adjacent
    monkeypatch.setattr(soak, "make_agent", lambda name, seed: Cheat())
    r = soak.soak_game(_skirmish(), 1, RANDOM3)
    assert r.problem == "illegal" and "not adjacent" in r.detail[0]


def test_soak_catches_legal_actions_that_apply_refuses(monkeypatch):
    real = engine.legal_actions

    def lying(state):
        u = min(state.units_of(state.active_faction), key=lambda x: x.id)
        return real(state) + [Move(u.id, (u.cell,))]
    monkeypatch.setattr(engine, "legal_actions", lying)
    r = soak.soak_game(_skirmish(), 1, RANDOM3, probe_every=1)
    assert r.problem == "illegal" and "apply refused" in r.detail[0]


def test_soak_catches_an_agent_that_never_ends_its_turn(monkeypatch):
    monkeypatch.setattr(soak, "MAX_ACTIONS_PER_TURN", 2)
    r = soak.soak_game(_skirmish(), 1, RANDOM3)
    assert r.problem == "stuck"


def test_soak_catches_a_game_that_does_not_replay(monkeypatch):
    calls = {"n": 0}

    def drifting(state, unit, walked, out):   # depends on something outside the state
        calls["n"] += 1
        if calls["n"] == 7:
            unit.mp = 0.125
    monkeypatch.setattr(engine, "MOVE_DONE_HOOKS", engine.MOVE_DONE_HOOKS + [drifting])
    r = soak.soak_game(_skirmish(), 2, RANDOM3, probe_every=0)
    assert r.problem == "replay", (r.problem, r.detail)


def test_soak_reports_a_crash(monkeypatch):
    def boom(state, unit, walked, out):
        if state.ply == 3:
            raise ZeroDivisionError("planted")
    monkeypatch.setattr(engine, "MOVE_DONE_HOOKS", engine.MOVE_DONE_HOOKS + [boom])
    r = soak.soak_game(_skirmish(), 1, RANDOM3)
    assert r.problem == "crash" and "ZeroDivisionError: planted" in r.detail[0]


# --- the command line ---------------------------------------------------------------------------------

@pytest.mark.skipif(not TUTORIAL.exists(), reason="tutorial scenario not written yet")
def test_soak_command(tmp_path, capsys):
    out = tmp_path / "soak.json"
    rc = main(["soak", "--scenario", str(TUTORIAL), "--games", "3", "--seed", "5", "--agents", "random",
               "--agents", "normal", "--json", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "3 games, 3 clean; problems: none" in text
    data = json.loads(out.read_text())
    assert data["games"] == 3 and data["failures"] == [] and len(data["agents"]) == 2


def test_soak_command_fails_on_a_problem(tmp_path, capsys, monkeypatch):
    if not TUTORIAL.exists():
        pytest.skip("tutorial scenario not written yet")
    monkeypatch.setattr(soak, "MAX_ACTIONS_PER_TURN", 1)
    rc = main(["soak", "--scenario", str(TUTORIAL), "--games", "2"])
    text = capsys.readouterr().out
    assert rc == 1 and "stuck" in text and "problems: stuck 2" in text


def test_soak_parse_agents():
    assert soak.parse_agents("normal", ["a", "b"]) == {"a": "normal", "b": "normal"}
    assert soak.parse_agents("a=hard", ["a", "b"]) == {"a": "hard", "b": "random"}
    assert soak.parse_agents("", ["a"]) == {"a": "random"}
    with pytest.raises(Exception):
        soak.parse_agents("z=hard", ["a", "b"])


def test_end_turn_only_game_is_clean():
    scn = _skirmish()
    st = engine.new_game(scn, 1)
    from game.invariants import VPLedger, check_invariants
    led = VPLedger()
    while not st.terminal:
        engine.apply(st, EndTurn())
        assert check_invariants(st, led) == []


def test_no_offered_move_is_refused_across_a_99_cost_river():
    from dataclasses import replace
    scn = make(units=[("r1", "inf", "red", 4, 3), ("b1", "inf", "blue", 9, 0)], rivers=[(barrier(10, 8, 4), [])])
    scn.rivers[0] = replace(scn.rivers[0], crossing_cost=99.0)   # the scenario format allows 0..99
    st = engine.new_game(scn, 1)
    assert soak._probe(st, __import__("random").Random(0), tries=10 ** 6) is None    # every legal action


@pytest.mark.skipif(not TUTORIAL.exists(), reason="tutorial scenario not written yet")
def test_save_check_round_trips_a_finished_game(monkeypatch):
    scn = load_scenario(TUTORIAL)
    agents = soak.parse_agents("normal", [f.id for f in scn.factions])
    r = soak.soak_game(scn, 3, agents, save_check=True)
    assert r.ok, (r.problem, r.detail)
    import game.persistence as persistence
    from game.errors import SaveError

    def broken(path, **kw):
        raise SaveError(f"{path}: planted")
    monkeypatch.setattr(persistence, "load_session", broken)
    r = soak.soak_game(scn, 3, agents, save_check=True)
    assert r.problem == "save" and "planted" in r.detail[0]


def test_a_faction_revived_by_an_event_is_not_left_eliminated():
    from game.invariants import check_invariants
    g = make(width=10, height=8)
    late = UnitSpec("b9", "b9", "inf", "blue", cell(g, 8, 6))
    scn = make(units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6)], turns=4,
               events=[Event("counterattack", Trigger("turn", turn=3),
                             (Effect("reinforcements", {"units": (late,)}),))])
    st = engine.new_game(scn, 1)
    del st.units["b1"]                         # as if destroyed in combat
    out = []
    engine._check_elimination(st, out)
    assert st.eliminated == ["blue"]
    while st.turn < 3 or st.active_faction != "blue":
        engine.apply(st, EndTurn())
    assert "b9" in st.units
    assert check_invariants(st) == []

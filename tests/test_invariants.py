"""The invariant checker finds each kind of planted fault, and stays quiet on real play."""
from __future__ import annotations

import numpy as np
import pytest

from game import engine
from game.actions import EndTurn
from game.ai.random_agent import RandomAgent
from game.invariants import VPLedger, check_invariants, vp_from_log
from game.scenario.model import Effect, Event, Trigger
from game.state import GameEvent
from tests.builders import cell, make

ROWS = ["..........", "...~......", "..........", "..........",
        "..........", "..........", "..........", ".........."]


def _scenario(**kw):
    units = [("r1", "inf", "red", 1, 1), ("r2", "arm", "red", 2, 2), ("r3", "art", "red", 1, 2),
             ("b1", "inf", "blue", 8, 6), ("b2", "inf", "blue", 7, 6),
             ("g1", "inf", "green", 5, 7)]
    rel = [("red", "blue", "war"), ("blue", "green", "war"), ("green", "red", "deconflicted")]
    args = dict(rows=ROWS, units=units, factions=("red", "blue", "green"), relations=rel,
                objectives=[("town", 5, 4, 1.0, 5.0)], turns=4)
    args.update(kw)
    return make(**args)


@pytest.fixture
def st():
    return engine.new_game(_scenario(), 5)


def _only(state, needle: str) -> None:
    bad = check_invariants(state)
    assert bad, "the planted fault was not found"
    assert any(needle in b for b in bad), bad


def test_a_fresh_game_is_clean(st):
    assert check_invariants(st) == []


def test_random_play_to_the_end_stays_clean():
    scn = _scenario(events=[Event("bonus", Trigger("turn", turn=2), (Effect("vp", {"faction": "blue", "amount": 3.0}),))])
    for seed in range(4):
        st = engine.new_game(scn, seed)
        agent = RandomAgent(seed)
        ledger = VPLedger()
        while not st.terminal:
            engine.apply(st, agent.choose(st))
            assert check_invariants(st, ledger) == []
        assert st.vp[1] >= 3.0            # the event's VP was counted from the log


@pytest.mark.parametrize("bad_cell", [-1, 80, 10_000])
def test_unit_off_the_map(st, bad_cell):
    st.units["r1"].cell = bad_cell
    _only(st, "off the map")


def test_unit_in_impassable_terrain(st):
    st.units["r1"].cell = cell(st.scenario, 3, 1)
    _only(st, "impassable")


def test_enemies_sharing_a_hex(st):
    st.units["b1"].cell = st.units["r1"].cell
    _only(st, "holds units of")


def test_deconflicted_units_may_not_share_a_hex(st):
    st.units["g1"].cell = st.units["r2"].cell
    _only(st, "deconflicted")


def test_stacking_limit(st):
    c = st.units["r1"].cell
    st.units["r2"].cell = c
    st.units["r3"].cell = c
    _only(st, "stacking limit 2")


def test_two_friendly_units_in_a_hex_are_fine(st):
    st.units["r2"].cell = st.units["r1"].cell
    assert check_invariants(st) == []


@pytest.mark.parametrize("steps", [0, -1, 5])
def test_steps_out_of_range(st, steps):
    st.units["r1"].steps = steps       # infantry has 4 steps
    _only(st, "steps")


@pytest.mark.parametrize("mp", [-0.5, 4.5, float("nan")])
def test_movement_points_out_of_range(st, mp):
    st.units["r1"].mp = mp             # infantry moves 4
    _only(st, "movement points")


def test_static_unit_with_movement(st):
    st.units["r1"].static = True
    _only(st, "static")


@pytest.mark.parametrize("value", [3, -2])
def test_control_out_of_range(st, value):
    st.control[7] = value
    _only(st, "control values")


def test_control_wrong_shape(st):
    st.control = np.zeros(3, dtype=np.int8)
    _only(st, "shape")


def test_vp_changed_without_an_event(st):
    st.vp[0] += 2.0
    _only(st, "log's vp events")


def test_vp_event_without_the_points(st):
    st.log.append(GameEvent("vp", "bonus", faction="blue", data={"amount": 4.0}))
    _only(st, "blue has 0 VP")


def test_vp_ledger_matches_a_full_read():
    st = engine.new_game(_scenario(objectives=[("home", 1, 1, 1.0, 5.0)]), 2)   # red holds it
    ledger = VPLedger()
    for _ in range(9):
        engine.apply(st, EndTurn())
        ledger.update(st)
    assert st.vp[0] == pytest.approx(3.0)
    assert ledger.update(st) == vp_from_log(st) == pytest.approx(st.vp)


def test_unit_of_an_eliminated_faction(st):
    st.eliminated.append("green")
    _only(st, "eliminated faction green")


@pytest.mark.parametrize("key,status,needle", [
    (("red", "blue"), "war", "not sorted"),
    (("blue", "red"), "peace", "not one of"),
    (("blue", "purple"), "war", "unknown faction"),
])
def test_bad_relations(st, key, status, needle):
    st.relations[key] = status
    _only(st, needle)


def test_winner_while_running(st):
    st.winner = "red"
    _only(st, "while the game goes on")


def test_terminal_without_a_winner(st):
    st.terminal = True
    _only(st, "game over with winner None")


def test_turn_past_the_end(st):
    st.turn = st.scenario.meta.turns + 1
    _only(st, "turn 5 outside")


def test_rounds_out_of_step(st):
    st.vp_history.append(list(st.vp))
    _only(st, "completed rounds")


def test_unit_filed_under_another_id(st):
    st.units["zz"] = st.units.pop("r1")
    _only(st, "wrong id")


def test_unknown_unit_type(st):
    st.units["r1"].type = "dragon"
    _only(st, "unknown type")


def test_checker_does_not_change_the_state(st):
    for _ in range(4):
        engine.apply(st, EndTurn())
    before = st.state_hash()
    check_invariants(st, VPLedger())
    assert st.state_hash() == before

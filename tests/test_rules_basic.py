from game import engine
from game.actions import Attack, EndTurn, Move
from game.errors import IllegalAction
from tests.builders import barrier, cell, make
import pytest


def test_new_game_and_end_turn_cycles_factions():
    s = make(units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6)], turns=2)
    st = engine.new_game(s, 3)
    assert st.active_faction == "red" and st.turn == 1
    engine.apply(st, EndTurn())
    assert st.active_faction == "blue"
    engine.apply(st, EndTurn())
    assert st.turn == 2 and st.active_faction == "red"
    engine.apply(st, EndTurn()); engine.apply(st, EndTurn())
    assert st.terminal and st.winner in ("red", "blue", "draw")
    with pytest.raises(IllegalAction):
        engine.apply(st, EndTurn())


def test_move_costs_terrain_and_roads():
    rows = ["..........", "rrrrrrrrrr", "..........", "..........", "..........", "..........", "..........", ".........."]
    s = make(rows=rows, units=[("r1", "inf", "red", 0, 1), ("b1", "inf", "blue", 9, 7)],
             roads=[[(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 1)]])
    st = engine.new_game(s, 1)
    u = st.units["r1"]
    reach = engine.move_targets(st, u)
    # road along rough: 0.5 per hex -> 8 hexes with 4 MP
    assert cell(s, 8, 1) in reach.cost and reach.cost[cell(s, 8, 1)] == pytest.approx(4.0)
    path = reach.path_to(cell(s, 8, 1))
    engine.apply(st, Move("r1", path))
    assert st.units["r1"].cell == cell(s, 8, 1) and st.units["r1"].mp == pytest.approx(0)
    assert int(st.control[cell(s, 4, 1)]) == 0   # moving through takes control


def test_impassable_and_first_hex_rule():
    rows = [".~........", "..........", "..........", "..........", "..........", "..........", "..........", ".........."]
    s = make(rows=rows, units=[("r1", "inf", "red", 0, 0), ("b1", "inf", "blue", 9, 7)])
    st = engine.new_game(s, 1)
    reach = engine.move_targets(st, st.units["r1"])
    assert cell(s, 1, 0) not in reach.cost


def test_zoc_stops_movement_and_blocks_entry():
    s = make(units=[("r1", "inf", "red", 1, 3), ("b1", "inf", "blue", 3, 3)])
    st = engine.new_game(s, 1)
    reach = engine.move_targets(st, st.units["r1"])
    zoc_cell = cell(s, 2, 3)
    assert zoc_cell in reach.cost
    assert cell(s, 3, 3) not in reach.cost          # enemy-occupied
    # nothing beyond the ZOC cell is reached *through* it
    for c in reach.cost:
        p = reach.path_to(c)
        assert zoc_cell not in p[:-1]
    with pytest.raises(IllegalAction):
        engine.apply(st, Move("r1", (zoc_cell, cell(s, 2, 2))))


def test_river_costs_and_bridge():
    # river between column 4 and 5 on row 3 (and other rows), bridge on row 3
    edges = barrier(10, 8, 4)
    s = make(units=[("r1", "inf", "red", 4, 3), ("e1", "eng", "red", 4, 5), ("b1", "inf", "blue", 9, 0)],
             rivers=[(edges, [(4, 3, 5, 3)])])
    st = engine.new_game(s, 1)
    r = engine.move_targets(st, st.units["r1"])
    assert r.cost[cell(s, 5, 3)] == pytest.approx(1.0)          # bridge
    e = engine.move_targets(st, st.units["e1"])
    assert e.cost[cell(s, 5, 5)] == pytest.approx(2.0)          # engineers +1
    st.units["r1"].cell = cell(s, 4, 1)
    r = engine.move_targets(st, st.units["r1"])
    assert r.cost[cell(s, 5, 1)] == pytest.approx(4.0)          # +3 without bridge


def test_stacking_limit():
    s = make(units=[("r1", "inf", "red", 1, 1), ("r2", "inf", "red", 2, 1), ("r3", "inf", "red", 2, 1),
                    ("b1", "inf", "blue", 9, 7)])
    st = engine.new_game(s, 1)
    reach = engine.move_targets(st, st.units["r1"])
    assert cell(s, 2, 1) not in reach.cost


def test_deconflicted_cannot_attack_or_enter():
    s = make(factions=("red", "blue", "green"), relations=[("red", "blue", "deconflicted"), ("red", "green", "war")],
             units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 2, 1), ("g1", "inf", "green", 9, 7)])
    st = engine.new_game(s, 1)
    assert cell(s, 2, 1) not in engine.move_targets(st, st.units["r1"]).cost
    assert engine.attack_targets(st, st.units["r1"]) == []
    with pytest.raises(IllegalAction):
        engine.apply(st, Attack(("r1",), cell(s, 2, 1)))


def test_attack_resolves_with_seeded_die_and_predict_sums_to_one():
    s = make(units=[("r1", "arm", "red", 1, 1), ("r2", "arm", "red", 2, 2), ("b1", "inf", "blue", 2, 1, 2)])
    st = engine.new_game(s, 5)
    atk = Attack(("r1", "r2"), cell(s, 2, 1))
    pred = engine.predict(st, atk)
    assert abs(sum(pred.outcomes.values()) - 1) < 1e-9
    assert pred.odds.label == "6:1"           # 16 vs 2
    st2 = st.clone()
    ev1 = engine.apply(st, atk)
    ev2 = engine.apply(st2, atk)
    assert ev1[0].data["die"] == ev2[0].data["die"]
    assert st.state_hash() == st2.state_hash()
    assert st.units["r1"].attacked and st.units["r1"].mp == 0


def test_combat_results_step_losses_and_advance():
    s = make(units=[("r1", "arm", "red", 1, 1), ("r2", "arm", "red", 2, 2), ("b1", "inf", "blue", 2, 1, 1)])
    # at 6:1 every result is DLR or DE: the 1-step defender dies, the attacker advances
    st = engine.new_game(s, 5)
    engine.apply(st, Attack(("r1", "r2"), cell(s, 2, 1)))
    assert "b1" not in st.units
    assert st.units["r1"].cell == cell(s, 2, 1) or st.units["r2"].cell == cell(s, 2, 1)
    assert int(st.control[cell(s, 2, 1)]) == 0


def test_terrain_and_river_modify_odds():
    rows = ["..........", "..u.......", "..........", "..........", "..........", "..........", "..........", ".........."]
    s = make(rows=rows, units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 2, 1)],
             rivers=[([(1, 1, 2, 1)], [])])
    st = engine.new_game(s, 1)
    p = engine.predict(st, Attack(("r1",), cell(s, 2, 1)))
    assert p.odds.defence == pytest.approx(4 * 2.0 * 1.5)
    assert p.odds.label == "1:3"


def test_supply_and_attrition():
    s = make(units=[("r1", "inf", "red", 1, 1), ("r2", "inf", "red", 8, 6), ("b1", "inf", "blue", 5, 0)],
             sources=[("red", 0, 0)], rules=None)
    from game.scenario.model import Rules
    s.rules = Rules(supply_range=4, attrition_chance=1.0)
    s.initial_control[cell(s, 0, 0)] = 0
    st = engine.new_game(s, 1)
    assert st.units["r1"].in_supply and not st.units["r2"].in_supply
    assert st.units["r2"].mp == pytest.approx(2.0)                  # halved
    for _ in range(4):
        engine.apply(st, EndTurn())
    assert st.units["r2"].steps < 4                                  # attrition after 2 turns out


def test_vp_scoring_each_turn_and_end():
    s = make(units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6)], turns=2,
             objectives=[("Town", 1, 1, 2, 5)])
    st = engine.new_game(s, 1)
    for _ in range(4):
        engine.apply(st, EndTurn())
    assert st.terminal
    assert st.vp[0] == pytest.approx(2 + 2 + 5)
    assert st.winner == "red"
    assert len(st.vp_history) == 2


def test_same_seed_same_hash_different_seed_different():
    from game.ai.random_agent import RandomAgent
    from game.ai.base import play_turn
    s = make(units=[("r1", "arm", "red", 1, 1), ("r2", "inf", "red", 1, 3), ("b1", "inf", "blue", 4, 2),
                    ("b2", "inf", "blue", 5, 3)], turns=4)

    def run(seed):
        st = engine.new_game(s, seed)
        agents = {"red": RandomAgent(seed), "blue": RandomAgent(seed + 1)}
        while not st.terminal:
            play_turn(agents[st.active_faction], st)
        return st.state_hash()
    assert run(7) == run(7)
    assert run(7) != run(8)


def test_hidden_units_stop_movement_on_contact():
    s = make(units=[("r1", "arm", "red", 0, 3), ("b1", "inf", "blue", 4, 3)], hidden=("blue",))
    st = engine.new_game(s, 1)
    reach = engine.move_targets(st, st.units["r1"])
    # red cannot see b1, so a path through b1's hex's neighbourhood is offered
    target = cell(s, 6, 3)
    assert target in reach.cost
    path = reach.path_to(target)
    ev = engine.apply(st, Move("r1", path))
    u = st.units["r1"]
    assert u.cell != target and u.mp == 0
    assert ev[0].data["stopped"] and "b1" in ev[0].data["revealed"]


def test_reinforcements_and_events():
    from game.scenario.model import Event, Effect, Reinforcement, Trigger, UnitSpec
    s = make(units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6)], turns=4)
    spec = UnitSpec("r9", "Fresh", "inf", "red", cell(s, 0, 0))
    s.reinforcements = [Reinforcement(2, (spec,), "help arrives")]
    s.events = [Event("cap", Trigger("captured", cell=cell(s, 2, 1), by="red"),
                      (Effect("message", {"text": "Taken!"}), Effect("relation", {"a": "red", "b": "blue", "status": "deconflicted"})))]
    st = engine.new_game(s, 1)
    assert "r9" not in st.units
    ev = engine.apply(st, Move("r1", (cell(s, 2, 1),)))
    assert any(e.kind == "message" and e.text == "Taken!" for e in ev)
    assert st.relation("red", "blue") == "deconflicted"
    engine.apply(st, EndTurn()); engine.apply(st, EndTurn())
    assert "r9" in st.units


def test_legal_actions_are_all_applicable():
    s = make(units=[("r1", "arm", "red", 2, 1), ("r2", "inf", "red", 2, 2), ("a1", "art", "red", 0, 2),
                    ("b1", "inf", "blue", 3, 2), ("b2", "inf", "blue", 5, 3)])
    st = engine.new_game(s, 2)
    acts = engine.legal_actions(st)
    assert any(isinstance(a, Attack) and len(a.attackers) > 1 for a in acts)
    for a in acts:
        engine.apply(st.clone(), a)


def test_deconflicted_factions_do_not_capture_each_others_ground():
    s = make(factions=("red", "blue", "green"), relations=[("red", "blue", "deconflicted"), ("red", "green", "war"),
                                                           ("blue", "green", "war")],
             units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 6, 6), ("g1", "inf", "green", 9, 0)])
    blue_hex, green_hex, free_hex = cell(s, 2, 1), cell(s, 1, 2), cell(s, 0, 1)
    s.initial_control[blue_hex] = 1
    s.initial_control[green_hex] = 2
    st = engine.new_game(s, 1)
    engine.apply(st, Move("r1", (blue_hex,)))
    assert int(st.control[blue_hex]) == 1           # walked over, still blue's
    engine.apply(st, EndTurn()); engine.apply(st, EndTurn()); engine.apply(st, EndTurn())
    assert int(st.control[blue_hex]) == 1           # standing there does not take it either
    engine.apply(st, Move("r1", (cell(s, 1, 1), green_hex)))
    assert int(st.control[green_hex]) == 0          # an enemy's hex is taken
    assert int(st.control[cell(s, 1, 1)]) == 0


def test_advance_after_combat_does_not_take_a_deconflicted_factions_ground():
    s = make(factions=("blue", "red", "green"),
             relations=[("red", "blue", "war"), ("red", "green", "allied"), ("blue", "green", "deconflicted")],
             units=[("b1", "arm", "blue", 1, 1), ("b2", "arm", "blue", 2, 2), ("r1", "inf", "red", 2, 1, 1),
                    ("g1", "inf", "green", 9, 7)])
    target = cell(s, 2, 1)
    s.initial_control[target] = 2                      # green's ground, red standing on it
    st = engine.new_game(s, 0)
    engine.apply(st, Attack(("b1", "b2"), target))
    assert "r1" not in st.units
    assert any(u.cell == target for u in st.units.values())   # blue advanced ...
    assert int(st.control[target]) == 2                        # ... but green keeps its ground


def test_repeatable_capture_event_and_control_radius():
    from game.scenario.model import Event, Effect, Rules, Trigger
    s = make(units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6)], turns=6)
    town = cell(s, 2, 1)
    s.events = [Event("again", Trigger("captured", cell=town, by="red"), (Effect("vp", {"faction": "red", "amount": 1}),),
                      once=False)]
    st = engine.new_game(s, 1)
    engine.apply(st, Move("r1", (town,)))
    assert st.vp[0] == 1
    st.control[town] = 1                                # blue takes it back (by fiat)
    st.units["r1"].mp = 4
    engine.apply(st, Move("r1", (cell(s, 1, 1),)))
    engine.apply(st, Move("r1", (town,)))
    assert st.vp[0] == 2                                # fired again
    s2 = make(units=[("r1", "inf", "red", 4, 4), ("b1", "inf", "blue", 9, 0)], rules=Rules(control_radius=2))
    st2 = engine.new_game(s2, 1)
    engine.apply(st2, EndTurn())
    assert int(st2.control[cell(s2, 4, 2)]) == 0 and int(st2.control[cell(s2, 6, 4)]) == 0
    assert int(st2.control[cell(s2, 4, 1)]) == -1      # three hexes away: not claimed

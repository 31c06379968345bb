"""The agents on tiny scenarios: sensible choices, never an illegal action, any faction."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from game import engine
from game.actions import Attack, EndTurn, Move
from game.ai.base import play_turn
from game.ai.guard import is_legal
from game.ai.hard import HardAgent
from game.ai.normal import NormalAgent
from game.ai.random_agent import RandomAgent
from game.ai.registry import agent_names, make_agent
from game.errors import DeconflictionError
from game.rules import supply
from game.scenario.model import Rules
from tests.builders import barrier, cell, make


def _turn_actions(agent, state) -> list:
    """Play the active faction's turn with ``agent``; every action must be legal when chosen."""
    out = []
    fid, turn = state.active_faction, state.turn
    for _ in range(500):
        if state.terminal or state.active_faction != fid or state.turn != turn:
            break
        a = agent.choose(state)
        assert is_legal(state, a, strict=True), a
        engine.apply(state, a)
        out.append(a)
        if isinstance(a, EndTurn):
            break
    return out


def test_registry_names_and_errors():
    assert {"random", "normal", "hard"} <= set(agent_names())
    assert isinstance(make_agent("normal", 3), NormalAgent)
    assert isinstance(make_agent("hard", 3), HardAgent)
    with pytest.raises(DeconflictionError, match="unknown agent"):
        make_agent("grandmaster")


def test_normal_prefers_good_odds_attack_over_bad_one():
    rows = ["........", "........", "...u....", "........", "........", "........"]
    s = make(width=8, height=6, rows=rows,
             units=[("r1", "arm", "red", 3, 3), ("b_weak", "inf", "blue", 4, 3, 1),
                    ("b_strong", "inf", "blue", 3, 2)])
    st_ = engine.new_game(s, 1)
    weak, strong = cell(s, 4, 3), cell(s, 3, 2)
    assert strong in engine.attack_targets(st_, st_.units["r1"])      # both are attackable
    acts = _turn_actions(NormalAgent(0), st_)
    attacks = [a for a in acts if isinstance(a, Attack)]
    assert attacks and attacks[0].target == weak
    assert all(a.target != strong for a in attacks)                  # 1:1 into a city: not worth it


def test_normal_takes_undefended_objective():
    s = make(width=10, height=8, units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 9, 7)],
             objectives=[("Town", 4, 1, 2, 5)], goals={"red": 10, "blue": 10})
    st_ = engine.new_game(s, 1)
    obj = cell(s, 4, 1)
    assert int(st_.control[obj]) != 0
    _turn_actions(NormalAgent(0), st_)
    assert int(st_.control[obj]) == 0 and st_.units["r1"].cell == obj


def test_normal_keeps_guard_on_threatened_objective():
    s = make(width=10, height=8, units=[("r1", "inf", "red", 4, 3), ("b1", "inf", "blue", 6, 3)],
             objectives=[("Town", 4, 3, 2, 5), ("Far", 0, 7, 1, 1)], goals={"red": 10, "blue": 10})
    st_ = engine.new_game(s, 1)
    _turn_actions(NormalAgent(0), st_)
    assert st_.units["r1"].cell == cell(s, 4, 3)


def test_normal_retreats_damaged_unit_out_of_supply():
    s = make(width=12, height=8,
             units=[("r1", "inf", "red", 7, 4, 1), ("r2", "inf", "red", 1, 1),
                    ("b1", "arm", "blue", 8, 4), ("b2", "inf", "blue", 11, 7)],
             sources=[("red", 0, 0)], rules=Rules(supply_range=5))
    s.initial_control[cell(s, 0, 0)] = 0
    st_ = engine.new_game(s, 1)
    u = st_.units["r1"]
    assert not u.in_supply
    src = cell(s, 0, 0)
    before = s.grid.distance(u.cell, src)
    sm_before = supply.supply_map(st_, "red")
    _turn_actions(NormalAgent(0), st_)
    u = st_.units["r1"]
    assert not u.attacked                                            # no 1-step attack on tanks
    assert s.grid.distance(u.cell, src) < before                     # back towards supply
    assert s.grid.distance(u.cell, st_.units["b1"].cell) > 1         # and out of contact
    del sm_before


def test_normal_combines_attackers_for_better_odds():
    s = make(width=10, height=8,
             units=[("r1", "inf", "red", 2, 3), ("r2", "inf", "red", 2, 5), ("r3", "inf", "red", 1, 4),
                    ("b1", "inf", "blue", 4, 4, 2)],
             objectives=[("Town", 4, 4, 3, 5)], goals={"red": 20, "blue": 20})
    st_ = engine.new_game(s, 2)
    acts = _turn_actions(NormalAgent(0), st_)
    attacks = [a for a in acts if isinstance(a, Attack)]
    assert attacks and len(attacks[0].attackers) >= 2
    assert any(isinstance(a, Move) for a in acts[:acts.index(attacks[0])])   # set-up moves first


def _random_tiny(seed: int):
    rnd = random.Random(seed)
    w, h = 9, 7
    rows = ["".join(rnd.choice("....r~u") if 0 < c < w - 1 else "." for c in range(w)) for _ in range(h)]
    taken = set()
    units = []
    for i, (fac, col) in enumerate([("red", 0), ("red", 1), ("blue", 7), ("blue", 8), ("green", 4), ("green", 5)]):
        r = rnd.randrange(h)
        while (col, r) in taken:
            r = (r + 1) % h
        taken.add((col, r))
        rows[r] = rows[r][:col] + "." + rows[r][col + 1:]
        units.append((f"{fac}{i}", rnd.choice(["inf", "arm", "art", "eng"]), fac, col, r))
    objectives = [(f"O{k}", rnd.randrange(2, 7), rnd.randrange(h), 1, 2) for k in range(3)]
    for _, c, r, _, _ in objectives:
        rows[r] = rows[r][:c] + "." + rows[r][c + 1:]
    s = make(width=w, height=h, rows=rows, units=units, factions=("red", "blue", "green"),
             relations=[("red", "green", "war"), ("blue", "green", "war"), ("red", "blue", "deconflicted")],
             rivers=[(barrier(w, h, 3), [])], hidden=("green",), turns=4, objectives=objectives,
             sources=[("red", 0, 0), ("blue", 8, 0)], goals={"red": 10, "blue": 10, "green": 10},
             rules=Rules(supply_range=6))
    return s


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_normal_never_illegal_in_random_tiny_games(seed):
    s = _random_tiny(seed)
    state = engine.new_game(s, seed)
    agents = {f.id: NormalAgent(seed + i) for i, f in enumerate(s.factions)}
    agents["green"] = NormalAgent(seed, fog=True)
    n = 0
    while not state.terminal:
        _turn_actions(agents[state.active_faction], state)
        n += 1
        assert n < 100
    assert all(a.stats["fallbacks"] == 0 for a in agents.values())


@pytest.mark.parametrize("seat", ["red", "blue", "green"])
def test_normal_beats_random_in_any_seat_of_a_tiny_scenario(seat):
    """A smoke test of strength on a scenario the agent was not written for."""
    better = 0
    for seed in range(3):
        s = _random_tiny(100 + seed)
        score = {}
        for who in ("normal", "random"):
            state = engine.new_game(s, seed)
            agents = {f.id: RandomAgent(seed * 10 + i) for i, f in enumerate(s.factions)}
            if who == "normal":
                agents[seat] = NormalAgent(seed)
            while not state.terminal:
                play_turn(agents[state.active_faction], state)
            score[who] = state.vp[state.faction_index(seat)]
        better += score["normal"] >= score["random"]
    assert better >= 2


def test_hard_is_legal_deterministic_and_respects_a_zero_budget():
    s = _random_tiny(7)

    def run(seed: int, budget: float) -> tuple[list, HardAgent]:
        state = engine.new_game(s, 5)
        hard = HardAgent(seed, budget=budget)
        others = {f.id: NormalAgent(i) for i, f in enumerate(s.factions)}
        taken = []
        while not state.terminal and state.turn <= 2:
            fid = state.active_faction
            if fid == "red":
                taken += _turn_actions(hard, state)
            else:
                _turn_actions(others[fid], state)
        return taken, hard

    a, h1 = run(3, 60.0)
    b, _ = run(3, 60.0)
    assert a == b and h1.stats["searches"] >= 1 and h1.stats["fallbacks"] == 0
    assert h1.stats["capped"] == 0
    _, h0 = run(3, 0.0)                       # no time at all: still legal, search cut short
    assert h0.stats["capped"] >= 1 and h0.stats["fallbacks"] == 0


def test_agents_do_not_peek_through_fog():
    """An unseen enemy is not attacked and does not change the normal agent's first move."""
    s = make(width=10, height=6, units=[("r1", "arm", "red", 1, 2), ("b1", "inf", "blue", 6, 2, 1)],
             hidden=("blue",), objectives=[("Town", 8, 2, 2, 5)], goals={"red": 10, "blue": 10})
    st_ = engine.new_game(s, 1)
    seen = NormalAgent(0).choose(st_)
    s2 = make(width=10, height=6, units=[("r1", "arm", "red", 1, 2), ("b1", "inf", "blue", 9, 5, 1)],
              hidden=("blue",), objectives=[("Town", 8, 2, 2, 5)], goals={"red": 10, "blue": 10})
    st2 = engine.new_game(s2, 1)
    assert NormalAgent(0).choose(st2) == seen


def test_search_dice_are_keyed_on_the_fight_mirrored_and_never_the_games_own():
    from game.ai.hard import KeyedDice
    # common random numbers: a fight sees the same die in every plan, whatever was rolled before
    d, e = KeyedDice(0, salt=5), KeyedDice(0, salt=5)
    d.key = (3, 0, "attack", 17)
    d.randint(1, 6)
    d.randint(1, 6)
    d.key = e.key = (3, 0, "attack", 42)
    assert [d.randint(1, 6) for _ in range(4)] == [e.randint(1, 6) for _ in range(4)]
    # antithetic: the mirror sample sees 7 - die and 1 - q under the same key
    m, d = KeyedDice(1, salt=5), KeyedDice(0, salt=5)
    m.key = d.key = (4, 1, "air", 9)
    assert all(a + b == 7 for a, b in zip([d.randint(1, 6) for _ in range(20)], [m.randint(1, 6) for _ in range(20)]))
    qs, qm = [d.random() for _ in range(20)], [m.random() for _ in range(20)]
    assert all(0 < q < 1 and abs(q + r - 1) < 1e-12 for q, r in zip(qs, qm))
    # another pair of samples (or another search's salt) is another world, and dice are fair
    faces = []
    for k in range(600):
        x = KeyedDice(2, salt=5)
        x.key = (1, 0, "attack", k)
        faces.append(x.randint(1, 6))
    assert all(60 <= faces.count(f) <= 140 for f in range(1, 7))
    other = KeyedDice(0, salt=6)
    other.key = (3, 0, "attack", 42)
    first = KeyedDice(0, salt=5)
    first.key = other.key
    assert [other.randint(1, 6) for _ in range(12)] != [first.randint(1, 6) for _ in range(12)]
    # the hard agent's search must not consume or depend on the real game's dice
    s = _random_tiny(3)
    state = engine.new_game(s, 9)
    before = state.rng.getstate()
    HardAgent(1).choose(state)
    assert state.rng.getstate() == before


def test_search_rollouts_play_the_rounds_asked():
    """The hard agent judges a plan after several scoring rounds, not at the next turn."""
    from game.ai.hard import rollout
    for rounds in (1, 3):
        s = _random_tiny(4)
        state = engine.new_game(s, 2)
        fid, start = state.active_faction, state.turn
        sim = state.clone()
        me = NormalAgent(seed=1, fog=False, guard=False)
        rollout(sim, fid, me, seed=0, rounds=rounds)
        assert sim.terminal or (sim.turn == start + rounds and sim.active_faction == fid)
        assert state.turn == start                      # the real game is untouched


def test_hard_judges_plans_by_its_own_points_only():
    """With deny_weight 0 an objective only an enemy can score is worth nothing to the judge,
    while the normal policy's values still count points kept from that enemy."""
    from pathlib import Path
    from game.ai.evaluate import objective_values
    from game.scenario.loader import load_scenario
    scn = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "deir_ez_zor_2017.yaml")
    state = engine.new_game(scn, 1)
    i = next(k for k, o in enumerate(scn.objectives) if o.factions and "sdf" not in o.factions
             and "isil" in o.factions)
    assert objective_values(state, "sdf")[i] > 0
    assert objective_values(state, "sdf", deny_weight=0.0)[i] == 0
    assert HardAgent().judge["deny_weight"] == 0.0


def test_hard_remembers_enemies_that_slipped_out_of_sight():
    """The search keeps hidden enemies it saw recently where it saw them (it does not plan
    against an empty desert), and forgets them once it sees their hex empty."""
    from game.rules import visibility
    s = make(width=14, height=8, units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 2, 1)],
             hidden=("blue",))
    st_ = engine.new_game(s, 1)
    agent = HardAgent(seed=0)
    root = agent._remembered(visibility.observation(st_, "red"), "red")
    assert "b1" in root.units                                   # in sight: seen and recorded
    st_.units["r1"].cell = cell(s, 1, 7)                        # red looks elsewhere
    obs = visibility.observation(st_, "red")
    assert "b1" not in obs.units
    root = agent._remembered(obs, "red")
    assert root.units["b1"].cell == cell(s, 2, 1)               # remembered where it was seen
    st_.units["r1"].cell = cell(s, 1, 1)                        # back next to that hex...
    st_.units["b1"].cell = cell(s, 12, 6)                       # ...which is now empty
    root = agent._remembered(visibility.observation(st_, "red"), "red")
    assert "b1" not in root.units and "b1" not in agent.seen
    assert HardAgent(seed=0, memory=0, briefed=False)._remembered(obs, "red").units.keys() == obs.units.keys()


def test_briefed_hard_assumes_unseen_enemies_where_the_order_of_battle_puts_them():
    """A hidden enemy the search has never seen is simulated at its scenario start position
    (not an empty map), until its hex is seen empty or an enemy of it holds that hex."""
    from game.rules import visibility
    s = make(width=14, height=8, units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 10, 5),
                                        ("b2", "inf", "blue", 12, 1)], hidden=("blue",))
    st_ = engine.new_game(s, 1)
    obs = visibility.observation(st_, "red")
    assert "b1" not in obs.units and "b2" not in obs.units          # hidden and far off
    assert "b1" not in HardAgent(seed=0, briefed=False)._remembered(obs, "red").units
    agent = HardAgent(seed=0)
    root = agent._remembered(visibility.observation(st_, "red"), "red")
    assert root.units["b1"].cell == cell(s, 10, 5) and root.units["b2"].cell == cell(s, 12, 1)
    st_.units["b1"].cell = cell(s, 10, 7)                           # b1 walks off...
    st_.units["r1"].cell = cell(s, 10, 4)                           # ...and red looks where it was
    st_.control[cell(s, 12, 1)] = 0                                 # red holds b2's start hex
    root = agent._remembered(visibility.observation(st_, "red"), "red")
    assert "b1" not in root.units and "b2" not in root.units
    assert not agent.briefing


def _race_map(blue_col: int, blue_row: int = 4, red: tuple[int, int] = (7, 2),
              greens: tuple[tuple[int, int], ...] = ((15, 5),), blues: tuple[tuple[int, int], ...] = ()):
    """Red (by default between two equal oil fields it scores); blue (deconflicted with red, so
    what it takes red can never take back) at ``blue_col, blue_row``; green units at ``greens``."""
    import dataclasses
    s = make(width=16, height=6, factions=("red", "blue", "green"),
             relations=[("red", "green", "war"), ("blue", "green", "war"), ("red", "blue", "deconflicted")],
             units=[("r1", "inf", "red", *red), ("b1", "inf", "blue", blue_col, blue_row)]
             + [(f"b{k + 2}", "inf", "blue", *b) for k, b in enumerate(blues)]
             + [(f"g{k + 1}", "inf", "green", *g) for k, g in enumerate(greens)],
             objectives=[("West oil", 3, 2, 2, 5), ("East oil", 11, 2, 2, 6), ("Blue town", 7, 5, 3, 5)],
             goals={"red": 50, "blue": 50, "green": 50})
    objs = (dataclasses.replace(s.objectives[0], factions=("red", "blue")),
            dataclasses.replace(s.objectives[1], factions=("red", "blue")),
            dataclasses.replace(s.objectives[2], factions=("blue", "green")))
    return dataclasses.replace(s, objectives=objs)


def test_lock_urgency_marks_races_a_rival_could_win_for_good():
    from game.ai.evaluate import situation
    from game.ai.normal import lock_urgency, own_objectives
    s = _race_map(blue_col=2)
    st_ = engine.new_game(s, 1)
    sit = situation(st_, "red")
    m = lock_urgency(st_, sit, 1.5)
    assert m[0] == pytest.approx(2.5)        # blue is next to the west field: race it
    assert 1.0 <= m[1] < m[0]                # the east field: blue is farther behind red
    assert m[2] == 1.0                       # red does not score the town: no race
    assert list(own_objectives(s, "red")) == [1.0, 1.0, 0.0]
    st_far = engine.new_game(s, 1)
    st_far.relations[("blue", "red")] = "war"      # at war, red could take it back: no urgency
    assert list(lock_urgency(st_far, situation(st_far, "red"), 1.5)) == [1.0, 1.0, 1.0]


def test_a_weaker_side_does_not_race_a_rival_where_its_troops_already_fight():
    """Racing a stronger rival to an objective its troops already fight for puts both at the
    same enemy, where an incident can start a war the weaker side would lose."""
    from game.ai.evaluate import situation, static_data
    from game.ai.normal import lock_urgency
    even = engine.new_game(_race_map(blue_col=2), 1)
    s = _race_map(blue_col=2, blues=((0, 5),))               # blue's second unit, far from both fields
    st_ = engine.new_game(s, 1)
    assert static_data(s).total_attack["blue"] > static_data(s).total_attack["red"]
    m_even = lock_urgency(even, situation(even, "red"), 1.5)
    m = lock_urgency(st_, situation(st_, "red"), 1.5)
    assert m_even[0] == pytest.approx(2.5)                    # as strong: race blue to the west field
    assert m[0] == 1.0                                        # weaker: b1 is in contact there, no race
    assert m[1] == pytest.approx(m_even[1]) and m[1] > 1.0    # the east field is still raced


def test_search_races_only_for_objectives_the_faction_scores():
    """Red could reach blue's town as soon as blue: but red does not score it, and if blue wins
    that race green is kept from the town all the same, so the search runs no race for it."""
    from game.ai.hard import contested
    s = _race_map(blue_col=2)
    st_ = engine.new_game(s, 1)
    assert sorted(contested(st_, "red")) == [0, 1]
    assert 2 in contested(st_, "blue")


def test_lock_makes_normal_race_the_rival_first():
    """Plain normal heads for the slightly richer east field; with ``lock`` it goes west, where
    the rival would otherwise take the field for good."""
    from game.ai.normal import Params
    s = _race_map(blue_col=2)
    moves = {}
    for name, params in (("plain", Params()), ("lock", Params(lock=1.5))):
        st_ = engine.new_game(s, 1)
        _turn_actions(NormalAgent(0, params=params), st_)
        moves[name] = st_.units["r1"].cell
    from game.ai.evaluate import static_data
    sd = static_data(s)
    assert sd.obj_dist[1, moves["plain"]] < sd.obj_dist[0, moves["plain"]]    # went east
    assert sd.obj_dist[0, moves["lock"]] < sd.obj_dist[1, moves["lock"]]      # went west


def _race_attack_map(blue_col: int, blue_row: int):
    """Red next to a green unit on the west oil field, which red and blue both score."""
    return _race_map(blue_col, blue_row, red=(4, 2), greens=((3, 2), (12, 2)))


def test_mass_refuses_a_weak_attack_that_softens_a_race_objective_for_the_rival():
    """A lone 1:1 attack on the field leaves green there most of the time, for blue (next to it)
    to finish and keep for good; with ``mass`` red does not make it.  With blue far away there
    is no race and the same attack is scored as before."""
    from game.ai.normal import Params

    def attacks(blue: tuple[int, int], params: Params) -> list[float]:
        st_ = engine.new_game(_race_attack_map(*blue), 1)
        return [c.score for c in NormalAgent(0, params=params).candidates(st_) if isinstance(c.action, Attack)]

    near, far = (2, 4), (15, 5)
    assert len(attacks(near, Params(lock=1.5))) == 1
    assert attacks(near, Params(lock=1.5, mass=1.0)) == []
    assert attacks(far, Params(lock=1.5, mass=1.0)) == pytest.approx(attacks(far, Params(lock=1.5)))
    assert len(attacks(far, Params(lock=1.5))) == 1


def _scripted_search(monkeypatch, worth: dict[str, float]):
    """A small game whose rollouts are replaced by ``worth[label]`` for the base, bold and
    careful plans, so a test can script what the search finds."""
    from game.ai import hard
    s = make(width=10, height=8, units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6)],
             objectives=[("Town", 4, 1, 2, 5)], goals={"red": 10, "blue": 10})

    def fake_rollout(sim, fid, me, seed, **kw):
        label = "careful" if me.params.caution > 1.0 else "bold" if me.params.aggression > 1.0 else "base"
        return worth[label], hard.Lessons()

    monkeypatch.setattr(hard, "rollout", fake_rollout)
    return engine.new_game(s, 1)


def test_hard_keeps_its_plan_unless_a_new_one_clearly_gains(monkeypatch):
    """Plans switched nearly every turn on tiny look-ahead gains; now last turn's plan is weighed
    again and a new plan must beat it by SWITCH_MARGIN."""
    from game.ai import hard
    worth: dict[str, float] = {}
    st_ = _scripted_search(monkeypatch, worth)
    agent = HardAgent(seed=0, kinds=("bold", "careful"), base_margin=0.0)   # the switch margin alone
    m = hard.SWITCH_MARGIN
    worth.update(base=1.0, careful=1.0 + 2 * m, bold=1.0)
    assert agent.search(st_, 10.0).label == "careful"
    worth.update(base=1.0, careful=1.0, bold=1.0 + m / 2)       # a small gain: stay on course
    assert agent.search(st_, 10.0).label == "keep careful"
    worth.update(base=1.0, careful=1.0, bold=1.0 + 2 * m)       # a clear gain: switch
    assert agent.search(st_, 10.0).label == "bold"
    worth.update(base=1.0 + 2 * m, careful=1.0, bold=1.0)       # back to the plain plan
    assert agent.search(st_, 10.0).label == "base"
    worth.update(base=1.0, careful=1.0 + m / 2, bold=1.0)       # from base, too small a gain
    assert agent.search(st_, 10.0).label == "base"


def test_hard_plays_the_base_plan_unless_another_beats_it_by_base_margin(monkeypatch):
    """Measured look-ahead gains of a few hundredths did not carry to the final score
    (ai_experiments.md, session 12): with ``base_margin`` a plan must beat the base plan by
    that much before the agent leaves it."""
    worth: dict[str, float] = {}
    st_ = _scripted_search(monkeypatch, worth)
    worth.update(base=1.0, careful=1.05, bold=1.0)
    assert HardAgent(seed=0, kinds=("bold", "careful"), base_margin=0.0).search(st_, 10.0).label == "careful"
    agent = HardAgent(seed=0, kinds=("bold", "careful"), base_margin=0.1)
    assert agent.search(st_, 10.0).label == "base"             # +0.05: not enough
    worth.update(base=1.0, careful=1.05, bold=1.15)
    assert agent.search(st_, 10.0).label == "bold"             # +0.15: clears the margin
    worth.update(base=1.0, careful=1.05, bold=1.05)
    assert agent.search(st_, 10.0).label == "base"             # last turn's plan is held to it too


def test_judge_keeps_what_a_strong_side_holds_and_discounts_an_outnumbered_sides_garrisons():
    """The search's judge values a held objective at the share its holder really banks
    (``KEEP_MODEL``, fitted on all-normal games): nearly all of it for a side that outnumbers its
    enemies, little for one its enemies outnumber many times over - where the older fixed
    factor said 0.9 for any garrison.  Nothing here names a faction: the same map, only the
    enemy's numbers change."""
    from game.ai.evaluate import KEEP_MODEL, evaluate, keep_features

    def state(reds: int, blues: int):
        s = make(width=16, height=6, turns=36, goals={"red": 40.0, "blue": 40.0},
                 units=[(f"r{k}", "inf", "red", 2, 2 + k) for k in range(reds)]
                 + [(f"b{k}", "inf", "blue", 15, k) for k in range(blues)],
                 objectives=[("Town", 2, 2, 1, 5)])
        st_ = engine.new_game(s, 1)
        assert st_.active_faction == "red" and st_.control[cell(s, 2, 2)] == 0
        return st_

    strong, weak = state(3, 1), state(1, 6)
    fitted = {k: evaluate(st_, "red") - evaluate(st_, "red", keep_model=None) for k, st_ in
              (("strong", strong), ("weak", weak))}
    assert fitted["strong"] > 0 > fitted["weak"]           # the fixed 0.9 was too low / too high
    guard_strong = KEEP_MODEL.keep(keep_features(True, 0.0, 0.0, 4.0, 30), 30.0, 5.0)
    guard_weak = KEEP_MODEL.keep(keep_features(True, 0.0, 0.0, 0.2, 30), 30.0, 5.0)
    assert guard_strong > 0.95 and guard_weak < 0.3
    # a garrison the enemy in reach outweighs keeps less than one no enemy can strike
    even = KEEP_MODEL.keep(keep_features(True, 0.0, 0.0, 1.5, 30), 30.0, 5.0)
    assert KEEP_MODEL.keep(keep_features(True, 3.0, 0.0, 1.5, 30), 30.0, 5.0) < even - 0.05


def test_a_hidden_faction_fears_attack_by_hidden_fear_times_less():
    """An enemy must find a hidden unit (next door) before it can attack it: with
    ``hidden_fear`` the danger a hidden faction's unit weighs is scaled, a visible one's not."""
    from game.ai.evaluate import situation
    from game.ai.normal import Params, _Ctx

    def danger(hidden: tuple[str, ...], fear: float):
        s = make(width=10, height=8, units=[("r1", "inf", "red", 2, 3), ("b1", "inf", "blue", 7, 3)],
                 hidden=hidden, goals={"red": 10, "blue": 10})
        st_ = engine.new_game(s, 1)
        agent = NormalAgent(seed=0, params=Params(hunt=0.0, hidden_fear=fear), fog=False)
        agent.mem.key = (st_.seed, st_.turn, st_.active)
        sit = situation(st_, "red", agent.params.step, agent.mem.sit_cache)
        ctx = _Ctx(agent, st_, sit)
        u = st_.units["r1"]
        cells, _, _, _, fixed, _ = ctx._terms(u, ctx.reach["r1"])
        return dict(zip(cells.tolist(), (-fixed).tolist()))

    plain, scaled, visible = danger((), 1.0), danger(("red",), 0.5), danger((), 0.5)
    assert visible == plain                                  # only a hidden faction's fear changes
    risky = [c for c, d in plain.items() if d > 0]
    assert risky and any(d == 0 for d in plain.values())     # some hexes in the enemy's reach, some not
    for c, d in plain.items():
        assert scaled[c] == pytest.approx(0.5 * d)

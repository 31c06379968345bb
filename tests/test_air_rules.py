"""Air power and deconfliction rules on tiny scenarios built in Python.

The map is 10x8 hexes of 5 km.  ``line_x`` draws a north-south line at x = 23.75 km, between
columns 4 and 5: red's wing (vks) owns the west, blue's wing (coal) the east.  ``black`` is a
hidden faction at war with both; red and blue are deconflicted.
"""
from __future__ import annotations

import dataclasses

import pytest

from game import engine
from game.actions import Attack, EndTurn, Move
from game.errors import IllegalAction
from game.invariants import vp_from_log
from game.rules import air, supply, visibility
from game.rules.airspace import tension as tension_rules
from game.rules.airspace.lines import zone_owner
from game.scenario.air_section import (AirSpec, IsrRequest, LineSpec, TensionSpec, Threshold,
                                       WingSpec, DEFAULT_COSTS)
from game.scenario.model import Effect, Event, Trigger
from tests.builders import cell, make

AirMission, IsrAnswer = air.AirMission, air.IsrAnswer
PAIR = ("coal", "vks")


def line_x(s, x_km: float = 23.75, y0: float = -5.0, y1: float = 45.0, lid: str = "ns", **kw) -> LineSpec:
    """A line heading south at x_km: its left (east) is coal, its right (west) vks."""
    g = s.grid
    pts = (g.km_to_latlon(x_km, y0), g.km_to_latlon(x_km, y1))
    return LineSpec(lid, pts, left="coal", right="vks", name=lid, **kw)


def scenario(units=(), lines=None, tension: TensionSpec | None = None, requests=(), events=(),
             wing_kw=None, sources=(), turns=6):
    s = make(units=list(units), factions=("red", "blue", "black"), hidden=("black",), turns=turns,
             relations=[("red", "blue", "deconflicted"), ("red", "black", "war"), ("blue", "black", "war")],
             events=list(events), sources=list(sources))
    wk = wing_kw or {}
    wings = (WingSpec("vks", "VKS", ("red",), sorties=wk.get("sorties", 4), **wk.get("vks", {})),
             WingSpec("coal", "Coalition", ("blue",), sorties=wk.get("sorties", 4), **wk.get("coal", {})))
    s.extra["air"] = AirSpec(wings, tuple(lines if lines is not None else [line_x(s)]),
                             tension or TensionSpec(pairs=(PAIR,), start=10, decay=2), tuple(requests))
    return s


def tens(st) -> float:
    return air.tension(st, "vks", "coal")


BASE_UNITS = [("r1", "inf", "red", 2, 3), ("b1", "inf", "blue", 7, 3), ("x1", "inf", "black", 7, 6)]


# --- zones -----------------------------------------------------------------------------------

def test_zones_follow_the_line_and_leave_uncovered_hexes_contested():
    s = scenario(BASE_UNITS, lines=[])
    s.extra["air"] = dataclasses.replace(s.extra["air"], lines=(line_x(s, y1=15.0),))
    st = engine.new_game(s, 1)
    for row in range(4):
        assert all(zone_owner(st, cell(s, c, row)) == "vks" for c in range(5))
        assert all(zone_owner(st, cell(s, c, row)) == "coal" for c in range(5, 10))
    # the line ends at y = 15 km: rows 4+ lie beyond its end
    assert all(zone_owner(st, cell(s, c, r)) is None for c in range(10) for r in range(4, 8))


def test_line_in_force_from_a_date_and_changed_by_events():
    s = scenario(BASE_UNITS, lines=[])
    g = s.grid
    later = line_x(s, lid="late", from_turn=2)
    moved = (g.km_to_latlon(13.75, -5.0), g.km_to_latlon(13.75, 45.0))
    events = [Event("suspend", Trigger("turn", turn=3), (Effect("lines", {"line": "late", "action": "suspend"}),)),
              Event("restore", Trigger("turn", turn=4), (Effect("lines", {"line": "late", "action": "restore"}),
                                                         Effect("lines", {"line": "late", "action": "redraw",
                                                                          "points": moved}),))]
    s.events = events
    s.extra["air"] = dataclasses.replace(s.extra["air"], lines=(later,))
    st = engine.new_game(s, 1)
    probe = cell(s, 3, 2)
    assert zone_owner(st, probe) is None                       # turn 1: not yet in force
    for _ in range(3):
        engine.apply(st, EndTurn())
    assert st.turn == 2 and zone_owner(st, probe) == "vks"
    assert any(e.kind == "lines" and e.data.get("active") for e in st.log)
    for _ in range(3):
        engine.apply(st, EndTurn())
    assert st.turn == 3 and zone_owner(st, probe) is None     # suspended by event
    for _ in range(3):
        engine.apply(st, EndTurn())
    # restored and redrawn 10 km further west: column 3 is now east of the line
    assert st.turn == 4 and zone_owner(st, probe) == "coal" and zone_owner(st, cell(s, 1, 2)) == "vks"


def test_later_line_wins_where_lines_overlap():
    s = scenario(BASE_UNITS, lines=[])
    a = line_x(s, lid="a")
    b = dataclasses.replace(line_x(s, x_km=43.75, lid="b"), left="vks", right="coal")
    s.extra["air"] = dataclasses.replace(s.extra["air"], lines=(a, b))
    st = engine.new_game(s, 1)
    # b: heading south at x=43.75, left (east) vks, right (west) coal overrides a everywhere it reaches
    assert zone_owner(st, cell(s, 2, 2)) == "coal" and zone_owner(st, cell(s, 9, 2)) == "vks"


# --- missions and the hotline ----------------------------------------------------------------

def test_own_zone_mission_is_free():
    st = engine.new_game(scenario(BASE_UNITS), 1)
    s = st.scenario
    p = air.predict_air(st, AirMission("vks", "isr", cell(s, 2, 5)))
    assert p.legal and p.zone == "vks" and not p.hotline_needed and p.sortie_cost == 1 and p.tension_change == 0
    ev = engine.apply(st, AirMission("vks", "isr", cell(s, 2, 5)))
    assert air.sorties(st, "vks") == 3 and tens(st) == 10
    assert not any(e.kind in ("hotline", "tension") for e in ev)


def test_announced_mission_costs_a_sortie_and_reveals_the_area():
    st = engine.new_game(scenario(BASE_UNITS), 1)
    s = st.scenario
    tgt = cell(s, 8, 1)
    p = air.predict_air(st, AirMission("vks", "isr", tgt, announce=True))
    assert p.zone == "coal" and p.hotline_needed and p.sortie_cost == 2 and p.tension_change == 0
    assert tgt in p.exposes
    ev = engine.apply(st, AirMission("vks", "isr", tgt, announce=True))
    assert air.sorties(st, "vks") == 2 and tens(st) == 10
    assert any(e.kind == "hotline" for e in ev)
    assert tgt in st.air.revealed_cells("blue")               # the other side knows where we are
    assert tgt in st.air.revealed_cells("red")                # and the ISR itself reveals for us
    assert st.air.stats["announced"] == 1


def test_announced_mission_can_wait_a_turn_instead():
    st = engine.new_game(scenario(BASE_UNITS), 1)
    s = st.scenario
    tgt = cell(s, 8, 1)
    engine.apply(st, AirMission("vks", "isr", tgt, announce=True, wait=True))
    assert air.sorties(st, "vks") == 3                        # one sortie, no extra
    assert tgt not in st.air.revealed_cells("red")            # not flown yet
    assert tgt in st.air.revealed_cells("blue")
    for _ in range(3):
        engine.apply(st, EndTurn())
    assert st.turn == 2 and st.active_faction == "red"
    assert tgt in st.air.revealed_cells("red") and not st.air.queued


def test_unannounced_mission_raises_tension():
    st = engine.new_game(scenario(BASE_UNITS), 1)
    tgt = cell(st.scenario, 8, 1)
    p = air.predict_air(st, AirMission("vks", "isr", tgt, announce=False))
    assert p.legal and p.sortie_cost == 1 and p.tension_change == DEFAULT_COSTS["isr"]
    engine.apply(st, AirMission("vks", "isr", tgt, announce=False))
    assert tens(st) == 10 + DEFAULT_COSTS["isr"] and air.sorties(st, "vks") == 3
    assert st.air.stats["unannounced"] == 1 and st.air.culprit[PAIR] == "red"


def test_contested_airspace_needs_no_hotline():
    s = scenario(BASE_UNITS, lines=[])
    st = engine.new_game(s, 1)
    p = air.predict_air(st, AirMission("vks", "isr", cell(s, 8, 1), announce=False))
    assert p.zone is None and not p.hotline_needed and p.tension_change == 0 and p.sortie_cost == 1


def test_strike_hits_the_hex_on_the_crt():
    units = [("r1", "inf", "red", 2, 3), ("b1", "inf", "blue", 9, 0), ("x1", "inf", "black", 3, 3)]
    s = scenario(units, wing_kw={"vks": {"strike_attack": 40.0}})
    st = engine.new_game(s, 1)
    a = AirMission("vks", "strike", cell(s, 3, 3))
    p = air.predict_air(st, a)
    assert p.strike is not None and p.strike.odds.label == "6:1" and p.strike.p_defender_loss == pytest.approx(1.0)
    engine.apply(st, a)
    assert st.units["x1"].steps == 3 and st.units["r1"].cell == cell(s, 2, 3)    # no advance


def test_strike_needs_a_seen_enemy_and_sorties():
    units = [("r1", "inf", "red", 0, 0), ("b1", "inf", "blue", 9, 0), ("x1", "inf", "black", 3, 5)]
    st = engine.new_game(scenario(units, wing_kw={"sorties": 1}), 1)
    s = st.scenario
    with pytest.raises(IllegalAction, match="no enemy"):
        engine.apply(st, AirMission("vks", "strike", cell(s, 3, 5)))     # hidden ISIL, not seen
    engine.apply(st, AirMission("vks", "isr", cell(s, 3, 5)))
    with pytest.raises(IllegalAction, match="sortie"):
        engine.apply(st, AirMission("vks", "strike", cell(s, 3, 5)))
    with pytest.raises(IllegalAction, match="does not fly"):
        engine.apply(st, AirMission("coal", "isr", cell(s, 8, 5)))


def test_strike_near_other_sponsors_units_risks_an_incident():
    units = [("r1", "inf", "red", 2, 3), ("b1", "inf", "blue", 8, 3), ("x1", "inf", "black", 7, 3)]
    ts = TensionSpec(pairs=(PAIR,), start=10, incident_chance=1.0, incident_max=1.0, announced_factor=0.5)
    s = scenario(units, tension=ts)
    st = engine.new_game(s, 1)
    st.air.add_reveal(air.Reveal("red", frozenset({cell(s, 7, 3)}), "red", 1))
    a = AirMission("vks", "strike", cell(s, 7, 3), announce=False)
    p = air.predict_air(st, a)
    assert p.incident_risk == 1.0 and p.incident_risk_announced == 0.5
    ev = engine.apply(st, a)
    assert st.units["b1"].steps == 3                                  # blue hit
    assert st.vp[0] == -2.0                                           # red pays incident VP
    assert tens(st) == 10 + DEFAULT_COSTS["strike"] + DEFAULT_COSTS["incident"]
    assert any(e.kind == "incident" for e in ev) and st.air.stats["incidents"] == 1
    assert vp_from_log(st) == st.vp                                   # every VP change is in the log


def test_no_incident_far_from_the_other_side():
    units = [("r1", "inf", "red", 2, 3), ("b1", "inf", "blue", 9, 0), ("x1", "inf", "black", 3, 3)]
    ts = TensionSpec(pairs=(PAIR,), start=10, incident_chance=1.0, incident_max=1.0)
    st = engine.new_game(scenario(units, tension=ts), 1)
    p = air.predict_air(st, AirMission("vks", "strike", cell(st.scenario, 3, 3)))
    assert p.incident_risk == 0.0


# --- tension thresholds and decay -------------------------------------------------------------

THRESHOLDS = (Threshold(30, "flares"), Threshold(50, "suspend_sorties", turns=1),
              Threshold(70, "vp_penalty", amount=5), Threshold(100, "war"))


def test_thresholds_fire_incidents_once_per_rise():
    ts = TensionSpec(pairs=(PAIR,), start=10, decay=2, thresholds=THRESHOLDS)
    st = engine.new_game(scenario(BASE_UNITS, tension=ts), 1)
    out: list = []
    tension_rules.change_tension(st, PAIR, 25, out, culprit="red")
    assert [e.data["incident"] for e in out if e.kind == "incident"] == ["flares"]
    st.log.extend(out)
    out.clear()
    tension_rules.change_tension(st, PAIR, 20, out, culprit="red")       # 55: suspension
    assert [e.data["incident"] for e in out if e.kind == "incident"] == ["suspend_sorties"]
    assert air.sorties(st, "vks") == 0 and st.air.suspended == {"vks": (1, 0)}
    assert "coal" not in st.air.suspended                            # only the culprit's wing
    st.log.extend(out)
    out.clear()
    tension_rules.change_tension(st, PAIR, -30, out)                 # 25: re-arms 30 and 50
    tension_rules.change_tension(st, PAIR, 10, out, culprit="blue")  # 35: flares again
    assert [e.data["incident"] for e in out if e.kind == "incident"] == ["flares"]
    st.log.extend(out)
    out.clear()
    tension_rules.change_tension(st, PAIR, 40, out, culprit="blue")  # 75: suspension + VP
    kinds = [e.data["incident"] for e in out if e.kind == "incident"]
    assert kinds == ["suspend_sorties", "vp_penalty"] and st.vp[1] == -5.0
    st.log.extend(out)
    assert vp_from_log(st) == st.vp
    out.clear()
    tension_rules.change_tension(st, PAIR, 500, out, culprit="blue")  # capped at 100: war
    assert tens(st) == 100 and st.relation("red", "blue") == "war"
    assert any(e.kind == "relation" for e in out)


def test_suspended_sorties_at_next_turn_start():
    ts = TensionSpec(pairs=(PAIR,), start=45, thresholds=(Threshold(50, "suspend_sorties", turns=1, amount=3),))
    st = engine.new_game(scenario(BASE_UNITS, tension=ts), 1)
    engine.apply(st, AirMission("vks", "isr", cell(st.scenario, 8, 1), announce=False))   # +4 -> 49
    engine.apply(st, AirMission("vks", "isr", cell(st.scenario, 8, 2), announce=False))   # +4 -> 53
    assert air.sorties(st, "vks") == 0
    for _ in range(3):
        engine.apply(st, EndTurn())
    assert air.sorties(st, "vks") == 1                                # 4 - 3 withheld for one turn
    for _ in range(3):
        engine.apply(st, EndTurn())
    assert air.sorties(st, "vks") == 4


def test_tension_event_trigger_fires_scenario_events():
    ev = Event("khasham", Trigger("tension", pair=PAIR, level=40),
               (Effect("message", {"text": "Khasham"}),))
    ts = TensionSpec(pairs=(PAIR,), start=38)
    st = engine.new_game(scenario(BASE_UNITS, tension=ts, events=[ev]), 1)
    out = engine.apply(st, AirMission("vks", "isr", cell(st.scenario, 8, 1), announce=False))
    assert "khasham" in st.fired and any(e.text == "Khasham" for e in out)


def test_tension_decays_when_both_keep_to_the_lines():
    st = engine.new_game(scenario(BASE_UNITS), 1)
    for _ in range(3):
        engine.apply(st, EndTurn())
    assert tens(st) == 8
    engine.apply(st, AirMission("vks", "isr", cell(st.scenario, 8, 1), announce=False))   # 12
    for _ in range(3):
        engine.apply(st, EndTurn())
    assert tens(st) == 12                                             # a violation: no decay


# --- ISR, airdrop, CAS --------------------------------------------------------------------------

def test_isr_reveals_hidden_units_for_a_turn():
    units = [("r1", "inf", "red", 0, 0), ("b1", "inf", "blue", 9, 0), ("x1", "inf", "black", 3, 5)]
    st = engine.new_game(scenario(units), 1)
    x1 = st.units["x1"]
    assert not visibility.unit_visible(st, x1, "red")
    engine.apply(st, AirMission("vks", "isr", cell(st.scenario, 3, 4)))
    assert visibility.unit_visible(st, x1, "red")
    assert visibility.visible_cells(st, "red")[cell(st.scenario, 3, 6)]
    assert not visibility.unit_visible(st, x1, "blue")
    engine.apply(st, EndTurn())
    assert visibility.unit_visible(st, x1, "red")                     # still seen during others' turns
    engine.apply(st, EndTurn())
    engine.apply(st, EndTurn())                                       # red's next turn: expired
    assert st.active_faction == "red" and not visibility.unit_visible(st, x1, "red")


def test_airdrop_keeps_a_cut_off_unit_in_supply():
    # red's source is at (0,0); the garrison at (2,6) is cut off by black units around it
    units = [("r1", "inf", "red", 0, 0), ("g1", "inf", "red", 2, 6), ("b1", "inf", "blue", 9, 0),
             ("x1", "inf", "black", 1, 5), ("x2", "inf", "black", 2, 5), ("x3", "inf", "black", 3, 6),
             ("x4", "inf", "black", 1, 6), ("x5", "inf", "black", 2, 7), ("x6", "inf", "black", 1, 7)]
    s = scenario(units, sources=[("red", 0, 0)], turns=8)
    s.supply_sources[0] = dataclasses.replace(s.supply_sources[0], needs_control=False)
    st = engine.new_game(s, 1)
    g = st.units["g1"]
    assert not g.in_supply and g.oos_turns == 1
    p = air.predict_air(st, AirMission("vks", "airdrop", g.cell))
    assert p.legal
    assert any(isinstance(a, AirMission) and a.mission == "airdrop" for a in air.air_actions_for(st))
    engine.apply(st, AirMission("vks", "airdrop", g.cell))
    assert g.in_supply and g.airdrop_turn == 1 and g.oos_turns == 0
    for _ in range(3):
        engine.apply(st, EndTurn())
    g = st.units["g1"]
    assert g.oos_turns == 1                                           # no attrition possible yet
    with pytest.raises(IllegalAction, match="cut-off"):
        engine.apply(st, AirMission("vks", "airdrop", st.units["r1"].cell))


def test_cas_shifts_the_odds_and_costs_a_sortie():
    units = [("r1", "inf", "red", 2, 3), ("b1", "inf", "blue", 9, 0), ("x1", "inf", "black", 3, 3)]
    st = engine.new_game(scenario(units, wing_kw={"sorties": 1}), 1)
    plain = engine.predict(st, Attack(("r1",), cell(st.scenario, 3, 3)))
    cas = engine.predict(st, Attack(("r1",), cell(st.scenario, 3, 3), air_support=True))
    assert cas.odds.column == plain.odds.column + 1
    assert Attack(("r1",), cell(st.scenario, 3, 3), True) in engine.legal_actions(st)
    engine.apply(st, Attack(("r1",), cell(st.scenario, 3, 3), air_support=True))
    assert air.sorties(st, "vks") == 0
    ev = [e for e in st.log if e.kind == "combat"][-1]
    assert ev.data["column"] == plain.odds.column + 1


def test_cas_without_sorties_is_illegal():
    units = [("r1", "inf", "red", 2, 3), ("r2", "inf", "red", 2, 4), ("b1", "inf", "blue", 9, 0),
             ("x1", "inf", "black", 3, 3)]
    st = engine.new_game(scenario(units, wing_kw={"sorties": 0}), 1)
    with pytest.raises(IllegalAction, match="close air support"):
        engine.apply(st, Attack(("r1",), cell(st.scenario, 3, 3), air_support=True))
    assert not st.units["r1"].attacked                               # nothing happened


def test_unannounced_cas_in_other_zone_raises_tension_and_booked_cas_does_not():
    units = [("r1", "inf", "red", 5, 3), ("r2", "inf", "red", 5, 5), ("b1", "inf", "blue", 9, 0),
             ("x1", "inf", "black", 6, 3), ("x2", "inf", "black", 6, 5)]
    st = engine.new_game(scenario(units), 1)
    s = st.scenario
    st.air.add_reveal(air.Reveal("red", frozenset({cell(s, 6, 3), cell(s, 6, 5)}), "red", 1))
    engine.apply(st, Attack(("r1",), cell(s, 6, 3), air_support=True))
    rises = [e.data["new"] - e.data["old"] for e in st.log
             if e.kind == "tension" and e.data["reason"] == "unannounced close air support"]
    assert rises == [DEFAULT_COSTS["cas"]]
    t = tens(st)
    engine.apply(st, AirMission("vks", "cas", cell(s, 6, 5), announce=True))   # booked over the hotline
    before = engine.predict(st, Attack(("r2",), cell(s, 6, 5)))
    assert "+1 column(s)" in before.odds.notes
    left = air.sorties(st, "vks")
    engine.apply(st, Attack(("r2",), cell(s, 6, 5)))
    assert air.sorties(st, "vks") == left and (st.air.cas == {})
    assert all("close air support" not in e.text for e in st.log if e.kind == "tension" and e.data["new"] > t)


# --- ground crossing ---------------------------------------------------------------------------

def test_ground_unit_crossing_the_line_raises_tension_once_per_turn():
    units = [("r1", "arm", "red", 3, 3), ("b1", "inf", "blue", 9, 0), ("x1", "inf", "black", 0, 7)]
    st = engine.new_game(scenario(units), 1)
    s = st.scenario
    assert air.move_tension(st, st.units["r1"], (cell(s, 4, 3),)) == 0
    assert air.move_tension(st, st.units["r1"], (cell(s, 4, 3), cell(s, 5, 3))) == DEFAULT_COSTS["crossing"]
    engine.apply(st, Move("r1", (cell(s, 4, 3), cell(s, 5, 3))))
    assert tens(st) == 10 + DEFAULT_COSTS["crossing"]
    assert air.move_tension(st, st.units["r1"], (cell(s, 6, 3),)) == 0
    engine.apply(st, Move("r1", (cell(s, 6, 3),)))
    assert tens(st) == 10 + DEFAULT_COSTS["crossing"]                  # once per unit per turn
    for _ in range(3):
        engine.apply(st, EndTurn())
    # end of round: still across the line -> presence, and no decay
    assert tens(st) == 10 + DEFAULT_COSTS["crossing"] + DEFAULT_COSTS["presence"]


# --- ISR-lift requests ----------------------------------------------------------------------------

def _request_scenario(default="accept"):
    s = scenario(BASE_UNITS)
    req = IsrRequest("convoy", turn=1, from_wing="vks", to_wing="coal",
                     cells=tuple(s.grid.cells_within(cell(s, 7, 5), 1)), centre=cell(s, 7, 5), turns=2,
                     accept=(Effect("tension", {"pair": PAIR, "change": -5}),),
                     refuse=(Effect("tension", {"pair": PAIR, "change": 15}),
                             Effect("vp", {"faction": "red", "amount": 3})), default=default)
    s.extra["air"] = dataclasses.replace(s.extra["air"], requests=(req,))
    return s


def _to_blue(st):
    engine.apply(st, EndTurn())
    assert st.active_faction == "blue"


def test_isr_lift_accepted_closes_the_area():
    st = engine.new_game(_request_scenario(), 1)
    _to_blue(st)
    assert air.pending_requests(st) == ["convoy"]
    assert IsrAnswer("convoy", True) in engine.legal_actions(st)
    engine.apply(st, IsrAnswer("convoy", True))
    assert tens(st) == 5 and st.air.requests["convoy"] == "accepted"
    p = air.predict_air(st, AirMission("coal", "isr", cell(st.scenario, 7, 5)))
    assert not p.legal and "cleared" in p.reason
    assert air.predict_air(st, AirMission("coal", "isr", cell(st.scenario, 7, 2))).legal
    with pytest.raises(IllegalAction):
        engine.apply(st, IsrAnswer("convoy", False))                   # answered already
    for _ in range(6):
        engine.apply(st, EndTurn())
    assert st.turn == 3 and st.active_faction == "blue"
    assert air.predict_air(st, AirMission("coal", "isr", cell(st.scenario, 7, 5))).legal   # 2 turns later


def test_isr_lift_refused_has_its_price():
    st = engine.new_game(_request_scenario(), 1)
    _to_blue(st)
    engine.apply(st, IsrAnswer("convoy", False))
    assert tens(st) == 25 and st.vp[0] == 3 and st.air.requests["convoy"] == "refused"
    assert air.predict_air(st, AirMission("coal", "isr", cell(st.scenario, 7, 5))).legal


def test_unanswered_request_takes_its_default():
    st = engine.new_game(_request_scenario(default="refuse"), 1)
    _to_blue(st)
    engine.apply(st, EndTurn())
    assert st.air.requests["convoy"] == "refused" and tens(st) == 25


# --- prediction, helpers, determinism -----------------------------------------------------------

def test_predict_air_reports_zone_hotline_risk_and_odds():
    units = [("r1", "inf", "red", 2, 3), ("b1", "inf", "blue", 8, 2), ("x1", "inf", "black", 7, 3)]
    st = engine.new_game(scenario(units), 1)
    s = st.scenario
    st.air.add_reveal(air.Reveal("red", frozenset({cell(s, 7, 3)}), "red", 1))
    un = air.predict_air(st, AirMission("vks", "strike", cell(s, 7, 3), announce=False))
    an = air.predict_air(st, AirMission("vks", "strike", cell(s, 7, 3), announce=True))
    assert un.zone == an.zone == "coal" and un.hotline_needed and an.hotline_needed
    assert un.tension_change == DEFAULT_COSTS["strike"] and an.tension_change == 0
    assert un.tension_if_unannounced == an.tension_if_unannounced == DEFAULT_COSTS["strike"]
    assert un.incident_risk == pytest.approx(0.15) and an.incident_risk == pytest.approx(0.075)
    assert un.sortie_cost == 1 and an.sortie_cost == 2 and un.strike is not None
    assert "UNANNOUNCED" in un.summary() and "announced" in an.summary()
    h = st.state_hash()
    air.predict_air(st, AirMission("vks", "strike", cell(s, 7, 3)))
    assert st.state_hash() == h                                       # prediction changes nothing
    with pytest.raises(IllegalAction):
        air.predict_air(st, AirMission("nope", "strike", 0))


def test_air_actions_for_offers_legal_announced_and_unannounced_missions():
    units = [("r1", "inf", "red", 4, 3), ("b1", "inf", "blue", 9, 0), ("x1", "inf", "black", 5, 3)]
    st = engine.new_game(scenario(units), 1)
    acts = air.air_actions_for(st)
    strikes = [a for a in acts if isinstance(a, AirMission) and a.mission == "strike"]
    assert {(a.announce, a.wait) for a in strikes} == {(True, False), (True, True), (False, False)}
    for a in acts:
        engine.apply(st.clone(), a)                                  # every candidate is legal
    legal = engine.legal_actions(st)
    assert all(a in legal for a in acts)


def test_clone_and_hash_cover_the_air_state():
    st = engine.new_game(scenario(BASE_UNITS), 1)
    c = st.clone()
    assert c.state_hash() == st.state_hash()
    engine.apply(c, AirMission("vks", "isr", cell(st.scenario, 8, 1), announce=False))
    assert c.state_hash() != st.state_hash() and tens(st) == 10 and tens(c) == 14
    assert air.sorties(st, "vks") == 4


def test_action_round_trip_through_dicts():
    from game.actions import action_from_dict
    for a in (AirMission("vks", "strike", 12, False, False), IsrAnswer("convoy", True)):
        assert action_from_dict(a.to_dict()) == a


def test_scenario_without_air_section_is_untouched():
    s = make(units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6)])
    st = engine.new_game(s, 1)
    assert st.air is None and not any(isinstance(a, AirMission) for a in engine.legal_actions(st))
    with pytest.raises(IllegalAction):
        engine.apply(st, AirMission("vks", "isr", 0))
    with pytest.raises(IllegalAction):
        engine.apply(st, Attack(("r1",), 5, air_support=True))


def test_war_threshold_fires_once_while_already_at_war():
    ts = TensionSpec(pairs=(PAIR,), start=10, thresholds=(Threshold(100, "war"),))
    st = engine.new_game(scenario(BASE_UNITS, tension=ts), 1)
    out: list = []
    tension_rules.change_tension(st, PAIR, 95, out, culprit="red")
    assert st.relation("red", "blue") == "war" and sum(e.kind == "incident" for e in out) == 1
    out.clear()
    tension_rules.change_tension(st, PAIR, -10, out)
    tension_rules.change_tension(st, PAIR, 10, out, culprit="red")
    assert not any(e.kind in ("incident", "relation") for e in out)

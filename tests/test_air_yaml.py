"""The ``air:`` section through the real loader: a north-south line given by compass sides, a
custom scenario with a different (east-west) line, line/tension effects in events, clear
errors for bad input, and a short random campaign in which announced and unannounced missions
both fly and tension moves."""
from __future__ import annotations

import random
import re

import pytest

from game import engine
from game.actions import EndTurn
from game.ai.random_agent import RandomAgent
from game.errors import ScenarioError
from game.rules import air
from game.scenario.air_section import AirSpec
from game.scenario.loader import load_scenario, load_scenario_text

HEAD = """\
format: 1
meta: {id: air_tiny, name: "Air tiny", description: "", start_date: 2017-09-01, days_per_turn: 3, turns: 8, seed: 5}
terrain_types:
  desert: {code: d, name: Desert, move_cost: 1, defence: 1.0}
map: {width: 12, height: 8, hex_km: 5, origin: [36.0, 40.0], default_terrain: desert}
places:
  - {name: Westbase, hex: [1, 1], kind: base}
  - {name: Eastbase, hex: [10, 1], kind: base}
  - {name: Town, hex: [6, 6], kind: town}
factions:
  - {id: regime, name: Regime, sponsor: vks}
  - {id: sdf, name: SDF}
  - {id: isil, name: ISIL, hidden: true}
relations:
  - [regime, isil, war]
  - [sdf, isil, war]
  - [regime, sdf, deconflicted]
unit_types:
  inf: {name: Infantry, symbol: infantry, attack: 4, defence: 4, movement: 4, steps: 3}
units:
  - {id: r1, type: inf, faction: regime, hex: [3, 3]}
  - {id: r2, type: inf, faction: regime, hex: [4, 5]}
  - {id: s1, type: inf, faction: sdf, hex: [7, 2]}
  - {id: s2, type: inf, faction: sdf, hex: [7, 5]}
  - {id: i1, type: inf, faction: isil, hex: [5, 4]}
  - {id: i2, type: inf, faction: isil, hex: [6, 6]}
  - {id: i3, type: inf, faction: isil, hex: [6, 2]}
objectives:
  - {place: Town, vp_per_turn: 1}
"""

AIR_NS = """\
air:
  wings:
    - {id: vks, name: "Russian Aerospace Forces", base: {place: Westbase}, sorties: 3, range_km: 300}
    - {id: coalition, name: Coalition, sponsor_of: [sdf], base: {place: Eastbase}, sorties: 3}
  lines:
    - id: river
      name: The river line
      points: [[36.05, 40.263], [35.68, 40.263]]
      west: vks
      east: coalition
  tension:
    pairs: [[vks, coalition]]
    start: 10
    decay: 1
    thresholds:
      - {at: 30, incident: flares}
      - {at: 60, incident: vp_penalty, amount: 3}
      - {at: 100, incident: war, factions: [regime, sdf]}
  isr_requests:
    - id: convoy
      date: 2017-09-04
      from: vks
      to: coalition
      area: {place: Town, radius: 1}
      accept: [{tension: {between: [vks, coalition], change: -5}}]
      refuse: [{message: "The coalition keeps watching."}]
  schedule:
    - {date: 2017-09-05, effects: [{tension: {between: [vks, coalition], change: 7}}]}
events:
  - id: line_off
    trigger: {turn: 3}
    effects: [{lines: {line: river, action: suspend}}]
  - id: line_on
    trigger: {turn: 4}
    effects: [{lines: {line: river, action: restore}}]
  - id: hot
    trigger: {tension: {between: [vks, coalition], above: 25}}
    effects: [{message: "Moscow calls"}]
"""

# The custom scenario: an east-west line along the middle rows; north coalition, south vks.
AIR_EW = """\
air:
  wings:
    - {id: vks, name: VKS, sorties: 2}
    - {id: coalition, name: Coalition, sponsor_of: [sdf], sorties: 2}
  lines:
    - {id: middle, points: [[35.864, 39.95], [35.864, 40.7]], north: coalition, south: vks}
"""


def load(text: str):
    return load_scenario_text(HEAD + text, "air_tiny.yaml")


def test_air_section_loads_with_compass_sides_and_sponsor():
    s = load(AIR_NS)
    spec = s.extra["air"]
    assert isinstance(spec, AirSpec)
    assert spec.wing("vks").factions == ("regime",) and spec.wing_of("sdf").id == "coalition"
    ln = spec.lines[0]
    assert (ln.left, ln.right) == ("coalition", "vks")            # heading south: east is left
    assert spec.requests[0].turn == 2 and len(spec.requests[0].cells) == 7
    st = engine.new_game(s, 1)
    g = s.grid
    assert air.zone_owner(st, g.cell_of_offset(2, 3)) == "vks"
    assert air.zone_owner(st, g.cell_of_offset(8, 3)) == "coalition"


def test_custom_scenario_with_a_different_line_runs_through_the_same_code(tmp_path):
    path = tmp_path / "custom.yaml"
    path.write_text(HEAD + AIR_EW, encoding="utf-8")
    s = load_scenario(path)
    st = engine.new_game(s, 2)
    g = s.grid
    assert all(air.zone_owner(st, g.cell_of_offset(c, r)) == "coalition" for c in range(12) for r in range(4))
    assert all(air.zone_owner(st, g.cell_of_offset(c, r)) == "vks" for c in range(12) for r in range(4, 8))
    # regime flying north of the line now needs the hotline
    p = air.predict_air(st, air.AirMission("vks", "isr", g.cell_of_offset(3, 1), announce=False))
    assert p.zone == "coalition" and p.hotline_needed and p.tension_change > 0
    # and moving a regime unit north raises tension
    before = air.tension(st, "vks", "coalition")
    r1 = st.units["r1"]
    dest = g.cell_of_offset(3, 2)
    from game.actions import Move
    engine.apply(st, Move("r1", engine.move_targets(st, r1).path_to(dest)))
    assert air.tension(st, "vks", "coalition") > before


def test_line_events_and_tension_triggers_from_yaml():
    s = load(AIR_NS)
    st = engine.new_game(s, 1)
    probe = s.grid.cell_of_offset(2, 3)
    seen = []
    while st.turn < 5:
        seen.append((st.turn, air.zone_owner(st, probe)))
        engine.apply(st, EndTurn())
    assert (3, None) in seen and (4, "vks") in seen and (2, "vks") in seen
    # the scheduled air effect fired once, on turn 2 (5 Sep)
    sched = [e for e in st.log if e.kind == "tension" and e.data["reason"] == "event" and e.data["new"] > e.data["old"]]
    assert [e.turn for e in sched] == [2] and sched[0].data["new"] - sched[0].data["old"] == 7
    # the request was offered to the SDF on turn 2 and, unanswered, accepted by default
    assert st.air.requests["convoy"] == "accepted"
    out = []
    from game.rules.airspace.tension import change_tension
    change_tension(st, ("coalition", "vks"), 30, out, culprit="regime")
    assert "hot" in st.fired and any(e.kind == "incident" for e in out)


@pytest.mark.parametrize("snippet, message", [
    ("    - {id: vks, name: VKS, sorties: 2}\n    - {id: coalition, sponsor_of: [sdf]}\n  lines:\n"
     "    - {id: l, points: [[36.0, 39.9], [36.0, 40.5]], west: vks, east: coalition}\n",
     "ambiguous"),
    ("    - {id: vks, name: VKS}\n    - {id: coalition, sponsor_of: [sdf]}\n  lines:\n"
     "    - {id: l, points: [[36.0, 39.9], [35.68, 39.9]], west: vkz, east: coalition}\n",
     "unknown air wing 'vkz' (did you mean 'vks'?)"),
    ("    - {id: vks, name: VKS, sortie: 3}\n", "unknown key 'sortie'"),
    ("    - {id: vks, name: VKS, range_km: 100}\n", "range_km needs a base:"),
    ("    - {id: vks}\n    - {id: coalition, sponsor_of: [sdf]}\n  tension:\n"
     "    thresholds: [{at: 20, incident: flare}]\n", "unknown incident 'flare'"),
])
def test_bad_air_sections_give_one_located_message(snippet, message):
    with pytest.raises(ScenarioError) as ei:
        load("air:\n  wings:\n" + snippet)
    text = "\n".join(ei.value.problems)
    assert message in text and "air_tiny.yaml:" in text and "air." in text
    assert "Traceback" not in text


def test_bad_sponsor_and_line_effect_reference():
    bad = AIR_NS.replace("line: river, action: suspend", "line: rivr, action: suspend")
    with pytest.raises(ScenarioError, match=r"air_tiny.yaml:\d+ events\[0\].*unknown line 'rivr'"):
        load(bad)
    with pytest.raises(ScenarioError, match="sponsor 'vks', which is not an air wing"):
        load("air:\n  wings:\n    - {id: coalition, sponsor_of: [sdf]}\n")


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as ei:
        load(text)
    return list(ei.value.problems)


def test_sponsor_without_an_air_section_is_an_error():
    # HEAD alone: regime says `sponsor: vks`, and there is no air: section at all
    got = problems("")
    assert len(got) == 1, got
    assert re.fullmatch(r"air_tiny\.yaml:11 factions\[0\]\.sponsor: sponsor 'vks' names an air wing, "
                        r"but the file has no air: section .*", got[0]), got
    # a sponsor: that is itself malformed is reported once, as such
    bad = HEAD.replace("sponsor: vks", "sponsor: [vks]")
    with pytest.raises(ScenarioError) as ei:
        load_scenario_text(bad, "air_tiny.yaml")
    assert len(ei.value.problems) == 1 and "factions[0].sponsor: expected" in ei.value.problems[0]
    # and without any sponsor: the file loads (air is optional)
    assert load_scenario_text(HEAD.replace(", sponsor: vks", ""), "air_tiny.yaml").extra.get("air") is None


@pytest.mark.parametrize("old, new, message", [
    ("sorties: 3, range_km: 300}", "sorties: 3, range_km: 300, sortie: 1}", "air.wings[0].sortie: unknown key 'sortie'"),
    ("base: {place: Westbase}, sorties: 3", "sorties: 3", "air.wings[0].range_km: range_km needs a base:"),
    ("{id: vks, name:", "{id: VKS, name:", "air.wings[0].id: 'VKS' is not a valid id"),
    ("base: {place: Westbase}, sorties: 3", "base: {place: Westbse}, sorties: 3", "unknown place 'Westbse'"),
])
def test_a_bad_wing_is_reported_once_not_at_every_reference(old, new, message):
    # vks is named by regime's sponsor:, the line, the tension pair, the ISR request and its
    # effects, and the schedule: none of those may add "unknown air wing" after its own fault
    assert old in AIR_NS
    got = problems(AIR_NS.replace(old, new))
    assert len(got) == 1 and message in got[0], got


def test_a_bad_wing_does_not_hide_a_reference_to_a_wing_never_defined():
    text = AIR_NS.replace("sorties: 3, range_km: 300}", "sorties: 3, range_km: 300, sortie: 1}")
    text = text.replace("to: coalition\n", "to: nato\n")
    got = problems(text)
    assert len(got) == 2, got
    assert "unknown key 'sortie'" in got[0] and "isr_requests[0].to: unknown air wing 'nato'" in got[1]


def test_a_bad_line_is_reported_once_not_at_every_event_naming_it():
    got = problems(AIR_NS.replace("      name: The river line\n", "      name: The river line\n      depth_km: 0\n"))
    assert len(got) == 1 and "air.lines[0].depth_km: 0 is out of range" in got[0], got


RIVER = "points: [[36.05, 40.263], [35.68, 40.263]]"


@pytest.mark.parametrize("points, field, hint", [
    # [column, row] hexes written as a plain list: read as lat/lon, they land near 0 N 4 E
    ("[[4, 0], [5, 7]]", "air.lines[0].points[0]", True),
    # a typo in one latitude: the line's end is 40 km south of an 8-row map
    ("[[36.05, 40.263], [35.68, 40.263], [35.3, 40.263]]", "air.lines[0].points[2]", False),
    # swapped lat/lon
    ("[[40.263, 36.05], [40.263, 35.68]]", "air.lines[0].points[0]", False),
])
def test_line_points_far_off_the_map_are_an_error(points, field, hint):
    assert RIVER in AIR_NS
    got = problems(AIR_NS.replace(RIVER, f"points: {points}"))
    assert len(got) == 1, got
    assert re.match(rf"air_tiny\.yaml:\d+ {re.escape(field)}: point \[[-\d., ]+\] is off the map "
                    r"\(more than 2 hexes past its edge; the map spans latitude 35\.\d+\.\.36\.000, "
                    r"longitude 40\.000\.\.40\.\d+\)", got[0]), got
    assert ("points: {hexes:" in got[0]) == hint


def test_line_points_may_run_a_little_past_the_edge_and_effects_are_checked_too():
    # one or two hexes past the edge is fine (a line drawn through to the border)...
    s = load(AIR_NS.replace(RIVER, "points: [[36.08, 40.263], [35.68, 40.263]]"))
    assert s.extra["air"].lines[0].points[0] == (36.08, 40.263)
    # ...and the points of a redraw effect are held to the same rule
    bad = AIR_NS.replace("line: river, action: suspend", "line: river, action: redraw, points: [[1, 2], [3, 4]]")
    got = problems(bad)
    assert len(got) == 1 and re.match(r"air_tiny\.yaml:\d+ events\[0\]\.effects\[0\]\.lines\.points\[0\]: "
                                      r"point \[1, 2\] is off the map", got[0]), got


def play_campaign(s, seed: int, air_chance: float = 0.5):
    """Random ground agents plus random air missions from air_actions_for."""
    rng = random.Random(seed)
    st = engine.new_game(s, seed)
    agents = {f.id: RandomAgent(seed * 31 + i) for i, f in enumerate(s.factions)}
    tension_seen = {air.tension(st, "vks", "coalition")}
    guard = 0
    while not st.terminal and guard < 5000:
        guard += 1
        cands = air.air_actions_for(st)
        if cands and rng.random() < air_chance:
            engine.apply(st, rng.choice(cands))
        else:
            engine.apply(st, agents[st.active_faction].choose(st))
        tension_seen.add(air.tension(st, "vks", "coalition"))
    return st, tension_seen


def test_random_campaign_flies_announced_and_unannounced_missions():
    s = load(AIR_NS)
    st, tension_seen = play_campaign(s, 4)
    assert st.terminal
    stats = st.air.stats
    assert stats.get("announced", 0) > 0 and stats.get("unannounced", 0) > 0, stats
    assert len(tension_seen) > 3
    # replaying the same seed gives the same game, bit for bit
    st2, _ = play_campaign(s, 4)
    assert st2.state_hash() == st.state_hash()

"""Scenario loader: a small valid scenario resolves correctly; broken ones give exact
``file:line field: message`` problems; hostile input is refused fast and only as ScenarioError."""
from __future__ import annotations

import datetime as dt
from collections import deque

import numpy as np
import pytest

from game.errors import ScenarioError
from game.hexgrid import hex_corners
from game.scenario import loader
from game.scenario.loader import (
    EFFECT_PARSERS, TOP_LEVEL_SECTIONS, load_scenario, load_scenario_text, scenario_problems,
)
from game.scenario.model import Effect, Scenario, Trigger

VALID = """\
format: 1
meta:
  id: tiny
  name: "Tiny test"
  description: "A river, a road, two towns."
  start_date: 2017-09-01
  days_per_turn: 3
  turns: 10
  seed: 7
rules:
  stacking: 3
  control_radius: 1
terrain_types:
  desert: {code: d, name: Desert, move_cost: 1, defence: 1.0, colour: "#d9c38f"}
  valley: {code: v, name: Valley, move_cost: 2, defence: 1.5, colour: "#8fb36b"}
  urban:  {code: u, name: Urban, move_cost: 2, defence: 2.0, colour: "#9a8f86"}
  lake:   {code: "~", name: Lake, move_cost: 99, defence: 1.0, colour: "#6a9ecf"}
map:
  width: 10
  height: 8
  hex_km: 5
  origin: [36.0, 40.0]
  default_terrain: desert
  rows:
    - "dddddddddd"
    - "d d d d d d d d d d"
    - "dddvvvdddd"
    - "dddvvvdddd"
    - "dddddddddd"
    - "dddddddddd"
    - "ddddddddd~"
    - "dddddddddd"
  features:
    - terrain: valley
      hex: [0, 7]
      radius: 1
    - terrain: lake
      polygon: [[36.01, 40.32], [36.01, 40.50], [35.96, 40.50], [35.96, 40.32]]
    - terrain: valley
      line: [[35.73, 40.0], [35.73, 40.2]]
      width_km: 2
  rivers:
    - name: Straight
      path: [[36.1, 40.25], [35.6, 40.25]]
      crossing_cost: 4
      bridges:
        - at: [35.85, 40.25]
  roads:
    - name: Highway
      kind: highway
      places: [Westtown, Easttown]
    - name: Desert track
      kind: track
      path: [[35.95, 40.01], [35.95, 40.45]]
    - name: Spur
      hexes: [[1, 3], [1, 5]]
  control:
    - faction: blue
      hex: [8, 1]
      radius: 1
places:
  - name: Westtown
    hex: [1, 3]
    kind: town
    aliases: [West, "Al Gharb"]
    terrain: urban
  - name: Easttown
    at: [35.845, 40.44]
    kind: city
factions:
  - {id: red, name: Red, colour: "#b03a2e", vp_goal: 20}
  - {id: blue, name: Blue, colour: "#2e86c1", controller: human, hidden: true}
relations:
  - [red, blue, war]
unit_types:
  inf: {name: Infantry, symbol: infantry, attack: 3, defence: 4, movement: 4}
  art: {name: Guns, symbol: artillery, attack: 5, defence: 1, movement: 3, range: 2, steps: 2}
units:
  - {id: r1, name: Red 1, type: inf, faction: red, place: west}
  - {id: r2, name: Red 2, type: art, faction: red, hex: [0, 0], steps: 1, static: true}
  - {id: b1, name: Blue 1, type: inf, faction: blue, hex: [8, 4], supply_exempt: true}
supply_sources:
  - {faction: red, place: Westtown}
  - {faction: blue, hex: [9, 0], needs_control: false, name: Airbridge}
objectives:
  - name: Easttown
    place: Easttown
    vp_per_turn: 2
    vp_end: 10
    factions: [red]
reinforcements:
  - turn: 2
    units:
      - {id: r3, name: Red 3, type: inf, faction: red, hex: [0, 1]}
  - date: 2017-09-07
    message: "Blue reinforcements arrive."
    units:
      - {id: b2, name: Blue 2, type: inf, faction: blue, hex: [9, 1]}
events:
  - id: siege_broken
    trigger: {captured: {place: Easttown, by: red}}
    effects:
      - message: "The siege is broken."
      - vp: {faction: red, amount: 5}
      - relation: [red, blue, deconflicted]
      - supply_source: {faction: red, place: Easttown}
      - reinforcements:
          - {id: r4, name: Red 4, type: inf, faction: red, place: Westtown}
  - id: late
    once: false
    trigger: {date: 2017-09-10}
    effects:
      - message: "Late."
  - id: t3
    trigger: {turn: 3}
    effects: [{message: "Turn three."}]
  - id: hot
    trigger: {tension: {between: [russia, coalition], above: 50}}
    effects: [{message: "Incident!"}]
victory:
  sudden_death:
    - faction: red
      control: [Easttown, [1, 3]]
      description: "Take both towns."
"""


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in text")


L_R1 = line_of(VALID, "{id: r1,")
L_R2 = line_of(VALID, "{id: r2,")
L_B1 = line_of(VALID, "{id: b1,")
L_SIEGE = line_of(VALID, "- id: siege_broken")
L_UNITS = line_of(VALID, "units:")
L_INF = line_of(VALID, "  inf: {")
L_MAP = line_of(VALID, "map:")
L_ROWS = line_of(VALID, "  rows:")
L_COLOUR = line_of(VALID, 'colour: "#b03a2e"')


def problems_of(text: str, name: str = "x.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, name)
    return info.value.problems


def variant(old: str, new: str, text: str = VALID) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.fixture(scope="module")
def scn() -> Scenario:
    return load_scenario_text(VALID, "tiny.yaml")


# --- the valid scenario ----------------------------------------------------------------------

def test_meta_rules_factions(scn: Scenario) -> None:
    assert scn.meta.id == "tiny" and scn.meta.turns == 10 and scn.meta.seed == 7
    assert scn.meta.start_date == dt.date(2017, 9, 1)
    assert scn.rules.stacking == 3 and scn.rules.control_radius == 1
    assert scn.rules.road_cost == 0.5
    assert [f.id for f in scn.factions] == ["red", "blue"]
    assert [f.order for f in scn.factions] == [0, 1]
    assert scn.factions[1].controller == "human" and scn.factions[1].hidden
    assert scn.factions[0].vp_goal == 20
    assert scn.relations == {("blue", "red"): "war"}
    assert scn.relation("red", "blue") == "war"
    assert scn.source_path == "tiny.yaml" and scn.source_text == VALID
    assert scn.unit_types["art"].range == 2 and scn.unit_types["inf"].steps == 3


def test_grid_and_terrain(scn: Scenario) -> None:
    g = scn.grid
    assert (g.width, g.height, g.hex_km) == (10, 8, 5)
    assert (g.origin_lat, g.origin_lon) == (36.0, 40.0)
    ids = [t.id for t in scn.terrain_types]
    assert ids == ["desert", "valley", "urban", "lake"]
    assert scn.terrain.shape == (80,) and scn.terrain.dtype == np.int8
    t = scn.terrain.reshape(8, 10)

    def tid(col: int, row: int) -> str:
        return ids[t[row, col]]

    assert tid(3, 2) == "valley" and tid(5, 3) == "valley"      # rows
    assert tid(9, 6) == "lake"                                    # rows
    assert tid(0, 7) == "valley" and tid(0, 6) == "valley"        # feature: hex + radius 1
    assert tid(1, 3) == "urban"                                   # place terrain
    assert tid(5, 0) == "desert"
    lake = {g.offset(int(c)) for c in np.nonzero(scn.terrain == 3)[0]}
    # polygon: centres inside the ring (rows 0-1, lon 40.32..40.50), plus the rows' lake hex
    assert lake == {(6, 0), (7, 0), (8, 0), (9, 0), (6, 1), (7, 1), (8, 1), (9, 6)}
    # line at lat 35.73 from lon 40.0 to 40.2, 2 km wide: row 7 (lat 35.728) up to column 3
    assert [tid(c, 7) for c in range(6)] == ["valley"] * 4 + ["desert"] * 2
    assert tid(2, 6) == "desert"                                  # row 6 is 4 km away


def test_places_lookup(scn: Scenario) -> None:
    west = scn.place("westtown")
    assert west is not None and scn.grid.offset(west.cell) == (1, 3)
    assert scn.place("AL GHARB") is west and scn.place("west") is west
    east = scn.place("Easttown")
    assert east is not None and east.kind == "city" and (east.lat, east.lon) == (35.845, 40.44)
    assert east.cell == scn.grid.cell_at_latlon(35.845, 40.44)
    assert west.lat is not None      # georeferenced map: hex places get their centre lat/lon
    assert scn.place("nowhere") is None


def _blocked_reach(scn: Scenario, start: int, allow: frozenset[tuple[int, int]]) -> set[int]:
    river = scn.rivers[0]
    seen, todo = {start}, deque([start])
    while todo:
        c = todo.popleft()
        for n in scn.grid.neighbours(c):
            e = (min(c, n), max(c, n))
            if n in seen or (e in river.edges and e not in allow):
                continue
            seen.add(n)
            todo.append(n)
    return seen


def test_straight_river_separates_and_is_connected(scn: Scenario) -> None:
    g, river = scn.grid, scn.rivers[0]
    assert river.name == "Straight" and river.crossing_cost == 4 and river.defence == 1.5
    assert river.path_latlon == ((36.1, 40.25), (35.6, 40.25))
    assert all(a < b and g.distance(a, b) == 1 for a, b in river.edges)
    # Every hex west of the river line is cut off from every hex east of it.
    x_river = g.latlon_to_km(36.0, 40.25)[0]
    centres = np.array([g.hex_centre_km(g.hex(c)) for c in range(g.n_cells)])
    west = {c for c in range(g.n_cells) if centres[c, 0] < x_river}
    east = set(range(g.n_cells)) - west
    assert west and east
    reach = _blocked_reach(scn, next(iter(west)), frozenset())
    assert reach == west
    # ... the cut is exactly the river: each river side has one end each side
    assert all((a in west) != (b in west) for a, b in river.edges)
    assert len(river.edges) == sum(1 for a in west for b in g.neighbours(a) if b in east)
    # The sides form one connected chain of hex-side segments.
    size = g.hex_km / 3 ** 0.5
    segs = []
    for a, b in river.edges:
        ca = {tuple(np.round(p, 6)) for p in hex_corners(g.hex(a), size)}
        cb = {tuple(np.round(p, 6)) for p in hex_corners(g.hex(b), size)}
        p, q = sorted(ca & cb)          # the two corners of the shared side
        segs.append((p, q))
    parent: dict[tuple, tuple] = {}

    def find(x: tuple) -> tuple:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for p, q in segs:
        parent[find(p)] = find(q)
    assert len({find(p) for seg in segs for p in seg}) == 1
    # The bridge is one of the river's sides, the one nearest the bridge point, and opens it.
    assert len(river.bridges) == 1 and river.bridges <= river.edges
    (a, b), = river.bridges
    bx, by = g.latlon_to_km(35.85, 40.25)
    mid = (centres[a] + centres[b]) / 2
    others = [np.hypot(*((centres[x] + centres[y]) / 2 - (bx, by))) for x, y in river.edges]
    assert np.isclose(np.hypot(mid[0] - bx, mid[1] - by), min(others))
    assert _blocked_reach(scn, next(iter(west)), river.bridges) == set(range(g.n_cells))


def test_roads_are_adjacent_chains(scn: Scenario) -> None:
    g = scn.grid
    roads = {r.name: r for r in scn.roads}
    assert set(roads) == {"Highway", "Desert track", "Spur"}
    for r in scn.roads:
        assert len(r.cells) >= 2
        assert all(g.distance(a, b) == 1 for a, b in zip(r.cells, r.cells[1:]))
    hw = roads["Highway"]
    assert hw.kind == "highway"
    assert hw.cells[0] == scn.place("Westtown").cell and hw.cells[-1] == scn.place("Easttown").cell
    track = roads["Desert track"]
    assert track.kind == "track" and track.cells[0] == g.cell_at_latlon(35.95, 40.01)
    assert track.cells[-1] == g.cell_at_latlon(35.95, 40.45)
    assert [g.offset(c) for c in roads["Spur"].cells][0] == (1, 3)
    assert [g.offset(c) for c in roads["Spur"].cells][-1] == (1, 5)
    assert len(roads["Spur"].cells) == 3


def test_units_and_control(scn: Scenario) -> None:
    g = scn.grid
    units = {u.id: u for u in scn.units}
    assert set(units) == {"r1", "r2", "b1"}
    assert units["r1"].cell == scn.place("Westtown").cell and units["r1"].steps is None
    assert units["r2"].static and units["r2"].steps == 1 and units["r2"].type == "art"
    assert units["b1"].supply_exempt and g.offset(units["b1"].cell) == (8, 4)
    ctl = scn.initial_control
    assert ctl.dtype == np.int8 and ctl.shape == (80,)
    blue_area = set(g.cells_within(g.cell_of_offset(8, 1), 1))
    owned = {int(c): int(ctl[c]) for c in np.nonzero(ctl >= 0)[0]}
    expected = {c: 1 for c in blue_area}
    expected.update({units["r1"].cell: 0, units["r2"].cell: 0, units["b1"].cell: 1})
    assert owned == expected


def test_supply_objectives_reinforcements(scn: Scenario) -> None:
    g = scn.grid
    s0, s1 = scn.supply_sources
    assert (s0.faction, s0.cell, s0.name, s0.needs_control) == ("red", scn.place("West").cell,
                                                                 "Westtown", True)
    assert (s1.faction, g.offset(s1.cell), s1.name, s1.needs_control) == ("blue", (9, 0),
                                                                           "Airbridge", False)
    (obj,) = scn.objectives
    assert (obj.name, obj.vp_per_turn, obj.vp_end, obj.factions) == ("Easttown", 2, 10, ("red",))
    r1, r2 = scn.reinforcements
    assert r1.turn == 2 and [u.id for u in r1.units] == ["r3"]
    assert r2.turn == 3 and r2.message == "Blue reinforcements arrive."   # 6 days / 3 + 1
    assert r2.units[0].faction == "blue"


def test_events_and_victory(scn: Scenario) -> None:
    ev = {e.id: e for e in scn.events}
    sb = ev["siege_broken"]
    assert sb.trigger == Trigger("captured", cell=scn.place("Easttown").cell, by="red")
    kinds = [e.kind for e in sb.effects]
    assert kinds == ["message", "vp", "relation", "supply_source", "reinforcements"]
    assert sb.effects[0].data == {"text": "The siege is broken."}
    assert sb.effects[1].data == {"faction": "red", "amount": 5}
    assert sb.effects[2].data == {"a": "red", "b": "blue", "status": "deconflicted"}
    src = sb.effects[3].data["source"]
    assert (src.faction, src.cell) == ("red", scn.place("Easttown").cell)
    (u,) = sb.effects[4].data["units"]
    assert u.id == "r4" and u.cell == scn.place("Westtown").cell
    assert sb.once and not ev["late"].once
    assert ev["late"].trigger == Trigger("date", turn=4)
    assert ev["t3"].trigger == Trigger("turn", turn=3)
    assert ev["hot"].trigger == Trigger("tension", pair=("russia", "coalition"), level=50)
    (sd,) = scn.sudden_death
    assert sd.faction == "red" and sd.description == "Take both towns."
    assert sd.control == (scn.place("Easttown").cell, scn.grid.cell_of_offset(1, 3))


def test_load_from_file_and_problems_helper(scenario_file) -> None:
    path = scenario_file(VALID, "ok.yaml")
    scn = load_scenario(path)
    assert scn.source_path == str(path) and scn.meta.id == "tiny"
    assert scenario_problems(path) == []
    bad = scenario_file(variant("turns: 10", "turns: 0"), "bad.yaml")
    assert scenario_problems(bad) == [f"{bad}:8 meta.turns: 0 is out of range (1..500)"]


def test_rows_optional_and_no_origin() -> None:
    text = """\
format: 1
meta: {id: m, name: M, start_date: 2020-01-01, days_per_turn: 1, turns: 3}
terrain_types:
  clear: {code: ".", name: Clear, move_cost: 1, defence: 1}
map: {width: 3, height: 2, default_terrain: clear}
factions: [{id: a, name: A, colour: "#ff0000"}]
unit_types: {inf: {name: I, symbol: infantry, attack: 1, defence: 1, movement: 1}}
units: [{id: u, name: U, type: inf, faction: a, hex: [2, 1]}]
places: [{name: P, hex: [0, 0]}]
"""
    scn = load_scenario_text(text)
    assert scn.grid.n_cells == 6 and (scn.terrain == 0).all() and scn.grid.hex_km == 5
    assert scn.places[0].lat is None and scn.places[0].kind == "town"
    assert scn.initial_control.tolist() == [-1, -1, -1, -1, -1, 0]
    assert scn.rivers == [] and scn.roads == [] and scn.events == []


def test_yaml_anchors_and_merge_keys_work() -> None:
    text = variant("unit_types:\n  inf: {name: Infantry, symbol: infantry, attack: 3, defence: 4, "
                   "movement: 4}",
                   "unit_types:\n  inf: &base {name: Infantry, symbol: infantry, attack: 3, "
                   "defence: 4, movement: 4}\n  heavy: {<<: *base, name: Heavy, attack: 6}")
    scn = load_scenario_text(text)
    assert scn.unit_types["heavy"].attack == 6 and scn.unit_types["heavy"].defence == 4


# --- broken scenarios: exact file:line field: message -------------------------------------

BROKEN = [
    # (old, new, needle for the expected line, expected "field: message")
    ("type: inf, faction: red, place: west", "type: tnak, faction: red, place: west",
     "tnak", "units[0].type: unknown unit type 'tnak'"),
    ("type: inf, faction: red, place: west", "type: ifn, faction: red, place: west",
     "ifn", "units[0].type: unknown unit type 'ifn' (did you mean 'inf'?)"),
    ("  width: 10", "  widht: 10", "widht",
     "map.widht: unknown key 'widht' (did you mean 'width'?)"),
    ("  width: 10", "  width: 1000", "width: 1000", "map.width: 1000 is out of range (2..400)"),
    ("  width: 10", "  width: ten", "width: ten", "map.width: expected a whole number, got 'ten'"),
    ("  width: 10", "  width: [10]", "width: [10]",
     "map.width: expected a whole number, got a list"),
    ("  hex_km: 5", "  hex_km: .nan", "hex_km", "map.hex_km: number must be finite"),
    ("  turns: 10", "  turns: 1.0e+400", "turns: 1.0e+400",
     "meta.turns: expected a whole number, got the number 1.0e+400"),
    ("  turns: 10", "  turns: 1e400", "turns: 1e400",
     "meta.turns: expected a whole number, got '1e400'"),
    ("  turns: 10", "  turns: " + "9" * 5000, "turns: 999", "meta.turns: bad value '"
     + "9" * 37 + "...': number too large"),
    ("  turns: 10", "  turns: 1" + ":1" * 3000, "turns: 1:1", "meta.turns: bad value '"
     + "1:" * 18 + "1...': number too large"),
    ("hex: [8, 4], supply_exempt", "hex: [8" + "0" * 80 + ", 4], supply_exempt", "hex: [80",
     "units[2].hex[0]: a huge number is out of range (-1000000..1000000)"),
    ("  days_per_turn: 3", "  days_per_turn: 123456789012345678901234567890",
     "days_per_turn", "meta.days_per_turn: 123456789012... is out of range (1..30)"),
    ("hex: [8, 4], supply_exempt", "hex: [80, 4], supply_exempt", "hex: [80, 4]",
     "units[2].hex: hex [80, 4] is off the map (columns 0..9, rows 0..7)"),
    ("faction: red, place: west}", "faction: red, place: Westtwon}", "Westtwon",
     "units[0].place: unknown place 'Westtwon' (did you mean 'Westtown'?)"),
    ('    - "dddvvvdddd"\n    - "dddvvvdddd"', '    - "dddvvvdddd"\n    - "dddvvvddd"',
     '"dddvvvddd"', "map.rows[3]: expected 10 terrain codes (map.width), got 9"),
    ('    - "ddddddddd~"', '    - "ddddxdddd~"', "ddddxdddd~",
     "map.rows[6]: unknown terrain code 'x' at column 4; known codes: d u v ~"),
    ('    - "dddddddddd"\n    - "d d', '    - "d d', '  rows:',
     "map.rows: expected 8 rows (map.height), got 7"),
    ("  - [red, blue, war]", "  - [red, blue, peace]", "peace",
     "relations[0][2]: unknown relation 'peace'; expected one of: war, deconflicted, allied, "
     "neutral"),
    ("  - [red, blue, war]", "  - [red, red, war]", "[red, red",
     "relations[0]: a relation needs two different factions, got 'red' twice"),
    ("start_date: 2017-09-01", "start_date: 2017-13-01", "start_date",
     "meta.start_date: bad value '2017-13-01': month must be in 1..12"),
    ("start_date: 2017-09-01", "start_date: yesterday", "start_date",
     "meta.start_date: expected a date (YYYY-MM-DD), got 'yesterday'"),
    ("format: 1", "format: 2", "format", "format: unsupported format version 2 (this game reads 1)"),
    ("format: 1\n", "", "meta:", "format: missing required field (this game reads format: 1)"),
    ("format: 1\n", "format: 1\nformat: 1\n", "format: 1\nmeta",
     "format: duplicate key (first given at line 1)"),
    ("    hex: [1, 3]\n", "    hex: [1, 3]\n    at: [35.8, 40.1]\n", "at: [35.8, 40.1]",
     "places[0].at: give only one of hex, at"),
    ("        - at: [35.85, 40.25]", "        - at: [35.85, 42.25]", "42.25",
     "map.rivers[0].bridges[0].at: point [35.85, 42.25] is off the map"),
    ("        - at: [35.85, 40.25]", "        - at: [35.85, 40.45]", "40.45]",
     "map.rivers[0].bridges[0]: the river is 16.0 km from this bridge (at most 15 km)"),
    ('colour: "#b03a2e"', "colour: red", "colour: red",
     "factions[0].colour: 'red' is not a valid colour (#rrggbb)"),
    ("{id: b1,", "{id: r1,", "{id: r1, name: Blue",
     f"units[2].id: duplicate unit id 'r1' (first used at line {L_R1})"),
    ("{id: r4,", "{id: r2,", "{id: r2, name: Red 4",
     f"events[0].effects[4].reinforcements[0].id: duplicate unit id 'r2' (first used at line "
     f"{L_R2})"),
    ("faction: red, place: west}", "faction: red, place: west, steps: 4}", "steps: 4}",
     "units[0].steps: 4 steps is more than a full-strength 'inf' has (3)"),
    ("faction: red, hex: [0, 0]", "faction: red, hex: [9, 6]", "hex: [9, 6]",
     "units[1]: unit starts on impassable terrain 'lake'"),
    ("faction: red, hex: [0, 0]", "faction: red, hex: [8, 4]", "{id: b1",
     f"units[2]: hex already holds a unit of 'red' (line {L_R2}); factions may not share a hex"),
    ("  - turn: 2", "  - turn: 11", "turn: 11",
     "reinforcements[0].turn: turn 11 is after the last turn (10)"),
    ("  - date: 2017-09-07", "  - date: 2017-08-07", "2017-08-07",
     "reinforcements[1].date: 2017-08-07 is before meta.start_date (2017-09-01)"),
    ("  - date: 2017-09-07", "  - date: 2017-10-07", "2017-10-07",
     "reinforcements[1].date: 2017-10-07 falls on turn 13 is after the last turn (10)"),
    ("  - turn: 2", "  - turn: 2\n    date: 2017-09-04", "  - turn: 2",
     "reinforcements[0]: give exactly one of turn: or date:"),
    ("      - vp: {faction: red, amount: 5}", "      - vp: {faction: redd, amount: 5}", "redd",
     "events[0].effects[1].vp.faction: unknown faction 'redd' (did you mean 'red'?)"),
    ("      - vp: {faction: red, amount: 5}", "      - mesage: hi", "mesage",
     "events[0].effects[1].mesage: unknown effect 'mesage' (did you mean 'message'?); expected "
     "one of: {EFFECTS}"),
    ("      - vp: {faction: red, amount: 5}", "      - {vp: {faction: red, amount: 5}, "
     "message: x}", "message: x}",
     "events[0].effects[1]: effect has exactly one key (one of: {EFFECTS}), got 2"),
    ("trigger: {turn: 3}", "trigger: {turns: 3}", "turns: 3",
     "events[2].trigger.turns: unknown trigger 'turns' (did you mean 'turn'?); expected one of: "
     "{TRIGGERS}"),
    ("trigger: {turn: 3}", "trigger: {turn: three}", "three",
     "events[2].trigger.turn: expected a whole number, got 'three'"),
    ("  - id: late", "  - id: siege_broken", "id: siege_broken\n    once",
     f"events[1].id: duplicate event id 'siege_broken' (first at line {L_SIEGE})"),
    ("between: [russia, coalition]", "between: [russia]", "between:",
     "events[3].trigger.tension.between: expected two different ids [a, b]"),
    ("      control: [Easttown, [1, 3]]", "      control: [Easttown, [1, 30]]", "[1, 30]",
     "victory.sudden_death[0].control[1]: hex [1, 30] is off the map (columns 0..9, rows 0..7)"),
    ("      control: [Easttown, [1, 3]]", "      control: []", "control: []",
     "victory.sudden_death[0].control: expected at least 1 entries, got 0"),
    ("    - terrain: lake\n", "    - terrain: laek\n", "laek",
     "map.features[1].terrain: unknown terrain 'laek' (did you mean 'lake'?)"),
    ("      width_km: 2", "      width_km: 2\n      radius: 1", "radius: 1\n  rivers",
     "map.features[2].radius: radius only applies to a location"),
    ("      polygon: [[36.01, 40.32],", "      polygon: [[36.01, 40.32, 1],", "polygon:",
     "map.features[1].polygon[0]: expected [latitude, longitude], got a list of 3"),
    ("      polygon: [[36.01, 40.32],", "      polygon: [[96.01, 40.32],", "polygon:",
     "map.features[1].polygon[0][0]: 96.01 is out of range (-89..89)"),
    ("      hexes: [[1, 3], [1, 5]]", "      hexes: [[1, 3]]", "hexes:",
     "map.roads[2].hexes: expected at least 2 entries, got 1"),
    ("      places: [Westtown, Easttown]", "      places: [Westtown, Easttown]\n"
     "      hexes: [[1, 3], [1, 5]]", "- name: Highway",
     "map.roads[0]: give exactly one of path:, places: or hexes:"),
    ("  - name: Easttown\n    at:", "  - name: west\n    at:", "- name: west",
     "places[1].name: place name 'west' is already used by places[0]"),
    ("    kind: city", "    kind: metropolis", "metropolis",
     "places[1].kind: unknown place kind 'metropolis'; expected one of: city, town, village, "
     "base, field, crossing, border, site"),
    ("  inf: {name: Infantry, symbol: infantry,", "  inf: {name: Infantry, symbol: infantri,",
     "infantri", "unit_types.inf.symbol: unknown symbol 'infantri' (did you mean 'infantry'?); "
     "expected one of: infantry, mechanized, armor, artillery, sof, militia, engineer, hq, "
     "airborne, recon"),
    ("hidden: true}", "hidden: maybe}", "maybe",
     "factions[1].hidden: expected true or false, got 'maybe'"),
    ("  stacking: 3", "  stacking: 3\n  fog: true", "fog: true",
     "rules.fog: unknown key 'fog'"),
    ("meta:\n", "meta:\n  idd: x\n", "idd: x", "meta.idd: unknown key 'idd' (did you mean 'id'?)"),
    ("relations:", "relatoins:", "relatoins:",
     "relatoins: unknown key 'relatoins' (did you mean 'relations'?)"),
    ("  origin: [36.0, 40.0]\n", "", "polygon: [[36.01", "map.features[1].polygon: latitude/longitude "
     "need map.origin"),
    ("  lake:   {code: \"~\"", "  lake:   {code: \"dd\"", 'code: "dd"',
     "terrain_types.lake.code: a terrain code is one visible character, got 'dd'"),
    ("  lake:   {code: \"~\"", "  lake:   {code: \"d\"", 'code: "d"',
     "terrain_types.lake.code: code 'd' is already used by 'desert'"),
    ("unit_types:\n", "unit_types:\n  Bad-Id: {name: X, symbol: hq, attack: 1, defence: 1, "
     "movement: 1}\n", "Bad-Id", "unit_types.Bad-Id: 'Bad-Id' is not a valid unit type id "
     "(letters a-z, digits, _)"),
    ("  - {faction: red, place: Westtown}", "  - {faction: red}", "{faction: red}",
     "supply_sources[0]: missing location: give hex: [column, row], at: [latitude, longitude], "
     "place: NAME"),
    ("    vp_per_turn: 2", "    vp_per_turn: -2", "vp_per_turn",
     "objectives[0].vp_per_turn: -2 is out of range (0..1000000)"),
    ("  - faction: blue\n      hex: [8, 1]", "  - faction: blue\n      hex: [8, 1]\n"
     "      polygon: [[1, 1], [2, 2], [3, 3]]", "  - faction: blue",
     "map.control[0]: give only one shape: polygon:, line: or a location"),
    ("      path: [[36.1, 40.25], [35.6, 40.25]]", "      path: [[30.1, 40.25], [30.6, 40.25]]",
     "[[30.1", "map.rivers[0].path: the river crosses no hex sides on the map"),
    ("      path: [[36.1, 40.25], [35.6, 40.25]]", "      hexsides: [[[4, 0], [6, 0]]]",
     "hexsides", "map.rivers[0].hexsides[0]: the two hexes of a side must be adjacent"),
    ("  description: \"A river", "  description: !!binary \"A river", "description",
     "meta.description: bad value 'A river, a road, two towns.': failed to decode base64 data: "
     "Incorrect padding"),
    ("  seed: 7", "  seed: !!python/object:os.system x", "seed",
     "meta.seed: bad value 'x': could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object:os.system'"),
]


@pytest.mark.parametrize("old,new,needle,expected", BROKEN, ids=[b[3].split(":")[0] + "/"
                                                                 + b[1][:20] for b in BROKEN])
def test_broken_variant_exact_message(old: str, new: str, needle: str, expected: str) -> None:
    text = variant(old, new)
    lineno = text.count("\n", 0, text.index(needle)) + 1 if needle else 1
    probs = problems_of(text, "scenarios/x.yaml")
    # kinds registered by extension modules join the built-in ones in these lists
    expected = expected.replace("{EFFECTS}", ", ".join(EFFECT_PARSERS))
    expected = expected.replace("{TRIGGERS}", ", ".join(loader.TRIGGER_PARSERS))
    assert f"scenarios/x.yaml:{lineno} {expected}" in probs, "\n".join(probs)


def test_many_problems_are_collected_and_sorted() -> None:
    text = variant("  width: 10", "  width: 1000")         # grid fails: later sections skipped
    text = variant("  turns: 10", "  turns: 0", text)
    text = variant('colour: "#b03a2e"', "colour: red", text)
    probs = problems_of(text)
    assert probs == [
        "x.yaml:8 meta.turns: 0 is out of range (1..500)",
        "x.yaml:19 map.width: 1000 is out of range (2..400)",
        f"x.yaml:{L_COLOUR} factions[0].colour: 'red' is not a valid colour (#rrggbb)",
    ]
    text = variant("type: inf, faction: red, place: west", "type: tank, faction: reed, place: x")
    text = variant("hex: [8, 4], supply_exempt: true", "hex: [8, 4], supply_exempt: 3", text)
    assert problems_of(text) == [
        f"x.yaml:{L_R1} units[0].type: unknown unit type 'tank'",
        f"x.yaml:{L_R1} units[0].faction: unknown faction 'reed' (did you mean 'red'?)",
        f"x.yaml:{L_R1} units[0].place: unknown place 'x'",
        f"x.yaml:{L_B1} units[2].supply_exempt: expected true or false, got the number 3",
    ]


def test_missing_required_fields_point_at_their_mapping() -> None:
    text = variant("  - {id: r2, name: Red 2, type: art, faction: red,",
                   "  - {id: r2, name: Red 2, faction: red,")
    assert problems_of(text) == [f"x.yaml:{L_R2} units[1].type: missing required field"]
    text = variant("meta:\n  id: tiny\n", "meta:\n")
    assert problems_of(text) == ["x.yaml:2 meta.id: missing required field"]


def test_error_in_unit_type_does_not_cascade() -> None:
    text = variant("  inf: {name: Infantry, symbol: infantry, attack: 3,",
                   "  inf: {name: Infantry, symbol: infantry, attack: x,")
    assert problems_of(text) == [f"x.yaml:{L_INF} unit_types.inf.attack: expected a number, got 'x'"]


# --- hostile and malformed files --------------------------------------------------------------

def test_missing_file(tmp_path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [f"{path}:1 (file): cannot read: No such file or directory"]
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_non_utf8_bytes(tmp_path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"format: 1\nmeta:\n  name: Caf\xe9\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [f"{path}:3 (file): not UTF-8 text: byte 0xe9 at column 12"]


def test_control_characters_and_bom(tmp_path) -> None:
    probs = problems_of("format: 1\nmeta: \x00\n")
    assert probs == ["x.yaml:2 (file): character U+0000 is not allowed in YAML"]
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_scenario(path).meta.id == "tiny"


def test_oversized_file_refused_fast(tmp_path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"format: 1\n" + b"#" * (2 * 1024 * 1024))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [f"{path}:1 (file): too large ({2 * 1024 * 1024 + 10} bytes; "
                                   "scenarios are at most 2 MB)"]
    with pytest.raises(ScenarioError, match="too large"):
        load_scenario_text("x" * (2 * 1024 * 1024 + 1))


def test_alias_bomb_refused_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    probs = problems_of("\n".join(lines) + "\n", "bomb.yaml")
    assert len(probs) == 1 and probs[0].startswith("bomb.yaml:")
    assert "aliases expand to more than 10000 values; refusing" in probs[0]


def test_recursive_alias_refused() -> None:
    probs = problems_of("format: 1\nmeta: &m {id: x, again: *m}\n")
    assert probs == ["x.yaml:2 (file): recursive alias (a value that contains itself); refusing"]


def test_deep_nesting_refused() -> None:
    probs = problems_of("format: 1\nmeta: " + "[" * 5000 + "]" * 5000 + "\n")
    assert probs in (["x.yaml:2 (file): nested deeper than 20 levels; refusing"],
                     ["x.yaml:2 (file): nested too deeply; refusing"])   # libyaml's limit
    probs = problems_of("format: 1\nmeta: " + "[" * 25 + "]" * 25 + "\n")
    assert probs == ["x.yaml:2 (file): nested deeper than 20 levels; refusing"]
    block = "format: 1\n" + "".join("  " * i + f"k{i}:\n" for i in range(30))
    assert problems_of(block) == ["x.yaml:22 (file): nested deeper than 20 levels; refusing"]


def test_too_many_nodes_refused() -> None:
    probs = problems_of("format: 1\nmeta: [" + "1," * 210_000 + "1]\n")
    assert probs == ["x.yaml:2 (file): more than 200000 YAML values; refusing"]


def test_yaml_syntax_errors_have_lines() -> None:
    # (wording after the prefix is the YAML parser's: libyaml's or PyYAML's)
    (p,) = problems_of("format: 1\nmeta: {id: x\nmap: 3\n")
    assert p.startswith("x.yaml:3 (file): YAML syntax error: while parsing a flow mapping; ")
    (p,) = problems_of("format: 1\n  bad: indent\n")
    assert p.startswith("x.yaml:2 (file): YAML syntax error: mapping values are not allowed")
    assert problems_of("a: 1\n---\nb: 2\n") == [
        "x.yaml:2 (file): YAML syntax error: expected a single document in the stream; but "
        "found another document"]
    (p,) = problems_of("format: 1\nmeta: 'unterminated\n")
    assert p.startswith("x.yaml:3 (file): YAML syntax error: while scanning a quoted scalar; ")


def test_empty_and_non_mapping_documents() -> None:
    assert problems_of("") == ["x.yaml:1 (file): the file is empty; a scenario starts with "
                               "'format: 1'"]
    assert problems_of("# only a comment\n") == problems_of("")
    assert problems_of("- 1\n- 2\n") == ["x.yaml:1 (file): expected a mapping of sections "
                                         "(format:, meta:, map: ...), got a list"]
    assert problems_of("just text") == ["x.yaml:1 (file): expected a mapping of sections "
                                        "(format:, meta:, map: ...), got 'just text'"]


def test_wrong_section_types() -> None:
    probs = problems_of(variant("units:\n", "units: 5\nx_units:\n"))
    assert f"x.yaml:{L_UNITS} units: expected a list of units, got the number 5" in probs
    assert f"x.yaml:{L_UNITS + 1} x_units: unknown key 'x_units' (did you mean 'units'?)" in probs
    probs = problems_of(variant("map:\n", "map: [1, 2]\nold_map:\n"))
    assert f"x.yaml:{L_MAP} map: expected a mapping, got a list" in probs
    probs = problems_of(variant("  rows:\n", "  rows: dddd\n  old_rows:\n"))
    assert f"x.yaml:{L_ROWS} map.rows: expected a list of row strings, got 'dddd'" in probs


def test_only_scenario_error_escapes_from_odd_inputs(tmp_path) -> None:
    for text in ["{", "]", "&a", "*a", "? [1]\n: 2", "!!set {a}", "%YAML 9.9\n---\na: 1",
                 "a: !!int x", "format: !!float 1", "format: 1\nmeta: !!omap [{a: 1}]",
                 "[" * 25 + "]" * 25, "x: " + "9" * 20000, "\ud800"]:
        with pytest.raises(ScenarioError) as info:
            load_scenario_text(text, "odd.yaml")
        assert all(p.startswith("odd.yaml:") for p in info.value.problems)
    with pytest.raises(ScenarioError):
        load_scenario_text(b"format: 1\n\xff", "bytes.yaml")  # type: ignore[arg-type]


# --- extension hooks --------------------------------------------------------------------------

def test_extension_section_and_effect_hooks() -> None:
    seen = {}

    def parse_air(node, ctx):
        assert ctx.grid is not None and ctx.place("Westtown") is not None
        assert list(ctx.factions) == ["red", "blue"]
        if not ctx.mapping(node, ("wings",)):
            return None
        wings = ctx.field(node, "wings", ctx.integer, 0, 10)
        seen["path"] = node.path
        return {"wings": wings}

    def parse_lines(node, ctx):
        seen["extra"] = dict(ctx.extra)
        loc = ctx.location(node)
        return None if loc is None else {"cell": loc.cell}

    loader.register_section("air_test", parse_air)
    loader.register_effect("lines_test", parse_lines)
    try:
        text = VALID + "air_test:\n  wings: 2\n"
        text = variant('      - message: "Late."', '      - lines_test: {place: Easttown}', text)
        scn = load_scenario_text(text)
        assert scn.extra["air_test"] == {"wings": 2} and seen["path"] == "air_test"
        assert seen["extra"] == {"air_test": {"wings": 2}}    # sections run before events
        (effect,) = [e for e in scn.events if e.id == "late"][0].effects
        assert effect == Effect("lines_test", {"cell": scn.place("Easttown").cell})
        bad = variant("wings: 2", "wingz: 2", text)
        probs = problems_of(bad)
        assert f"x.yaml:{line_of(bad, 'wingz')} air_test.wingz: unknown key 'wingz' " \
               "(did you mean 'wings'?)" in probs
        TOP_LEVEL_SECTIONS["air_test"] = lambda node, ctx: 1 / 0
        probs = problems_of(text)
        assert probs == [f"x.yaml:{line_of(text, 'air_test:')} air_test: internal error while "
                         "reading this section: ZeroDivisionError: division by zero"]
    finally:
        TOP_LEVEL_SECTIONS.pop("air_test", None)
        EFFECT_PARSERS.pop("lines_test", None)
    probs = problems_of(VALID + "air_test:\n  wings: 2\n")
    assert f"x.yaml:{line_of(VALID, 'sudden_death') + 4} air_test: unknown key 'air_test'" \
        in probs
    with pytest.raises(ValueError):
        loader.register_section("units", parse_air)


# --- performance ----------------------------------------------------------------------------

def _big_scenario() -> str:
    rng = np.random.default_rng(3)
    lat0, lon0 = 36.0, 38.0
    out = [VALID.split("map:\n")[0].replace("turns: 10", "turns: 40"), "map:",
           "  width: 60", "  height: 60", "  hex_km: 5", f"  origin: [{lat0}, {lon0}]",
           "  default_terrain: desert", "  features:"]

    def pt() -> str:
        return f"[{lat0 - rng.uniform(0, 2.6):.4f}, {lon0 + rng.uniform(0, 3.3):.4f}]"

    for i in range(40):
        t = ["valley", "urban", "desert"][i % 3]
        if i % 3 == 0:
            out.append(f"    - {{terrain: {t}, polygon: [{', '.join(pt() for _ in range(12))}]}}")
        elif i % 3 == 1:
            out.append(f"    - {{terrain: {t}, line: [{', '.join(pt() for _ in range(8))}], "
                       "width_km: 4}")
        else:
            out.append(f"    - {{terrain: {t}, at: {pt()}, radius: 2}}")
    out.append("  rivers:")
    for r in range(2):
        lats = np.linspace(lat0 + 0.05, lat0 - 2.7, 60)
        lons = lon0 + 1.0 + r + 0.3 * np.sin(np.linspace(0, 6, 60))
        path = ", ".join(f"[{a:.4f}, {b:.4f}]" for a, b in zip(lats, lons))
        out.append(f"    - name: River {r}\n      path: [{path}]\n      bridges: [{{at: "
                   f"[{lats[30]:.4f}, {lons[30]:.4f}]}}]")
    out.append("  roads:")
    for r in range(8):
        out.append(f"    - {{name: Road {r}, path: [{', '.join(pt() for _ in range(6))}]}}")
    out.append("places:")
    for p in range(20):
        out.append(f"  - {{name: Place {p}, hex: [{p * 3}, {p * 2 + 5}]}}")
    out.append('factions:\n  - {id: red, name: Red, colour: "#b03a2e"}\n'
               '  - {id: blue, name: Blue, colour: "#2e86c1"}')
    out.append("unit_types:\n  inf: {name: Infantry, symbol: infantry, attack: 3, defence: 4, "
               "movement: 4}")
    out.append("units:")
    for u in range(60):
        out.append(f"  - {{id: u{u}, name: Unit {u}, type: inf, faction: "
                   f"{'red' if u < 30 else 'blue'}, hex: [{u if u < 30 else u - 30}, "
                   f"{1 if u < 30 else 58}]}}")
    return "\n".join(out) + "\n"


def test_big_map_loads() -> None:
    # load *time* is a benchmark (benchmarks/run.py), not a unit test
    scn = load_scenario_text(_big_scenario(), "big.yaml")
    assert scn.grid.n_cells == 3600 and len(scn.units) == 60 and len(scn.rivers) == 2
    assert all(r.bridges for r in scn.rivers) and len(scn.roads) >= 8


def test_hostile_geometry_is_refused_by_the_work_budget() -> None:
    zigzag = ", ".join(f"[{36.0 - (i % 2) * 8.9:.2f}, {40.0 + (i % 3) * 4.4:.2f}]"
                       for i in range(2000))
    text = variant("  width: 10\n  height: 8", "  width: 200\n  height: 200")
    text = variant('    - "dddddddddd"\n', "", text)   # drop rows (they no longer fit)
    text = text.replace('    - "dddddddddd"\n', "").replace('    - "d d d d d d d d d d"\n', "")
    text = text.replace('    - "dddvvvdddd"\n', "").replace('    - "ddddddddd~"\n', "")
    text = text.replace("  rows:\n", "")
    text = variant("      width_km: 2", "      width_km: 900", text)
    text = variant("      line: [[35.73, 40.0], [35.73, 40.2]]", f"      line: [{zigzag}]", text)
    probs = problems_of(text)
    assert probs == [f"x.yaml:{line_of(text, '      line: [')} map.features[2].line: map geometry "
                     "is too complex to rasterise (more than 10000000 hex tests); use fewer or "
                     "simpler shapes"]

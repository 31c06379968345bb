"""A player-written scenario (scenarios/examples/khasham_2018.yaml), authored from
docs/scenario-format.md and scenarios/template.yaml only.

Code API used: load_scenario and play_game (the ones a player is pointed at). The attributes read
from the loaded scenario (places, rivers, roads, relations) were found by looking at the object's
repr, not documented in the guide; see docs/guide-feedback.md.
"""

from pathlib import Path

import pytest

from game.scenario.loader import load_scenario
from game.simulate import play_game

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "examples" / "khasham_2018.yaml"

WEST_BANK = ["Deir ez-Zor", "Deir ez-Zor airbase", "Jabal Thardah"]
EAST_BANK = ["Marrat", "Hatla", "Mazlum", "Khasham", "al-Tabiyah", "Conoco gas plant", "Green Village"]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(str(SCENARIO))


def offset(s, cell):
    """[col, row] of a cell index (cells are numbered row by row: row * width + col)."""
    return [cell % s.grid.width, cell // s.grid.width]


def place_hex(s, name):
    return offset(s, s.place(name).cell)


def neighbours(s, cell):
    """Odd-r offset neighbours, as the guide describes: odd rows sit half a hex to the east."""
    col, row = offset(s, cell)
    if row % 2 == 0:
        deltas = [(1, 0), (-1, 0), (-1, -1), (0, -1), (-1, 1), (0, 1)]
    else:
        deltas = [(1, 0), (-1, 0), (0, -1), (1, -1), (0, 1), (1, 1)]
    for dc, dr in deltas:
        c, r = col + dc, row + dr
        if 0 <= c < s.grid.width and 0 <= r < s.grid.height:
            yield r * s.grid.width + c


def river_sides(s, name):
    river = next(r for r in s.rivers if r.name == name)
    return {frozenset(e) for e in river.edges}, {frozenset(b) for b in river.bridges}


def bank_of(s, start_cell, sides):
    """Every cell reachable from start_cell without crossing one of the river sides."""
    seen, todo = {start_cell}, [start_cell]
    while todo:
        cell = todo.pop()
        for n in neighbours(s, cell):
            if n not in seen and frozenset((cell, n)) not in sides:
                seen.add(n)
                todo.append(n)
    return seen


def test_identity_and_sides(scenario):
    s = scenario
    assert s.meta.id == "khasham_2018"
    assert [f.id for f in s.factions] == ["regime", "sdf", "isil"]  # turn order
    assert (s.grid.width, s.grid.height) == (16, 12)
    assert len(s.units) == 12
    assert next(f for f in s.factions if f.id == "isil").hidden


def test_relations(scenario):
    assert scenario.relation("regime", "sdf") == "deconflicted"
    assert scenario.relation("sdf", "regime") == "deconflicted"
    assert scenario.relation("regime", "isil") == "war"
    assert scenario.relation("isil", "sdf") == "war"


def test_places_land_on_the_intended_hexes(scenario):
    expected = {
        "Deir ez-Zor": [4, 4],
        "Deir ez-Zor airbase": [5, 6],
        "Marrat": [4, 3],
        "Hatla": [5, 4],
        "Mazlum": [5, 5],
        "Khasham": [6, 5],
        "al-Tabiyah": [7, 4],
        "Conoco gas plant": [7, 3],
        "Green Village": [13, 10],
    }
    for name, hex_ in expected.items():
        assert place_hex(scenario, name) == hex_, name
    assert scenario.place("Conoco").name == "Conoco gas plant"  # alias


def test_euphrates_separates_the_banks(scenario):
    s = scenario
    sides, bridges = river_sides(s, "Euphrates")
    west = bank_of(s, s.place("Deir ez-Zor").cell, sides)
    for name in WEST_BANK:
        assert s.place(name).cell in west, name
    for name in EAST_BANK:
        assert s.place(name).cell not in west, name
    # the two pontoons: Deir ez-Zor - Marrat and airbase - Mazlum
    assert bridges == {
        frozenset((s.place("Deir ez-Zor").cell, s.place("Marrat").cell)),
        frozenset((s.place("Deir ez-Zor airbase").cell, s.place("Mazlum").cell)),
    }


def test_roads_cross_the_river_only_at_bridges(scenario):
    sides, bridges = river_sides(scenario, "Euphrates")
    crossings = set()
    for road in scenario.roads:
        for a, b in zip(road.cells, road.cells[1:]):
            side = frozenset((a, b))
            if side in sides:
                assert side in bridges, (road.name, offset(scenario, a), offset(scenario, b))
                crossings.add(side)
    assert crossings == bridges  # both pontoons are used by a road


def test_units_start_where_intended(scenario):
    s = scenario
    by_id = {u.id: u for u in s.units}
    assert by_id["wagner_1"].cell == s.place("Khasham").cell
    assert by_id["us_sof"].cell == s.place("Conoco gas plant").cell
    assert by_id["sdf_conoco"].static
    east = set(EAST_BANK)
    for u in s.units:
        if u.faction == "sdf":
            assert any(u.cell == s.place(p).cell for p in east) or offset(s, u.cell) == [8, 2]


def test_script(scenario):
    s = scenario
    assert {e.id for e in s.events} == {"intro", "khasham_attack", "conoco_falls", "khasham_cleared"}
    attack = next(e for e in s.events if e.id == "khasham_attack")
    assert any(eff.kind == "relation" for eff in attack.effects)
    assert [r.turn for r in s.reinforcements] == [4]  # 2018-02-08 with 1-day turns from 02-05
    assert {o.name for o in s.objectives} >= {"Conoco gas plant", "Khasham"}


@pytest.mark.parametrize("seed", [1, 2])
def test_full_random_game_has_a_winner(scenario, seed):
    result = play_game(scenario, seed, {"regime": "random", "sdf": "random", "isil": "random"})
    assert result["winner"] in {"regime", "sdf", "isil"}
    assert not result["truncated"]
    assert result["illegal"] == 0

"""Bridges: an explicit hex side, and a refusal to guess when a point is equally near several sides."""
import pytest

from game.errors import ScenarioError
from game.scenario.loader import load_scenario_text

BASE = """format: 1
meta: {id: t, name: T, description: x, start_date: 2017-09-01, days_per_turn: 3, turns: 3}
terrain_types:
  clear: {code: ".", name: Clear, move_cost: 1, defence: 1}
map:
  width: 6
  height: 5
  default_terrain: clear
  rivers:
    - name: R
      hexsides: [[[2,1],[3,1]], [[2,2],[3,2]], [[2,2],[2,1]]]
      bridges:
BRIDGES
factions:
  - {id: a, name: A, colour: "#ff0000"}
  - {id: b, name: B, colour: "#0000ff"}
relations: [[a, b, war]]
unit_types:
  inf: {name: Inf, symbol: infantry, attack: 2, defence: 2, movement: 3}
units:
  - {id: u1, type: inf, faction: a, hex: [0, 0]}
  - {id: u2, type: inf, faction: b, hex: [5, 4]}
"""


def load(bridges: str):
    return load_scenario_text(BASE.replace("BRIDGES", bridges), "b.yaml")


def test_explicit_hexside_bridge():
    s = load("        - hexside: [[2, 1], [3, 1]]")
    g = s.grid
    a, b = g.cell_of_offset(2, 1), g.cell_of_offset(3, 1)
    assert s.rivers[0].bridges == frozenset({(min(a, b), max(a, b))})


def test_hex_centre_touching_two_sides_is_refused():
    with pytest.raises(ScenarioError) as e:
        load("        - hex: [2, 2]")
    assert "b.yaml:13 map.rivers[0].bridges[0]: this point is equally near 2 sides" in str(e.value)


def test_hexside_not_on_river():
    with pytest.raises(ScenarioError) as e:
        load("        - hexside: [[0, 0], [1, 0]]")
    assert "b.yaml:13 map.rivers[0].bridges[0].hexside: this hex side is not on the river" in str(e.value)

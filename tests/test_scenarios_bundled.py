"""The bundled scenarios load, and the default one is geographically right.

Geography is checked against the coordinates in shared/scenario-facts.md (copied below so the
test does not depend on that file), not against the YAML itself: a place that drifted in the
YAML is caught here.
"""
from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

try:
    from game.scenario.loader import load_scenario
except ImportError as exc:  # pragma: no cover - only while the loader is being written
    pytest.skip(f"game.scenario.loader is not importable yet ({exc})", allow_module_level=True)

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DEFAULT = SCENARIOS / "deir_ez_zor_2017.yaml"
BUNDLED = ["deir_ez_zor_2017.yaml", "tutorial.yaml", "template.yaml"]

# (place name in the scenario, lat, lon) from the gazetteer in scenario-facts.md; [est]
# coordinates are the facts' estimates.
FACTS = [
    ("Deir ez-Zor", 35.336, 40.145),
    ("Deir ez-Zor airbase", 35.2853, 40.1758),
    ("Brigade 137", 35.30, 40.09),
    ("Panorama", 35.31, 40.12),
    ("Jabal Thardah", 35.27, 40.13),
    ("Mayadin", 35.0183, 40.4533),
    ("Abu Kamal", 34.4536, 40.9367),
    ("al-Qa'im", 34.3688, 41.0945),
    ("Raqqa", 35.950, 39.017),
    ("Tabqa", 35.8367, 38.5481),
    ("al-Shaddadi", 36.0561, 40.7303),
    ("Markadah", 35.7589, 40.7692),
    ("al-Busayrah", 35.1556, 40.4258),
    ("al-Suwar", 35.50, 40.67),
    ("Hajin", 34.6894, 40.8308),
    ("al-Susah", 34.53, 40.93),
    ("al-Baghuz", 34.4586, 40.9506),
    ("Diban", 35.0156, 40.5103),
    ("al-Sukhnah", 34.8868, 38.8721),
    ("Palmyra", 34.5600, 38.2672),
    ("T-2 pumping station", 34.35, 40.17),
    ("al-Omar oil field", 35.08, 40.50),
    ("Conoco gas plant", 35.38, 40.30),
    ("Jafra oil field", 35.43, 40.45),
    ("Khasham", 35.2986, 40.2933),
    ("Ma'adan", 35.7481, 39.6069),
    ("al-Kasrah", 35.53, 39.90),
    ("al-Husseiniyah", 35.36, 40.17),
    ("Marrat crossing", 35.30, 40.21),
    ("al-Hasakah", 36.50, 40.75),
]

# Which bank of the Euphrates each place is on: "N" = north/east bank (Jazira), "S" =
# south/west bank (Shamiyah).
BANKS = {
    "Deir ez-Zor": "S", "Deir ez-Zor airbase": "S", "Brigade 137": "S", "Mayadin": "S",
    "al-Asharah": "S", "Abu Kamal": "S", "al-Qa'im": "S", "Ma'adan": "S", "Tabqa": "S",
    "al-Sukhnah": "S", "Palmyra": "S", "T-2 pumping station": "S",
    "Raqqa": "N", "al-Kasrah": "N", "al-Husseiniyah": "N", "Khasham": "N",
    "Conoco gas plant": "N", "Jafra oil field": "N", "al-Omar oil field": "N", "Diban": "N",
    "al-Busayrah": "N", "Hajin": "N", "al-Susah": "N", "al-Baghuz": "N",
    "Tanak oil field": "N", "al-Shaddadi": "N", "Markadah": "N", "al-Suwar": "N",
    "al-Hasakah": "N",
}


@pytest.fixture(scope="module")
def dez():
    return load_scenario(DEFAULT)


def _river(s, name):
    return next(r for r in s.rivers if r.name == name)


def _side(s, start, blocked):
    """Cells reachable from ``start`` without crossing a blocked hex side (terrain ignored)."""
    seen = {start}
    todo = deque([start])
    while todo:
        c = todo.popleft()
        for n in s.grid.neighbours(c):
            if n not in seen and (min(c, n), max(c, n)) not in blocked:
                seen.add(n)
                todo.append(n)
    return seen


# --- every bundled scenario ----------------------------------------------------------------

@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_loads(name):
    s = load_scenario(SCENARIOS / name)
    assert s.units and s.factions and s.objectives
    assert s.grid.n_cells == s.grid.width * s.grid.height


@pytest.mark.parametrize("name", BUNDLED)
def test_roads_cross_rivers_only_at_bridges(name):
    s = load_scenario(SCENARIOS / name)
    for road in s.roads:
        for a, b in zip(road.cells, road.cells[1:]):
            assert s.grid.distance(a, b) == 1, road.name
            side = (min(a, b), max(a, b))
            for r in s.rivers:
                assert side not in r.edges or side in r.bridges, (
                    f"{road.name} crosses the {r.name} off a bridge at "
                    f"{s.grid.offset(a)}-{s.grid.offset(b)}")


@pytest.mark.parametrize("name", BUNDLED)
def test_no_unit_starts_on_impassable_terrain_or_overstacked(name):
    s = load_scenario(SCENARIOS / name)
    count: dict[int, int] = {}
    for u in s.units:
        assert not s.terrain_types[int(s.terrain[u.cell])].impassable, u.id
        count[u.cell] = count.get(u.cell, 0) + 1
    assert max(count.values()) <= s.rules.stacking


def test_tutorial_is_small_and_teaches_every_turn():
    s = load_scenario(SCENARIOS / "tutorial.yaml")
    assert s.grid.width * s.grid.height <= 400
    assert s.meta.turns == 8
    lesson_turns = {e.trigger.turn for e in s.events if e.trigger.kind == "turn"}
    assert lesson_turns == set(range(1, 9))
    assert any(f.hidden for f in s.factions)
    assert any(r.bridges for r in s.rivers) and s.roads and s.supply_sources


# --- the default scenario ------------------------------------------------------------------

def test_default_scenario_size_and_dates(dez):
    g = dez.grid
    assert (g.width, g.height, g.hex_km) == (57, 60, 5.0)
    lat, lon = g.latlon(g.cell_of_offset(g.width - 1, g.height - 1))
    assert abs(lat - 34.3) < 0.1 and abs(lon - 41.3) < 0.1
    assert str(dez.meta.start_date) == "2017-09-01" and dez.meta.days_per_turn == 3
    end = dez.date_of_turn(dez.meta.turns)
    assert (end.month, end.day >= 10) == (12, True)


def test_places_sit_on_their_own_coordinates(dez):
    """Every place's hex is within one hex of the at: coordinate written in the YAML."""
    doc = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    g = dez.grid
    assert len(doc["places"]) >= 30
    for entry in doc["places"]:
        p = dez.place(entry["name"])
        assert p is not None, entry["name"]
        lat, lon = entry["at"]
        want = g.hex_at_latlon(lat, lon)
        assert g.in_bounds(want), entry["name"]
        assert g.distance(p.cell, g.cell(want)) <= 1, entry["name"]
        clat, clon = g.latlon(p.cell)
        assert abs(clat - lat) < 0.06 and abs(clon - lon) < 0.07, entry["name"]


@pytest.mark.parametrize("name,lat,lon", FACTS)
def test_places_match_the_facts(dez, name, lat, lon):
    p = dez.place(name)
    assert p is not None, f"missing place {name}"
    g = dez.grid
    assert g.distance(p.cell, g.cell(g.hex_at_latlon(lat, lon))) <= 1, name


def test_river_courses_are_detailed(dez):
    assert len(_river(dez, "Euphrates").path_latlon) >= 40
    assert len(_river(dez, "Khabur").path_latlon) >= 15


def test_euphrates_separates_the_city_from_the_east_bank(dez):
    """No path from Deir ez-Zor city reaches Conoco or Khasham without crossing the Euphrates."""
    e = _river(dez, "Euphrates").edges
    south = _side(dez, dez.place("Deir ez-Zor").cell, e)
    for name in ("Conoco gas plant", "Khasham", "al-Husseiniyah", "Raqqa"):
        assert dez.place(name).cell not in south, name
    assert dez.place("Palmyra").cell in south


@pytest.mark.parametrize("name,bank", sorted(BANKS.items()))
def test_places_are_on_their_bank(dez, name, bank):
    e = _river(dez, "Euphrates").edges
    north = _side(dez, dez.place("Raqqa").cell, e)
    assert (dez.place(name).cell in north) == (bank == "N"), name


def test_khabur_joins_the_euphrates_at_busayrah(dez):
    k = _river(dez, "Khabur")
    assert k.path_latlon[-1] in _river(dez, "Euphrates").path_latlon
    near = set(dez.grid.cells_within(dez.place("al-Busayrah").cell, 1))
    assert any(a in near or b in near for a, b in k.edges)


def test_bridges_only_where_crossings_were_usable(dez):
    """Sep 2017: the Tabqa and Baath dams; every road bridge from Raqqa to the border was cut."""
    eu = _river(dez, "Euphrates")
    assert len(eu.bridges) == 2
    g = dez.grid
    for a, _b in eu.bridges:
        lat, lon = g.latlon(a)
        assert lon < 38.9, "a Euphrates bridge downstream of the dams"
    assert len(_river(dez, "Khabur").bridges) >= 4


def test_factions_and_relations(dez):
    assert [f.id for f in dez.factions] == ["regime", "sdf", "isil"]
    assert dez.relation("regime", "isil") == "war"
    assert dez.relation("sdf", "isil") == "war"
    assert dez.relation("regime", "sdf") == "deconflicted"
    isil = dez.factions[dez.faction_index("isil")]
    assert isil.hidden
    assert all(f.vp_goal > 0 for f in dez.factions)


def test_order_of_battle(dez):
    per = {f.id: [u for u in dez.units if u.faction == f.id] for f in dez.factions}
    assert 20 <= len(per["regime"]) <= 27
    assert 15 <= len(per["sdf"]) <= 20
    assert 20 <= len(per["isil"]) <= 28
    assert not any("hawk" in u.name.lower() for u in dez.units), "Desert Hawks disbanded Aug 2017"
    city = {dez.place("Deir ez-Zor").cell, dez.place("Deir ez-Zor airbase").cell,
            dez.place("Brigade 137").cell}
    garrison = [u for u in per["regime"] if u.cell in city]
    assert len(garrison) >= 4 and all(u.supply_exempt for u in garrison)


def test_initial_control(dez):
    def holder(name):
        k = int(dez.initial_control[dez.place(name).cell])
        return dez.factions[k].id if k >= 0 else None

    for name in ("Palmyra", "al-Sukhnah", "Deir ez-Zor", "Deir ez-Zor airbase"):
        assert holder(name) == "regime", name
    for name in ("Tabqa", "al-Hasakah", "al-Shaddadi"):
        assert holder(name) == "sdf", name
    for name in ("Mayadin", "Abu Kamal", "al-Busayrah", "Hajin", "Conoco gas plant", "Markadah"):
        assert holder(name) == "isil", name


def test_objectives_supply_and_events(dez):
    names = {dez.grid.offset(o.cell) for o in dez.objectives}
    for place in ("Deir ez-Zor", "Deir ez-Zor airbase", "Mayadin", "Abu Kamal",
                  "al-Omar oil field", "Conoco gas plant", "T-2 pumping station", "Raqqa",
                  "al-Qa'im crossing", "Marrat crossing"):
        assert dez.grid.offset(dez.place(place).cell) in names, place
    for fid in ("regime", "sdf", "isil"):
        assert any(s.faction == fid for s in dez.supply_sources), fid
    kinds = {e.trigger.kind for e in dez.events}
    assert {"turn", "date", "captured"} <= kinds
    assert dez.reinforcements and all(1 <= r.turn <= dez.meta.turns for r in dez.reinforcements)

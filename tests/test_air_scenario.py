"""The default scenario's air section is historically placed, and zone borders always run on
the hex sides a line crosses (property test on random lines)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from hypothesis import given, settings, strategies as st_

from game import engine
from game.hexgrid import Grid
from game.rules import air
from game.rules.airspace.lines import crossed_sides, line_zone
from game.scenario.loader import load_scenario

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "deir_ez_zor_2017.yaml"


def test_default_scenario_lines_follow_the_history():
    s = load_scenario(DEFAULT)
    spec = air.air_spec(s)
    assert spec is not None and spec.wing_of("regime").id == "vks" and spec.wing_of("sdf").id == "coalition"
    assert spec.wing_of("isil") is None and spec.requests and spec.tension.thresholds[-1].incident == "war"
    st = engine.new_game(s, 1)
    where = {p.name: p.cell for p in s.places}

    def owner(name: str) -> str | None:
        return air.zone_owner(st, where[name])

    # 1 September: only the July arc; the valley around Deir ez-Zor is not yet covered
    assert owner("Raqqa") == "coalition" and owner("Palmyra") == "vks" and owner("Resafa") == "vks"
    assert owner("Deir ez-Zor") is None and owner("Khasham") is None
    # from the 19 September redraw the Euphrates divides them
    st.turn = s.turn_of_date(dt.date(2017, 9, 19))
    for name in ("Deir ez-Zor", "Deir ez-Zor airbase", "Mayadin", "Abu Kamal", "T-2 pumping station"):
        assert owner(name) == "vks", name
    for name in ("Khasham", "Conoco gas plant", "al-Omar oil field", "Diban", "Hajin", "al-Shaddadi", "Marrat crossing"):
        assert owner(name) == "coalition", name
    # and no sponsored unit starts the game on the wrong side of a line
    for turn in (1, st.turn):
        st.turn = turn
        for u in st.units.values():
            w = spec.wing_of(u.faction)
            z = air.zone_owner(st, u.cell)
            assert w is None or z in (None, w.id), (u.id, turn, z)


GRID = Grid(9, 7, 5.0, 36.0, 38.0)
point = st_.tuples(st_.floats(-8.0, 50.0), st_.floats(-8.0, 36.0))


@settings(max_examples=60, deadline=None)
@given(st_.lists(point, min_size=2, max_size=5))
def test_zone_borders_lie_exactly_on_crossed_hex_sides(pts_km):
    latlon = [GRID.km_to_latlon(x, y) for x, y in pts_km]
    z = line_zone(GRID, latlon, 0, 1, None)
    km = np.array([GRID.latlon_to_km(a, b) for a, b in latlon])
    cut = crossed_sides(GRID, GRID.centres_km(), km)
    for c in range(GRID.n_cells):
        for nb in GRID.neighbours(c):
            if nb > c and z[c] >= 0 and z[nb] >= 0 and z[c] != z[nb]:
                assert (c, nb) in cut

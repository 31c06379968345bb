"""The tutorial's air lessons, played.

scenarios/tutorial.yaml teaches air power and deconfliction alongside the ground rules, one air
lesson a turn.  These tests load the tutorial, check its wings, line and zones, and then play
the government side as a tutorial player would - the moves the ground lessons ask for, and the
air missions each air lesson asks for, all through ``engine.apply`` - asserting that what every
lesson promises is what the engine does.  The SDF and ISIL just end their turns, so the game is
the same every time (its dice come from the scenario's fixed seed).

The main line, turn by turn (``MAIN``):

1. move up to the river                        (air 1: the wing, the line, the meter)
2. ISR over the west end of Hamra bridge       (air 2: ISR in your own airspace)
3. ISR over Tell Hamra, announced; the mechanized battalion crosses the bridge
                                               (air 3: the hotline; troops crossing count)
4. the line is redrawn around the bridgehead; an unannounced ISR and strike south of it set
   off the flares at 25; the infantry joins in the pocket
                                               (air 4: tension and incidents; lines change)
5. artillery, then the assault on Tell Hamra with close air support
                                               (air 5: CAS)
6. an airdrop to the heliborne company by the oil field
                                               (air 6: airdrops)
7. the coalition's request to lift ISR over the oil field, refused
                                               (air 7: requests)
8. last turn                                   (air 8: the other side's troops)

Branch tests start from the main line at a turn and try the other choices (wait, unannounced,
accept, no answer, no airdrop).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from game import engine
from game.actions import Attack, EndTurn, Move
from game.rules import events as ev_rules
from game.rules import movement, visibility
from game.rules.air import (AirMission, IsrAnswer, air_actions_for, pending_requests, predict_air,
                            sorties, tension, wing_for, zone_owner)
from game.scenario.loader import load_scenario
from game.scenario.model import Effect

TUTORIAL = Path(__file__).resolve().parent.parent / "scenarios" / "tutorial.yaml"
PAIR = ("vks", "coalition")


@pytest.fixture(scope="module")
def s():
    return load_scenario(TUTORIAL)


# --- a player at the table ---------------------------------------------------------------------

class Player:
    """The government side's player; the SDF and ISIL only end their turns."""

    def __init__(self, scenario, state=None):
        self.s = scenario
        self.st = state if state is not None else engine.new_game(scenario, scenario.meta.seed)

    def copy(self) -> "Player":
        return Player(self.s, self.st.clone())

    def hex(self, col: int, row: int) -> int:
        return self.s.grid.cell_of_offset(col, row)

    def at(self, uid: str) -> tuple[int, int]:
        return self.s.grid.offset(self.st.units[uid].cell)

    @property
    def tension(self) -> float:
        return tension(self.st, *PAIR)

    @property
    def sorties(self) -> int:
        return sorties(self.st, "vks")

    def sees(self, uid: str) -> bool:
        return visibility.unit_visible(self.st, self.st.units[uid], "regime")

    def move(self, uid: str, col: int, row: int) -> list:
        """Click the unit, click the lit hex: the cheapest path the move preview offers."""
        reach = movement.reachable(self.st, self.st.units[uid])
        path = reach.path_to(self.hex(col, row))
        assert path, f"{uid} cannot reach [{col}, {row}]"
        ev = engine.apply(self.st, Move(uid, path))
        assert self.at(uid) == (col, row)
        return ev

    def mission(self, mission: str, col: int, row: int, announce: bool = True, wait: bool = False) -> AirMission:
        return AirMission("vks", mission, self.hex(col, row), announce, wait)

    def preview(self, mission: str, col: int, row: int, announce: bool = True, wait: bool = False):
        return predict_air(self.st, self.mission(mission, col, row, announce, wait))

    def fly(self, mission: str, col: int, row: int, announce: bool = True, wait: bool = False) -> list:
        act = self.mission(mission, col, row, announce, wait)
        p = predict_air(self.st, act)
        assert p.legal, p.reason
        return engine.apply(self.st, act)

    def end_turn(self) -> list:
        """End the government's turn; the others end theirs; back at the government's next turn."""
        out = engine.apply(self.st, EndTurn())
        while not self.st.terminal and self.st.active_faction != "regime":
            out += engine.apply(self.st, EndTurn())
        return out

    def log(self, kind: str, turn: int | None = None) -> list:
        return [e for e in self.st.log if e.kind == kind and (turn is None or e.turn == turn)]


def lesson(s, eid: str) -> str:
    ev = next(e for e in s.events if e.id == eid)
    return " ".join(str(x.data.get("text", "")) for x in ev.effects if x.kind == "message")


# --- the main line -----------------------------------------------------------------------------

def _turn1(p: Player) -> None:
    p.move("t_mech", 9, 7)          # the highway and the valley road to the west end of the bridge
    p.move("t_inf", 8, 9)
    p.move("t_recon", 8, 11)
    p.move("t_art", 6, 10)


def _turn2(p: Player) -> None:
    p.fly("isr", 9, 7)              # air 2
    p.move("t_inf", 9, 8)
    p.move("t_art", 8, 8)


def _turn3(p: Player) -> None:
    p.fly("isr", 11, 7, announce=True)          # air 3: announce now
    p.move("t_mech", 10, 7)                     # over Hamra bridge: into coalition airspace


def _turn4(p: Player) -> None:
    # the line now bends around the bridgehead; south of it the river guard is still hidden
    p.fly("isr", 10, 9, announce=False)         # air 4: unannounced, twice
    p.fly("strike", 10, 9, announce=False)
    p.move("t_inf", 10, 7)                      # over the bridge, into the pocket
    p.move("t_art", 9, 7)                       # Tell Hamra in range (2)


def _turn5(p: Player) -> None:
    th = p.hex(11, 7)
    engine.apply(p.st, Attack(("t_art",), th))                        # lesson 5: artillery first
    if any(u.cell == th and u.faction == "isil" for u in p.st.units.values()):
        engine.apply(p.st, Attack(("t_mech", "t_inf"), th, True))      # air 5: CAS on the spot


def _turn6(p: Player) -> None:
    p.fly("airdrop", 15, 3, announce=True)      # air 6


def _turn7(p: Player) -> None:
    engine.apply(p.st, IsrAnswer("oil_field", False))      # air 7: refuse


MAIN = {1: _turn1, 2: _turn2, 3: _turn3, 4: _turn4, 5: _turn5, 6: _turn6, 7: _turn7}


def play_to(s, turn: int) -> Player:
    """The main line up to the start of the government's ``turn``."""
    p = Player(s)
    while p.st.turn < turn:
        MAIN[p.st.turn](p)
        p.end_turn()
    assert p.st.turn == turn and p.st.active_faction == "regime"
    return p


# --- the set-up --------------------------------------------------------------------------------

def test_wings_line_and_zones(s):
    spec = s.extra["air"]
    assert [(w.id, w.factions, w.sorties) for w in spec.wings] == [("vks", ("regime",), 3),
                                                                   ("coalition", ("sdf",), 3)]
    p = Player(s)
    assert wing_for(p.st, "regime").id == "vks" and wing_for(p.st, "sdf").id == "coalition"
    assert wing_for(p.st, "isil") is None
    line = spec.lines[0]
    assert (line.id, line.right, line.left, line.from_turn) == ("euphrates", "vks", "coalition", 1)
    # every hex west of the river is Russian airspace, every hex east of it the coalition's
    for row in range(s.grid.height):
        for col in range(s.grid.width):
            assert zone_owner(p.st, p.hex(col, row)) == ("vks" if col <= 9 else "coalition"), (col, row)
    # so the zones' border is exactly the river's hex sides
    river = s.rivers[0].edges
    for a in range(s.grid.n_cells):
        for b in s.grid.neighbours(a):
            if a < b:
                assert (zone_owner(p.st, a) != zone_owner(p.st, b)) == ((a, b) in river)
    assert zone_owner(p.st, s.place("Tell Hamra").cell) == "coalition"
    assert zone_owner(p.st, s.place("Hamra bridge").cell) == "coalition"
    assert zone_owner(p.st, s.place("Qaryat al-Sharq").cell) == "vks"


def test_the_schedule_of_lessons(s):
    air_lessons = {e.trigger.turn: e.id for e in s.events if e.id.startswith("air_")}
    assert sorted(air_lessons) == list(range(1, 9))
    spec = s.extra["air"]
    assert [(th.at, th.incident) for th in spec.tension.thresholds] == [
        (25, "flares"), (40, "suspend_sorties"), (55, "hotline_down"), (70, "vp_penalty"), (100, "war")]
    assert (spec.tension.start, spec.tension.maximum, spec.tension.decay) == (10, 100, 2)
    assert [(r.id, r.turn, r.from_wing, r.to_wing, r.turns) for r in spec.requests] == [
        ("oil_field", 7, "coalition", "vks", 2)]
    assert [x.turn for x in spec.schedule] == [4]
    heli = next(r for r in s.reinforcements if r.turn == 6)
    assert [u.id for u in heli.units] == ["t_heli"]


def test_lessons_name_the_buttons_the_game_shows(s):
    from game.ui.orders import HOTLINE_CHOICES
    text = lesson(s, "air_1_wing")
    for word in ("AIR row", "Strike", "CAS", "ISR", "Airdrop", "Tension meter", "top bar"):
        assert word in text
    hotline = lesson(s, "air_3_hotline")
    for _a, _w, label in HOTLINE_CHOICES:          # the Hotline button shows these, capitalised
        assert label.split(" (")[0].capitalize() in hotline
    assert "CAS button in the attack panel" in lesson(s, "air_5_cas")
    assert "Accept" in lesson(s, "air_7_request") and "Refuse" in lesson(s, "air_7_request")


# --- turn 1: the wing, the line, the meter -----------------------------------------------------

def test_turn_1_three_sorties_a_turn_and_unused_ones_are_lost(s):
    p = Player(s)
    assert p.st.turn == 1 and p.sorties == 3
    assert p.tension == 10 and s.extra["air"].tension.maximum == 100
    assert "10 of 100" in lesson(s, "air_1_wing")
    p.fly("isr", 5, 5)                           # a mission is one sortie
    assert p.sorties == 2
    p.end_turn()
    assert p.sorties == 3                        # refilled, not 3 + 2


# --- turn 2: ISR ------------------------------------------------------------------------------

def test_turn_2_isr_over_the_bridge_reveals_the_hidden_isil_units(s):
    p = play_to(s, 2)
    assert p.sorties == 3
    t0 = p.tension
    hidden = ["t_is_town", "t_is_bank"]          # Tell Hamra's garrison and the river guard
    assert not any(p.sees(u) for u in hidden)
    pv = p.preview("isr", 9, 7)
    assert pv.legal and pv.zone == "vks" and not pv.hotline_needed
    assert pv.sortie_cost == 1 and pv.tension_change == 0 and pv.tension_if_unannounced == 0
    assert p.st.units["t_is_bank"].cell in pv.reveals and p.st.units["t_is_town"].cell in pv.reveals
    p.fly("isr", 9, 7)
    assert all(p.sees(u) for u in hidden)        # across the river too
    assert p.sorties == 2 and p.tension == t0
    assert not p.log("hotline")
    # until the government's next turn starts
    engine.apply(p.st, EndTurn())
    assert visibility.unit_visible(p.st, p.st.units["t_is_town"], "regime")
    p2 = p.copy()
    p2.end_turn()
    assert not p2.sees("t_is_town")


@pytest.mark.parametrize("seed", range(1, 7))
def test_turn_2_isr_holds_against_the_tutorials_own_ai(s, seed):
    """With the SDF and ISIL played by the AIs the tutorial gives them, whatever ISIL keeps by
    the bridge and in Tell Hamra after turn 1 is seen once the ISR has flown."""
    from game.ai.registry import make_agent
    p = Player(s, engine.new_game(s, seed))
    _turn1(p)
    engine.apply(p.st, EndTurn())
    agents = {f.id: make_agent(f.ai_level, seed) for f in s.factions if f.controller == "ai"}
    while p.st.active_faction != "regime":
        engine.apply(p.st, agents[p.st.active_faction].choose(p.st))
    p.fly("isr", 9, 7)
    near = [u for u in p.st.units.values() if u.faction == "isil"
            and (s.grid.distance(u.cell, p.hex(9, 7)) <= 2 or u.cell == p.hex(11, 7))]
    assert near and all(p.sees(u.id) for u in near)


# --- turn 3: the hotline ------------------------------------------------------------------------

def test_turn_3_a_mission_across_the_line_needs_the_hotline(s):
    p = play_to(s, 3)
    now = p.preview("isr", 11, 7, announce=True)
    wait = p.preview("isr", 11, 7, announce=True, wait=True)
    quiet = p.preview("isr", 11, 7, announce=False)
    for pv in (now, wait, quiet):
        assert pv.legal and pv.zone == "coalition" and pv.hotline_needed and pv.hotline_up
    assert (now.sortie_cost, now.tension_change) == (2, 0)           # one extra sortie
    assert (wait.sortie_cost, wait.tension_change) == (1, 0)         # no extra sortie...
    assert "next turn" in " ".join(wait.notes)                        # ...but it flies next turn
    assert (quiet.sortie_cost, quiet.tension_change) == (1, 4)       # ISR +4
    assert now.exposes and wait.exposes and not quiet.exposes         # the coalition is shown the area
    t0 = p.tension
    ev = p.fly("isr", 11, 7, announce=True)
    assert p.sorties == 1 and p.tension == t0
    assert any(e.kind == "hotline" for e in ev)
    assert p.hex(11, 7) in p.st.air.revealed_cells("sdf")            # the SDF sees your target area
    assert p.sees("t_is_town")


def test_turn_3_the_unannounced_price_of_each_mission(s):
    p = play_to(s, 3)
    p.move("t_mech", 10, 7)                      # to see the garrison: strikes and CAS need a seen enemy
    costs = {m: p.preview(m, 11, 7, announce=False).tension_change for m in ("strike", "cas", "isr")}
    assert costs == {"strike": 8, "cas": 6, "isr": 4}
    assert s.extra["air"].tension.costs["airdrop"] == 2                # (turn 6 flies one)
    for m in ("strike", "cas", "isr"):
        assert p.preview(m, 11, 7, announce=True).tension_change == 0


def test_turn_3_announce_and_wait_flies_at_the_start_of_the_next_turn(s):
    p = play_to(s, 3)
    t0 = p.tension
    ev = p.fly("isr", 11, 7, announce=True, wait=True)
    assert p.sorties == 2 and p.tension == t0
    assert not any(e.kind == "air" and e.data.get("mission") == "isr" for e in ev)   # not yet
    assert p.hex(11, 7) in p.st.air.revealed_cells("sdf")
    assert not p.sees("t_is_town")
    p.end_turn()
    assert p.st.turn == 4
    assert any(e.data.get("mission") == "isr" for e in p.log("air", 4))
    assert p.sees("t_is_town")                   # no unit of yours is next to it: the drones see it


def test_turn_3_unannounced_flies_now_and_raises_tension(s):
    p = play_to(s, 3)
    t0 = p.tension
    p.fly("isr", 11, 7, announce=False)
    assert p.sorties == 2 and p.tension == t0 + 4
    assert p.sees("t_is_town")
    assert p.hex(11, 7) not in p.st.air.revealed_cells("sdf")


def test_turn_3_troops_crossing_the_river_count_too(s):
    p = play_to(s, 3)
    t0 = p.tension
    ev = p.move("t_mech", 10, 7)                 # over Hamra bridge into coalition airspace
    assert p.tension == t0 + 6
    assert any(e.kind == "tension" and "crosses" in e.text for e in ev)
    p.move("t_recon", 9, 9)                      # west bank: nothing
    assert p.tension == t0 + 6
    p.end_turn()                                 # and it stays across: +1 at the end of the round, no easing
    assert p.tension == t0 + 6 + 1
    # with nobody across and no violation, a round eases it by 2
    q = play_to(s, 2)
    t1 = q.tension
    q.end_turn()
    assert q.tension == t1 - 2


# --- turn 4: the line is redrawn; tension and incidents -------------------------------------------

def test_turn_4_the_line_is_redrawn_around_the_bridgehead(s):
    before = play_to(s, 3)
    p = play_to(s, 4)
    pocket = [(c, r) for c in (10, 11) for r in (6, 7, 8)]
    for c, r in pocket:
        assert zone_owner(before.st, p.hex(c, r)) == "coalition"
        assert zone_owner(p.st, p.hex(c, r)) == "vks", (c, r)
    for c, r in [(12, 7), (12, 6), (10, 5), (10, 9), (16, 5), (15, 3)]:
        assert zone_owner(p.st, p.hex(c, r)) == "coalition", (c, r)
    for row in range(s.grid.height):
        for col in range(10):
            assert zone_owner(p.st, p.hex(col, row)) == "vks"
    assert any(e.data.get("action") == "redraw" for e in p.log("lines", 4))
    assert any("lines change" in e.text for e in p.log("message", 4))
    # missions there need no hotline now
    pv = p.preview("strike", 11, 7, announce=False)
    assert pv.legal and pv.zone == "vks" and not pv.hotline_needed and pv.tension_change == 0
    # troops there are no longer across the line: moving inside the pocket costs nothing, and
    # with nobody across and no violation the round eases the meter
    assert p.at("t_mech") == (10, 7)
    t0 = p.tension
    p.move("t_inf", 10, 7)
    assert p.tension == t0
    p.end_turn()
    assert p.tension == t0 - 2


def test_turn_4_moving_into_or_inside_coalition_airspace_costs_6_a_unit_a_turn(s):
    p = play_to(s, 4)
    t0 = p.tension
    p.move("t_recon", 10, 12)                    # over the river south of the pocket
    assert zone_owner(p.st, p.hex(10, 12)) == "coalition"
    assert p.tension == t0 + 6
    p.end_turn()                                 # still there: +1, no easing
    t1 = p.tension
    assert t1 == t0 + 6 + 1
    p.move("t_recon", 11, 12)                    # moving inside it, the next turn: +6 again
    assert zone_owner(p.st, p.hex(11, 12)) == "coalition"
    assert p.tension == t1 + 6


def test_turn_4_two_unannounced_missions_set_off_the_flares(s):
    p = play_to(s, 4)
    assert p.tension == 13
    assert not p.sees("t_is_bank")
    p.fly("isr", 10, 9, announce=False)          # south of the pocket: still coalition airspace
    assert p.tension == 13 + 4 and p.sees("t_is_bank")
    ev = p.fly("strike", 10, 9, announce=False)
    assert p.tension == 13 + 4 + 8 == 25
    flares = [e for e in ev if e.kind == "incident"]
    assert [e.data["incident"] for e in flares] == ["flares"]
    assert "Warning flares" in flares[0].text
    assert p.sorties == 1                        # a warning, nothing more
    p.end_turn()
    assert p.sorties == 3
    # each threshold fires once as the meter climbs past it (and again only after falling below)
    assert [e.data["incident"] for e in p.log("incident")] == ["flares"]


def test_turn_4_the_higher_thresholds_do_what_the_lesson_says(s):
    p = play_to(s, 7)
    engine.apply(p.st, IsrAnswer("oil_field", False))     # the main line: refused, +10
    p.fly("isr", 16, 5, announce=False)                    # +4
    assert p.tension < 40 and p.sorties == 2
    ev = p.fly("strike", 16, 5, announce=False)            # +8: past 40
    assert p.tension >= 40
    # 40: the side that pushed it loses 2 sorties, now and next turn
    sus = [e for e in ev if e.kind == "incident"]
    assert [e.data["incident"] for e in sus] == ["suspend_sorties"] and sus[0].data["culprit"] == "regime"
    assert p.sorties == 0
    p.end_turn()
    assert p.sorties == 1
    vp0 = p.st.vp[p.st.faction_index("regime")]

    def push(to):
        ev = []
        ev_rules.EFFECT_HANDLERS["tension"](p.st, Effect("tension", {"pair": list(PAIR), "change": to - p.tension}), ev)
        return [e.data["incident"] for e in ev if e.kind == "incident"]
    assert push(55) == ["hotline_down"]                    # 55: the hotline is cut for 2 turns
    pv = p.preview("isr", 12, 9, announce=True)
    assert not pv.legal and "hotline is down" in pv.reason
    assert p.preview("isr", 12, 9, announce=False).legal   # unannounced still flies
    assert p.st.air.hotline_down[("coalition", "vks")] == p.st.turn + 2
    assert push(70) == ["vp_penalty"]                      # 70: that side loses 5 VP
    assert p.st.vp[p.st.faction_index("regime")] == vp0 - 5
    assert p.st.relation("regime", "sdf") == "deconflicted"
    assert push(100) == ["war"]                            # 100: war
    assert p.st.relation("regime", "sdf") == "war"


# --- turn 5: close air support ----------------------------------------------------------------

def test_turn_5_cas_in_the_attack_panel_shifts_one_column_for_one_sortie(s):
    p = play_to(s, 5)
    th = p.hex(11, 7)
    assert zone_owner(p.st, th) == "vks"         # "your airspace since the line moved"
    plain = engine.predict(p.st, Attack(("t_mech", "t_inf"), th, False))
    cas = engine.predict(p.st, Attack(("t_mech", "t_inf"), th, True))
    assert cas.odds.column == plain.odds.column + 1
    assert p.sorties == 3
    t0 = p.tension
    ev = engine.apply(p.st, Attack(("t_mech", "t_inf"), th, True))
    assert p.sorties == 2 and p.tension == t0    # over your own airspace: nothing more
    assert next(e for e in ev if e.kind == "combat").data["column"] == cas.odds.column


def test_turn_5_cas_on_the_spot_in_coalition_airspace_adds_6(s):
    p = play_to(s, 3)                            # Tell Hamra is still coalition airspace
    p.move("t_mech", 10, 7)
    th = p.hex(11, 7)
    assert zone_owner(p.st, th) == "coalition"
    plain = engine.predict(p.st, Attack(("t_mech",), th, False))
    t0, n0 = p.tension, p.sorties
    ev = engine.apply(p.st, Attack(("t_mech",), th, True))
    assert p.sorties == n0 - 1 and p.tension == t0 + 6       # always unannounced
    assert any(e.kind == "air" and e.data.get("announced") is False for e in ev)
    assert next(e for e in ev if e.kind == "combat").data["column"] == plain.odds.column + 1


def test_turn_5_booked_cas_can_be_announced_and_is_not_paid_twice(s):
    p = play_to(s, 3)
    p.move("t_mech", 10, 7)
    th = p.hex(11, 7)
    plain = engine.predict(p.st, Attack(("t_mech",), th, False))
    pv = p.preview("cas", 11, 7, announce=True)
    assert pv.legal and pv.hotline_needed and pv.sortie_cost == 2 and pv.tension_change == 0
    assert pv.cas_shift == 1
    t0 = p.tension
    p.fly("cas", 11, 7, announce=True)
    assert p.sorties == 1 and p.tension == t0
    booked = engine.predict(p.st, Attack(("t_mech",), th, False))
    assert booked.odds.column == plain.odds.column + 1
    ev = engine.apply(p.st, Attack(("t_mech",), th, False))
    assert p.sorties == 1 and p.tension == t0    # the booked column, without paying again
    assert next(e for e in ev if e.kind == "combat").data["column"] == plain.odds.column + 1


# --- turn 6: airdrops --------------------------------------------------------------------------

def test_turn_6_an_airdrop_supplies_the_cut_off_heliborne_company(s):
    p = play_to(s, 6)
    heli = p.st.units["t_heli"]
    assert p.at("t_heli") == (15, 3)
    assert not heli.in_supply and heli.steps == 2 and s.unit_types["heliborne"].steps == 3
    assert zone_owner(p.st, heli.cell) == "coalition"
    now = p.preview("airdrop", 15, 3, announce=True)
    quiet = p.preview("airdrop", 15, 3, announce=False)
    assert now.legal and (now.sortie_cost, now.tension_change) == (2, 0)
    assert quiet.legal and (quiet.sortie_cost, quiet.tension_change) == (1, 2)
    assert not p.preview("airdrop", 10, 7).legal            # only to a cut-off unit
    t0 = p.tension
    p.fly("airdrop", 15, 3, announce=True)
    assert heli.in_supply and heli.steps == 3 and heli.oos_turns == 0   # supplied, a step back
    assert p.tension == t0 and p.sorties == 1
    p.end_turn()
    assert not heli.in_supply and heli.oos_turns == 1       # counted again from nothing: no attrition yet
    assert heli.steps == 3
    # the company stands across the line: the only unit that does
    assert p.log("tension", 6)[-1].text.endswith("(1 unit(s) across the line)")


def test_turn_6_without_an_airdrop_the_company_starts_to_wither(s):
    p = play_to(s, 6)
    p.end_turn()
    heli = p.st.units.get("t_heli")
    assert heli is None or heli.oos_turns == 2              # from now on it may lose a step each turn


def test_turn_6_an_unannounced_airdrop_adds_2_tension(s):
    p = play_to(s, 6)
    t0 = p.tension
    p.fly("airdrop", 15, 3, announce=False)
    assert p.tension == t0 + 2 and p.sorties == 2


# --- turn 7: a request to lift ISR -----------------------------------------------------------------

def test_turn_7_the_coalition_asks_you_to_lift_isr_over_the_oil_field(s):
    p = play_to(s, 7)
    assert pending_requests(p.st) == ["oil_field"]
    req = [e for e in p.log("isr_request", 7) if e.data.get("pending")]
    assert req and "oil field" in req[0].text
    acts = air_actions_for(p.st)
    assert IsrAnswer("oil_field", True) in acts and IsrAnswer("oil_field", False) in acts


def test_turn_7_accepting_eases_tension_and_closes_the_airspace_for_two_turns(s):
    p = play_to(s, 7)
    p.fly("isr", 16, 5, announce=True)          # drones over the field before answering (2 sorties)
    assert p.sees("t_is_field") and p.sorties == 1
    t0 = p.tension
    engine.apply(p.st, IsrAnswer("oil_field", True))
    assert p.tension == t0 - 8
    assert not p.sees("t_is_field")              # your ISR over it ends
    for m, c, r in [("isr", 16, 5), ("airdrop", 15, 3)]:      # the heliborne company is inside
        pv = p.preview(m, c, r, announce=False)
        assert not pv.legal and "cleared" in pv.reason
    assert p.preview("isr", 11, 7).legal         # elsewhere you fly as before
    p.end_turn()
    assert p.st.turn == 8
    assert not p.preview("isr", 16, 5, announce=False).legal and not p.preview("airdrop", 15, 3, announce=False).legal


def test_turn_7_refusing_keeps_your_aircraft_and_raises_tension(s):
    p = play_to(s, 7)
    t0 = p.tension
    engine.apply(p.st, IsrAnswer("oil_field", False))
    assert p.tension == t0 + 10
    assert p.st.air.requests["oil_field"] == "refused"
    assert p.preview("isr", 16, 5, announce=False).legal


def test_turn_7_no_answer_is_an_accept(s):
    p = play_to(s, 7)
    t0 = p.tension
    ev = p.end_turn()
    assert p.st.air.requests["oil_field"] == "accepted"
    assert any(e.kind == "tension" and e.data["new"] - e.data["old"] == -8 for e in ev)
    assert p.tension == t0 - 8 + 1               # (+1: the heliborne company is across the line)
    assert not p.preview("isr", 16, 5, announce=False).legal


# --- turn 8: the other side's troops -------------------------------------------------------------

def test_turn_8_strikes_near_sdf_troops_risk_an_incident(s):
    p = Player(s)
    engine.apply(p.st, EndTurn())                # the SDF's turn: its detachment moves by the oil field
    sdf = p.st.units["t_sdf_inf"]
    path = movement.reachable(p.st, sdf).path_to(p.hex(16, 4))
    engine.apply(p.st, Move("t_sdf_inf", path))
    engine.apply(p.st, EndTurn())
    engine.apply(p.st, EndTurn())
    assert p.st.turn == 2 and p.at("t_sdf_inf") == (16, 4)
    p.fly("isr", 16, 5, announce=True)           # see the field guard first (2 sorties)
    assert p.sees("t_is_field")
    un = p.preview("strike", 16, 5, announce=False)
    an = p.preview("strike", 16, 5, announce=True)
    assert un.legal and un.incident_risk == pytest.approx(0.15)
    assert an.incident_risk == pytest.approx(0.075)          # halved if announced
    assert s.extra["air"].tension.incident_max == 0.5
    # a hit: the SDF unit loses a step, you 2 VP, and tension rises by 20 (+8 for the strike)
    steps, t0 = sdf.steps, p.tension
    vp0 = p.st.vp[p.st.faction_index("regime")]
    p.st.rng.random = lambda: 0.0                # the incident roll comes up
    ev = p.fly("strike", 16, 5, announce=False)
    assert any(e.kind == "incident" and e.data.get("victim") == "t_sdf_inf" for e in ev)
    assert sdf.steps == steps - 1
    assert p.st.vp[p.st.faction_index("regime")] == vp0 - 2
    assert p.tension == t0 + 8 + 20


def test_turn_8_the_coalitions_announced_missions_show_you_their_target_area(s):
    p = play_to(s, 6)                            # the bridgehead is Russian airspace now
    engine.apply(p.st, EndTurn())
    assert p.st.active_faction == "sdf"
    act = AirMission("coalition", "isr", p.hex(11, 7), True)
    pv = predict_air(p.st, act)
    assert pv.legal and pv.zone == "vks" and pv.hotline_needed
    engine.apply(p.st, act)
    assert p.hex(11, 7) in p.st.air.revealed_cells("regime")


# --- the whole game ------------------------------------------------------------------------------

def test_the_main_line_plays_to_the_end(s):
    p = play_to(s, 8)
    assert p.st.units["t_heli"].steps >= 1
    p.end_turn()
    assert p.st.terminal and p.st.winner is not None
    assert [e.data.get("incident") for e in p.log("incident")] == ["flares", "flares"]   # turns 4 and 7
    assert p.st.relation("regime", "sdf") == "deconflicted"

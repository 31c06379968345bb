"""``main.py simulate``: argument errors, determinism across --jobs, the JSON and the table."""
from __future__ import annotations

import json

import pytest

from game.cli import main
from game.simulate import format_table, mean_ci, parse_agents, summarize, wilson
from game.errors import DeconflictionError

MINI = """\
format: 1
meta: {id: ai_mini, name: "AI harness skirmish", description: "x", start_date: 2017-09-01,
       days_per_turn: 3, turns: 3, seed: 1}
terrain_types:
  clear: {code: ".", name: "Clear", move_cost: 1, defence: 1.0}
  urban: {code: u, name: "Urban", move_cost: 1, defence: 2.0}
map:
  width: 10
  height: 8
  hex_km: 5
  default_terrain: clear
places:
  - {name: Midtown, hex: [5, 3], terrain: urban}
  - {name: Westtown, hex: [2, 5]}
factions:
  - {id: north, name: "North", colour: "#aa3333", vp_goal: 10}
  - {id: east, name: "East", colour: "#3333aa", vp_goal: 10}
  - {id: south, name: "South", colour: "#333333", vp_goal: 10, hidden: true}
relations:
  - [north, south, war]
  - [east, south, war]
  - [north, east, deconflicted]
unit_types:
  inf: {name: "Infantry", symbol: infantry, attack: 4, defence: 4, movement: 4, steps: 3}
  arm: {name: "Armour", symbol: armor, attack: 7, defence: 4, movement: 6, steps: 3}
units:
  - {id: n1, name: "N inf", type: inf, faction: north, hex: [1, 0]}
  - {id: n2, name: "N arm", type: arm, faction: north, hex: [2, 0]}
  - {id: e1, name: "E inf", type: inf, faction: east, hex: [9, 1]}
  - {id: s1, name: "S inf 1", type: inf, faction: south, hex: [5, 3]}
  - {id: s2, name: "S inf 2", type: inf, faction: south, hex: [6, 6]}
supply_sources:
  - {faction: north, hex: [1, 0], needs_control: false}
  - {faction: east, hex: [9, 1], needs_control: false}
objectives:
  - {name: Midtown, place: Midtown, vp_per_turn: 2, vp_end: 3}
  - {name: Westtown, place: Westtown, vp_per_turn: 1, vp_end: 2}
"""


@pytest.fixture
def mini(tmp_path):
    p = tmp_path / "mini.yaml"
    p.write_text(MINI)
    return str(p)


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["simulate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("spec, message", [
    ("north", "expected faction=agent"),
    ("mars=normal", "unknown faction 'mars'"),
    ("north=genius", "unknown agent 'genius'"),
    ("north=normal,north=random", "given twice"),
])
def test_bad_agents_is_one_clear_line(capsys, mini, spec, message):
    code, out, err = _run(capsys, "--scenario", mini, "--agents", spec)
    assert code in (1, 2)
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize("flag, value", [("--games", "0"), ("--jobs", "0"), ("--turns", "0")])
def test_bad_counts_are_one_clear_line(capsys, mini, flag, value):
    code, out, err = _run(capsys, "--scenario", mini, flag, value)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_json_folder_is_refused_before_playing(capsys, mini, tmp_path):
    code, out, err = _run(capsys, "--scenario", mini, "--json", str(tmp_path / "nope" / "x.json"))
    assert code == 1 and "does not exist" in err and "game 0" not in out


def test_jobs_do_not_change_games_and_json_is_written(capsys, mini, tmp_path):
    j1, j2 = tmp_path / "one.json", tmp_path / "two.json"
    args = ["--scenario", mini, "--agents", "north=normal,south=normal", "--games", "4", "--seed", "9"]
    code1, out1, err1 = _run(capsys, *args, "--jobs", "1", "--json", str(j1))
    code2, out2, err2 = _run(capsys, *args, "--jobs", "2", "--json", str(j2), "--quiet")
    assert code1 == 0 and code2 == 0
    games1 = [ln for ln in out1.splitlines() if ln.startswith("game ")]
    games2 = [ln for ln in out2.splitlines() if ln.startswith("game ")]
    assert len(games1) == 4 and games1 == games2
    assert all("winner=" in g and "turns=" in g and "hash=" in g for g in games1)
    assert any(ln.startswith("  game 0 turn 1 ") for ln in out1.splitlines())     # per-turn lines
    assert not any(ln.startswith("  game ") for ln in out2.splitlines())          # --quiet
    assert "win rate" in out1 and "think time per faction turn" in out1 and "median" in out1
    assert "4/4 games" in err1                                                    # progress on stderr
    d1, d2 = json.loads(j1.read_text()), json.loads(j2.read_text())
    assert [g["hash"] for g in d1["games"]] == [g["hash"] for g in d2["games"]]
    s = d1["summary"]
    assert s["completed"] == 4 and s["illegal_actions"] == 0 and s["agent_fallbacks"] == 0
    assert set(s["factions"]) == {"north", "east", "south"}
    north = s["factions"]["north"]
    assert north["agent"] == "normal" and 0 <= north["win_ci"][0] <= north["win_rate"] <= north["win_ci"][1] <= 1
    assert north["faction_turns"] == 12 and north["think_worst"] >= north["think_median"] >= 0


def test_parse_agents_defaults_to_random():
    assert parse_agents("", ["a", "b"], ["random", "normal"]) == {"a": "random", "b": "random"}
    assert parse_agents(" b = normal ,", ["a", "b"], ["random", "normal"]) == {"a": "random", "b": "normal"}
    with pytest.raises(DeconflictionError):
        parse_agents("a=hard", ["a"], ["random"])


def test_wilson_and_mean_intervals():
    lo, hi = wilson(0, 10)
    assert lo == 0 and 0.25 < hi < 0.35
    lo, hi = wilson(19, 20)
    assert 0.7 < lo < 0.8 and hi > 0.99
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(1 - hi) and 0.40 < lo < 0.41
    m, a, b = mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0 and a < 2.0 < b


def test_summary_counts_draws_errors_and_table():
    res = [{"winner": "a", "vp": {"a": 3, "b": 1}, "score": {"a": .3, "b": .1}, "illegal": 0,
            "fallbacks": {"a": 0, "b": 0}, "think": {"a": [0.1, 0.3], "b": [0.2]}, "agents": {"a": "normal", "b": "random"}},
           {"winner": "draw", "vp": {"a": 1, "b": 1}, "score": {"a": .1, "b": .1}, "illegal": 1,
            "fallbacks": {"a": 2, "b": 0}, "think": {"a": [0.5], "b": [0.1]}, "agents": {"a": "normal", "b": "random"}},
           {"error": "boom", "seed": 3}]
    s = summarize(res, ["a", "b"])
    assert s["completed"] == 2 and s["errors"] == 1 and s["draws"] == 1
    assert s["illegal_actions"] == 1 and s["agent_fallbacks"] == 2
    assert s["factions"]["a"]["wins"] == 1 and s["factions"]["a"]["think_median"] == 0.3
    assert s["factions"]["a"]["think_worst"] == 0.5
    table = format_table(s)
    assert "a          normal" in table and "draws: 1" in table


DUEL = """\
format: 1
meta: {id: duel, name: "Turn lines", description: "x", start_date: 2017-09-01,
       days_per_turn: 3, turns: 2, seed: 1}
terrain_types:
  clear: {code: ".", name: "Clear", move_cost: 1, defence: 1.0}
map: {width: 10, height: 8, hex_km: 5, default_terrain: clear}
factions:
  - {id: north, name: "North", vp_goal: 10}
  - {id: south, name: "South", vp_goal: 10}
relations:
  - [north, south, war]
unit_types:
  inf: {name: "Infantry", symbol: infantry, attack: 4, defence: 4, movement: 4, steps: 3}
units:
  - {id: n1, name: "N inf", type: inf, faction: north, hex: [1, 1], static: true}
  - {id: s1, name: "S inf", type: inf, faction: south, hex: [8, 6], static: true}
supply_sources:
  - {faction: north, hex: [1, 1], needs_control: false}
  - {faction: south, hex: [8, 6], needs_control: false}
objectives:
  - {name: Camp, hex: [1, 1], vp_per_turn: 1, vp_end: 3}
"""


def _turn_lines(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith("  game ")]


def test_sudden_death_on_turn_1_prints_turn_1(capsys, tmp_path):
    # South holds its own hex from the start, so the check at the end of North's turn 1 ends it.
    p = tmp_path / "sd.yaml"
    p.write_text(DUEL + "victory:\n  sudden_death:\n    - {faction: south, control: [[8, 6]]}\n")
    code, out, err = _run(capsys, "--scenario", str(p))
    assert code == 0, err
    assert _turn_lines(out) == ["  game 0 turn 1 2017-09-01: vp north=0 south=0 units north:1 south:1"]
    assert "game 0: winner=south turns=1 " in out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_turn_line_counts_units_at_the_end_of_its_turn(capsys, tmp_path, jobs):
    # North's reinforcement arrives at the start of turn 2: turn 1's line must not count it.
    p = tmp_path / "reinf.yaml"
    p.write_text(DUEL + "reinforcements:\n  - turn: 2\n    units:\n"
                        "      - {id: n2, name: \"N inf 2\", type: inf, faction: north, hex: [1, 2], static: true}\n")
    code, out, err = _run(capsys, "--scenario", str(p), "--games", "2", "--jobs", jobs)
    assert code == 0, err
    assert _turn_lines(out) == [
        "  game 0 turn 1 2017-09-01: vp north=1 south=0 units north:1 south:1",
        "  game 0 turn 2 2017-09-04: vp north=5 south=0 units north:2 south:1",
        "  game 1 turn 1 2017-09-01: vp north=1 south=0 units north:1 south:1",
        "  game 1 turn 2 2017-09-04: vp north=5 south=0 units north:2 south:1",
    ]


def test_a_game_record_lists_the_truces_broken_during_the_game(tmp_path):
    # screens count the games in which deconfliction failed: the record must say when and whom
    from game.scenario.loader import load_scenario
    from game.simulate import play_game
    p = tmp_path / "truce.yaml"
    p.write_text(MINI + "events:\n  - id: breach\n    trigger: {turn: 2}\n    effects:\n"
                        "      - relation: [north, east, war]\n")
    r = play_game(load_scenario(str(p)), 3, {"north": "random", "east": "random", "south": "random"})
    assert r["relations"] == [{"turn": 2, "a": "north", "b": "east", "status": "war"}]
    q = tmp_path / "calm.yaml"
    q.write_text(MINI)
    assert play_game(load_scenario(str(q)), 3, {"north": "random", "east": "random", "south": "random"})["relations"] == []


def test_the_variant_screen_dumps_every_pair_with_its_wars(tmp_path, monkeypatch):
    # finding the seeds a tuning variant loses (and whether a war broke out there) needs the pairs
    import importlib.util
    from pathlib import Path
    from game.ai import registry
    monkeypatch.setattr(registry, "AGENTS", dict(registry.AGENTS))     # the screen registers "variant"
    spec = importlib.util.spec_from_file_location(
        "ai_variants", Path(__file__).resolve().parent.parent / "benchmarks" / "ai_variants.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    p = tmp_path / "truce.yaml"
    p.write_text(MINI + "events:\n  - id: breach\n    trigger: {turn: 2}\n    effects:\n"
                        "      - relation: [north, east, war]\n")
    dump = tmp_path / "pairs.json"
    rc = mod.main(["--scenario", str(p), "--agent", "normal", "--kw", "{}", "--seeds", "3-4", "--jobs", "1",
                   "--factions", "north,south", "--cache", str(tmp_path / "cache"),
                   "--log", str(tmp_path / "log"), "--dump", str(dump)])
    assert rc == 0
    pairs = json.loads(dump.read_text())
    assert [(q["seat"], q["seed"]) for q in pairs] == [("north", 3), ("north", 4), ("south", 3), ("south", 4)]
    for q in pairs:
        assert q["variant"] == q["normal"]             # normal's default weights play as normal does
        assert q["wars"] == [[[2, "north", "east"]], [[2, "north", "east"]]]

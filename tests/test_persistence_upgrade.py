"""Saves in the older format 0 are upgraded on load, not refused (see docs/save-format.md)."""
from __future__ import annotations

import json

import pytest

from game.actions import EndTurn
from game.errors import SaveError
from game.persistence import FORMAT_VERSION, load_session, read_save_info, save_session
from game.persistence.document import Bad
from game.persistence.upgrade import parse_v0_move
from tests.test_persistence_support import MINI_YAML, mini_scenario, new_session, play, read_doc, write_mini

# A format-0 save as the first version of the game wrote it: no integrity digest, no
# checkpoints, humans as a list, moves in compact notation.  Cells are row * width + column
# on the 10-wide mini map: r1 starts on 0, b1 on 9.
V0_FIXTURE = {
    "format": "deconfliction-save",
    "version": 0,
    "scenario_file": "scenarios/mini.yaml",
    "scenario_text": MINI_YAML,
    "seed": 17,
    "humans": ["red", "blue"],
    "moves": ["move r1 1", "end", "move b1 8", "end", "end", "move r1 2 3", "end"],
    "note": "first PBEM game",
}


def _v0(doc: dict, tmp_path, name="old.dsave"):
    p = tmp_path / name
    p.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    return p


def test_v0_fixture_is_upgraded_and_replayed(tmp_path):
    p = _v0(V0_FIXTURE, tmp_path)
    s = load_session(p)
    st = s.state
    assert (st.turn, st.active_faction) == (2, "blue")
    assert st.units["r1"].cell == 3 and st.units["b1"].cell == 8
    assert s.seed == 17 and s.scenario.meta.id == "mini"
    assert {f: p.controller for f, p in s.players.items()} == {"red": "human", "blue": "human", "black": "ai"}
    info = read_save_info(p)
    assert info.version == 0 and info.ply == 7 and info.note == "first PBEM game"
    assert info.scenario_embedded and info.turn is None
    # saving it again writes the current format, which loads to the same game
    again = save_session(s, tmp_path / "new.dsave")
    assert read_doc(again)["version"] == FORMAT_VERSION
    assert load_session(again).state.state_hash() == st.state_hash()


def test_v0_with_referenced_scenario_file(tmp_path):
    write_mini(tmp_path)
    doc = {k: v for k, v in V0_FIXTURE.items() if k != "scenario_text"}
    doc["scenario_file"] = "mini.yaml"
    s = load_session(_v0(doc, tmp_path))
    assert s.state.units["r1"].cell == 3


def _downgrade(session) -> dict:
    """Write a real game the way format 0 did, with its final hash."""
    moves = []
    for a in session.actions:
        if isinstance(a, EndTurn):
            moves.append("end")
        elif a.kind == "move":
            moves.append("move " + a.unit + " " + " ".join(map(str, a.path)))
        else:
            moves.append(f"attack {','.join(a.attackers)} {a.target}" + (" cas" if a.air_support else ""))
    return {"format": "deconfliction-save", "version": 0, "scenario_file": "mini.yaml",
            "scenario_text": MINI_YAML, "seed": session.seed, "humans": session.humans(),
            "moves": moves, "hash": session.state.state_hash()}


@pytest.mark.parametrize("seed", [2, 5, 8])
def test_v0_of_a_whole_game_checks_its_hash(tmp_path, seed):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, seed, humans=("black",))
    play(s, seed)
    assert any(a.kind == "attack" for a in s.actions)
    loaded = load_session(_v0(_downgrade(s), tmp_path))
    assert loaded.state.state_hash() == s.state.state_hash() and loaded.actions == s.actions
    assert loaded.players["black"].controller == "human"


def test_v0_with_wrong_hash_or_bad_move_is_refused(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 4)
    play(s, 4, until_turn=3)
    doc = _downgrade(s)
    doc["hash"] = "ab" * 12
    p = _v0(doc, tmp_path)
    with pytest.raises(SaveError) as e:
        load_session(p)
    assert str(e.value).startswith(str(p)) and "different game at the end" in str(e.value)
    doc = _downgrade(s)
    doc["moves"][3] = "teleport r1 44"
    p = _v0(doc, tmp_path)
    with pytest.raises(SaveError) as e:
        load_session(p)
    assert str(e.value) == (f"{p}: format v0 save: moves[3]: not a move: 'teleport r1 44' "
                            f"(expected 'move UNIT CELL...', 'attack UNITS CELL [cas]' or 'end')")
    doc = _downgrade(s)
    del doc["humans"]
    with pytest.raises(SaveError) as e:
        load_session(_v0(doc, tmp_path))
    assert "format v0 save: humans: missing" in str(e.value)


def test_v0_move_notation():
    assert parse_v0_move("end", "m") == {"kind": "end_turn"}
    assert parse_v0_move("move u-1 4 5 6", "m") == {"kind": "move", "unit": "u-1", "path": [4, 5, 6]}
    assert parse_v0_move("attack a,b 17 cas", "m") == {
        "kind": "attack", "attackers": ["a", "b"], "target": 17, "air_support": True}
    for bad in ["", "move u1", "attack a 1 nuke", "attack , 3", "move u1 x", "move u1 99999999999999", "end now"]:
        with pytest.raises(Bad):
            parse_v0_move(bad, "m")

"""Corrupt, truncated, foreign, tampered and newer saves: one clear line each, nothing changed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.errors import SaveError
from game.persistence import MAX_SAVE_BYTES, load_session, read_save_info, save_session
from tests.test_persistence_support import (MINI_YAML, mini_scenario, new_session, play, read_doc,
                                            write_doc)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def good(tmp_path) -> Path:
    scn = mini_scenario(tmp_path / "scen")
    s = new_session(scn, 3)
    play(s, 3, until_turn=3)
    assert any(a.kind == "attack" for a in s.actions)
    return save_session(s, tmp_path / "good.dsave")


def refused(path: Path, *needles: str) -> str:
    """Loading ``path`` raises one SaveError line naming the file, with every needle in it;
    both readers agree, and the file is left exactly as it was."""
    before = path.read_bytes() if path.is_file() else None
    listing = sorted(os.listdir(path.parent))
    with pytest.raises(SaveError) as e:
        load_session(path)
    msg = str(e.value)
    assert msg.startswith(str(path)), msg
    assert "\n" not in msg and "Traceback" not in msg
    for n in needles:
        assert n in msg, msg
    replay_only = ("not legal", "different game", "needs the scenario", "players.", "does not load")
    if not any(n in msg for n in replay_only):     # the cheap header read finds it too
        with pytest.raises(SaveError):
            read_save_info(path)
    if before is not None:
        assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == listing
    return msg


# --- damage --------------------------------------------------------------------------------------

@pytest.mark.parametrize("frac", [0.0005, 0.1, 0.5, 0.93, 0.999])
def test_truncated(good, frac):
    data = good.read_bytes()
    cut = good.with_name("cut.dsave")
    cut.write_bytes(data[:max(1, int(len(data) * frac))])
    refused(cut, "truncated")


def test_truncated_inside_embedded_scenario_text(good):
    data = good.read_bytes()
    i = data.index(b'"text": "') + 200
    cut = good.with_name("cut.dsave")
    cut.write_bytes(data[:i])
    refused(cut, "truncated")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.dsave"
    p.write_bytes(b"")
    refused(p, "is empty")


def test_corrupt_bytes(good):
    data = bytearray(good.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 4] = b"\xff\xfe\x00\x81"
    bad = good.with_name("bad.dsave")
    bad.write_bytes(bytes(data))
    refused(bad, "corrupt", "not UTF-8")


def test_corrupt_structure(good):
    text = good.read_text(encoding="utf-8")
    bad = good.with_name("bad.dsave")
    bad.write_text(text.replace('"checkpoints": [', '"checkpoints": {', 1), encoding="utf-8")
    refused(bad, "corrupt", "line")


def test_duplicate_field(good):
    text = good.read_text(encoding="utf-8")
    bad = good.with_name("dup.dsave")
    bad.write_text(text.replace('"seed": 3,', '"seed": 3,\n "seed": 4,', 1), encoding="utf-8")
    refused(bad, "corrupt", "'seed' appears twice")


# --- not ours ----------------------------------------------------------------------------------

@pytest.mark.parametrize("content,needle", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG image"),
    (b"PK\x03\x04" + b"\x00" * 40, "ZIP archive"),
    (bytes(range(256)) * 4, "binary data"),
    (b'{"name": "my character", "level": 12}', "no \"format\": \"deconfliction-save\" header"),
    (b'[1, 2, 3]', "not a Deconfliction save"),
    (b'{"broken json', "not a Deconfliction save"),
    (b"Dear Bob,\nyour move.\n", "not a JSON save document"),
])
def test_foreign(tmp_path, content, needle):
    p = tmp_path / "foreign.dsave"
    p.write_bytes(content)
    refused(p, "not", needle)


def test_scenario_file_is_not_a_save(tmp_path):
    p = tmp_path / "mini.yaml"
    p.write_text(MINI_YAML, encoding="utf-8")
    refused(p, "looks like a scenario file")


def test_folder_missing_and_oversized(tmp_path):
    (tmp_path / "dir.dsave").mkdir()
    refused(tmp_path / "dir.dsave", "is a folder")
    with pytest.raises(SaveError) as e:
        load_session(tmp_path / "nope.dsave")
    assert str(e.value) == f"{tmp_path / 'nope.dsave'}: no such file"
    big = tmp_path / "big.dsave"
    with open(big, "wb") as f:             # sparse: refused from its size, never read
        f.truncate(MAX_SAVE_BYTES + 1)
    refused(big, "too large")


# --- edited after writing --------------------------------------------------------------------------

def _edit_attack(doc: dict) -> int:
    i = next(i for i, a in enumerate(doc["actions"]) if a["kind"] == "attack")
    doc["actions"][i]["target"] = doc["actions"][i]["target"] + 1
    return i


def test_tampered_action_is_detected(good):
    doc = read_doc(good)
    _edit_attack(doc)
    write_doc(good, doc, reseal=False)
    refused(good, "modified after it was written")


def test_tampered_header_is_detected(good):
    doc = read_doc(good)
    doc["players"]["red"]["controller"] = "human"
    write_doc(good, doc, reseal=False)
    refused(good, "modified after it was written")


def test_missing_integrity(good):
    doc = read_doc(good)
    del doc["integrity"]
    good.write_text(__import__("json").dumps(doc), encoding="utf-8")
    refused(good, "no integrity field")


def test_resealed_illegal_action_names_its_index(good):
    """A determined editor recomputes the digest: the replay still catches the edit."""
    doc = read_doc(good)
    i = _edit_attack(doc)
    write_doc(good, doc, reseal=True)
    refused(good, f"actions[{i}] (turn", "to move) is not legal")


def test_resealed_different_game_is_detected_by_checkpoints(good):
    doc = read_doc(good)
    # drop the last mover's whole turn of moves but keep its end: legal, yet another game
    ends = [i for i, a in enumerate(doc["actions"]) if a["kind"] == "end_turn"]
    start = ends[0] + 1
    moves = [i for i in range(start, ends[1]) if doc["actions"][i]["kind"] == "move"]
    assert moves
    del doc["actions"][moves[-1]]
    doc["ply"] = len(doc["actions"])
    for cp in doc["checkpoints"]:
        if cp["ply"] > moves[-1]:
            cp["ply"] -= 1
    write_doc(good, doc, reseal=True)
    msg = refused(good)
    assert "different game" in msg or "not legal" in msg


@pytest.mark.parametrize("edit,needles", [
    (lambda d: d.__setitem__("seed", "three"), ["field seed", "expected an integer, got text"]),
    (lambda d: d.__setitem__("seed", 10 ** 40), ["field seed", "out of range"]),
    (lambda d: d["actions"][0].__setitem__("path", "north"), ["field actions[0].path", "expected a list"]),
    (lambda d: d["actions"][0].__setitem__("path", [1, 2.5]), ["actions[0].path[1]", "integer"]),
    (lambda d: d["actions"][0].__setitem__("unit", 7), ["actions[0].unit", "expected text"]),
    (lambda d: d["actions"][0].__setitem__("speed", 7), ["actions[0].speed", "not a field"]),
    (lambda d: d["actions"].__setitem__(1, {"kind": "nuke"}), ["actions[1].kind", "unknown action"]),
    (lambda d: d["actions"].__setitem__(1, "end"), ["actions[1]", "expected an action object"]),
    (lambda d: d["players"].__setitem__("green", {"controller": "ai"}), ["players.green", "no such faction"]),
    (lambda d: d["players"]["red"].__setitem__("controller", "robot"), ["players.red.controller"]),
    (lambda d: d["scenario"].__setitem__("text", d["scenario"]["text"] + "#"), ["scenario.text", "sha256"]),
    (lambda d: d["scenario"].__setitem__("text", "format: 1\n"), ["scenario.text"]),
    (lambda d: d["checkpoints"][0].__setitem__("ply", 10 ** 6), ["checkpoints[0].ply"]),
    (lambda d: d.__setitem__("ply", 3), ["field ply"]),
    (lambda d: d.pop("actions"), ["field actions", "missing"]),
    (lambda d: d.__setitem__("final_hash", "0" * 24), ["different game", "at the end"]),
])
def test_resealed_wrong_fields_are_named(good, edit, needles):
    doc = read_doc(good)
    edit(doc)
    write_doc(good, doc, reseal=True)
    refused(good, *needles)


def test_embedded_scenario_that_does_not_load(good):
    doc = read_doc(good)
    import hashlib
    bad = MINI_YAML.replace("turns: 6", "turns: lots")
    doc["scenario"]["text"] = bad
    doc["scenario"]["sha256"] = hashlib.sha256(bad.encode()).hexdigest()
    write_doc(good, doc, reseal=True)
    refused(good, "the scenario embedded in the save does not load", "meta.turns")


def test_newer_version_is_refused_with_a_clear_reason(good):
    doc = read_doc(good)
    doc["version"] = 99
    doc["app_version"] = "9.0"
    doc["something_new"] = {"x": 1}
    write_doc(good, doc, reseal=True)
    refused(good, "made by a newer version of Deconfliction (app 9.0)", "v99")


def test_missing_referenced_scenario(tmp_path):
    scn = mini_scenario(tmp_path / "scen")
    s = new_session(scn, 3)
    p = save_session(s, tmp_path / "ref.dsave", embed_scenario=False)
    (tmp_path / "scen" / "mini.yaml").unlink()
    refused(p, "needs the scenario 'Mini valley'", "not found")


def test_error_mentions_backup_when_there_is_one(good):
    s = load_session(good)
    save_session(s, good)                     # good.dsave.bak now exists
    good.write_bytes(good.read_bytes()[:100])
    refused(good, "truncated", "previous version is kept in good.dsave.bak")


# --- the command line ----------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, env=env, timeout=60, cwd=ROOT)


def test_check_save_cli(good, tmp_path):
    cut = tmp_path / "cut.dsave"
    cut.write_bytes(good.read_bytes()[:500])
    png = tmp_path / "pic.dsave"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    r = _cli("check-save", str(good))
    assert r.returncode == 0, r.stderr
    s = load_session(good)
    assert r.stdout.strip() == (f"OK {good}: Mini valley turn 3, {len(s.actions)} actions, "
                                f"hash {s.state.state_hash()}")
    r = _cli("check-save", str(good), str(cut), str(png))
    assert r.returncode == 1
    assert r.stdout.count("\n") == 1 and r.stdout.startswith("OK ")
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in r.stderr
    assert lines[0].startswith(f"error: {cut}: is truncated")
    assert lines[1].startswith(f"error: {png}: is not a Deconfliction save")

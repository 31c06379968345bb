"""Saves round-trip, continue on another machine, autosave, and replay stepping."""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from game import engine
from game.actions import EndTurn
from game.errors import SaveError
from game.persistence import (AUTOSAVE_KEEP, FORMAT_VERSION, ReplayCursor, autosave, backup_path,
                              default_save_dir, list_saves, load_session, read_save_info,
                              replay_states, save_session, turn_boundaries, turn_marks)
from game.persistence import files as files_mod
from game.session import Session
from tests.builders import make
from tests.test_persistence_support import (MINI_YAML, mini_scenario, new_session, play, read_doc,
                                            write_mini)

SEEDS = [1, 2, 3, 7, 11]


# --- play K turns, save, load, finish == straight through ------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_save_load_finish_matches_straight_play_recorded_actions(tmp_path, seed, k):
    scn = mini_scenario(tmp_path)
    straight = new_session(scn, seed)
    play(straight, seed)
    assert straight.state.terminal
    # the first K turns of that game, saved and loaded, then the rest of the same actions
    cut = next(i for i, m in enumerate(turn_marks(straight)) if m.turn == k + 1) if k < 6 else None
    n = turn_boundaries(straight)[cut] if cut is not None else len(straight.actions)
    part = Session(scn, seed, straight.players, list(straight.actions[:n]))
    part.state = part.replay_to(n)
    path = save_session(part, tmp_path / f"k{k}.dsave")
    loaded = load_session(path)
    assert loaded.state.state_hash() == part.state.state_hash()
    assert loaded.state.turn == k + 1
    for a in straight.actions[n:]:
        loaded.apply(a)
    assert loaded.state.terminal
    assert loaded.state.state_hash() == straight.state.state_hash()
    assert loaded.state.vp_history == straight.state.vp_history


@pytest.mark.parametrize("seed", SEEDS)
def test_save_load_then_agents_continue_to_same_end(tmp_path, seed):
    """The loaded game is fully equivalent: agents choosing afresh after the load end the same."""
    scn = mini_scenario(tmp_path)
    straight = new_session(scn, seed)
    play(straight, seed)
    half = new_session(scn, seed)
    play(half, seed, until_turn=3)
    assert not half.state.terminal and half.state.turn == 3
    loaded = load_session(save_session(half, tmp_path / "mid.dsave"))
    play(loaded, seed)
    assert loaded.state.state_hash() == straight.state.state_hash()
    assert loaded.actions == straight.actions
    assert loaded.state.winner == straight.state.winner


def test_save_mid_turn_and_of_finished_game(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 4)
    play(s, 4, max_actions=7)           # in the middle of a faction's turn
    assert not isinstance(s.actions[-1], EndTurn)
    loaded = load_session(save_session(s, tmp_path / "mid.dsave"))
    assert loaded.state.state_hash() == s.state.state_hash() and loaded.actions == s.actions
    play(s, 4)
    done = load_session(save_session(s, tmp_path / "done.dsave"))
    assert done.state.terminal and done.state.winner == s.state.winner
    info = read_save_info(tmp_path / "done.dsave")
    assert info.terminal and info.winner == s.state.winner and info.ply == len(s.actions)


def test_save_is_readable_versioned_json(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 2, humans=("red", "blue"))
    play(s, 2, until_turn=2)
    path = save_session(s, tmp_path / "g.dsave", note="Ahmed vs Jo — PBEM")
    doc = read_doc(path)
    assert doc["format"] == "deconfliction-save" and doc["version"] == FORMAT_VERSION
    assert doc["seed"] == 2 and doc["players"]["red"]["controller"] == "human"
    assert doc["scenario"]["text"] == MINI_YAML and len(doc["scenario"]["sha256"]) == 64
    assert doc["actions"] == [a.to_dict() for a in s.actions]
    assert [c["ply"] for c in doc["checkpoints"]] == [i + 1 for i, a in enumerate(s.actions)
                                                       if isinstance(a, EndTurn)]
    assert doc["final_hash"] == s.state.state_hash()
    assert doc["integrity"].startswith("sha256:")
    text = path.read_text(encoding="utf-8")
    # one action per line, so a save diffs and reads like a move list
    assert text.count('{"kind": ') == len(s.actions)
    info = read_save_info(path)
    assert (info.scenario_name, info.turn, info.humans, info.note) == (
        "Mini valley", 2, ["red", "blue"], "Ahmed vs Jo — PBEM")
    assert info.created is not None and info.active == "red"


def test_loaded_players_and_seed_survive(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 9, humans=("blue",))
    s.players["black"].ai_level = "hard"
    loaded = load_session(save_session(s, tmp_path / "p.dsave"))
    assert loaded.seed == 9
    assert {f: (p.controller, p.ai_level) for f, p in loaded.players.items()} == {
        "red": ("ai", "normal"), "blue": ("human", "normal"), "black": ("ai", "hard")}


# --- another machine -------------------------------------------------------------------------

def test_save_carried_to_another_machine_continues(tmp_path):
    """Hot-seat by e-mail: only the save file travels; the scenario file is gone."""
    home = tmp_path / "alice"
    scn = mini_scenario(home)
    s = new_session(scn, 5, humans=("red", "blue"))
    play(s, 5, until_turn=2)
    path = save_session(s, home / "pbem.dsave")
    away = tmp_path / "bob" / "inbox"
    away.mkdir(parents=True)
    shutil.copy(path, away / "pbem.dsave")
    shutil.rmtree(home)
    cwd = os.getcwd()
    os.chdir(away)
    try:
        there = load_session(away / "pbem.dsave")
    finally:
        os.chdir(cwd)
    assert there.state.state_hash() == s.state.state_hash()
    play(there, 5, until_turn=3)
    back = save_session(there, away / "pbem.dsave")
    assert backup_path(back).is_file()            # the mail that came in is kept
    again = load_session(back)
    play(s, 5, until_turn=3)
    assert again.state.state_hash() == s.state.state_hash()


# --- referenced scenarios -----------------------------------------------------------------------

def test_referenced_scenario_found_by_path_and_by_hash(tmp_path):
    scn = mini_scenario(tmp_path / "scen")
    s = new_session(scn, 3)
    play(s, 3, until_turn=2)
    path = save_session(s, tmp_path / "ref.dsave", embed_scenario=False)
    doc = read_doc(path)
    assert "text" not in doc["scenario"] and doc["scenario"]["path"]
    assert read_save_info(path).scenario_embedded is False
    assert load_session(path).state.state_hash() == s.state.state_hash()
    # moved and renamed: found by its SHA-256 in a search folder
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(str(tmp_path / "scen" / "mini.yaml"), moved / "renamed.yaml")
    with pytest.raises(SaveError) as e:
        load_session(path)
    msg = str(e.value)
    assert msg.startswith(str(path)) and "not found" in msg and "\n" not in msg
    assert load_session(path, scenario_search=[moved]).state.state_hash() == s.state.state_hash()


def test_referenced_scenario_changed_is_refused(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 3)
    play(s, 3, until_turn=2)
    path = save_session(s, tmp_path / "ref.dsave", embed_scenario=False)
    write_mini(tmp_path, text=MINI_YAML.replace("turns: 6", "turns: 7"))
    with pytest.raises(SaveError) as e:
        load_session(path)
    assert "has changed since the game was saved" in str(e.value) and str(path) in str(e.value)


def test_scenario_without_source_cannot_be_saved(tmp_path):
    s = Session.start(make(units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6)]), 1)
    with pytest.raises(SaveError) as e:
        save_session(s, tmp_path / "x.dsave")
    assert "not loaded from a file" in str(e.value)
    assert not list(tmp_path.iterdir())


# --- writes never damage what is there -------------------------------------------------------------

def _good_save(tmp_path: Path) -> tuple[Session, Path, bytes]:
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 6)
    play(s, 6, until_turn=2)
    p = save_session(s, tmp_path / "keep.dsave")
    return s, p, p.read_bytes()


def test_overwrite_keeps_previous_as_bak(tmp_path):
    s, p, old = _good_save(tmp_path)
    play(s, 6, until_turn=3)
    save_session(s, p)
    assert backup_path(p).read_bytes() == old
    assert load_session(backup_path(p)).state.turn == 2
    assert load_session(p).state.turn == 3


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    s, p, old = _good_save(tmp_path)
    play(s, 6, until_turn=3)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(files_mod.os, "fsync", full_disk)
    with pytest.raises(SaveError) as e:
        save_session(s, p)
    monkeypatch.undo()
    assert "disk is full" in str(e.value) and str(p) in str(e.value)
    assert p.read_bytes() == old
    assert sorted(x.name for x in tmp_path.iterdir()) == ["keep.dsave", "mini.yaml"]


def test_save_onto_a_folder_or_under_a_file_is_refused(tmp_path):
    s, p, old = _good_save(tmp_path)
    (tmp_path / "dir.dsave").mkdir()
    with pytest.raises(SaveError) as e:
        save_session(s, tmp_path / "dir.dsave")
    assert "folder" in str(e.value)
    with pytest.raises(SaveError) as e:
        save_session(s, p / "inside.dsave")           # the parent is the old save itself
    assert str(p) in str(e.value)
    assert p.read_bytes() == old


# --- autosave and the save folder ---------------------------------------------------------------

def test_default_save_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DECONFLICTION_SAVE_DIR", str(tmp_path / "mine"))
    assert default_save_dir() == tmp_path / "mine"
    monkeypatch.delenv("DECONFLICTION_SAVE_DIR")
    if os.name == "posix" and not __import__("sys").platform == "darwin":
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert default_save_dir() == tmp_path / "xdg" / "deconfliction" / "saves"
        monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        assert default_save_dir() == tmp_path / "home" / ".local" / "share" / "deconfliction" / "saves"


def test_autosave_rotates_and_uses_env_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DECONFLICTION_SAVE_DIR", str(tmp_path / "auto"))
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 8)
    turns = []
    for t in range(2, 2 + AUTOSAVE_KEEP + 2):
        play(s, 8, until_turn=t)
        if s.state.terminal:
            break
        p = autosave(s)
        turns.append(s.state.turn)
        autosave(s)                               # same position again: no rotation
    assert p == tmp_path / "auto" / "autosave-mini.dsave"
    names = sorted(x.name for x in (tmp_path / "auto").iterdir())
    expected_old = min(AUTOSAVE_KEEP, len(turns) - 1)
    assert names == sorted(["autosave-mini.dsave"] + [f"autosave-mini-{i}.dsave" for i in range(1, expected_old + 1)])
    assert load_session(p).state.turn == turns[-1]
    for i in range(1, expected_old + 1):
        assert read_save_info(tmp_path / "auto" / f"autosave-mini-{i}.dsave").turn == turns[-1 - i]
    infos = list_saves()
    assert [i.turn for i in infos][0] == turns[-1] and all(i.error is None for i in infos)


def test_autosave_explicit_folder_and_list_saves_marks_broken(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 8)
    play(s, 8, until_turn=2)
    folder = tmp_path / "saves"
    autosave(s, folder)
    save_session(s, folder / "mine.dsave", note="before the river")
    (folder / "junk.dsave").write_bytes(b"\x89PNG\r\n\x1a\nxxxx")
    (folder / "notes.txt").write_text("not a save")
    infos = {i.path.name: i for i in list_saves(folder)}
    assert set(infos) == {"autosave-mini.dsave", "mine.dsave", "junk.dsave"}
    assert infos["mine.dsave"].note == "before the river" and infos["mine.dsave"].error is None
    assert "PNG" in infos["junk.dsave"].error and "junk.dsave" in infos["junk.dsave"].error
    assert list_saves(tmp_path / "missing") == []


# --- replay stepping -----------------------------------------------------------------------------

def test_turn_boundaries_and_marks(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 3)
    play(s, 3)
    b = turn_boundaries(s)
    marks = turn_marks(s)
    assert [m.index for m in marks] == b
    assert b[0] == 0 and all(isinstance(s.actions[i - 1], EndTurn) for i in b[1:])
    assert b[-1] < len(s.actions)                 # no turn starts after the game ended
    assert [m.faction for m in marks[:4]] == ["red", "blue", "black", "red"]
    assert marks[3].turn == 2
    for m in marks[::4]:
        st = s.replay_to(m.index)
        assert (st.turn, st.active_faction) == (m.turn, m.faction)


def test_replay_states_yields_every_step(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 3)
    play(s, 3, until_turn=3)
    steps = [(st.index, st.state.state_hash()) for st in replay_states(s)]
    assert [i for i, _ in steps] == list(range(len(s.actions)))
    assert steps[-1][1] == s.state.state_hash()
    assert steps[9][1] == s.replay_to(10).state_hash()


def test_replay_cursor_steps_seeks_and_continues(tmp_path):
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 12)
    play(s, 12)
    loaded = load_session(save_session(s, tmp_path / "done.dsave"))
    cur = ReplayCursor(loaded)
    assert cur.position == 0 and cur.state.state_hash() == engine.new_game(scn, 12).state_hash()
    for _ in range(5):
        cur.step()
    assert cur.state.state_hash() == s.replay_to(5).state_hash()
    cur.back()
    assert cur.position == 4 and cur.state.state_hash() == s.replay_to(4).state_hash()
    cur.seek(len(cur))
    assert cur.at_end and cur.state.state_hash() == s.state.state_hash() and cur.step() == []
    cur.seek_turn(4)
    n = turn_boundaries(s)[4]
    assert cur.position == n and cur.state.state_hash() == s.replay_to(n).state_hash()
    assert cur.turn_index() == 4
    cur.seek(n - 2)
    assert cur.state.state_hash() == s.replay_to(n - 2).state_hash()
    # continue from here: a fresh game that plays on; the replayed session is untouched
    fork = cur.continue_here()
    assert len(fork.actions) == n - 2 and len(loaded.actions) == len(s.actions)
    play(fork, 99)
    assert fork.state.terminal
    again = load_session(save_session(fork, tmp_path / "fork.dsave"))
    assert again.state.state_hash() == fork.state.state_hash()


def test_save_after_load_reuses_the_replay_and_rechecks_when_it_disagrees(tmp_path):
    from game.persistence import store
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 13)
    play(s, 13, until_turn=3)
    loaded = load_session(save_session(s, tmp_path / "a.dsave"))
    tr = store._traces[id(loaded)]
    assert tr.state is not loaded.state and tr.actions == loaded.actions
    play(loaded, 13, until_turn=4)
    again = load_session(save_session(loaded, tmp_path / "b.dsave"))
    play(s, 13, until_turn=4)
    assert again.state.state_hash() == s.state.state_hash()
    # a kept replay that went wrong is caught and redone from the scenario
    next(iter(store._traces[id(again)].state.units.values())).steps += 1
    play(again, 13, until_turn=5)
    third = load_session(save_session(again, tmp_path / "c.dsave"))
    play(s, 13, until_turn=5)
    assert third.state.state_hash() == s.state.state_hash()
    assert read_doc(tmp_path / "c.dsave")["checkpoints"] == read_doc(save_session(s, tmp_path / "d.dsave"))["checkpoints"]


def test_kept_replay_that_cannot_continue_is_redone(tmp_path):
    from game.persistence import store
    scn = mini_scenario(tmp_path)
    s = new_session(scn, 14)
    play(s, 14, until_turn=2)
    save_session(s, tmp_path / "a.dsave")
    store._traces[id(s)].state.units.clear()       # every later move would be "no such unit"
    play(s, 14, until_turn=3)
    assert load_session(save_session(s, tmp_path / "b.dsave")).state.state_hash() == s.state.state_hash()


def test_no_permission_leaves_old_file(tmp_path, monkeypatch):
    s, p, old = _good_save(tmp_path)
    play(s, 6, until_turn=3)

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(files_mod.tempfile, "mkstemp", denied)
    with pytest.raises(SaveError) as e:
        save_session(s, p)
    monkeypatch.undo()
    assert str(e.value) == f"{p}: cannot save: permission denied"
    assert p.read_bytes() == old


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_folder_leaves_old_file(tmp_path):
    s, p, old = _good_save(tmp_path)
    play(s, 6, until_turn=3)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(SaveError) as e:
            save_session(s, p)
    finally:
        tmp_path.chmod(0o755)
    assert "permission denied" in str(e.value) and p.read_bytes() == old

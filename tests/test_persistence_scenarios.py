"""Saves of the bundled scenarios, with air missions in the log: save, load, finish == straight."""
from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from game import engine
from game.actions import EndTurn
from game.persistence import load_session, read_save_info, save_session
from game.scenario.loader import load_scenario
from game.session import Session
from tests.test_persistence_support import agent_for, read_doc

ROOT = Path(__file__).resolve().parent.parent
DEIR = ROOT / "scenarios" / "deir_ez_zor_2017.yaml"
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"


def _air_actions(state):
    try:
        from game.rules.air import air_actions_for
    except ModuleNotFoundError:
        return []
    return air_actions_for(state)


def play_with_air(session: Session, seed: int, until_turn: int | None = None) -> None:
    """Random ground moves plus, now and then, one of the rules' own legal air actions."""
    st = session.state
    rng = random.Random(seed)
    key = agent = None
    while not st.terminal and (until_turn is None or st.turn < until_turn):
        if key != (st.turn, st.active):
            key = (st.turn, st.active)
            agent = agent_for(seed, st.turn, st.active)
            flown = 0
        air = _air_actions(st) if flown < 2 and rng.random() < 0.5 else []
        if air:
            session.apply(air[rng.randrange(len(air))])
            flown += 1
        else:
            session.apply(agent.choose(st))


@pytest.fixture(scope="module")
def deir():
    if not DEIR.exists():
        pytest.skip("the Deir ez-Zor scenario is not there yet")
    return load_scenario(DEIR)


@pytest.mark.parametrize("seed", [1, 2])
def test_deir_ez_zor_with_air_missions_round_trips(tmp_path, deir, seed):
    straight = Session.start(deir, seed)
    play_with_air(straight, seed, until_turn=4)
    kinds = {a.kind for a in straight.actions}
    assert {"move", "end_turn"} <= kinds
    n = max(i + 1 for i, a in enumerate(straight.actions) if isinstance(a, EndTurn) and i < len(straight.actions) // 2)
    part = Session(deir, seed, straight.players, list(straight.actions[:n]))
    part.state = part.replay_to(n)
    loaded = load_session(save_session(part, tmp_path / "half.dsave"))
    for a in straight.actions[n:]:
        loaded.apply(a)
    assert loaded.state.state_hash() == straight.state.state_hash()


def test_air_actions_are_saved_and_checked(tmp_path, deir):
    s = Session.start(deir, 5)
    play_with_air(s, 5, until_turn=3)
    if not any(a.kind == "air" for a in s.actions):
        pytest.skip("no air mission was legal in these turns")
    p = save_session(s, tmp_path / "air.dsave")
    doc = read_doc(p)
    air = [d for d in doc["actions"] if d["kind"] == "air"]
    assert air and set(air[0]) >= {"wing", "mission", "target", "announce", "wait"}
    assert load_session(p).state.state_hash() == s.state.state_hash()


def test_bundled_scenario_referenced_by_path_loads_from_anywhere(tmp_path):
    if not TUTORIAL.exists():
        pytest.skip("the tutorial scenario is not there yet")
    scn = load_scenario(TUTORIAL)
    s = Session.start(scn, 4)
    play_with_air(s, 4, until_turn=3)
    p = save_session(s, tmp_path / "tut.dsave", embed_scenario=False)
    assert read_doc(p)["scenario"]["path"] == "scenarios/tutorial.yaml"
    assert p.stat().st_size < TUTORIAL.stat().st_size
    elsewhere = tmp_path / "far" / "away"
    elsewhere.mkdir(parents=True)
    shutil.move(str(p), elsewhere / "tut.dsave")
    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        loaded = load_session("tut.dsave")
    finally:
        os.chdir(cwd)
    assert loaded.state.state_hash() == s.state.state_hash()
    assert read_save_info(elsewhere / "tut.dsave").scenario_name == scn.meta.name
    assert engine.new_game(loaded.scenario, 4).state_hash() == engine.new_game(scn, 4).state_hash()


def test_another_interpreter_replays_the_same_game(tmp_path, deir):
    """A fresh Python with another string-hash seed (as on another machine) checks the save."""
    import subprocess
    import sys
    s = Session.start(deir, 9)
    play_with_air(s, 9, until_turn=6)
    p = save_session(s, tmp_path / "far.dsave")
    env = dict(os.environ, PYTHONHASHSEED="12345", SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "check-save", str(p)], capture_output=True,
                       text=True, env=env, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith(f"hash {s.state.state_hash()}")

"""A process killed (SIGKILL) while saving never costs the last good save.

A forked child saves large games over the same file in a tight loop; the parent kills it at a
random moment, then the file (and its .bak) must load as one of the games the child was saving.
A writer that truncated and rewrote the file in place would fail this within a few rounds
(benchmarks/save_crash.py --naive shows it).
"""
from __future__ import annotations

import os
import random
import signal
import time

import pytest

from game.persistence import backup_path, load_session, save_session
from game.scenario.loader import load_scenario
from tests.test_persistence_support import MINI_YAML, new_session, play, write_mini

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")

ROUNDS = 20


def _big_scenario(tmp_path):
    # ~1.5 MB of comment makes every save ~1.5 MB, so a kill often lands mid-write
    pad = "".join(f"# padding {i:07d} {'x' * 64}\n" for i in range(18_000))
    return load_scenario(write_mini(tmp_path, "big.yaml", MINI_YAML + pad))


def test_sigkill_during_save_keeps_a_loadable_save(tmp_path):
    scn = _big_scenario(tmp_path)
    games = []
    for seed, turns in ((1, 2), (2, 4), (3, 6)):
        s = new_session(scn, seed)
        play(s, seed, until_turn=turns)
        games.append(s)
    valid = {g.state.state_hash() for g in games}
    path = tmp_path / "game.dsave"
    save_session(games[0], path)
    rng = random.Random(1234)
    kills_mid_write = 0
    for r in range(ROUNDS):
        pid = os.fork()
        if pid == 0:                                   # child: save, save, save ... until killed
            try:
                i = r
                while True:
                    save_session(games[i % 3], path, note=f"write {i}")
                    i += 1
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.06))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        if any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            kills_mid_write += 1
        loaded = load_session(path)
        assert loaded.state.state_hash() in valid
        if backup_path(path).exists():
            assert load_session(backup_path(path)).state.state_hash() in valid
        for p in tmp_path.iterdir():                   # leftovers of this round's kill
            if p.name.endswith(".tmp"):
                p.unlink()
    print(f"{kills_mid_write} of {ROUNDS} kills landed while a temp file was being written")

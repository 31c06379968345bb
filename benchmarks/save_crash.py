"""Kill a saving process at random moments and check the last good save survives.

    python benchmarks/save_crash.py [--rounds 30] [--naive]

Each round starts a fresh Python process that saves large games (~1.5 MB each) over the same
file in a loop, kills it with SIGKILL after a random delay, and loads the file (and its .bak).
``--naive`` runs the same harness against a writer that truncates and rewrites the file in
place, to show the harness catches a non-atomic save.  POSIX only.
"""
from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game.errors import SaveError  # noqa: E402
from game.persistence import backup_path, load_session, save_session  # noqa: E402
from game.persistence import document, store  # noqa: E402
from game.scenario.loader import load_scenario  # noqa: E402
from tests.test_persistence_support import MINI_YAML, new_session, play, write_mini  # noqa: E402


def _games(folder: Path):
    pad = "".join(f"# padding {i:07d} {'x' * 64}\n" for i in range(18_000))
    scn = load_scenario(write_mini(folder, "big.yaml", MINI_YAML + pad))
    out = []
    for seed, turns in ((1, 2), (2, 4), (3, 6)):
        s = new_session(scn, seed)
        play(s, seed, until_turn=turns)
        out.append(s)
    return out


def naive_save(session, path: Path) -> None:
    """What not to do: truncate the real file, then write it."""
    doc = store._session_document(session, str(path), True, "")
    with open(path, "wb") as f:
        f.write(document.render(doc))


def child(folder: Path, naive: bool) -> None:
    games = _games(folder)
    path = folder / "game.dsave"
    for g in games:                                    # warm up: replays cached, imports done
        save_session(g, folder / "warm.dsave")
    i = 0
    while True:
        if naive:
            naive_save(games[i % 3], path)
        else:
            save_session(games[i % 3], path)
        if i == 0:
            print("ready", flush=True)                 # now saving in a steady loop
        i += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--naive", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child), args.naive)
        return 0
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        valid = {g.state.state_hash() for g in _games(folder)}
        path = folder / "game.dsave"
        ok = bad = mid = 0
        t0 = time.perf_counter()
        for _ in range(args.rounds):
            cmd = [sys.executable, __file__, "--child", str(folder)] + (["--naive"] if args.naive else [])
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            proc.stdout.readline()                     # "ready": saving in a loop now
            time.sleep(rng.uniform(0.0, 0.1))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            temps = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
            mid += bool(temps)
            for p in temps:
                p.unlink()
            try:
                assert load_session(path).state.state_hash() in valid
                if backup_path(path).exists():
                    assert load_session(backup_path(path)).state.state_hash() in valid
                ok += 1
            except SaveError as e:
                bad += 1
                print(f"  LOST: {e}")
        took = time.perf_counter() - t0
    mode = "naive in-place writer" if args.naive else "save_session"
    print(f"{mode}: {args.rounds} kills, {ok} left a loadable save, {bad} lost it, "
          f"{mid} landed mid-write (temp file present); {took:.1f} s")
    return 1 if bad and not args.naive else 0


if __name__ == "__main__":
    sys.exit(main())

"""A campaign with random ground agents plus random air missions, to watch deconfliction work.

    python benchmarks/air_campaign.py [--scenario PATH] [--seed N] [--turns N] [--air-chance P]

Each step the active faction either flies one mission picked at random from
``game.rules.air.air_actions_for`` (announced, waiting, or unannounced, as offered) or lets its
random agent act.  Prints a line per turn (tension, sorties, announced/unannounced counts) and
the air log's incidents, and ends with the totals.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game import engine  # noqa: E402
from game.ai.random_agent import RandomAgent  # noqa: E402
from game.rules import air  # noqa: E402
from game.scenario.loader import load_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def run(path: str, seed: int, turns: int | None, air_chance: float) -> int:
    scn = load_scenario(path)
    spec = air.air_spec(scn)
    if spec is None:
        print(f"{path}: no air section", file=sys.stderr)
        return 1
    pair = spec.pairs()[0]
    rng = random.Random(seed)
    st = engine.new_game(scn, seed)
    agents = {f.id: RandomAgent(seed * 31 + i) for i, f in enumerate(scn.factions)}
    t0 = time.perf_counter()
    last_turn, logged = 0, 0
    print(f"{scn.meta.name}: seed {seed}, tension pair {pair[0]}-{pair[1]} starts at {air.tension(st, *pair):g}")
    while not st.terminal and (turns is None or st.turn <= turns):
        cands = air.air_actions_for(st)
        if cands and rng.random() < air_chance:
            engine.apply(st, rng.choice(cands))
        else:
            engine.apply(st, agents[st.active_faction].choose(st))
        for e in st.log[logged:]:
            if e.kind in ("incident", "isr_request", "lines") or (e.kind == "relation"):
                print(f"    turn {e.turn}: [{e.kind}] {e.text}")
        logged = len(st.log)
        if st.turn != last_turn:
            s = st.air.stats
            print(f"  turn {st.turn:2d} {st.date:%Y-%m-%d}: tension {air.tension(st, *pair):5.1f}  "
                  f"announced {s.get('announced', 0):3d}  unannounced {s.get('unannounced', 0):3d}  "
                  f"crossings {s.get('crossings', 0):3d}  incidents {s.get('incidents', 0):2d}  "
                  f"vp {' '.join(f'{f.id}={v:g}' for f, v in zip(scn.factions, st.vp))}")
            last_turn = st.turn
    s = st.air.stats
    print(f"done in {time.perf_counter() - t0:.1f}s: turn {st.turn}, winner {st.winner}, hash {st.state_hash()}")
    print("air stats: " + ", ".join(f"{k}={v}" for k, v in sorted(s.items())))
    ok = s.get("announced", 0) > 0 and s.get("unannounced", 0) > 0
    print("announced and unannounced missions both flew: " + ("yes" if ok else "NO"))
    return 0 if ok else 2


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default=str(ROOT / "scenarios" / "deir_ez_zor_2017.yaml"))
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--turns", type=int, default=None)
    p.add_argument("--air-chance", type=float, default=0.3)
    a = p.parse_args()
    return run(a.scenario, a.seed, a.turns, a.air_chance)


if __name__ == "__main__":
    raise SystemExit(main())

"""Does the ``hard`` search's judge pick plans that are really better?  A diagnostic.

For each seed, all-``normal`` games are played (the watched seat on hard's base policy); at the
seat's turns in ``--turns`` a fresh ``HardAgent`` (no time cap) searches.  Where it picks a plan
other than the base, the real game is continued to its end ``--reps`` times on fresh game dice:
once with the picked plan for ``--span`` of the seat's turns (then the base policy), once with
the base plan throughout.  Printed per state (JSON lines): the judge's gain and the mean final
seat-score gain.  See benchmarks/results/ai_experiments.md, session 12.

    python benchmarks/ai_judge_truth.py --seat sdf --seeds 2000-2005 --turns 1,3,5,7,9,11
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import game.ai.hard as H  # noqa: E402
from game import engine  # noqa: E402
from game.ai.normal import Bias  # noqa: E402
from game.ai.registry import make_agent  # noqa: E402
from game.rules import victory  # noqa: E402
from game.scenario.loader import load_scenario  # noqa: E402
from game.simulate import agent_seed  # noqa: E402


def _finish(st, players, fid: str, opt: H.Option, until: int) -> float:
    me = players[fid]
    while not st.terminal:
        if st.active_faction == fid:
            me.params, me.bias = (opt.params, opt.bias) if st.turn < until else (H.HARD_PARAMS, Bias())
        engine.apply(st, players[st.active_faction].choose(st))
    return victory.scores(st)[st.faction_index(fid)]


def _search(st, seed: int) -> tuple[H.Option, H.Option]:
    """Hard's pick and its base option at ``st`` (options recorded by wrapping ``Option``)."""
    made: list[H.Option] = []
    orig = H.Option

    class Recorded(orig):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)
    H.Option = Recorded
    try:
        pick = H.HardAgent(seed=seed, budget=1e9).search(st, 1e9)
    finally:
        H.Option = orig
    return pick, made[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "deir_ez_zor_2017.yaml"))
    ap.add_argument("--seat", required=True)
    ap.add_argument("--seeds", default="2000-2005", help="first-last")
    ap.add_argument("--turns", default="1,3,5,7,9,11")
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--span", type=int, default=3)
    a = ap.parse_args(argv)
    try:
        lo, hi = (int(x) for x in a.seeds.split("-"))
        turns = {int(x) for x in a.turns.split(",")}
    except ValueError as e:
        print(f"ai_judge_truth: bad --seeds or --turns: {e}", file=sys.stderr)
        return 2
    scn = load_scenario(a.scenario)
    if a.seat not in [f.id for f in scn.factions]:
        print(f"ai_judge_truth: --seat {a.seat}: no such faction", file=sys.stderr)
        return 2
    gains = []
    for seed in range(lo, hi + 1):
        players = {f: make_agent("normal", agent_seed(seed, i))
                   for i, f in enumerate(sorted(f.id for f in scn.factions))}
        players[a.seat].params = H.HARD_PARAMS
        st = engine.new_game(scn, seed)
        done = None
        while not st.terminal and st.turn <= max(turns):
            if st.active_faction == a.seat and st.turn in turns and done != st.turn:
                done = st.turn
                pick, base = _search(st, seed * 100 + st.turn)
                if pick is not base and pick.mean > base.mean:
                    diffs = []
                    for r in range(a.reps):
                        vals = []
                        for opt in (pick, base):
                            s2 = st.clone()
                            s2.rng = random.Random(seed * 1000 + st.turn * 37 + r)
                            vals.append(_finish(s2, copy.deepcopy(players), a.seat, opt, st.turn + a.span))
                        diffs.append(vals[0] - vals[1])
                    gains.append(statistics.fmean(diffs))
                    print(json.dumps({"seed": seed, "turn": st.turn, "plan": pick.label,
                                      "judge_gain": round(pick.mean - base.mean, 4),
                                      "final_gain": round(gains[-1], 4), "diffs": [round(d, 4) for d in diffs]}),
                          flush=True)
            engine.apply(st, players[st.active_faction].choose(st))
    if gains:
        print(f"# {a.seat}: {len(gains)} deviations, mean final seat-score gain {statistics.fmean(gains):+.4f}, "
              f"{sum(g > 0 for g in gains)} positive")
    return 0


if __name__ == "__main__":
    sys.exit(main())

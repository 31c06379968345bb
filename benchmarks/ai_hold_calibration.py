"""How much of a held objective's remaining worth its holder really banks, against what the hard
agent's judge (``game.ai.evaluate.evaluate``) assumes - and the fit of the judge's keep model.

The judge values an objective a faction holds at the end of a look-ahead at its remaining worth
times a *keep* share: ``KEEP_MODEL``, two logistic fits on what the judge can see (guarded or
not; the ratio of the attack strength of the enemies in reach to the garrison's defence; the
walk-in threat; the faction's overall odds, ``force_ratio``; the rounds still to come).  Before
session 16 it was 0.9 if a friendly unit stood on it, else 1 - 0.6 * threat.  This script plays
all-``normal`` games and, at every round end, for every objective a faction holds and scores,
records what the judge would see and what followed: the share of the later round ends at which
the faction still held it, and whether it held it at the end.  The table compares that with
both keep factors, per faction and by ratio / threat; ``--fit`` refits the model on the games
and prints its weights (for ``KEEP_MODEL``).

    python benchmarks/ai_hold_calibration.py --seeds 1-40 --jobs 2
    python benchmarks/ai_hold_calibration.py --seeds 1-40 --fit
"""
from __future__ import annotations

import argparse
import statistics
import sys
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game import engine  # noqa: E402
from game.ai.evaluate import (KEEP_MODEL, KeepModel, force_ratio, garrison_ratio, keep_features,  # noqa: E402
                               situation, static_data)
from game.ai.normal import own_objectives  # noqa: E402
from game.scenario.loader import load_scenario  # noqa: E402
from game.simulate import play_game  # noqa: E402

RATIO_BINS = ((0.0, 0.001), (0.001, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, float("inf")))
THREAT_BINS = ((0.0, 0.2), (0.2, 0.5), (0.5, 1.01))
ROUND_BINS = ((1, 9), (10, 19), (20, 29), (30, 99))


def holdings(path: str, seed: int) -> list[tuple]:
    """(faction, guarded, ratio, threat, share of later round ends held, held at the end, later
    round ends, overall odds, held at the next round end) for every objective held and scored by
    a faction at every round end of one all-normal game."""
    scn = load_scenario(path)
    cells = [int(c) for c in static_data(scn).obj_cells]
    own = {f.id: own_objectives(scn, f.id) for f in scn.factions}
    seen: list[tuple] = []             # (round index, faction, faction index, objective, guarded, ratio, threat, odds)
    owners: list[list[int]] = []       # objective owners at each round end

    def round_end(state, _events) -> None:
        owners.append([int(state.control[c]) for c in cells])
        for f in scn.factions:
            sit = situation(state, f.id)
            odds = force_ratio(state, f.id)
            for i, c in enumerate(cells):
                if int(sit.obj_owner[i]) != sit.fi or not own[f.id][i]:
                    continue
                ratio = garrison_ratio(state, sit, c)
                seen.append((len(owners) - 1, f.id, sit.fi, i, ratio is not None, ratio, float(sit.threat[i]), odds))

    engine.END_ROUND_HOOKS.append(round_end)
    try:
        play_game(scn, seed, {f.id: "normal" for f in scn.factions})
    finally:
        engine.END_ROUND_HOOKS.remove(round_end)
    out = []
    for k, fid, fi, i, guarded, ratio, threat, odds in seen:
        later = [row[i] == fi for row in owners[k + 1:]]
        if later:
            out.append((fid, guarded, ratio, threat, sum(later) / len(later), later[-1], len(later), odds, later[0]))
    return out


def _one(args: tuple[str, int]) -> list[tuple]:
    return holdings(*args)


def features(rows: list[tuple]) -> np.ndarray:
    return np.array([keep_features(r[1], r[2], r[3], r[7], r[6]) for r in rows])


def model_keep(rows: list[tuple], model: KeepModel) -> tuple[np.ndarray, np.ndarray]:
    """The model's share of later rounds held and chance of holding at the end, per row."""
    return model.held(features(rows))


def fit(rows: list[tuple], l2: float = 0.1) -> KeepModel:
    """Logistic fits (Newton's method, a little ridge) of the share of later rounds held and of
    holding at the end, on ``keep_features``."""
    x = features(rows)

    def one(y: np.ndarray) -> tuple[float, ...]:
        w = np.zeros(x.shape[1])
        for _ in range(80):
            p = 1.0 / (1.0 + np.exp(-x @ w))
            hess = x.T @ (x * (p * (1.0 - p) + 1e-9)[:, None]) + l2 * np.eye(len(w))
            w += np.linalg.solve(hess, x.T @ (y - p) - l2 * w)
        return tuple(round(float(v), 3) for v in w)

    return KeepModel(share=one(np.array([r[4] for r in rows])), end=one(np.array([float(r[5]) for r in rows])))


def table(rows: list[tuple], factions: list[str], model: KeepModel = KEEP_MODEL) -> list[str]:
    lines = ["| faction | held, when the judge looks | n | share of later rounds held | held at the end "
             "| keep model: share / end | old fixed keep |",
             "|---|---|---|---|---|---|---|"]
    share, end = model_keep(rows, model)

    def line(fid: str, label: str, sel) -> None:
        idx = [k for k, r in enumerate(rows) if r[0] == fid and sel(r)]
        if idx:
            s = [rows[k] for k in idx]
            keep = statistics.fmean(0.9 if r[1] else 1.0 - 0.6 * r[3] for r in s)
            lines.append(f"| {fid} | {label} | {len(s)} | {statistics.fmean(r[4] for r in s):.2f} | "
                         f"{statistics.fmean(r[5] for r in s):.2f} | {share[idx].mean():.2f} / {end[idx].mean():.2f} "
                         f"| {keep:.2f} |")

    for fid in factions:
        line(fid, "guarded", lambda r: r[1])
        for lo, hi in RATIO_BINS:
            line(fid, f"guarded, enemy attack / defence {lo:g}-{hi:g}", lambda r, lo=lo, hi=hi: r[1] and lo <= r[2] < hi)
        line(fid, "unguarded", lambda r: not r[1])
        for lo, hi in THREAT_BINS:
            line(fid, f"unguarded, threat {lo:g}-{hi:g}", lambda r, lo=lo, hi=hi: not r[1] and lo <= r[3] < hi)
        for lo, hi in ROUND_BINS:
            line(fid, f"{lo}-{hi} rounds to come", lambda r, lo=lo, hi=hi: lo <= r[6] <= hi)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "deir_ez_zor_2017.yaml"))
    ap.add_argument("--seeds", default="1-40", help="first-last")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fit", action="store_true", help="refit the keep model on these games and print it")
    a = ap.parse_args(argv)
    try:
        lo, hi = (int(x) for x in a.seeds.split("-"))
    except ValueError:
        print(f"ai_hold_calibration: --seeds wants first-last, got {a.seeds!r}", file=sys.stderr)
        return 2
    tasks = [(a.scenario, s) for s in range(lo, hi + 1)]
    if a.jobs > 1:
        with get_context("fork").Pool(a.jobs) as pool:
            games = pool.map(_one, tasks)
    else:
        games = [_one(t) for t in tasks]
    factions = [f.id for f in load_scenario(a.scenario).factions]
    print(f"all-normal games, seeds {a.seeds}; every objective a faction holds and scores, at every round end\n")
    rows = [r for g in games for r in g]
    model = fit(rows) if a.fit else KEEP_MODEL
    if a.fit:
        print(f"fitted on these games: {model}\n")
    print("\n".join(table(rows, factions, model)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

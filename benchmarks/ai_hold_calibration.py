"""How much of a held objective's remaining worth its holder really banks, against what the hard
agent's judge (``game.ai.evaluate.evaluate``) assumes.

The judge values an objective a faction holds at the end of a look-ahead at its whole remaining
worth times a *keep* factor: 0.9 if a friendly unit stands on it, else 1 - 0.6 * threat.  This
script plays all-``normal`` games and, at every round end, for every objective a faction holds
and scores, records what the judge would see (guarded or not; the ratio of the attack strength
of the enemies in reach to the garrison's defence; the walk-in threat) and what followed: the
share of the later round ends at which the faction still held it, and whether it held it at the
end.  The table compares that with the judge's keep factor, per faction and by ratio / threat.

    python benchmarks/ai_hold_calibration.py --seeds 1-40 --jobs 2
"""
from __future__ import annotations

import argparse
import statistics
import sys
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game import engine  # noqa: E402
from game.ai.evaluate import situation, static_data  # noqa: E402
from game.ai.normal import own_objectives  # noqa: E402
from game.rules import combat  # noqa: E402
from game.rules.terrain import tables  # noqa: E402
from game.scenario.loader import load_scenario  # noqa: E402
from game.simulate import play_game  # noqa: E402

RATIO_BINS = ((0.0, 0.001), (0.001, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, float("inf")))
THREAT_BINS = ((0.0, 0.2), (0.2, 0.5), (0.5, 1.01))


def holdings(path: str, seed: int) -> list[tuple]:
    """(faction, guarded, ratio, threat, share of later round ends held, held at the end) for
    every objective held and scored by a faction at every round end of one all-normal game."""
    scn = load_scenario(path)
    cells = [int(c) for c in static_data(scn).obj_cells]
    own = {f.id: own_objectives(scn, f.id) for f in scn.factions}
    defence = tables(scn).defence
    seen: list[tuple] = []             # (round index, faction, faction index, objective, guarded, ratio, threat)
    owners: list[list[int]] = []       # objective owners at each round end

    def round_end(state, _events) -> None:
        owners.append([int(state.control[c]) for c in cells])
        for f in scn.factions:
            sit = situation(state, f.id)
            for i, c in enumerate(cells):
                if int(sit.obj_owner[i]) != sit.fi or not own[f.id][i]:
                    continue
                garrison = [u for u in state.units.values() if u.cell == c and state.friendly(u.faction, f.id)]
                dfn = sum(combat.strength(state, u, state.utype(u).defence) for u in garrison) * float(defence[c])
                ratio = float(sit.enemy_attack[c]) / max(dfn, 0.1) if garrison else None
                seen.append((len(owners) - 1, f.id, sit.fi, i, bool(garrison), ratio, float(sit.threat[i])))

    engine.END_ROUND_HOOKS.append(round_end)
    try:
        play_game(scn, seed, {f.id: "normal" for f in scn.factions})
    finally:
        engine.END_ROUND_HOOKS.remove(round_end)
    out = []
    for k, fid, fi, i, guarded, ratio, threat in seen:
        later = [row[i] == fi for row in owners[k + 1:]]
        if later:
            out.append((fid, guarded, ratio, threat, sum(later) / len(later), later[-1]))
    return out


def _one(args: tuple[str, int]) -> list[tuple]:
    return holdings(*args)


def table(rows: list[tuple], factions: list[str]) -> list[str]:
    lines = ["| faction | held, when the judge looks | n | share of later rounds held | held at the end | judge's keep |",
             "|---|---|---|---|---|---|"]

    def line(fid: str, label: str, sel) -> None:
        s = [r for r in rows if r[0] == fid and sel(r)]
        if s:
            keep = statistics.fmean(0.9 if r[1] else 1.0 - 0.6 * r[3] for r in s)
            lines.append(f"| {fid} | {label} | {len(s)} | {statistics.fmean(r[4] for r in s):.2f} | "
                         f"{statistics.fmean(r[5] for r in s):.2f} | {keep:.2f} |")

    for fid in factions:
        line(fid, "guarded", lambda r: r[1])
        for lo, hi in RATIO_BINS:
            line(fid, f"guarded, enemy attack / defence {lo:g}-{hi:g}", lambda r, lo=lo, hi=hi: r[1] and lo <= r[2] < hi)
        line(fid, "unguarded", lambda r: not r[1])
        for lo, hi in THREAT_BINS:
            line(fid, f"unguarded, threat {lo:g}-{hi:g}", lambda r, lo=lo, hi=hi: not r[1] and lo <= r[3] < hi)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "deir_ez_zor_2017.yaml"))
    ap.add_argument("--seeds", default="1-40", help="first-last")
    ap.add_argument("--jobs", type=int, default=2)
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
    print("\n".join(table([r for g in games for r in g], factions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

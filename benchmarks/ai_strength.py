"""How strong are the agents?  The must-show experiments of the AI issue, on any scenario.

1. ``normal`` vs ``random``, whichever faction it plays: for every faction F and seed s, the game
   where F is played by ``normal`` and every other faction by ``random``, and the same seed with
   F played by ``random``.  *Normal beats random* when F's seat score (VP/goal) is higher with
   normal (paired); the stricter *outright win* (F is the game's winner) is reported too.
2. ``hard`` vs ``normal``, paired: for every faction F and seed s, the game with F=hard and the
   game with F=normal, every other faction ``normal`` in both (same seed: same scenario dice
   stream at the start, same agent seeds for the other seats).  *Hard wins a pair* when its seat
   score (VP/goal) beats normal's in the same seat and seed; a tie counts half.

Think time per faction turn (median and worst, per agent) comes from the same games.  Results
go to ``benchmarks/results/ai_strength.json`` and a markdown summary ``ai_strength.md``.

    python benchmarks/ai_strength.py --jobs 2 --random-games 20 --pairs 12
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game.simulate import GameSpec, Progress, freeze, run_games, wilson  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "deir_ez_zor_2017.yaml"
OUT_DIR = ROOT / "benchmarks" / "results"


def _specs(fids: list[str], everyone: list[str], seeds: list[int], seat_agent: str, others: str,
           turns: int | None, start: int) -> list[tuple[str, int, GameSpec]]:
    out = []
    i = start
    for f in fids:
        for s in seeds:
            agents = {g: others for g in everyone}
            agents[f] = seat_agent
            out.append((f, s, GameSpec(i, s, agents, turns, False)))
            i += 1
    return out


def _run(path: str, tagged: list[tuple[str, int, GameSpec]], jobs: int, label: str) -> dict[tuple[str, int], dict]:
    print(f"{label}: {len(tagged)} games", file=sys.stderr)
    prog = Progress(len(tagged))
    done = 0

    def on_result(i: int, r: dict, lines: list[str]) -> None:
        nonlocal done
        done += 1
        prog.update(done)

    results = run_games(path, [t[2] for t in tagged], jobs, on_result)
    out = {}
    for (f, s, _), r in zip(tagged, results):
        if "error" in r:
            raise SystemExit(f"game {r['index']} failed: {r['error']}\n{r.get('traceback', '')}")
        out[(f, s)] = r
    return out


def _think(results: list[dict], seat_of: dict[int, str] | None = None, agent: str | None = None) -> dict:
    """Median and worst think time per faction turn of ``agent`` over ``results``."""
    times: list[float] = []
    cpu: list[float] = []
    for r in results:
        for f, ts in r["think"].items():
            if r["agents"][f] == agent:
                times.extend(ts)
                cpu.extend(r.get("think_cpu", {}).get(f, []))
    if not times:
        return {"median": None, "worst": None, "faction_turns": 0}
    return {"median": statistics.median(times), "worst": max(times), "faction_turns": len(times),
            "p90": sorted(times)[int(0.9 * (len(times) - 1))],
            "cpu_median": statistics.median(cpu) if cpu else None}


def _cpu(t: dict) -> str:
    return f" (CPU time of the thinking thread: median {t['cpu_median']:.3f} s)" if t.get("cpu_median") is not None else ""


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def experiment_random(path: str, fids: list[str], everyone: list[str], seeds: list[int], jobs: int) -> dict:
    a = _run(path, _specs(fids, everyone, seeds, "normal", "random", None, 0), jobs, "normal vs random")
    b = _run(path, _specs(fids, everyone, seeds, "random", "random", None, 10_000), jobs, "random baseline")
    per: dict[str, dict] = {}
    tot_w = tot_p = tot_n = 0
    for f in fids:
        wins = sum(1 for s in seeds if a[(f, s)]["winner"] == f)
        paired = sum(1.0 if a[(f, s)]["score"][f] > b[(f, s)]["score"][f] else
                     0.5 if a[(f, s)]["score"][f] == b[(f, s)]["score"][f] else 0.0 for s in seeds)
        base_wins = sum(1 for s in seeds if b[(f, s)]["winner"] == f)
        n = len(seeds)
        per[f] = {"games": n, "normal_wins": wins, "win_rate": wins / n, "win_ci": wilson(wins, n),
                  "random_seat_wins": base_wins,
                  "paired_better": paired, "paired_rate": paired / n, "paired_ci": wilson(paired, n),
                  "normal_score_mean": statistics.fmean(a[(f, s)]["score"][f] for s in seeds),
                  "random_score_mean": statistics.fmean(b[(f, s)]["score"][f] for s in seeds)}
        tot_w += wins
        tot_p += paired
        tot_n += n
    res_a = list(a.values())
    return {"per_faction": per, "all": {"games": tot_n, "normal_wins": tot_w, "win_rate": tot_w / tot_n,
                                        "win_ci": wilson(tot_w, tot_n), "paired_rate": tot_p / tot_n,
                                        "paired_ci": wilson(tot_p, tot_n)},
            "think_normal": _think(res_a, agent="normal"),
            "illegal": sum(r["illegal"] for r in res_a + list(b.values())),
            "fallbacks": sum(sum(r["fallbacks"].values()) for r in res_a + list(b.values())),
            "games": {f"{f}/{s}": {"normal": _brief(a[(f, s)]), "random": _brief(b[(f, s)])}
                      for f in fids for s in seeds}}


def experiment_hard(path: str, fids: list[str], everyone: list[str], seeds: list[int], jobs: int,
                    turns: int | None) -> dict:
    h = _run(path, _specs(fids, everyone, seeds, "hard", "normal", turns, 20_000), jobs, "hard vs normal (hard seat)")
    n_ = _run(path, _specs(fids, everyone, seeds, "normal", "normal", turns, 30_000), jobs,
              "hard vs normal (normal seat)")
    per: dict[str, dict] = {}
    tot = tot_n = 0.0
    for f in fids:
        better = sum(1.0 if h[(f, s)]["score"][f] > n_[(f, s)]["score"][f] else
                     0.5 if h[(f, s)]["score"][f] == n_[(f, s)]["score"][f] else 0.0 for s in seeds)
        n = len(seeds)
        per[f] = {"pairs": n, "hard_better": better, "rate": better / n, "ci": wilson(better, n),
                  "hard_seat_wins": sum(1 for s in seeds if h[(f, s)]["winner"] == f),
                  "normal_seat_wins": sum(1 for s in seeds if n_[(f, s)]["winner"] == f),
                  "hard_score_mean": statistics.fmean(h[(f, s)]["score"][f] for s in seeds),
                  "normal_score_mean": statistics.fmean(n_[(f, s)]["score"][f] for s in seeds)}
        tot += better
        tot_n += n
    res_h = list(h.values())
    return {"per_faction": per, "all": {"pairs": int(tot_n), "hard_better": tot, "rate": tot / tot_n,
                                        "ci": wilson(tot, int(tot_n))},
            "think_hard": _think(res_h, agent="hard"),
            "think_normal": _think(list(n_.values()), agent="normal"),
            "illegal": sum(r["illegal"] for r in res_h + list(n_.values())),
            "fallbacks": sum(sum(r["fallbacks"].values()) for r in res_h + list(n_.values())),
            "games": {f"{f}/{s}": {"hard": _brief(h[(f, s)]), "normal": _brief(n_[(f, s)])}
                      for f in fids for s in seeds}}


def _brief(r: dict) -> dict:
    return {"winner": r["winner"], "turns": r["turns"], "score": r["score"], "vp": r["vp"], "hash": r["hash"]}


def markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [f"# AI strength: {doc['scenario']}", "",
             f"Measured {doc['date']} on {m['cpus']} CPU(s), Python {m['python']}, load average "
             f"before/after: {m['load_before']} / {m['load_after']} (the machine is shared, so think times "
             f"are inflated by other work); `--jobs {doc['jobs']}`; wall time {doc['wall_seconds']:.0f} s.", "",
             "Command: `" + doc["command"] + "`; scenario file sha256 `" + doc.get("scenario_sha256", "?")[:16]
             + "...` (copied once at the start, so every game plays the same version).", ""]
    lines += ["## The agents", "",
              "* `random` - a uniformly random legal move or attack per unit (the baseline).",
              "* `normal` (`game/ai/normal.py`) - Wesnoth-style RCA loop on the faction's fog-of-war view: every "
              "decision scores attacks (expected steps traded, chance to take the hex, combined attacks with set-up "
              "moves, close air support when worth its tension), unit moves (objectives to take or guard, shared "
              "out between units; danger from enemies in reach; supply; weak enemies) and air missions (priced "
              "in tension against the scenario's incident thresholds), and plays the best; ends the turn when "
              "nothing is worth doing. Values are in shares of the faction's VP goal (`game/ai/evaluate.py`).",
              "* `hard` (`game/ai/hard.py`) - the normal policy with `lock` 3 (races harder for objectives a rival it "
              "is not at war with could take first, except where a rival stronger over the whole order of battle "
              "already fights for it: incidents there could start a war), `garrison` 0.7 (keeps fewer units back to guard what it "
              "holds) and `hidden_fear` 0.5 (a hidden faction's units expect half the attacks normal fears: an "
              "enemy must find them first) as its base; before each turn, simulates its turn with that policy and every "
              "other faction's replies (normal policy) for three scoring rounds on its own view (plus the enemies "
              "it saw in the last three turns, where it last saw them, and those it never saw where the "
              "scenario's order of battle puts them) and its own dice, "
              "judged by its own points (not the points it keeps from others); then repairs the plan where the "
              "replies hurt (guard objectives that were retaken, shield mauled units), races for contested "
              "objectives and tries bolder/more careful/more pressing weightings; the best option on paired dice "
              "samples is played for real if it beats the base plan by 0.08 goal units (else the base plan is).",
              "",
              "## Definitions", "",
              "* **normal beats random** (per game, paired): for a faction F and a seed, F is played by `normal` "
              "and every other faction by `random`; the same seed is played again with F played by `random`. "
              "Normal beats random if F's seat score (VP/goal, the measure `victory.decide_winner` ranks by) is "
              "higher with normal than random reaches in the same seat. This is the primary measure because the "
              "scenario's goals are not equally reachable from every seat against random opponents (a random "
              "government never attacks ISIL's towns, so ISIL's low goal can out-score an SDF that plays well); "
              "the table also shows the stricter *outright win* rate (F is the game's winner).",
              "* **hard beats normal** (per pair): same seed, F played once by `hard` and once by `normal`, every "
              "other faction `normal` in both games (identical agent seeds for those seats). Hard wins the pair "
              "if F's seat score (VP/goal) is higher with hard; a tie counts half.",
              "* 95% confidence intervals are Wilson score intervals.",
              "* Think time: wall-clock time inside `choose` summed over one faction turn.", ""]
    if "random" in doc:
        r = doc["random"]
        lines += ["## normal vs random", "",
                  "| faction | games | **normal beats random (paired)** | 95% CI | mean seat score normal / random | "
                  "outright wins by normal | win rate | 95% CI | random in that seat wins |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for f, p in r["per_faction"].items():
            lines.append(f"| {f} | {p['games']} | **{_pct(p['paired_rate'])}** | "
                         f"[{_pct(p['paired_ci'][0])}, {_pct(p['paired_ci'][1])}] | "
                         f"{p['normal_score_mean']:.2f} / {p['random_score_mean']:.2f} | {p['normal_wins']} | "
                         f"{_pct(p['win_rate'])} | [{_pct(p['win_ci'][0])}, {_pct(p['win_ci'][1])}] | "
                         f"{p['random_seat_wins']} |")
        a = r["all"]
        lines += [f"| **all** | {a['games']} | **{_pct(a['paired_rate'])}** | "
                  f"[{_pct(a['paired_ci'][0])}, {_pct(a['paired_ci'][1])}] | | {a['normal_wins']} | "
                  f"{_pct(a['win_rate'])} | [{_pct(a['win_ci'][0])}, {_pct(a['win_ci'][1])}] | |", "",
                  f"Think time of `normal` per faction turn: median {r['think_normal']['median']:.3f} s, "
                  f"90th percentile {r['think_normal']['p90']:.3f} s, worst {r['think_normal']['worst']:.3f} s "
                  f"over {r['think_normal']['faction_turns']} faction turns{_cpu(r['think_normal'])}.",
                  f"Illegal actions refused by the engine: {r['illegal']}; agent fallbacks: {r['fallbacks']}.", ""]
    if "hard" in doc:
        h = doc["hard"]
        trunc = f" (games cut after turn {doc['hard_turns']})" if doc.get("hard_turns") else ""
        lines += [f"## hard vs normal, paired{trunc}", "",
                  "| faction | pairs | hard better | rate | 95% CI | mean seat score hard / normal | "
                  "seat wins hard / normal |", "|---|---|---|---|---|---|---|"]
        for f, p in h["per_faction"].items():
            lines.append(f"| {f} | {p['pairs']} | {p['hard_better']:g} | {_pct(p['rate'])} | "
                         f"[{_pct(p['ci'][0])}, {_pct(p['ci'][1])}] | {p['hard_score_mean']:.2f} / "
                         f"{p['normal_score_mean']:.2f} | {p['hard_seat_wins']} / {p['normal_seat_wins']} |")
        a = h["all"]
        lines += [f"| **all** | {a['pairs']} | {a['hard_better']:g} | **{_pct(a['rate'])}** | "
                  f"[{_pct(a['ci'][0])}, {_pct(a['ci'][1])}] | | |", ""]
        for name in ("hard", "normal"):
            t = h[f"think_{name}"]
            if t["median"] is not None:
                lines.append(f"Think time of `{name}` per faction turn: median {t['median']:.3f} s, 90th percentile "
                             f"{t['p90']:.3f} s, worst {t['worst']:.3f} s over {t['faction_turns']} faction turns"
                             f"{_cpu(t)}.")
        lines += [f"Illegal actions refused by the engine: {h['illegal']}; agent fallbacks: {h['fallbacks']}.", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--random-games", type=int, default=20, help="games per faction, normal vs random (0 = skip)")
    ap.add_argument("--pairs", type=int, default=10, help="paired games per faction, hard vs normal (0 = skip)")
    ap.add_argument("--hard-turns", type=int, default=None, help="cut hard-vs-normal games after this many turns")
    ap.add_argument("--factions", default="", help="comma-separated seats to test (default: every faction)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(OUT_DIR))
    args = ap.parse_args(argv)
    from game.scenario.loader import load_scenario
    path, digest = freeze(args.scenario)       # the same scenario and code for every game
    scn = load_scenario(path)
    everyone = [f.id for f in scn.factions]
    fids = [f for f in everyone if not args.factions or f in args.factions.split(",")]
    t0 = time.perf_counter()
    doc: dict = {"scenario": scn.meta.id, "scenario_path": os.path.relpath(args.scenario, ROOT),
                 "scenario_sha256": digest,
                 "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "jobs": args.jobs,
                 "command": "python benchmarks/ai_strength.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                 "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg())}}
    if args.random_games > 0:
        seeds = list(range(args.seed, args.seed + args.random_games))
        doc["random"] = experiment_random(path, fids, everyone, seeds, args.jobs)
    if args.pairs > 0:
        seeds = list(range(args.seed + 500, args.seed + 500 + args.pairs))
        doc["hard"] = experiment_hard(path, fids, everyone, seeds, args.jobs, args.hard_turns)
        doc["hard_turns"] = args.hard_turns
    doc["wall_seconds"] = time.perf_counter() - t0
    doc["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ai_strength.json").write_text(json.dumps(doc, indent=1))
    md = markdown(doc)
    (out / "ai_strength.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

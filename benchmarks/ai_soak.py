"""Legality soak: many AI games with every agent in every seat; the engine must never refuse an
agent's action.

Each game is played by ``game.simulate.play_game``, which applies every action the agents
choose and counts the ones the engine refuses (``IllegalAction``) - that count must be zero.
Agents also count their own *fallbacks* (an action their legality guard caught and replaced by
ending the turn); those are reported too.  Games with ``hard`` seats are cut short (``--hard-turns``)
so the soak fits in reasonable time; the rest run to the end.

    python benchmarks/ai_soak.py --games 200 --jobs 2

Writes ``benchmarks/results/ai_soak.json`` and ``ai_soak.md``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game.simulate import GameSpec, Progress, freeze, run_games  # noqa: E402

SCENARIOS = [ROOT / "scenarios" / "deir_ez_zor_2017.yaml", ROOT / "scenarios" / "tutorial.yaml"]


def mixes(fids: list[str]) -> list[tuple[str, dict[str, str], bool]]:
    """(label, agents, hard-heavy) for every way of seating the agents the soak rotates through."""
    out: list[tuple[str, dict[str, str], bool]] = [("all random", {f: "random" for f in fids}, False),
                                                   ("all normal", {f: "normal" for f in fids}, False)]
    for f in fids:
        a = {g: "random" for g in fids}
        a[f] = "normal"
        out.append((f"{f} normal, others random", a, False))
    for f in fids:
        a = {g: "normal" for g in fids}
        a[f] = "hard"
        out.append((f"{f} hard, others normal", a, True))
    for f in fids:
        a = {g: "random" for g in fids}
        a[f] = "hard"
        out.append((f"{f} hard, others random", a, True))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--games", type=int, default=200)
    ap.add_argument("--seed", type=int, default=5000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--hard-turns", type=int, default=4, help="cut games with a hard seat after this many turns")
    ap.add_argument("--normal-turns", type=int, default=None, help="cut other games after this many turns")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)
    from game.scenario.loader import load_scenario
    plan: list[tuple[str, str, GameSpec]] = []
    per_scn = [args.games - args.games // 10, args.games // 10]      # 90% default scenario, 10% tutorial
    i = 0
    digests = {}
    for path, count in zip(SCENARIOS, per_scn):
        if count <= 0 or not path.exists():
            continue
        frozen, digests[path.name] = freeze(str(path))       # same file and code for every game
        path = Path(frozen)
        fids = [f.id for f in load_scenario(str(path)).factions]
        ms = mixes(fids)
        for k in range(count):
            label, agents, hard = ms[k % len(ms)]
            turns = args.hard_turns if hard else args.normal_turns
            plan.append((str(path), label, GameSpec(i, args.seed + i, agents, turns, False)))
            i += 1
    t0 = time.perf_counter()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    prog = Progress(len(plan))
    done = 0

    def tick(*_a) -> None:
        nonlocal done
        done += 1
        prog.update(done)

    results: list[tuple[str, str, dict]] = []
    for path in sorted({p for p, _, _ in plan}):
        part = [(lab, spec) for p, lab, spec in plan if p == path]
        for (lab, _), r in zip(part, run_games(path, [s for _, s in part], args.jobs, tick)):
            results.append((os.path.basename(path), lab, r))
    wall = time.perf_counter() - t0
    errors = [r for _, _, r in results if "error" in r]
    illegal = sum(r.get("illegal", 0) for _, _, r in results)
    fallbacks = sum(sum(r.get("fallbacks", {}).values()) for _, _, r in results)
    by_mix: dict[str, dict] = {}
    for scn, lab, r in results:
        m = by_mix.setdefault(f"{scn}: {lab}", {"games": 0, "illegal": 0, "fallbacks": 0, "errors": 0, "actions": 0})
        m["games"] += 1
        m["illegal"] += r.get("illegal", 0)
        m["fallbacks"] += sum(r.get("fallbacks", {}).values())
        m["errors"] += "error" in r
        m["actions"] += r.get("actions", 0)
    doc = {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "games": len(results), "jobs": args.jobs,
           "hard_turns": args.hard_turns, "normal_turns": args.normal_turns, "wall_seconds": wall,
           "load_before": load_before, "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
           "illegal_actions": illegal, "agent_fallbacks": fallbacks, "errors": len(errors),
           "scenario_sha256": digests,
           "actions": sum(r.get("actions", 0) for _, _, r in results), "by_mix": by_mix,
           "error_details": [r.get("traceback", r.get("error")) for r in errors[:5]],
           "illegal_examples": [x for _, _, r in results for x in r.get("illegal_examples", [])][:20],
           "fallback_examples": [x for _, _, r in results for x in r.get("fallback_examples", [])][:20],
           "command": "python benchmarks/ai_soak.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ai_soak.json").write_text(json.dumps(doc, indent=1))
    lines = [f"# AI legality soak ({doc['date']})", "",
             f"`{doc['command']}`: {doc['games']} games, {doc['actions']} actions, wall time {wall:.0f} s with "
             f"--jobs {args.jobs} (load {load_before} -> {doc['load_after']}). Games with a hard seat cut after "
             f"turn {args.hard_turns}.", "",
             f"**Illegal actions refused by the engine: {illegal}.** Agent fallbacks (guard caught an illegal "
             f"choice): {fallbacks}. Games that crashed: {len(errors)}.", "",
             "| scenario: seating | games | actions | illegal | fallbacks | errors |", "|---|---|---|---|---|---|"]
    for k, m in by_mix.items():
        lines.append(f"| {k} | {m['games']} | {m['actions']} | {m['illegal']} | {m['fallbacks']} | {m['errors']} |")
    md = "\n".join(lines) + "\n"
    (out / "ai_soak.md").write_text(md)
    print(md)
    return 0 if illegal == 0 and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())

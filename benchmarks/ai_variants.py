"""Quick paired screen of AI variants against the plain ``normal`` agent, for tuning work.

A *variant* is ``hard`` or ``normal`` built with keyword arguments (``--kw`` as JSON: HardAgent
options, or Params fields for ``--agent normal``).  For each seat and seed the variant plays that
seat with every other seat ``normal``; the baseline game (all ``normal``) is played once and
cached in ``--cache``, so screening many variants costs one game per pair.  Results are
appended to ``--log``.  This is a screen on few seeds: confirm a promising variant with
``benchmarks/ai_strength.py`` on its fresh seeds before believing it (see ai_experiments.md).

    python benchmarks/ai_variants.py --kw '{"rounds": 3, "samples": 2}' --seeds 1-12
    python benchmarks/ai_variants.py --agent normal --kw '{"aggression": 1.3}' --seeds 1-8
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game.ai import registry  # noqa: E402
from game.ai.hard import HardAgent  # noqa: E402
from game.ai.normal import NormalAgent, Params  # noqa: E402
from game.simulate import GameSpec, run_games  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "deir_ez_zor_2017.yaml"))
    ap.add_argument("--agent", choices=("hard", "normal"), default="hard")
    ap.add_argument("--kw", default="{}", help="JSON keyword arguments of the variant")
    ap.add_argument("--factions", default="", help="seats to test (default: all)")
    ap.add_argument("--seeds", default="1-12", help="first-last")
    ap.add_argument("--turns", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", default="/tmp/deconfliction-ai-baseline")
    ap.add_argument("--log", default="/tmp/deconfliction-ai-variants.log")
    ap.add_argument("--dump", default="", help="write each pair (seat, seed, variant and normal seat "
                    "score, the wars of both games) to this JSON file, to find the seeds a variant loses")
    a = ap.parse_args(argv)
    try:
        kw = json.loads(a.kw)
        lo, hi = (int(x) for x in a.seeds.split("-"))
    except ValueError as e:
        print(f"ai_variants: bad --kw or --seeds: {e}", file=sys.stderr)
        return 2
    if "kinds" in kw:
        kw["kinds"] = tuple(kw["kinds"])
    if a.agent == "hard" and "params" in kw:
        kw["params"] = Params(**kw["params"])       # the base policy's weights
    registry._builtin()
    registry.AGENTS["variant"] = (functools.partial(HardAgent, **kw) if a.agent == "hard"
                                  else functools.partial(NormalAgent, params=Params(**kw)))
    from game.scenario.loader import load_scenario
    fids = [f.id for f in load_scenario(a.scenario).factions]
    seats = a.factions.split(",") if a.factions else fids
    cache = Path(a.cache) / f"turns-{a.turns}"
    cache.mkdir(parents=True, exist_ok=True)
    specs, tags = [], []
    queued: set[int] = set()     # seeds whose all-normal game (the baseline of every seat) is queued
    for f in seats:
        for s in range(lo, hi + 1):
            agents = {g: "normal" for g in fids}
            agents[f] = "variant"
            specs.append(GameSpec(len(specs), s, agents, a.turns, False))
            tags.append((f, s, "variant"))
            if not (cache / f"base_{s}.json").exists() and s not in queued:
                queued.add(s)
                specs.append(GameSpec(len(specs), s, {g: "normal" for g in fids}, a.turns, False))
                tags.append(("all", s, "base"))
    t0 = time.time()
    results = run_games(a.scenario, specs, a.jobs)
    for (f, s, kind), r in zip(tags, results):
        if "error" in r:
            print(f"game {f} seed {s} failed: {r['error']}", file=sys.stderr)
            return 1
        if kind == "base":
            (cache / f"base_{s}.json").write_text(json.dumps(r))
    total = n = 0.0
    lines = []
    pairs = []
    for f in seats:
        wins, mine, theirs, think = 0.0, [], [], []
        won = [0, 0]                         # games the seat won outright: variant, normal
        wars: list[int | None] = [0, 0]      # games in which a war broke out: variant, normal
        for (ff, s, kind), r in zip(tags, results):
            if ff != f or kind != "variant":
                continue
            b = json.loads((cache / f"base_{s}.json").read_text())
            x, y = r["score"][f], b["score"][f]
            pairs.append({"seat": f, "seed": s, "variant": x, "normal": y,
                          "wars": [[[e["turn"], e["a"], e["b"]] for e in rec.get("relations", ()) if e["status"] == "war"]
                                   for rec in (r, b)]})
            wins += 1.0 if x > y + 1e-9 else 0.5 if abs(x - y) <= 1e-9 else 0.0
            mine.append(x)
            theirs.append(y)
            think.extend(r["think"][f])
            won[0] += r["winner"] == f
            won[1] += b["winner"] == f
            for k, rec in enumerate((r, b)):
                if "relations" not in rec:           # a baseline cached before games recorded it
                    wars[k] = None
                elif wars[k] is not None:
                    wars[k] += any(x["status"] == "war" for x in rec["relations"])
        total += wins
        n += len(mine)
        lines.append(f"{f:8s} {wins:5.1f}/{len(mine)} = {100 * wins / len(mine):5.1f}%  mean seat score "
                     f"variant {statistics.fmean(mine):.3f} normal {statistics.fmean(theirs):.3f}  "
                     f"games won {won[0]} / {won[1]}  "
                     f"wars broke out {'/'.join('?' if w is None else str(w) for w in wars)}  "
                     f"think median {statistics.median(think):.2f} s, worst {max(think):.2f} s")
    lines.append(f"all      {total:5.1f}/{n:.0f} = {100 * total / n:5.1f}%  {a.agent} {a.kw} seeds {a.seeds} "
                 f"({time.time() - t0:.0f} s)")
    print("\n".join(lines))
    if a.dump:
        Path(a.dump).write_text(json.dumps(pairs, indent=1))
    with open(a.log, "a") as fh:
        fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

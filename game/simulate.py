"""``python main.py simulate``: AI-vs-AI games headless, a line per turn and one per game."""
from __future__ import annotations

import argparse
import json
import sys
import time

from game import engine
from game.actions import EndTurn
from game.ai.registry import make_agent
from game.errors import DeconflictionError
from game.rules import victory
from game.scenario.loader import load_scenario


def parse_agents(spec: str, faction_ids: list[str]) -> dict[str, str]:
    out = {f: "random" for f in faction_ids}
    if not spec:
        return out
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise DeconflictionError(f"--agents: expected faction=agent, got {part!r}")
        f, a = (x.strip() for x in part.split("=", 1))
        if f not in out:
            raise DeconflictionError(f"--agents: unknown faction {f!r} (factions: {', '.join(faction_ids)})")
        out[f] = a
    return out


def play_game(scenario, seed: int, agents: dict[str, str], max_turns: int | None = None,
              on_turn=None) -> dict:
    """Play one game to the end; returns a result record."""
    state = engine.new_game(scenario, seed)
    players = {f: make_agent(name, seed * 7919 + i) for i, (f, name) in enumerate(sorted(agents.items()))}
    think: dict[str, list[float]] = {f: [] for f in agents}
    actions = 0
    last_turn = state.turn
    while not state.terminal:
        fid = state.active_faction
        t0 = time.perf_counter()
        turn_time = 0.0
        while not state.terminal and state.active_faction == fid:
            t0 = time.perf_counter()
            a = players[fid].choose(state)
            turn_time += time.perf_counter() - t0
            engine.apply(state, a)
            actions += 1
            if isinstance(a, EndTurn):
                break
        think[fid].append(turn_time)
        if state.turn != last_turn or state.terminal:
            if on_turn:
                on_turn(state)
            last_turn = state.turn
        if max_turns is not None and state.turn > max_turns and not state.terminal:
            state.terminal = True
            state.winner = victory.decide_winner(state)
    return {"seed": seed, "winner": state.winner, "turns": min(state.turn, scenario.meta.turns),
            "hash": state.state_hash(), "vp": dict(zip([f.id for f in scenario.factions], state.vp)),
            "actions": actions, "think": think}


def cmd_simulate(args: argparse.Namespace) -> int:
    scn = load_scenario(args.scenario)
    agents = parse_agents(args.agents, [f.id for f in scn.factions])
    results = []
    for i in range(args.games):
        seed = args.seed + i

        def on_turn(st, i=i):
            if args.quiet:
                return
            vp = " ".join(f"{f.id}={v:g}" for f, v in zip(scn.factions, st.vp))
            units = " ".join(f"{f.id}:{len(st.units_of(f.id))}" for f in scn.factions)
            print(f"  game {i} turn {len(st.vp_history)} {scn.date_of_turn(len(st.vp_history)):%Y-%m-%d}: vp {vp} units {units}")

        r = play_game(scn, seed, agents, args.turns, on_turn)
        results.append(r)
        print(f"game {i}: winner={r['winner']} turns={r['turns']} hash={r['hash']}")
        sys.stdout.flush()
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump({"scenario": scn.meta.id, "agents": agents, "games": results}, fh, indent=1)
    return 0

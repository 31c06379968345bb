"""Soak: many full AI-vs-AI games, checking the rules' promises after every action.

After each action the soak checks ``game.invariants`` and that the agent's action was legal
(the engine raised no IllegalAction and, for moves, the destination is one the engine itself
offers).  It also probes the other direction now and then (an action from ``legal_actions``
applied to a clone must be accepted) and replays each finished game from its action log to
confirm the same final hash.  A game stops at its first problem, which is reported with the
seed and ply so it can be replayed.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field

from game import engine
from game.actions import Action, EndTurn, Move
from game.ai.registry import make_agent
from game.errors import IllegalAction
from game.invariants import VPLedger, check_invariants
from game.scenario.model import Scenario
from game.state import GameState

MAX_ACTIONS_PER_TURN = 5_000          # an agent that never ends its turn is a bug too


@dataclass
class GameResult:
    seed: int
    agents: dict[str, str]
    winner: str | None = None
    turns: int = 0
    actions: int = 0
    seconds: float = 0.0
    hash: str = ""
    problem: str | None = None        # the first problem: violation | illegal | crash | replay | save | stuck
    detail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


def parse_agents(spec: str, faction_ids: list[str]) -> dict[str, str]:
    """``normal`` (every faction) or ``regime=normal,isil=random`` (others random)."""
    spec = (spec or "random").strip()
    if "=" not in spec and "," not in spec:
        return {f: spec for f in faction_ids}
    from game.simulate import parse_agents as per_faction
    return per_faction(spec, faction_ids)


def _check_move_offered(state: GameState, a: Action) -> str | None:
    """A move the engine accepted must go to a destination ``move_targets`` offers."""
    if not isinstance(a, Move):
        return None
    u = state.units.get(a.unit)
    if u is None or not a.path:
        return None
    reach = engine.move_targets(state, u)
    if a.path[-1] not in reach.cost:
        return f"move of {a.unit} to {a.path[-1]} accepted by apply but not offered by move_targets"
    return None


def _probe(state: GameState, rng: random.Random, tries: int) -> str | None:
    """Apply a few of ``legal_actions`` to clones: each must be accepted and keep the invariants."""
    acts = engine.legal_actions(state)
    if not acts:
        return "legal_actions is empty in a running game"
    if not any(isinstance(a, EndTurn) for a in acts):
        return "legal_actions does not offer EndTurn"
    picks = rng.sample(acts, min(tries, len(acts)))
    # edge cases get a turn of their own: one-hex moves (the first-hex rule), attacks, air missions
    for group in ([a for a in acts if isinstance(a, Move) and len(a.path) == 1],
                  [a for a in acts if not isinstance(a, (Move, EndTurn))]):
        if group and tries < len(acts):
            picks.append(rng.choice(group))
    for a in picks:
        c = state.clone()
        if c.state_hash() != state.state_hash():
            return "clone() has a different state hash"
        try:
            engine.apply(c, a)
        except IllegalAction as e:
            return f"legal_actions offered {a!r} but apply refused it: {e}"
        bad = check_invariants(c)
        if bad:
            return f"legal action {a!r} (on a clone) broke invariants: {'; '.join(bad)}"
    return None


def soak_game(scenario: Scenario, seed: int, agents: dict[str, str], max_turns: int | None = None,
              probe_every: int = 10, replay: bool = True, save_check: bool = False) -> GameResult:
    """Play one game with ``agents`` (faction -> agent name), checking after every action."""
    res = GameResult(seed, dict(agents))
    t0 = time.perf_counter()
    rng = random.Random(seed ^ 0x5EED)
    actions: list[Action] = []
    turn_hashes: list[str] = []           # after every EndTurn, to find where a replay drifts
    state = None
    try:
        state = engine.new_game(scenario, seed)
        players = {f: make_agent(name, seed * 7919 + i) for i, (f, name) in enumerate(sorted(agents.items()))}
        ledger = VPLedger()
        bad = check_invariants(state, ledger)
        if bad:
            return _fail(res, "violation", [f"at the start: {b}" for b in bad], t0, state)
        per_turn = 0
        while not state.terminal:
            if max_turns is not None and state.turn > max_turns:
                break
            a = players[state.active_faction].choose(state)
            if probe_every and state.ply % probe_every == 0:
                msg = _probe(state, rng, 2)
                if msg:
                    return _fail(res, "illegal", [f"ply {state.ply}: {msg}"], t0, state)
            offered = _check_move_offered(state, a)
            try:
                engine.apply(state, a)
            except IllegalAction as e:
                return _fail(res, "illegal", [f"ply {state.ply} ({state.active_faction}, turn {state.turn}): "
                                              f"agent {agents[state.active_faction]} chose {a!r}: {e}"], t0, state)
            actions.append(a)
            if isinstance(a, EndTurn):
                turn_hashes.append(state.state_hash())
            if offered:
                return _fail(res, "illegal", [f"ply {state.ply - 1}: {offered}"], t0, state)
            bad = check_invariants(state, ledger)
            if bad:
                return _fail(res, "violation", [f"ply {state.ply - 1} after {a!r}: {b}" for b in bad], t0, state)
            per_turn = 0 if isinstance(a, EndTurn) else per_turn + 1
            if per_turn > MAX_ACTIONS_PER_TURN:
                return _fail(res, "stuck", [f"{state.active_faction} took {per_turn} actions without ending "
                                            f"turn {state.turn}"], t0, state)
        res.hash = state.state_hash()
        if replay:
            msg = _replay_problem(scenario, seed, actions, turn_hashes, res.hash)
            if msg:
                return _fail(res, "replay", [msg], t0, state)
        if save_check and scenario.source_text:
            msg = _save_problem(scenario, seed, agents, actions, res.hash)
            if msg:
                return _fail(res, "save", [msg], t0, state)
    except Exception as e:  # noqa: BLE001 - a crash anywhere is the finding
        tb = traceback.format_exc(limit=8).strip().splitlines()
        where = f"ply {state.ply}" if state is not None else "new_game"
        return _fail(res, "crash", [f"{where}: {type(e).__name__}: {e}"] + tb[-6:], t0, state)
    res.winner = state.winner if state.terminal else "unfinished"
    res.turns = len(state.vp_history)
    res.actions = len(actions)
    res.seconds = time.perf_counter() - t0
    return res


def _replay_problem(scenario: Scenario, seed: int, actions: list[Action], turn_hashes: list[str],
                    final: str) -> str | None:
    """Replay the action log from scratch: the same seed and actions must give the same states."""
    again = engine.new_game(scenario, seed)
    k = 0
    for i, a in enumerate(actions):
        engine.apply(again, a)
        if isinstance(a, EndTurn):
            if again.state_hash() != turn_hashes[k]:
                return (f"replaying the action log drifts at ply {i} (end of a turn {again.turn}): "
                        f"hash {again.state_hash()}, the game had {turn_hashes[k]}")
            k += 1
    if again.state_hash() != final:
        return f"replaying {len(actions)} actions gave hash {again.state_hash()}, the game ended with {final}"
    return None


def _save_problem(scenario: Scenario, seed: int, agents: dict[str, str], actions: list[Action],
                  final: str) -> str | None:
    """Save the finished game and load it back: the loaded game must be the same game."""
    import tempfile
    from pathlib import Path

    from game.errors import SaveError
    from game.persistence import load_session, save_session
    from game.session import PlayerSetup, Session
    session = Session(scenario, seed, {f: PlayerSetup("ai", a) for f, a in agents.items()}, list(actions))
    session.state = session.replay_to(len(actions))
    with tempfile.TemporaryDirectory(prefix="soak-save-") as d:
        path = Path(d) / "game.dsave"
        try:
            save_session(session, path)
            back = load_session(path)
        except SaveError as e:
            return f"save/load of the finished game failed: {e}"
    if back.state is None or back.state.state_hash() != final:
        return f"the loaded save has hash {back.state.state_hash() if back.state else None}, the game {final}"
    if len(back.actions) != len(actions):
        return f"the loaded save has {len(back.actions)} actions, the game {len(actions)}"
    return None


def _fail(res: GameResult, kind: str, detail: list[str], t0: float, state: GameState | None) -> GameResult:
    res.problem = kind
    res.detail = detail
    res.seconds = time.perf_counter() - t0
    if state is not None:
        res.turns = len(state.vp_history)
        res.actions = state.ply
        res.hash = state.state_hash()
    return res


# --- many games ------------------------------------------------------------------------------

_worker_scenario: Scenario | None = None


def _init_worker(path: str) -> None:
    global _worker_scenario
    from game.scenario.loader import load_scenario
    _worker_scenario = load_scenario(path)


def _run_one(job: tuple[int, dict[str, str], int | None, int, bool]) -> GameResult:
    seed, agents, max_turns, probe_every, save_check = job
    assert _worker_scenario is not None
    return soak_game(_worker_scenario, seed, agents, max_turns, probe_every, save_check=save_check)


@dataclass
class Summary:
    scenario: str
    games: int = 0
    clean: int = 0
    actions: int = 0
    seconds: float = 0.0
    problems: Counter = field(default_factory=Counter)
    winners: Counter = field(default_factory=Counter)
    agents: Counter = field(default_factory=Counter)
    failures: list[GameResult] = field(default_factory=list)

    def line(self) -> str:
        probs = ", ".join(f"{k} {v}" for k, v in sorted(self.problems.items())) or "none"
        wins = ", ".join(f"{k} {v}" for k, v in sorted(self.winners.items(), key=lambda kv: str(kv[0])))
        rate = self.actions / self.seconds if self.seconds else 0.0
        return (f"soak {self.scenario}: {self.games} games, {self.clean} clean; problems: {probs}; "
                f"{self.actions} actions checked ({rate:.0f}/s); winners: {wins}; {self.seconds:.1f} s")


def run_soak(path: str, games: int, seed: int = 1, agent_specs: list[str] | None = None,
             jobs: int = 1, max_turns: int | None = None, probe_every: int = 10,
             progress=None, save_check: bool = False) -> Summary:
    """Play ``games`` games on seeds seed, seed+1, ...; agent specs rotate game by game."""
    from game.scenario.loader import load_scenario
    scn = load_scenario(path)
    fids = [f.id for f in scn.factions]
    specs = [parse_agents(s, fids) for s in (agent_specs or ["random"])]
    jobs_list = [(seed + i, specs[i % len(specs)], max_turns, probe_every, save_check) for i in range(games)]
    summary = Summary(scn.meta.id)
    t0 = time.perf_counter()
    if jobs <= 1:
        global _worker_scenario
        _worker_scenario = scn
        results = map(_run_one, jobs_list)
        pool = None
    else:
        pool = mp.get_context("fork").Pool(jobs, initializer=_init_worker, initargs=(str(path),))
        results = pool.imap_unordered(_run_one, jobs_list)
    try:
        for r in results:
            summary.games += 1
            summary.actions += r.actions
            summary.agents[",".join(f"{k}={v}" for k, v in sorted(r.agents.items()))] += 1
            if r.ok:
                summary.clean += 1
                summary.winners[r.winner] += 1
            else:
                summary.problems[r.problem] += 1
                summary.failures.append(r)
            if progress:
                progress(r, summary)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    summary.seconds = time.perf_counter() - t0
    return summary


def cmd_soak(args: argparse.Namespace) -> int:
    """``python main.py soak``: one line per problem game, a summary line; exit 1 on any problem."""
    def progress(r: GameResult, s: Summary) -> None:
        if not r.ok:
            print(f"seed {r.seed} [{','.join(f'{k}={v}' for k, v in sorted(r.agents.items()))}] "
                  f"{r.problem}: {r.detail[0]}", flush=True)
        elif args.verbose:
            print(f"seed {r.seed}: winner {r.winner} after {r.turns} turns, {r.actions} actions, "
                  f"{r.seconds:.2f} s", flush=True)
        if not args.verbose and args.games >= 100 and s.games % 50 == 0:
            print(f"  ... {s.games}/{args.games} games, {s.clean} clean", flush=True)
    specs = [s for s in (args.agents or ["random"])]
    s = run_soak(args.scenario, args.games, args.seed, specs, args.jobs, args.turns,
                 args.probe_every, progress, save_check=getattr(args, "save_check", False))
    print(s.line())
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump({"summary": s.line(), "games": s.games, "clean": s.clean, "actions": s.actions,
                       "seconds": round(s.seconds, 2), "problems": dict(s.problems),
                       "winners": {str(k): v for k, v in s.winners.items()}, "agents": dict(s.agents),
                       "failures": [asdict(f) for f in s.failures]}, fh, indent=1)
    return 0 if not s.failures else 1

"""``python main.py simulate``: AI-vs-AI games headless, to measure the agents.

Prints a line per turn and one per game (``game <i>: winner=<faction> turns=<n> hash=<hex>``),
a progress bar on stderr, and at the end a table of win rates and victory points with 95%
confidence intervals and the agents' think time per faction turn.  ``--jobs`` plays games in
parallel processes; every game depends only on (scenario, seed, agents), so the per-game lines
and hashes are the same whatever ``--jobs`` is.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from game import engine
from game.actions import EndTurn
from game.ai.registry import agent_names, make_agent
from game.errors import DeconflictionError, IllegalAction
from game.rules import victory

Z95 = 1.959964


# --- parsing ----------------------------------------------------------------------------------

def parse_agents(spec: str, faction_ids: list[str], known: list[str] | None = None) -> dict[str, str]:
    """``"regime=hard,sdf=normal"`` -> agent per faction (``random`` where not given)."""
    known = agent_names() if known is None else known
    out = {f: "random" for f in faction_ids}
    if not spec:
        return out
    seen: set[str] = set()
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise DeconflictionError(f"--agents: expected faction=agent, got {part.strip()!r}")
        f, a = (x.strip() for x in part.split("=", 1))
        if f not in out:
            raise DeconflictionError(f"--agents: unknown faction {f!r} (factions: {', '.join(faction_ids)})")
        if f in seen:
            raise DeconflictionError(f"--agents: faction {f!r} given twice")
        if a not in known:
            raise DeconflictionError(f"--agents: unknown agent {a!r} for {f} (agents: {', '.join(known)})")
        seen.add(f)
        out[f] = a
    return out


# --- one game -----------------------------------------------------------------------------------

def agent_seed(seed: int, index: int) -> int:
    """The RNG seed of the agent in seat ``index`` (faction ids sorted) of game ``seed``."""
    return seed * 7919 + index


@dataclass(frozen=True)
class TurnEnd:
    """How a turn ended: its number, and the VP and units per faction (scenario order) at that
    moment, before the next turn's start-of-turn events (reinforcements, attrition) happen."""
    turn: int
    vp: tuple[float, ...]
    units: tuple[int, ...]

    @classmethod
    def of(cls, state) -> "TurnEnd":
        return cls(state.turn, tuple(state.vp),
                   tuple(len(state.units_of(f.id)) for f in state.scenario.factions))


def play_game(scenario, seed: int, agents: dict[str, str], max_turns: int | None = None,
              on_turn: Callable[[TurnEnd], None] | None = None) -> dict:
    """Play one game to the end (or ``max_turns``); returns a JSON-ready result record.

    An action the engine refuses is counted in ``illegal`` and replaced by ``EndTurn`` so a
    buggy agent cannot stall the game; agents' own fallbacks are summed in ``fallbacks``.
    ``on_turn`` gets a ``TurnEnd`` for every turn played, taken when the turn ends (the last
    faction's end of turn, or the moment a sudden death ends the game mid-turn).
    """
    state = engine.new_game(scenario, seed)
    ended: list[TurnEnd] = []

    def round_end(st, out) -> None:              # runs after scoring, before the next turn starts
        if st is state:                          # not an agent's look-ahead clone
            ended.append(TurnEnd.of(st))

    if on_turn is None:
        return _play(state, scenario, seed, agents, max_turns, None, ended)
    engine.END_ROUND_HOOKS.append(round_end)
    try:
        return _play(state, scenario, seed, agents, max_turns, on_turn, ended)
    finally:
        engine.END_ROUND_HOOKS.remove(round_end)


def _play(state, scenario, seed: int, agents: dict[str, str], max_turns: int | None,
          on_turn: Callable[[TurnEnd], None] | None, ended: list[TurnEnd]) -> dict:
    players = {f: make_agent(name, agent_seed(seed, i)) for i, (f, name) in enumerate(sorted(agents.items()))}
    think: dict[str, list[float]] = {f: [] for f in agents}
    think_cpu: dict[str, list[float]] = {f: [] for f in agents}
    actions = 0
    illegal = 0
    illegal_examples: list[str] = []
    last_reported = 0
    truncated = False
    while not state.terminal:
        fid = state.active_faction
        turn = state.turn
        turn_time = 0.0
        turn_cpu = 0.0
        n = 0
        while not state.terminal and state.active_faction == fid and state.turn == turn:
            t0, c0 = time.perf_counter(), time.thread_time()
            a = players[fid].choose(state)
            turn_time += time.perf_counter() - t0
            turn_cpu += time.thread_time() - c0
            n += 1
            try:
                engine.apply(state, a)
            except IllegalAction as e:
                illegal += 1
                if len(illegal_examples) < 5:
                    illegal_examples.append(f"turn {state.turn} {fid}: {a} ({e})")
                a = EndTurn()
                engine.apply(state, a)
            actions += 1
            if isinstance(a, EndTurn):
                break
            if n >= 5000:                      # a runaway agent still ends its turn
                engine.apply(state, EndTurn())
                break
        think[fid].append(turn_time)
        think_cpu[fid].append(turn_cpu)
        if on_turn:
            for t in ended:
                on_turn(t)
                last_reported = t.turn
            ended.clear()
            if state.terminal and last_reported < state.turn:   # sudden death during this turn
                on_turn(TurnEnd.of(state))
                last_reported = state.turn
        if max_turns is not None and state.turn > max_turns and not state.terminal:
            state.terminal = True
            state.winner = victory.decide_winner(state)
            truncated = True
    fids = [f.id for f in scenario.factions]
    turns = max_turns if truncated else min(state.turn, scenario.meta.turns)
    return {"seed": seed, "winner": state.winner, "turns": turns, "truncated": truncated,
            "hash": state.state_hash(), "vp": dict(zip(fids, state.vp)),
            "score": dict(zip(fids, victory.scores(state))),
            "actions": actions, "illegal": illegal, "illegal_examples": illegal_examples,
            "fallbacks": {f: int(getattr(p, "stats", {}).get("fallbacks", 0)) for f, p in players.items()},
            "fallback_examples": [x for p in players.values() for x in getattr(p, "fallback_log", [])][:10],
            "think": think, "think_cpu": think_cpu,
            # truces broken or made during the game (a war the deconfliction failed to prevent)
            "relations": [{"turn": e.turn, "a": e.data["a"], "b": e.data["b"], "status": e.data["status"]}
                          for e in state.log if e.kind == "relation"]}


def turn_line(scn, t: TurnEnd, game_index: int) -> str:
    """The progress line of turn ``t.turn``, with the VP and unit counts at that turn's end."""
    n = t.turn
    vp = " ".join(f"{f.id}={v:g}" for f, v in zip(scn.factions, t.vp))
    units = " ".join(f"{f.id}:{k}" for f, k in zip(scn.factions, t.units))
    return f"  game {game_index} turn {n} {scn.date_of_turn(n):%Y-%m-%d}: vp {vp} units {units}"


def game_line(i: int, r: dict) -> str:
    if "error" in r:
        return f"game {i}: error: {r['error']}"
    return f"game {i}: winner={r['winner']} turns={r['turns']} hash={r['hash']}"


# --- many games, possibly in parallel ----------------------------------------------------------

@dataclass(frozen=True)
class GameSpec:
    index: int
    seed: int
    agents: dict[str, str]
    max_turns: int | None = None
    turn_lines: bool = True


_WORKER_SCENARIO: dict[str, Any] = {}


def _scenario(path: str):
    scn = _WORKER_SCENARIO.get(path)
    if scn is None:
        from game.scenario.loader import load_scenario
        scn = load_scenario(path)
        _WORKER_SCENARIO[path] = scn
    return scn


def _run_one(args: tuple[str, GameSpec]) -> tuple[int, dict, list[str]]:
    path, spec = args
    lines: list[str] = []
    try:
        scn = _scenario(path)
        on_turn = (lambda t: lines.append(turn_line(scn, t, spec.index))) if spec.turn_lines else None
        r = play_game(scn, spec.seed, spec.agents, spec.max_turns, on_turn)
    except Exception as e:  # a crash in one game is reported, not fatal to the batch
        r = {"seed": spec.seed, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
    r["index"] = spec.index
    r["agents"] = dict(spec.agents)
    return spec.index, r, lines


def run_games(path: str, specs: list[GameSpec], jobs: int = 1,
              on_result: Callable[[int, dict, list[str]], None] | None = None,
              on_turn_line: Callable[[str], None] | None = None) -> list[dict]:
    """Play ``specs`` on the scenario at ``path``; results in spec order whatever ``jobs`` is.

    ``on_result`` is called in spec order as results become available (with the game's turn
    lines); with ``jobs == 1`` turn lines are also streamed live through ``on_turn_line``.
    """
    results: dict[int, dict] = {}
    order = [s.index for s in specs]
    pending_lines: dict[int, list[str]] = {}
    next_pos = 0

    def deliver(idx: int, r: dict, lines: list[str]) -> None:
        nonlocal next_pos
        results[idx] = r
        pending_lines[idx] = lines
        while next_pos < len(order) and order[next_pos] in results:
            k = order[next_pos]
            if on_result:
                on_result(k, results[k], pending_lines.pop(k))
            next_pos += 1

    if jobs <= 1 or len(specs) <= 1:
        for spec in specs:
            if on_turn_line is not None and spec.turn_lines:
                scn = _scenario(path)
                lines: list[str] = []

                def live(t, spec=spec, scn=scn) -> None:
                    on_turn_line(turn_line(scn, t, spec.index))
                try:
                    r = play_game(scn, spec.seed, spec.agents, spec.max_turns, live)
                except Exception as e:
                    r = {"seed": spec.seed, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
                r["index"] = spec.index
                r["agents"] = dict(spec.agents)
                deliver(spec.index, r, [])
            else:
                deliver(*_run_one((path, spec)))
    else:
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        with ctx.Pool(processes=min(jobs, len(specs))) as pool:
            try:
                for idx, r, lines in pool.imap_unordered(_run_one, [(path, s) for s in specs], chunksize=1):
                    deliver(idx, r, lines)
            except KeyboardInterrupt:
                pool.terminate()
                raise
    return [results[i] for i in order]


def freeze(path: str, workdir: str | None = None) -> tuple[str, str]:
    """Pin what a long batch plays: copy the scenario file to ``workdir`` (or a temp folder) and
    import the agents and rule plugins now, so worker processes (forked later) all play the same
    scenario and code even if the files change meanwhile.  Returns (frozen path, sha256 of it)."""
    import hashlib
    import shutil
    import tempfile
    from game.scenario.loader import load_scenario
    data = open(path, "rb").read()
    digest = hashlib.sha256(data).hexdigest()
    folder = workdir or tempfile.mkdtemp(prefix="deconfliction-batch-")
    frozen = os.path.join(folder, os.path.basename(path))
    shutil.copyfile(path, frozen)
    scn = load_scenario(frozen)
    engine.new_game(scn, scn.meta.seed)          # loads the rule plugins (air) in this process
    agent_names()                                # imports every agent module
    _WORKER_SCENARIO[frozen] = scn
    return frozen, digest


# --- statistics ----------------------------------------------------------------------------------

def wilson(k: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (k may be fractional for half-wins)."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_ci(xs: list[float], z: float = Z95) -> tuple[float, float, float]:
    """Mean and a normal-approximation 95% interval."""
    if not xs:
        return (0.0, 0.0, 0.0)
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return (m, m, m)
    h = z * statistics.stdev(xs) / math.sqrt(len(xs))
    return (m, m - h, m + h)


def summarize(results: list[dict], faction_ids: list[str]) -> dict:
    """Win rates, VP and score means with 95% intervals, think times, legality counts."""
    ok = [r for r in results if "error" not in r]
    n = len(ok)
    out: dict[str, Any] = {"games": len(results), "completed": n, "errors": len(results) - n,
                           "draws": sum(1 for r in ok if r["winner"] == "draw"),
                           "illegal_actions": sum(r["illegal"] for r in ok),
                           "agent_fallbacks": sum(sum(r["fallbacks"].values()) for r in ok),
                           "factions": {}}
    for f in faction_ids:
        wins = sum(1 for r in ok if r["winner"] == f)
        lo, hi = wilson(wins, n)
        vp = mean_ci([r["vp"][f] for r in ok])
        sc = mean_ci([r["score"][f] for r in ok])
        times = [t for r in ok for t in r["think"].get(f, [])]
        cpu = [t for r in ok for t in r.get("think_cpu", {}).get(f, [])]
        agents = sorted({r["agents"][f] for r in ok if "agents" in r})
        out["factions"][f] = {
            "agent": "/".join(agents), "wins": wins, "win_rate": wins / n if n else 0.0, "win_ci": [lo, hi],
            "vp_mean": vp[0], "vp_ci": [vp[1], vp[2]], "score_mean": sc[0], "score_ci": [sc[1], sc[2]],
            "think_median": statistics.median(times) if times else 0.0,
            "think_worst": max(times) if times else 0.0, "faction_turns": len(times),
            "think_cpu_median": statistics.median(cpu) if cpu else 0.0}
    return out


def format_table(summary: dict) -> str:
    n = summary["completed"]
    lines = [f"{n} game(s): win rate and victory points (95% confidence intervals: Wilson for win rates, "
             f"normal approximation for means)"]
    head = f"{'faction':<10} {'agent':<8} {'wins':>5} {'win rate':>9} {'95% CI':>16} {'mean VP':>8} {'95% CI':>17} {'score':>6}"
    lines.append(head)
    for f, s in summary["factions"].items():
        lines.append(f"{f:<10} {s['agent']:<8} {s['wins']:>5} {s['win_rate']:>8.1%} "
                     f"{'[' + format(s['win_ci'][0], '.1%') + ', ' + format(s['win_ci'][1], '.1%') + ']':>16} "
                     f"{s['vp_mean']:>8.1f} {'[' + format(s['vp_ci'][0], '.1f') + ', ' + format(s['vp_ci'][1], '.1f') + ']':>17} "
                     f"{s['score_mean']:>6.2f}")
    lines.append(f"draws: {summary['draws']}")
    lines.append("think time per faction turn (wall clock; CPU time of the thinking thread in brackets):")
    lines.append(f"{'faction':<10} {'agent':<8} {'median':>8} {'worst':>8} {'(cpu median)':>13} {'turns':>6}")
    for f, s in summary["factions"].items():
        lines.append(f"{f:<10} {s['agent']:<8} {s['think_median']:>7.3f}s {s['think_worst']:>7.3f}s "
                     f"{'(' + format(s.get('think_cpu_median', 0.0), '.3f') + 's)':>13} {s['faction_turns']:>6}")
    lines.append(f"illegal actions refused by the engine: {summary['illegal_actions']}; "
                 f"agent fallbacks: {summary['agent_fallbacks']}; games with errors: {summary['errors']}")
    return "\n".join(lines)


# --- progress bar ---------------------------------------------------------------------------------

class Progress:
    """A one-line progress bar on stderr (plain lines now and then when not a terminal)."""

    def __init__(self, total: int, stream=None, width: int = 28):
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.t0 = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_pct = -1

    def update(self, done: int) -> None:
        self.done = done
        el = time.monotonic() - self.t0
        frac = done / self.total if self.total else 1.0
        eta = el / done * (self.total - done) if done else 0.0
        fill = int(round(self.width * frac))
        text = (f"[{'#' * fill}{'.' * (self.width - fill)}] {done}/{self.total} games "
                f"{frac:4.0%}  elapsed {_fmt_s(el)}  eta {_fmt_s(eta)}")
        if self.tty:
            self.stream.write("\r" + text)
            if done >= self.total:
                self.stream.write("\n")
        else:
            pct = int(frac * 10)
            if pct != self._last_pct or done >= self.total:
                self._last_pct = pct
                self.stream.write(text + "\n")
        self.stream.flush()


def _fmt_s(s: float) -> str:
    s = int(s)
    return f"{s // 60}m{s % 60:02d}s"


# --- the command ----------------------------------------------------------------------------------

def cmd_simulate(args: argparse.Namespace) -> int:
    from game.scenario.loader import load_scenario
    if args.games < 1:
        raise DeconflictionError("--games must be at least 1")
    if args.jobs < 1:
        raise DeconflictionError("--jobs must be at least 1")
    if args.turns is not None and args.turns < 1:
        raise DeconflictionError("--turns must be at least 1")
    scn = load_scenario(args.scenario)
    fids = [f.id for f in scn.factions]
    agents = parse_agents(args.agents, fids)
    if args.json_out:
        _check_writable(args.json_out)
    _WORKER_SCENARIO[args.scenario] = scn
    specs = [GameSpec(i, args.seed + i, agents, args.turns, not args.quiet) for i in range(args.games)]
    progress = Progress(len(specs))
    done = 0

    def on_result(i: int, r: dict, lines: list[str]) -> None:
        nonlocal done
        for ln in lines:
            print(ln)
        print(game_line(i, r))
        sys.stdout.flush()
        done += 1
        progress.update(done)

    def on_turn_line(ln: str) -> None:
        print(ln)
        sys.stdout.flush()

    t0 = time.perf_counter()
    results = run_games(args.scenario, specs, args.jobs, on_result, on_turn_line)
    wall = time.perf_counter() - t0
    summary = summarize(results, fids)
    print(format_table(summary))
    print(f"wall time {wall:.1f}s with --jobs {args.jobs}; load {_loadavg()}")
    if args.json_out:
        doc = {"scenario": scn.meta.id, "scenario_path": args.scenario, "agents": agents, "seed": args.seed,
               "games_requested": args.games, "max_turns": args.turns, "jobs": args.jobs,
               "wall_seconds": wall, "load": _loadavg(), "summary": summary,
               "games": [_json_game(r) for r in results]}
        _write_json(args.json_out, doc)
    return 1 if summary["errors"] or summary["illegal_actions"] else 0


def _json_game(r: dict) -> dict:
    out = dict(r)
    for key in ("think", "think_cpu"):
        if key in out:
            out[key] = {f: [round(t, 4) for t in ts] for f, ts in out[key].items()}
    return out


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _check_writable(path: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise DeconflictionError(f"--json: folder {d} does not exist")
    if os.path.isdir(path):
        raise DeconflictionError(f"--json: {path} is a folder")


def _write_json(path: str, doc: dict) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w") as fh:
            json.dump(doc, fh, indent=1)
        os.replace(tmp, path)
    except OSError as e:
        raise DeconflictionError(f"--json: cannot write {path}: {e.strerror or e}") from None

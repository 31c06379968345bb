"""The ``hard`` agent: searches with the forward model before each of its turns.

At the start of its faction turn it takes its fog-of-war view, draws its own dice (it never
peeks at the game's RNG), and tries several *turn policies* - the normal agent with different
weights (bolder, more careful, more spread out, jittered) - by simulating, for each, its whole
turn and then every other faction's reply with the normal policy up to its own next turn (one
scoring round).  Each policy is played on the same few dice sequences (common random numbers,
so the comparison is paired), the ends are scored with ``game.ai.evaluate.evaluate``, and the
policy with the best mean is then played for real, reacting to the real dice and to enemies
that show up, one action at a time.

The number of candidates and samples is fixed (so the agent is deterministic given its seed);
the time budget is only a safety cap, and ``stats['capped']`` counts turns where it cut the
search short.
"""
from __future__ import annotations

import random
import time
from dataclasses import replace

from game import engine
from game.actions import Action, EndTurn
from game.ai.evaluate import evaluate
from game.ai.guard import guarded
from game.ai.normal import NormalAgent, Params
from game.errors import IllegalAction
from game.rules import visibility
from game.state import GameState

DEFAULT_BUDGET = 2.5           # seconds per faction turn (safety cap)


def policy_variants(base: Params) -> list[Params]:
    """The turn policies the search chooses between (the first is the normal agent's)."""
    return [
        base,
        replace(base, aggression=1.5, caution=0.7),
        replace(base, aggression=0.75, caution=1.5, garrison=1.6),
        replace(base, garrison=0.5, rival=1.0, discount=0.95),
        replace(base, hunt=0.35, aggression=1.2, step=0.22),
        replace(base, noise=0.6),
    ]


class HardAgent:
    """Normal agent steered by a per-turn search over policies with rollouts."""

    name = "hard"

    def __init__(self, seed: int = 0, samples: int = 2, budget: float = DEFAULT_BUDGET,
                 params: Params | None = None, fog: bool = True):
        self.seed = seed
        self.rng = random.Random(seed)
        self.samples = samples
        self.budget = budget
        self.fog = fog
        self.base = params or Params()
        self.variants = policy_variants(self.base)
        self.exec = NormalAgent(seed=self.rng.randrange(1 << 30), params=self.base, fog=fog, guard=False)
        self.stats: dict[str, int] = {"decisions": 0, "fallbacks": 0, "searches": 0, "capped": 0}
        self.choices: list[int] = []          # index of the policy picked each turn (for analysis)
        self.last_scores: list[float] = []
        self._key: tuple = ()

    def choose(self, state: GameState, budget: float | None = None) -> Action:
        key = (state.seed, state.turn, state.active)
        if key != self._key:
            self._key = key
            k = self.search(state, self.budget if budget is None else budget)
            self.exec.params = self.variants[k]
        action = self.exec.choose(state)
        return guarded(state, action, self.stats)

    # --- search -------------------------------------------------------------------------------
    def search(self, state: GameState, budget: float) -> int:
        """Index of the policy whose simulated turn-and-replies scores best for us."""
        self.stats["searches"] += 1
        fid = state.active_faction
        t0 = time.perf_counter()
        root = visibility.observation(state, fid) if self.fog else state.clone()
        dice = [self.rng.randrange(1 << 30) for _ in range(self.samples)]
        seeds = [self.rng.randrange(1 << 30) for _ in range(len(self.variants))]
        totals = [0.0] * len(self.variants)
        counts = [0] * len(self.variants)
        capped = False
        for s, dseed in enumerate(dice):
            for k, params in enumerate(self.variants):
                if time.perf_counter() - t0 > budget and counts[0] > 0:
                    capped = True
                    break
                sim = root.clone()
                sim.rng = random.Random(dseed)
                me = NormalAgent(seed=seeds[k] + s, params=params, fog=False, guard=False)
                me.assign = dict(self.exec.assign)
                totals[k] += rollout(sim, fid, me, seed=dseed)
                counts[k] += 1
            if capped:
                break
        if capped:
            self.stats["capped"] += 1
        means = [totals[k] / counts[k] if counts[k] else float("-inf") for k in range(len(self.variants))]
        best = max(range(len(means)), key=lambda k: (means[k], -k))
        self.last_scores = means
        self.choices.append(best)
        return best


def rollout(sim: GameState, fid: str, me: NormalAgent, seed: int, max_actions: int = 400) -> float:
    """Play ``fid``'s turn with ``me`` and everyone else's with the normal policy until ``fid``
    is to move again (or the game ends); the value of the end position for ``fid``."""
    others: dict[str, NormalAgent] = {}
    start_turn = sim.turn
    n = 0
    while not sim.terminal:
        active = sim.active_faction
        if active == fid and sim.turn > start_turn:
            break
        agent = me if active == fid else others.setdefault(
            active, NormalAgent(seed=seed + len(others) + 1, fog=False, guard=False))
        try:
            a = agent.best(sim).action
            engine.apply(sim, a)
        except IllegalAction:
            engine.apply(sim, EndTurn())
        n += 1
        if n >= max_actions:
            break
    return evaluate(sim, fid)


"""The ``normal`` agent: candidate actions scored, the best one executed, in a loop (the RCA idea
of Battle for Wesnoth's AI).

Each call to ``choose`` looks at the faction's fog-of-war view and scores three families of
candidates against one value scale (goal units, see ``game.ai.evaluate``):

* **attacks** on visible enemy hexes, alone or combined: expected enemy steps destroyed and the
  chance to take the hex, minus expected own losses; when more attackers would improve the
  odds, the first *set-up move* into an adjacent hex is the candidate;
* **moves** of each unit to the reachable hex that improves its position most: objectives to
  take or garrison (worth their remaining points, discounted by travel time, shared out so that
  units spread over objectives), danger from enemies that can reach the hex next turn, supply,
  and weak enemies to hunt.  Damaged units weigh danger more and objectives less, and units
  out of supply are pulled back into supply, so retreating emerges from the same scoring;
* **air missions** offered by the air rules, if that module is present;

and ``EndTurn`` when nothing is worth doing.  The result is checked against the real state
(``game.ai.guard``), so the agent never hands the engine an illegal action.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

import numpy as np

from game.actions import Action, Attack, EndTurn, Move
from game.ai import air_support
from game.ai.evaluate import (Situation, column_loss, expect_attack, hex_dist, remaining_rounds, situation)
from game.ai.guard import guarded
from game.rules import combat, movement, visibility
from game.rules.terrain import tables
from game.state import GameState, Unit

# expected (step loss, retreat chance) of a defender by CRT column, for danger estimates
_COL_LOSS = np.array([column_loss(c) for c in range(len(combat.COLUMNS))])
_THRESH = np.array(combat.THRESHOLDS)


@dataclass(frozen=True)
class Params:
    """Weights of the scoring; the hard agent searches over variants of these."""
    step: float = 0.3            # a strength step, as a share of an average objective's worth
    aggression: float = 1.0      # multiplies what attacks gain
    caution: float = 1.0         # multiplies danger penalties
    garrison: float = 1.0        # weight of guarding held objectives
    rival: float = 0.6           # weight of taking objectives a non-hostile rival holds
    hunt: float = 0.12           # pull towards weak visible enemies
    supply: float = 1.0          # weight of staying in supply
    discount: float = 0.9        # per turn of travel (uncertainty) to an objective
    p_attacked: float = 0.7      # how likely an enemy in reach attacks a unit
    noise: float = 0.0           # random jitter on candidate scores (search diversity)


@dataclass
class Candidate:
    score: float
    action: Action
    why: str = ""
    objective: int | None = None      # the objective a move serves (shared out between units)
    weight: float = 0.0


@dataclass
class _TurnMemory:
    key: tuple = ()
    moves: dict[str, int] = field(default_factory=dict)      # unit -> moves made this turn
    decisions: int = 0


class NormalAgent:
    """Greedy, fast, fog-respecting; plays any faction of any scenario."""

    name = "normal"

    def __init__(self, seed: int = 0, params: Params | None = None, fog: bool = True, guard: bool = True):
        self.seed = seed
        self.rng = random.Random(seed)
        self.params = params or Params()
        self.fog = fog
        self.guard = guard
        self.stats: dict[str, int] = {"decisions": 0, "fallbacks": 0}
        self.mem = _TurnMemory()
        self.assign: dict[str, int] = {}      # unit -> objective it is heading for (kept across turns)
        self.last: Candidate | None = None

    # --- the interface ---------------------------------------------------------------------
    def choose(self, state: GameState, budget: float | None = None) -> Action:
        cand = self.best(state)
        self.last = cand
        action = guarded(state, cand.action, self.stats) if self.guard else cand.action
        if isinstance(action, Move):
            self.note_move(action.unit, cand.objective, cand.weight)
        return action

    def best(self, state: GameState) -> Candidate:
        """The best-scored candidate for the active faction (``EndTurn`` if none is worth it)."""
        fid = state.active_faction
        key = (state.seed, state.turn, state.active)
        if key != self.mem.key:
            self.mem = _TurnMemory(key=key)
        self.mem.decisions += 1
        own = [u for u in state.units.values() if u.faction == fid]
        if self.mem.decisions > 3 * len(own) + 10:
            return Candidate(0.0, EndTurn(), "decision limit")
        obs = visibility.observation(state, fid) if self.fog else state.clone()
        cands = self.candidates(obs)
        if not cands:
            return Candidate(0.0, EndTurn(), "nothing worth doing")
        return max(cands, key=lambda c: c.score)

    # --- candidates ----------------------------------------------------------------------------
    def candidates(self, obs: GameState) -> list[Candidate]:
        p = self.params
        fid = obs.active_faction
        sit = situation(obs, fid, p.step)
        ctx = _Ctx(self, obs, sit)
        out: list[Candidate] = []
        out.extend(ctx.attack_candidates())
        out.extend(ctx.move_candidates())
        out.extend(air_support.air_candidates(obs, sit, p))
        if p.noise > 0:
            for c in out:
                c.score += self.rng.gauss(0.0, p.noise) * sit.sv
        return [c for c in out if c.score > 0.02 * sit.sv]

    def note_move(self, unit: str, objective: int | None, weight: float) -> None:
        self.mem.moves[unit] = self.mem.moves.get(unit, 0) + 1
        if objective is not None:
            self.assign[unit] = objective


class _Ctx:
    """One decision's worth of derived data (reaches, needs, fields)."""

    def __init__(self, agent: NormalAgent, obs: GameState, sit: Situation):
        self.agent = agent
        self.p = agent.params
        self.obs = obs
        self.sit = sit
        self.fid = sit.fid
        self.t = tables(obs.scenario)
        self.limit = obs.scenario.rules.stacking
        self.own = sorted((u for u in obs.units.values() if u.faction == self.fid), key=lambda u: u.id)
        self.reach: dict[str, movement.Reach] = {}
        for u in self.own:
            if self._may_move(u, setup=True):
                self.reach[u.id] = movement.reachable(obs, u, known_only=False)
        self.obj_cell_idx: dict[int, list[int]] = {}
        for i, c in enumerate(sit.sd.obj_cells.tolist()):
            self.obj_cell_idx.setdefault(c, []).append(i)
        self._base_need, self._required = self._needs()
        self._claim = self._claims()
        self.enemy_src = {s.cell for s in list(obs.scenario.supply_sources) + obs.extra_sources
                          if s.faction != self.fid and obs.at_war(s.faction, self.fid)}

    def _may_move(self, u: Unit, setup: bool = False) -> bool:
        if u.attacked or u.static or u.mp <= 0 or u.steps <= 0:
            return False
        n = self.agent.mem.moves.get(u.id, 0)
        return n < (2 if setup else 1)

    # --- objectives: what each still needs ---------------------------------------------------
    def _needs(self) -> tuple[np.ndarray, np.ndarray]:
        sit, obs = self.sit, self.obs
        n = len(sit.values)
        need = np.zeros(n)
        required = np.ones(n)
        for i in range(n):
            if sit.values[i] <= 0:
                continue
            owner = int(sit.obj_owner[i])
            holder = sit.obj_holder[i]
            if owner == sit.fi:
                if holder is not None and obs.friendly(holder, self.fid):
                    need[i] = sit.threat[i] * self.p.garrison       # the unit on it is the guard
                else:
                    need[i] = sit.threat[i] * self.p.garrison
                continue
            if holder is not None and not obs.friendly(holder, self.fid):
                if obs.at_war(holder, self.fid):
                    need[i] = 1.0
                    cell = int(sit.sd.obj_cells[i])
                    dfn = sum(combat.strength(obs, d, obs.utype(d).defence)
                              for d in combat.defenders_at(obs, cell, self.fid))
                    required[i] = max(1.0, 2.0 * dfn * self.t.defence[cell] / 4.0)
                continue                                              # a rival's garrison: leave it
            owner_fid = obs.scenario.factions[owner].id if owner >= 0 else None
            hostile_owner = owner_fid is None or obs.at_war(owner_fid, self.fid)
            need[i] = 1.0 if hostile_owner else self.p.rival
        return need, required

    def _claims(self) -> np.ndarray:
        """Weight already at or sent to each objective (units within one hex count)."""
        n = len(self.sit.values)
        claim = np.zeros(n)
        assign = self.agent.assign
        for u in self.own:
            near = self._near_objectives(u.cell)
            for i in near:
                claim[i] += self._weight(u)
            i = assign.get(u.id)
            if i is not None and i < n and i not in near:
                claim[i] += self._weight(u)
        return claim

    def _near_objectives(self, cell: int) -> list[int]:
        out = list(self.obj_cell_idx.get(cell, ()))
        for nb in self.t.neighbours[cell]:
            out.extend(self.obj_cell_idx.get(nb, ()))
        return out

    def _weight(self, u: Unit) -> float:
        return u.steps / self.obs.utype(u).steps

    def target_values(self, u: Unit) -> np.ndarray:
        """Per objective: what ``u`` going there is worth now (value x need left for it)."""
        claim = self._claim.copy()
        near = self._near_objectives(u.cell)
        for i in near:
            claim[i] -= self._weight(u)                              # its own presence
        mine_i = self.agent.assign.get(u.id)
        if mine_i is not None and mine_i < claim.size and mine_i not in near:
            claim[mine_i] -= self._weight(u)
        left = np.clip(1.0 - claim / self._required, 0.0, 1.0)
        mine = self.sit.obj_owner == self.sit.fi
        # a held objective with a friendly guard needs no one else; an unguarded one keeps need
        need = np.where(mine, self._base_need * left, self._base_need * np.maximum(left, 0.15))
        tv = self.sit.values * need
        if mine_i is not None and mine_i < tv.size:
            tv[mine_i] *= 1.15                                       # keep to the plan
        return tv

    # --- moves -----------------------------------------------------------------------------
    def position_values(self, u: Unit, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score of ``u`` standing on each of ``cells`` (and the objective it serves there)."""
        obs, sit, p = self.obs, self.sit, self.p
        ut = obs.utype(u)
        health = u.steps / ut.steps
        damaged = u.steps <= max(1, ut.steps // 3)
        mp_full = max(1.0, movement.movement_allowance(obs, u))
        # supply: attrition risk plus weaker moves and fights, per turn spent out of supply
        oos = np.zeros(len(cells))
        rate = 0.0
        if sit.uses_supply and not u.supply_exempt:
            rate = sit.sv * p.supply * (obs.scenario.rules.attrition_chance * (1.0 if u.oos_turns else 0.75)
                                        + 0.03 * u.steps)
            oos = np.where(sit.supply_ok[cells], 0.0, rate)
        # objectives: value x need, discounted by travel time; a trip to an objective beyond
        # supply is charged for the turns it will spend out of supply, so a unit leaves supply
        # only for an objective worth it (and not one hex at a time)
        tv = self.target_values(u) * (0.35 if damaged else 1.0)
        base = -oos
        if tv.size:
            turns = sit.sd.obj_dist[:, cells] / mp_full                  # (n_obj, n_cells)
            rounds = float(remaining_rounds(obs))
            late = np.clip((rounds - turns) / rounds, 0.0, 1.0)           # turns left to hold it
            contrib = tv[:, None] * late * np.power(p.discount, turns) * np.where(turns < 1e-9, 1.0, 0.8)
            obj_oos = ~sit.supply_ok[sit.sd.obj_cells]
            trip = np.where(obj_oos[:, None], rate * (turns + 2.0), oos[None, :])
            contrib = contrib - trip
            contrib[~np.isfinite(turns)] = -np.inf
            best_i = contrib.argmax(axis=0)
            obj = np.maximum(contrib.max(axis=0), base)
            best_i = np.where(contrib.max(axis=0) >= base, best_i, -1)
        else:
            best_i = np.full(len(cells), -1, dtype=np.int64)
            obj = base
        # danger: enemies that can reach the hex next turn
        att = sit.enemy_attack[cells]
        dfn = combat.strength(obs, u, ut.defence) * sit.sd.defence[cells]
        for c_i, c in enumerate(cells.tolist()):
            if sit.stack.get(c, 0) and c != u.cell:
                dfn[c_i] += 0.5 * ut.defence                              # a friend in the hex helps
        ratio = att / np.maximum(dfn, 0.1)
        col = np.clip(np.searchsorted(_THRESH, ratio + 1e-9, side="right") - 1, 0, len(_THRESH) - 1)
        ed = _COL_LOSS[col, 0]
        pr = _COL_LOSS[col, 1]
        loss = np.minimum(ed + 0.25 * pr, u.steps)
        kill = np.where(ed >= u.steps - 1e-9, 1.0, 0.0) + (1.0 if u.steps == 1 else 0.0) * (ed > 0)
        danger = np.where(att > 0, p.p_attacked * p.caution * sit.sv * (loss + 0.5 * kill), 0.0)
        if damaged:
            danger *= 1.8
        # hunt weak enemies (healthy, supplied units only)
        hunt = np.zeros(len(cells))
        if p.hunt > 0 and not damaged and (u.in_supply or not sit.uses_supply) and sit.enemies:
            my_att = combat.strength(obs, u, ut.attack)
            hexes = max(1.0, mp_full / 1.3)
            for e in sit.enemies:
                edef = combat.strength(obs, e, obs.utype(e).defence) * sit.sd.defence[e.cell]
                edge = min(1.5, my_att / max(edef, 0.1)) / 1.5
                dq = sit.sd.q[cells] - sit.sd.q[e.cell]
                dr = sit.sd.r[cells] - sit.sd.r[e.cell]
                d = (np.abs(dq) + np.abs(dr) + np.abs(dq + dr)) // 2
                v = p.hunt * sit.sv * e.steps * edge * np.power(p.discount, np.maximum(d - 1, 0) / hexes)
                hunt = np.maximum(hunt, v)
        return obj + hunt - danger, best_i

    def move_candidates(self) -> list[Candidate]:
        out = []
        sit = self.sit
        for u in self.own:
            reach = self.reach.get(u.id)
            if reach is None or not self._may_move(u):
                continue
            dests = [c for c in reach.cost if c != u.cell]
            if not dests:
                continue
            cells = np.array([u.cell] + dests, dtype=np.int64)
            vals, best_i = self.position_values(u, cells)
            gains = vals[1:] - vals[0]
            # walking through objectives on the way takes them
            best = None
            for j in np.argsort(-gains)[:6].tolist():
                dest = dests[j]
                path = reach.path_to(dest)
                g = gains[j] + self._path_capture(u, path) - 0.002 * sit.sv * len(path)
                if best is None or g > best[0]:
                    best = (g, dest, path, int(best_i[j + 1]))
            if best is None or best[0] <= 0:
                continue
            g, dest, path, obj_i = best
            out.append(Candidate(g, Move(u.id, path), f"move {u.id} (objective {obj_i})",
                                 obj_i if obj_i >= 0 else None, self._weight(u)))
        return out

    def _path_capture(self, u: Unit, path: tuple[int, ...]) -> float:
        gain = 0.0
        sit = self.sit
        for c in path[:-1]:
            for i in self.obj_cell_idx.get(c, ()):
                if int(sit.obj_owner[i]) != sit.fi and sit.values[i] > 0:
                    gain += sit.values[i] * self._base_need[i] * (1.0 - 0.7 * sit.threat[i])
        return gain

    # --- attacks ---------------------------------------------------------------------------
    def attack_candidates(self) -> list[Candidate]:
        obs, sit, p = self.obs, self.sit, self.p
        targets = sorted({e.cell for e in sit.enemies})
        out: list[Candidate] = []
        for tgt in targets:
            c = self._plan_attack(tgt)
            if c is not None:
                out.append(c)
        return out

    def _hex_value(self, cell: int) -> float:
        sit = self.sit
        v = 0.01 * sit.sv
        for i in self.obj_cell_idx.get(cell, ()):
            v += sit.values[i]
        if cell in self.enemy_src:
            v += 1.5 * sit.sv
        return v

    def _plan_attack(self, tgt: int) -> Candidate | None:
        obs, sit, p = self.obs, self.sit, self.p
        sd = sit.sd
        ready: list[Unit] = []
        movers: list[tuple[Unit, int]] = []
        free: dict[int, int] = {}
        adj = self.t.neighbours[tgt]
        for u in self.own:
            if u.attacked or u.steps <= 0:
                continue
            ut = obs.utype(u)
            d = hex_dist(sd, u.cell, tgt)
            if 1 <= d <= max(1, ut.range):
                ready.append(u)
                continue
            reach = self.reach.get(u.id)
            if reach is None:
                continue
            spots = [c for c in (adj if ut.range <= 1 else _ring_cells(obs, tgt, ut.range))
                     if c in reach.cost and c != u.cell]
            if not spots:
                continue
            spots.sort(key=lambda c: (self._across_river(c, tgt), reach.cost[c], c))
            movers.append((u, spots[0]))
        if not ready and not movers:
            return None
        hv = self._hex_value(tgt)
        ready.sort(key=lambda u: (self._on_objective(u), -combat.strength(obs, u, obs.utype(u).attack), u.id))
        movers.sort(key=lambda m: (-combat.strength(obs, m[0], obs.utype(m[0]).attack), m[0].id))
        chosen: list[tuple[Unit, int | None]] = []
        best: tuple[float, list[tuple[Unit, int | None]]] | None = None
        saved: dict[str, int] = {}
        try:
            pool: list[tuple[Unit, int | None]] = [(u, None) for u in ready] + list(movers)
            used: dict[int, int] = {}
            for u, spot in pool[:7]:
                if spot is not None:
                    if sit.stack.get(spot, 0) + used.get(spot, 0) >= self.limit:
                        continue
                    used[spot] = used.get(spot, 0) + 1
                    saved[u.id] = u.cell
                    u.cell = spot
                chosen.append((u, spot))
                val = self._attack_value([x for x, _ in chosen], tgt, hv)
                if best is None or val > best[0]:
                    best = (val, list(chosen))
        finally:
            for uid, c in saved.items():
                obs.units[uid].cell = c
        if best is None or best[0] <= 0:
            return None
        val, plan = best
        to_move = [(u, s) for u, s in plan if s is not None]
        if not to_move:
            ids = tuple(u.id for u, _ in plan)
            return Candidate(val, Attack(ids, tgt), f"attack {tgt} with {ids}")
        u, spot = to_move[0]
        path = self.reach[u.id].path_to(spot)
        return Candidate(0.9 * val, Move(u.id, path), f"set up attack on {tgt}")

    def _attack_value(self, attackers: list[Unit], tgt: int, hv: float) -> float:
        sit, p = self.sit, self.p
        out = expect_attack(self.obs, attackers, tgt)
        weak = sum(1 for a in attackers if a.steps <= 1)
        gain = out.e_def_loss * sit.sv_enemy + out.p_destroy * 0.5 * sit.sv_enemy + out.p_vacate * hv
        cost = out.e_att_loss * sit.sv * (1.0 + 0.5 * weak / max(1, len(attackers)))
        return p.aggression * gain - cost - 0.03 * sit.sv * len(attackers)

    def _across_river(self, cell: int, tgt: int) -> bool:
        rv = self.t.river.get((cell, tgt))
        return rv is not None and not rv[2]

    def _on_objective(self, u: Unit) -> bool:
        return u.cell in self.obj_cell_idx


def _ring_cells(state: GameState, cell: int, radius: int) -> list[int]:
    grid = state.scenario.grid
    return [c for c in grid.cells_within(cell, radius) if c != cell]


def variant(params: Params, **changes) -> Params:
    return replace(params, **changes)

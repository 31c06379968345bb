"""The ``normal`` agent: candidate actions scored, the best one executed, in a loop (the RCA idea
of Battle for Wesnoth's AI).

Each call to ``choose`` looks at the faction's fog-of-war view and scores three families of
candidates on one value scale (goal units, see ``game.ai.evaluate``):

* **attacks** on visible enemy hexes, alone or combined: expected enemy steps destroyed and the
  chance to take the hex, minus expected own losses; when more attackers would improve the
  odds, the first *set-up move* into an adjacent hex is the candidate;
* **moves** of each unit to the reachable hex that improves its position most: objectives to
  take or guard (worth their remaining points - and half of what they would bring an enemy -
  discounted by travel time and shared out so that units spread over objectives; sudden-death
  hexes count as a share of the game; a rival's ground cannot be taken by walking in), danger
  from enemies that can reach the hex next turn, supply, and weak enemies to hunt.  Damaged
  units weigh danger more and objectives less, and units out of supply are charged for every
  turn they stay out, so retreating to supply emerges from the same scoring;
* **air missions** offered by the air rules (``game.ai.air_support``);

and ``EndTurn`` when nothing is worth doing.

Three weights are off here: ``Params.lock`` (race harder for objectives a rival it is not at war
with could take first - what a rival takes cannot be taken back without a war), ``Params.mass``
(with ``lock``: charge an attack on such a race objective for the chance that it leaves the
defender there, weakened, for the rival to finish and keep) and ``Params.focus`` (ignore
objectives the faction does not score itself).  ``lock`` is on in the ``hard`` agent's base
policy; ``focus`` stays off everywhere: it raised the seat score but let rivals win.  All were
measured with ``benchmarks/ai_variants.py`` (see ai_experiments.md).

The pick is checked against the real state (``game.ai.guard``), so the agent never hands the
engine an illegal action.

Speed: per-turn caches keep each unit's movement search and the position terms that do not
depend on what the other units are doing, keyed on where the known enemy units stand.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

import numpy as np

from game.actions import Action, Attack, EndTurn, Move
from game.ai import air_support
from game.ai.evaluate import (Situation, capturable, column_loss, expect_attack, fog_view, hex_dist, hop_field,
                              remaining_rounds, situation, static_data)
from game.ai.guard import guarded
from game.rules import combat, movement
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
    hunt: float = 0.12           # pull towards weak visible enemies
    supply: float = 1.0          # weight of staying in supply
    discount: float = 0.9        # per turn of travel to an objective (uncertainty)
    p_attacked: float = 0.7      # how likely an enemy in reach attacks a unit
    hidden_fear: float = 1.0     # multiplies p_attacked for a hidden faction (seen only from next door):
                                 # an enemy must find a unit before it can attack it
    noise: float = 0.0           # random jitter on candidate scores (search diversity)
    focus: bool = False          # ignore objectives it does not score (worth only keeping from enemies)
    lock: float = 0.0            # extra worth of objectives a rival (not at war) could take first
    mass: float = 0.0            # (with lock) cost of an attack on a race objective that leaves the defender there


@dataclass(frozen=True)
class Bias:
    """Corrections to the scoring for particular objectives and units (the hard agent's search
    learns them from simulated replies): guard these objectives harder, keep these units safer."""
    guard: tuple[tuple[int, float], ...] = ()     # (objective index, extra need 0..1)
    caution: tuple[tuple[str, float], ...] = ()   # (unit id, danger multiplier)
    race: tuple[tuple[int, float], ...] = ()      # (objective index, pull multiplier) to take first

    def merged(self, other: "Bias") -> "Bias":
        g = dict(self.guard)
        for i, v in other.guard:
            g[i] = max(g.get(i, 0.0), v)
        c = dict(self.caution)
        for u, v in other.caution:
            c[u] = max(c.get(u, 1.0), v)
        r = dict(self.race)
        for i, v in other.race:
            r[i] = max(r.get(i, 1.0), v)
        return Bias(tuple(sorted(g.items())), tuple(sorted(c.items())), tuple(sorted(r.items())))


@dataclass
class Candidate:
    score: float
    action: Action
    why: str = ""
    objective: int | None = None      # the objective a move serves (shared out between units)


@dataclass
class _TurnMemory:
    key: tuple = ()
    moves: dict[str, int] = field(default_factory=dict)      # unit -> moves made this turn
    decisions: int = 0
    sit_cache: dict = field(default_factory=dict)            # slow situation parts


class NormalAgent:
    """Greedy, fast, fog-respecting; plays any faction of any scenario."""

    name = "normal"

    def __init__(self, seed: int = 0, params: Params | None = None, fog: bool = True, guard: bool = True,
                 shared: dict | None = None):
        """``fog``: plan on the faction's view (else on the full state); ``guard``: check each
        pick against the real state (search rollouts, which only use ``best``, skip it);
        ``shared``: a cache of movement searches and position terms that several agents
        playing from the same position may share (every entry is keyed by what it depends on)."""
        self.seed = seed
        self.shared = shared if shared is not None else {}
        self.rng = random.Random(seed)
        self.params = params or Params()
        self.fog = fog
        self.guard = guard
        self.stats: dict[str, int] = {"decisions": 0, "fallbacks": 0}
        self.fallback_log: list[str] = []
        self.mem = _TurnMemory()
        self.assign: dict[str, int] = {}      # unit -> objective it is heading for (kept across turns)
        self.bias = Bias()
        self.last: Candidate | None = None

    # --- the interface ---------------------------------------------------------------------
    def choose(self, state: GameState, budget: float | None = None) -> Action:
        cand = self.best(state)
        self.last = cand
        action = guarded(state, cand.action, self.stats, self.fallback_log) if self.guard else cand.action
        self.note(action, cand)
        return action

    def note(self, action: Action, cand: Candidate) -> None:
        """Remember a move that is about to be applied (moves per unit, objective assignment)."""
        if isinstance(action, Move):
            self.mem.moves[action.unit] = self.mem.moves.get(action.unit, 0) + 1
            if cand.objective is not None and cand.action == action:
                self.assign[action.unit] = cand.objective

    def best(self, state: GameState) -> Candidate:
        """The best-scored candidate for the active faction (``EndTurn`` if none is worth it)."""
        fid = state.active_faction
        key = (state.seed, state.turn, state.active)
        if key != self.mem.key:
            self.mem = _TurnMemory(key=key)
            self.assign = {u: i for u, i in self.assign.items() if u in state.units}
            for name in ("reach", "terms"):
                if len(self.shared.get(name, ())) > 4000:
                    self.shared[name].clear()
        self.mem.decisions += 1
        n_own = sum(1 for u in state.units.values() if u.faction == fid)
        if self.mem.decisions > 3 * n_own + 10:
            return Candidate(0.0, EndTurn(), "decision limit")
        view = fog_view(state, fid) if self.fog else state
        cands = sorted(self.candidates(view), key=lambda c: -c.score)
        for c in cands:
            # air candidates are cached while the enemy picture stands: recheck the one picked
            if c.action.kind in ("move", "attack") or air_support.still_legal(view, c.action):
                return c
        return Candidate(0.0, EndTurn(), "nothing worth doing")

    def _air(self, view: GameState, sit: Situation) -> list[Candidate]:
        """Air candidates, recomputed only when the enemies seen or the sorties left change."""
        key = ("air", self.mem.sit_cache.get("slow", (None,))[0], air_support.sorties_left(view, sit.fid),
               air_support.requests_pending(view, sit.fid))
        cache = self.mem.sit_cache
        if cache.get("air_key") != key:
            cache["air_key"] = key
            cache["air"] = [(c.score, c.action, c.why) for c in air_support.air_candidates(view, sit, self.params)]
        return [Candidate(sc, a, why) for sc, a, why in cache["air"]]

    def cas(self, view: GameState, sit: Situation, target: int) -> tuple[int, float] | None:
        key = ("cas", target, self.mem.sit_cache.get("slow", (None,))[0], air_support.sorties_left(view, sit.fid))
        cache = self.mem.sit_cache
        if key not in cache:
            cache[key] = air_support.cas_option(view, sit.fid, target, sit.sv)
        return cache[key]

    # --- candidates ----------------------------------------------------------------------------
    def candidates(self, view: GameState) -> list[Candidate]:
        """Every candidate worth more than a trifle, scored (the view is only read)."""
        p = self.params
        fid = view.active_faction
        sit = situation(view, fid, p.step, self.mem.sit_cache)
        if p.focus:
            sit.values = sit.values * own_objectives(view.scenario, fid)
        urgency = lock_urgency(view, sit, p.lock) if p.lock > 0 else None
        if urgency is not None:
            sit.values = sit.values * urgency
        ctx = _Ctx(self, view, sit, urgency)
        out: list[Candidate] = []
        out.extend(ctx.attack_candidates())
        out.extend(ctx.move_candidates())
        out.extend(self._air(view, sit))
        if p.noise > 0:
            for c in out:
                c.score += self.rng.gauss(0.0, p.noise) * sit.sv
        return [c for c in out if c.score > 0.02 * sit.sv]


def own_objectives(scn, fid: str) -> np.ndarray:
    """1 for the targets ``fid`` scores (and sudden-death hexes), 0 for objectives that only
    other factions score."""
    out = np.ones(len(static_data(scn).obj_cells))
    for i, o in enumerate(scn.objectives):
        if o.factions and fid not in o.factions:
            out[i] = 0.0
    return out


LOCK_HORIZON = 6.0          # turns: rivals farther than this are not racing us
CONTACT = 2                 # hexes: a rival's unit this close to an objective is fighting for it


def lock_urgency(view: GameState, sit: Situation, lock: float) -> np.ndarray:
    """Per objective, a multiplier on its worth for ``sit.fid``: ``1 + lock`` for an objective it
    scores but does not hold that a rival it is not at war with could take about as soon as it
    can.  What a rival takes cannot be taken back without a war, so such a race is worth more
    than taking a hex from an enemy, which can wait a turn; normal values both alike.  A rival's
    reach is judged from its visible units and from the ground it controls (the map shows
    control; its units beyond sight do not show).  A side weaker than the rival over the whole
    order of battle does not race it where the rival's troops already fight (``CONTACT``): the
    incidents there could start a war it would lose (session 19 of ai_experiments.md)."""
    sd = sit.sd
    out = np.ones(len(sit.values))
    fids = [f.id for f in view.scenario.factions]
    rivals = [(k, r) for k, r in enumerate(fids)
              if r != sit.fid and not view.friendly(r, sit.fid) and not view.at_war(r, sit.fid)]
    if not rivals:
        return out
    mine = [u for u in view.units.values() if u.faction == sit.fid and not u.static]
    if not mine:
        return out
    speed = float(np.median([max(1.0, view.utype(u).movement) for u in mine]))
    oob = sd.total_attack                    # over the whole order of battle, as the briefing says
    weaker = {r: oob[sit.fid] < oob[r] for _, r in rivals}
    held = {r: np.flatnonzero(view.control == k) for k, r in rivals}
    seen: dict[str, list[Unit]] = {}
    for u in sit.rivals:
        if not u.static:
            seen.setdefault(u.faction, []).append(u)
    objectives = view.scenario.objectives
    for i in range(sd.n_obj):
        if sit.values[i] <= 0 or int(sit.obj_owner[i]) == sit.fi:
            continue
        if objectives[i].factions and sit.fid not in objectives[i].factions:
            continue                                  # worth only keeping from enemies: a rival does that
        holder = sit.obj_holder[i]
        if holder is not None and not view.at_war(holder, sit.fid):
            continue                                  # a rival (or friend) already stands there
        cell = int(sd.obj_cells[i])
        row = sd.obj_dist[i]
        t_me = min(row[u.cell] / max(1.0, view.utype(u).movement) for u in mine)
        if not np.isfinite(t_me):
            continue
        t_r = np.inf
        fought = False                    # a stronger rival's troops already fight for it
        for _, r in rivals:
            if not capturable(view, cell, r):
                continue
            if held[r].size:
                t_r = min(t_r, float(row[held[r]].min()) / speed + 1.0)
            for u in seen.get(r, ()):
                t_r = min(t_r, row[u.cell] / max(1.0, view.utype(u).movement))
                fought = fought or (weaker[r] and hex_dist(sd, u.cell, cell) <= CONTACT)
        if fought:
            # racing a rival to where its troops already fight puts both sides' troops at the same
            # enemy, where either sponsor's air strikes can hit the other's and end the truce; a
            # side that could not stand that war leaves such an objective to the rival
            continue
        if t_r > LOCK_HORIZON:
            continue
        out[i] = 1.0 + lock * float(np.clip((t_me + 2.0 - t_r) / 2.0, 0.0, 1.0))
    return out


class _Ctx:
    """One decision's derived data: reaches, what each objective still needs, and fields."""

    def __init__(self, agent: NormalAgent, view: GameState, sit: Situation, urgency: np.ndarray | None = None):
        self.agent = agent
        self.mem = agent.mem
        self.p = agent.params
        self._caution = dict(agent.bias.caution)
        self._tension = round(air_support.tension_now(view, sit.fid))
        # everything global the position terms read (all known enemies, supply lines, objective
        # values): cached terms are reused only in the same context
        self._context = hash((self.mem.sit_cache.get("slow", (None,))[0], sit.supply_ok.tobytes(),
                              sit.values.tobytes(), sit.obj_owner.tobytes()))
        self.view = view
        self.sit = sit
        self.urgency = urgency                      # lock_urgency per objective, when lock is on
        self.fid = sit.fid
        self.hidden = view.scenario.factions[sit.fi].hidden     # seen only from next door
        self.t = tables(view.scenario)
        self.limit = view.scenario.rules.stacking
        self.own = sorted((u for u in view.units.values() if u.faction == self.fid), key=lambda u: u.id)
        full = frozenset(c for c, k in sit.stack.items() if k >= self.limit)
        others = sit.enemies + sit.rivals
        o_cells = np.array([o.cell for o in others], dtype=np.int64)
        o_keys = [(o.id, o.cell, o.steps) for o in others]
        reach_cache = agent.shared.setdefault("reach", {})
        rel = tuple(sorted(view.relations.items()))
        self.reach: dict[str, movement.Reach] = {}
        self.reach_key: dict[str, tuple] = {}
        sd = sit.sd
        for u in self.own:
            if self._may_move(u, setup=True):
                # what can change its reach and position terms: non-friendly units near it
                radius = int(2 * u.mp) + 8
                if len(o_cells):
                    dq = sd.q[o_cells] - sd.q[u.cell]
                    dr = sd.r[o_cells] - sd.r[u.cell]
                    near = ((np.abs(dq) + np.abs(dr) + np.abs(dq + dr)) // 2 <= radius).tolist()
                    local = tuple(k for k, ok in zip(o_keys, near) if ok)
                else:
                    local = ()
                rkey = (u.id, u.cell, u.mp, movement.movement_allowance(view, u), local, full, rel)
                hit = reach_cache.get(rkey)
                if hit is None:
                    hit = reach_cache[rkey] = movement.reachable(view, u, known_only=False)
                self.reach[u.id] = hit
                self.reach_key[u.id] = rkey
        self.obj_cell_idx: dict[int, list[int]] = {}
        for i, c in enumerate(sit.sd.obj_cells.tolist()):
            self.obj_cell_idx.setdefault(c, []).append(i)
        self._base_need, self._required = self._needs()
        self._claim = self._claims()
        self.enemy_src = {s.cell for s in list(view.scenario.supply_sources) + view.extra_sources
                          if s.faction != self.fid and view.at_war(s.faction, self.fid)}

    def _may_move(self, u: Unit, setup: bool = False) -> bool:
        if u.attacked or u.static or u.mp <= 0 or u.steps <= 0:
            return False
        return self.mem.moves.get(u.id, 0) < (2 if setup else 1)

    # --- objectives: what each still needs ---------------------------------------------------
    def _needs(self) -> tuple[np.ndarray, np.ndarray]:
        """Per objective: how much it wants units (0..1) and how many it takes to serve it."""
        sit, view = self.sit, self.view
        n = len(sit.values)
        need = np.zeros(n)
        required = np.ones(n)
        guard = dict(self.agent.bias.guard)
        race = dict(self.agent.bias.race)
        for i in range(n):
            if sit.values[i] <= 0:
                continue
            owner = int(sit.obj_owner[i])
            holder = sit.obj_holder[i]
            cell = int(sit.sd.obj_cells[i])
            if owner == sit.fi:
                need[i] = max(sit.threat[i], guard.get(i, 0.0)) * self.p.garrison
                # enough guards that enemies in reach cannot attack it at 2:1 or better
                pressure = sit.enemy_attack[cell] / (2.0 * 5.0 * self.t.defence[cell])
                extra = 1 if guard.get(i, 0.0) >= 0.99 else 0
                required[i] = float(min(self.limit, max(1, int(np.ceil(pressure))) + extra))
                continue
            if holder is not None and not view.friendly(holder, self.fid):
                if view.at_war(holder, self.fid):
                    need[i] = 1.0
                    dfn = sum(combat.strength(view, d, view.utype(d).defence)
                              for d in combat.defenders_at(view, cell, self.fid))
                    required[i] = max(1.0, 2.0 * dfn * self.t.defence[cell] / 4.0)
                continue                                              # a rival's garrison: leave it
            if capturable(view, cell, self.fid):                      # not a rival's ground
                need[i] = race.get(i, 1.0)
        return need, required

    def _claims(self) -> np.ndarray:
        """Weight already serving each objective (see ``_contrib``)."""
        claim = np.zeros(len(self.sit.values))
        for u in self.own:
            for i, w in self._contrib(u).items():
                claim[i] += w
        return claim

    def _contrib(self, u: Unit) -> dict[int, float]:
        """What ``u`` does for each objective now: it guards a held one it stands on, is about
        to take an unheld one it stands next to, or is heading for the one it was sent to."""
        out: dict[int, float] = {}
        w = self._weight(u)
        fi = self.sit.fi
        for i in self._near_objectives(u.cell):
            if int(self.sit.obj_owner[i]) != fi or int(self.sit.sd.obj_cells[i]) == u.cell:
                out[i] = w
        i = self.agent.assign.get(u.id)
        if i is not None and i < len(self.sit.values) and i not in out:
            out[i] = w
        return out

    def _near_objectives(self, cell: int) -> list[int]:
        out = list(self.obj_cell_idx.get(cell, ()))
        for nb in self.t.neighbours[cell]:
            out.extend(self.obj_cell_idx.get(nb, ()))
        return out

    def _weight(self, u: Unit) -> float:
        return u.steps / self.view.utype(u).steps

    def target_values(self, u: Unit) -> np.ndarray:
        """Per objective: what ``u`` going there is worth now (value x the need others leave)."""
        claim = self._claim.copy()
        for i, w in self._contrib(u).items():
            claim[i] -= w                                            # what others do, not itself
        mine_i = self.agent.assign.get(u.id)
        left = np.clip(1.0 - claim / self._required, 0.0, 1.0)
        mine = self.sit.obj_owner == self.sit.fi
        # a held objective others guard needs no one else; one still to take keeps some pull
        need = np.where(mine, self._base_need * left, self._base_need * np.maximum(left, 0.15))
        tv = self.sit.values * need
        if mine_i is not None and mine_i < tv.size:
            tv[mine_i] *= 1.15                                       # keep to the plan
        return tv

    # --- moves -----------------------------------------------------------------------------
    def _terms(self, u: Unit, reach: movement.Reach) -> tuple:
        """Position terms of ``u`` over its reachable hexes that depend only on the enemies
        and the map (cached): cells, decay matrix, trip cost matrix, fixed score, floor."""
        key = (u.steps, u.oos_turns, u.in_supply, self.reach_key.get(u.id), self.mem.key, self.p,
               self._caution.get(u.id, 1.0), self._tension, self._context)
        terms_cache = self.agent.shared.setdefault("terms", {})
        hit = terms_cache.get(key)
        if hit is not None:
            return hit
        view, sit, p = self.view, self.sit, self.p
        ut = view.utype(u)
        damaged = u.steps <= max(1, ut.steps // 3)
        mp_full = max(1.0, movement.movement_allowance(view, u))
        dests = [c for c in reach.cost if c != u.cell]
        cells = np.array([u.cell] + dests, dtype=np.int64)
        # supply: attrition risk plus weaker moves and fights, per turn spent out of supply
        oos = np.zeros(len(cells))
        rate = 0.0
        if sit.uses_supply and not u.supply_exempt:
            rate = sit.sv * p.supply * (view.scenario.rules.attrition_chance * (1.0 if u.oos_turns else 0.75)
                                        + 0.03 * u.steps)
            # out of supply: charged per turn it would take to get back into supply
            back = self._supply_dist()[cells] / mp_full
            oos = np.where(sit.supply_ok[cells], 0.0, rate * (1.0 + np.minimum(back, 10.0)))
        # objectives: a trip to one beyond supply is charged for the turns it will spend out of
        # supply, so a unit leaves supply only for an objective worth it, not one hex at a time
        if len(sit.sd.obj_cells):
            turns = sit.sd.obj_dist[:, cells] / mp_full                  # (n_targets, n_cells)
            rounds = float(remaining_rounds(view))
            late = np.clip((rounds - turns) / rounds, 0.0, 1.0)           # turns left to hold it
            decay = late * np.power(p.discount, turns) * np.where(turns < 1e-9, 1.0, 0.8)
            decay[~np.isfinite(turns)] = 0.0
            obj_oos = ~sit.supply_ok[sit.sd.obj_cells]
            trip = np.where(obj_oos[:, None], rate * (np.minimum(turns, 50.0) + 2.0), oos[None, :])
            trip[~np.isfinite(turns)] = np.inf
            if damaged:
                decay = decay * 0.35
        else:
            decay = trip = np.zeros((0, len(cells)))
        # danger: enemies that can reach the hex next turn
        att = sit.enemy_attack[cells]
        dfn = combat.strength(view, u, ut.defence) * sit.sd.defence[cells]
        for c_i, c in enumerate(cells.tolist()):
            if sit.stack.get(c, 0) and c != u.cell:
                dfn[c_i] += 0.5 * ut.defence                              # a friend in the hex helps
        ratio = att / np.maximum(dfn, 0.1)
        col = np.clip(np.searchsorted(_THRESH, ratio + 1e-9, side="right") - 1, 0, len(_THRESH) - 1)
        ed = _COL_LOSS[col, 0]
        pr = _COL_LOSS[col, 1]
        loss = np.minimum(ed + 0.25 * pr, u.steps)
        kill = np.where(ed >= u.steps - 1e-9, 1.0, 0.0) + (1.0 if u.steps == 1 else 0.0) * (ed > 0)
        p_att = p.p_attacked * (p.hidden_fear if self.hidden else 1.0)
        danger = np.where(att > 0, p_att * p.caution * sit.sv * (loss + 0.5 * kill), 0.0)
        danger *= self._caution.get(u.id, 1.0)
        if damaged:
            danger *= 1.8
            contact = np.array([sum(1 for nb in self.t.neighbours[c] if nb in self._enemy_cells())
                                for c in cells.tolist()], dtype=np.float64)
            danger += 0.3 * p.caution * sit.sv * contact
        # hunt weak enemies (healthy, supplied units only)
        hunt = np.zeros(len(cells))
        if p.hunt > 0 and not damaged and (u.in_supply or not sit.uses_supply) and sit.enemies:
            my_att = combat.strength(view, u, ut.attack)
            hexes = max(1.0, mp_full / 1.3)
            qs, rs = sit.sd.q[cells], sit.sd.r[cells]
            for e in sit.enemies:
                edef = combat.strength(view, e, view.utype(e).defence) * sit.sd.defence[e.cell]
                edge = min(1.5, my_att / max(edef, 0.1)) / 1.5
                dq = qs - sit.sd.q[e.cell]
                dr = rs - sit.sd.r[e.cell]
                d = (np.abs(dq) + np.abs(dr) + np.abs(dq + dr)) // 2
                v = p.hunt * sit.sv * e.steps * edge * np.power(p.discount, np.maximum(d - 1, 0) / hexes)
                hunt = np.maximum(hunt, v)
        # tension: moving into or within the other sponsor's airspace raises it, and so does
        # every round spent standing there
        cross = self._crossing()
        if cross is not None:
            across, enter, stay = cross
            pen = np.where(across[cells], enter + stay, 0.0)
            pen[0] = stay if across[u.cell] else 0.0
            hunt = hunt - pen
        terms = (cells, dests, decay, trip, hunt - danger, -oos)
        terms_cache[key] = terms
        return terms

    def _enemy_cells(self) -> set[int]:
        cells = getattr(self, "_ecells", None)
        if cells is None:
            cells = self._ecells = {e.cell for e in self.sit.enemies}
        return cells

    def _supply_dist(self) -> np.ndarray:
        """Movement cost from each hex back to the nearest hex in supply (once per turn)."""
        cache = self.mem.sit_cache
        if "supply_dist" not in cache:
            # hexes back to supply, at the typical cost of a hex
            cache["supply_dist"] = hop_field(self.view.scenario, self.sit.supply_ok) * 1.2
        return cache["supply_dist"]

    def _crossing(self) -> tuple | None:
        cache = self.mem.sit_cache
        key = ("crossing", self._tension)
        if key not in cache:
            cache[key] = air_support.crossing_costs(self.view, self.fid, self.sit.sv)
        return cache[key]

    def position_values(self, u: Unit, reach: movement.Reach) -> tuple[list[int], np.ndarray, np.ndarray, tuple]:
        """(destinations, score of standing on [start] + destinations, objective served there,
        the parts needed to rescore a hex)."""
        cells, dests, decay, trip, fixed, floor = self._terms(u, reach)
        tv = self.target_values(u)
        if tv.size:
            contrib = tv[:, None] * decay - trip
            top = contrib.max(axis=0)
            best_i = np.where(top >= floor, contrib.argmax(axis=0), -1)
            obj = np.maximum(top, floor)
        else:
            best_i = np.full(len(cells), -1)
            obj = floor
        return dests, obj + fixed, best_i, (tv, decay, trip, fixed, floor)

    def move_candidates(self) -> list[Candidate]:
        out = []
        sit = self.sit
        for u in self.own:
            reach = self.reach.get(u.id)
            if reach is None or not self._may_move(u):
                continue
            dests, vals, best_i, parts = self.position_values(u, reach)
            if not dests:
                continue
            gains = vals[1:] - vals[0]
            best = None
            for j in np.argsort(-gains, kind="stable")[:6].tolist():
                path = reach.path_to(dests[j])
                g = gains[j] - 0.002 * sit.sv * len(path)
                taken = self._passed_objectives(path)
                if taken:
                    # walking through objectives takes them; they then only need a guard
                    tv, decay, trip, fixed, floor = parts
                    tv2 = tv.copy()
                    for i in taken:
                        g += sit.values[i] * self._base_need[i] * (1.0 - 0.7 * sit.threat[i])
                        tv2[i] = sit.values[i] * sit.threat[i] * self.p.garrison
                    col = tv2 * decay[:, j + 1] - trip[:, j + 1]
                    g += max(float(col.max()), float(floor[j + 1])) + fixed[j + 1] - vals[j + 1]
                if best is None or g > best[0]:
                    best = (g, path, int(best_i[j + 1]))
            if best is None or best[0] <= 0:
                continue
            g, path, obj_i = best
            out.append(Candidate(float(g), Move(u.id, path), f"move {u.id} (objective {obj_i})",
                                 obj_i if obj_i >= 0 else None))
        return out

    def _passed_objectives(self, path: tuple[int, ...]) -> list[int]:
        sit = self.sit
        out = []
        for c in path[:-1]:
            for i in self.obj_cell_idx.get(c, ()):
                if int(sit.obj_owner[i]) != sit.fi and sit.values[i] > 0 and self._base_need[i] > 0 \
                        and capturable(self.view, c, self.fid):
                    out.append(i)
        return out

    # --- attacks ---------------------------------------------------------------------------
    def attack_candidates(self) -> list[Candidate]:
        out: list[Candidate] = []
        for tgt in sorted({e.cell for e in self.sit.enemies}):
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

    def _guard_cost(self, u: Unit) -> float:
        """What leaving its hex costs: the guard value of a held objective it alone holds."""
        if self.sit.stack.get(u.cell, 0) > 1:
            return 0.0
        cost = 0.0
        for i in self.obj_cell_idx.get(u.cell, ()):
            if int(self.sit.obj_owner[i]) == self.sit.fi:
                cost += self.sit.values[i] * self.sit.threat[i] * self.p.garrison
        return cost

    def _plan_attack(self, tgt: int) -> Candidate | None:
        """The best attack on ``tgt``: who joins (adjacent units, then units that can move next
        to it), chosen by growing the group while the expected value improves."""
        view, sit = self.view, self.sit
        sd = sit.sd
        ready: list[Unit] = []
        movers: list[tuple[Unit, int]] = []
        adj = self.t.neighbours[tgt]
        for u in self.own:
            if u.attacked or u.steps <= 0:
                continue
            ut = view.utype(u)
            d = hex_dist(sd, u.cell, tgt)
            if 1 <= d <= max(1, ut.range):
                ready.append(u)
                continue
            reach = self.reach.get(u.id)
            if reach is None:
                continue
            spots = [c for c in (adj if ut.range <= 1 else _ring_cells(view, tgt, ut.range))
                     if c in reach.cost and c != u.cell]
            if not spots:
                continue
            spots.sort(key=lambda c: (self._across_river(c, tgt), reach.cost[c], c))
            movers.append((u, spots[0]))
        if not ready and not movers:
            return None
        hv = self._hex_value(tgt)
        strength = {u.id: combat.strength(view, u, view.utype(u).attack) for u in ready}
        strength.update({u.id: combat.strength(view, u, view.utype(u).attack) for u, _ in movers})
        # the first adjacent attacker advances into a won hex: put units that guard nothing first
        ready.sort(key=lambda u: (self._guard_cost(u) > 0, -strength[u.id], u.id))
        movers.sort(key=lambda m: (-strength[m[0].id], m[0].id))
        pool: list[tuple[Unit, int | None]] = [(u, None) for u in ready] + list(movers)
        chosen: list[tuple[Unit, int | None]] = []
        group: list[Unit] = []
        used: dict[int, int] = {}
        best: tuple[float, list[tuple[Unit, int | None]]] | None = None
        for u, spot in pool[:7]:
            if spot is not None:
                if sit.stack.get(spot, 0) + used.get(spot, 0) >= self.limit:
                    continue
                used[spot] = used.get(spot, 0) + 1
                ghost = copy.copy(u)
                ghost.cell = spot
                group.append(ghost)
            else:
                group.append(u)
            chosen.append((u, spot))
            val = self._attack_value(group, tgt, hv)
            if best is None or val > best[0]:
                best = (val, list(chosen))
        if best is None or best[0] <= 0:
            return None
        val, plan = best
        to_move = [(u, s) for u, s in plan if s is not None]
        if not to_move:
            ids = tuple(u.id for u, _ in plan)
            cas = self.agent.cas(view, sit, tgt)
            if cas is not None:
                shift, cost = cas
                with_cas = self._attack_value([u for u, _ in plan], tgt, hv, shift) - cost
                if with_cas > val:
                    return Candidate(with_cas, Attack(ids, tgt, True), f"attack {tgt} with {ids} and CAS")
            return Candidate(val, Attack(ids, tgt), f"attack {tgt} with {ids}")
        u, spot = to_move[0]
        path = self.reach[u.id].path_to(spot)
        return Candidate(0.9 * val, Move(u.id, path), f"set up attack on {tgt}")

    def _attack_value(self, attackers: list[Unit], tgt: int, hv: float, shift: int = 0) -> float:
        sit, p = self.sit, self.p
        out = expect_attack(self.view, attackers, tgt, shift)
        weak = sum(1 for a in attackers if a.steps <= 1)
        gain = out.e_def_loss * sit.sv_enemy + out.p_destroy * 0.5 * sit.sv_enemy + out.p_vacate * hv
        cost = out.e_att_loss * sit.sv * (1.0 + 0.5 * weak / max(1, len(attackers)))
        if p.mass > 0 and self.urgency is not None:
            # a race objective's defender weakened but left in place is the rival's to finish
            for i in self.obj_cell_idx.get(tgt, ()):
                u = float(self.urgency[i])
                if u > 1.0:
                    cost += p.mass * (1.0 - out.p_vacate) * sit.values[i] * (u - 1.0) / (u * p.lock)
        if not out.odds.bombard:
            first = next((a for a in attackers if hex_dist(sit.sd, a.cell, tgt) == 1), None)
            if first is not None:
                cost += out.p_vacate * 0.8 * self._guard_cost(first)
            cross = self._crossing()
            if cross is not None and cross[0][tgt]:
                cost += out.p_vacate * (cross[1] + cross[2])          # the advance crosses the line
        return p.aggression * gain - cost - 0.03 * sit.sv * len(attackers)

    def _across_river(self, cell: int, tgt: int) -> bool:
        rv = self.t.river.get((cell, tgt))
        return rv is not None and not rv[2]


def _ring_cells(state: GameState, cell: int, radius: int) -> list[int]:
    grid = state.scenario.grid
    return [c for c in grid.cells_within(cell, radius) if c != cell]


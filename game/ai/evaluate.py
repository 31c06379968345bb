"""What a position is worth to a faction: the features the normal agent scores moves with and
the evaluation the hard agent's search compares plans by.

Everything is derived from the scenario data (objectives, goals, unit types, terrain), so the
same code plays any faction of any scenario.  Values are in *goal units*: 1.0 is the faction's
whole ``vp_goal`` (or, for a faction without a goal, all the objective points still to score),
so victory points, unit steps and positions are on one scale.

Per-scenario data that never changes (movement-cost distance fields to every objective) is
computed once and cached on the scenario; per-decision data lives in a ``Situation``.
"""
from __future__ import annotations

import copy
import heapq
from dataclasses import dataclass, field

import numpy as np

from game.rules import combat, supply, visibility
from game.rules.terrain import tables
from game.scenario.model import Objective, Scenario
from game.state import GameState, Unit

INF = float("inf")


# --- per-scenario static data ---------------------------------------------------------------

@dataclass
class StaticData:
    """Terrain-only facts the agents use every decision, built once per scenario."""
    q: np.ndarray                     # axial q of every cell
    r: np.ndarray                     # axial r of every cell
    obj_cells: np.ndarray             # cell of each target: the objectives, then sudden-death hexes
    obj_dist: np.ndarray              # (n_targets, n_cells) movement cost from a cell to the target
    n_obj: int                        # how many of the targets are scenario objectives
    sd_targets: list[tuple[int, int]]  # per extra target: (sudden-death condition index, cell)
    defence: np.ndarray               # terrain defence multiplier per cell
    passable: np.ndarray              # bool per cell
    mean_move: float                  # typical unit movement allowance
    total_steps: dict[str, int]       # faction -> steps it fields over the whole scenario
    total_attack: dict[str, float]    # faction -> attack strength of those steps (what it can bring)


def static_data(scn: Scenario) -> StaticData:
    sd = scn.extra.get("_ai_static")
    if sd is None:
        sd = _build_static(scn)
        scn.extra["_ai_static"] = sd
    return sd


def _build_static(scn: Scenario) -> StaticData:
    grid = scn.grid
    hexes = [grid.hex(c) for c in range(grid.n_cells)]
    q = np.array([h.q for h in hexes], dtype=np.int32)
    r = np.array([h.r for h in hexes], dtype=np.int32)
    sd_targets = [(k, c) for k, sd in enumerate(scn.sudden_death) for c in sd.control]
    cells = np.array([o.cell for o in scn.objectives] + [c for _, c in sd_targets], dtype=np.int64)
    dist = np.empty((len(cells), grid.n_cells), dtype=np.float64)
    cache: dict[int, np.ndarray] = {}
    for i, c in enumerate(cells.tolist()):
        if c not in cache:
            cache[c] = cost_field(scn, [c])
        dist[i] = cache[c]
    t = tables(scn)
    moves = [ut.movement for ut in scn.unit_types.values()] or [4.0]
    steps: dict[str, int] = {f.id: 0 for f in scn.factions}
    attack: dict[str, float] = {f.id: 0.0 for f in scn.factions}
    for spec in list(scn.units) + [s for rf in scn.reinforcements for s in rf.units]:
        if spec.faction in steps:
            ut = scn.unit_types[spec.type]
            n = spec.steps or ut.steps
            steps[spec.faction] += n
            attack[spec.faction] += n * ut.attack / max(1, ut.steps)
    return StaticData(q=q, r=r, obj_cells=cells, obj_dist=dist, n_obj=len(scn.objectives), sd_targets=sd_targets,
                      defence=np.array(t.defence, dtype=np.float64),
                      passable=np.array([m < 99 for m in t.move_cost]),
                      mean_move=float(np.median(moves)), total_steps=steps, total_attack=attack)


def cost_field(scn: Scenario, targets: list[int], limit: float = INF) -> np.ndarray:
    """Movement cost from every cell to the nearest target (reverse Dijkstra, units ignored)."""
    t = tables(scn)
    n = scn.grid.n_cells
    dist = [INF] * n
    heap = []
    for c in targets:
        dist[c] = 0.0
        heap.append((0.0, c))
    heapq.heapify(heap)
    nbs, mc, roads, river = t.neighbours, t.move_cost, t.road_edges, t.river
    road_cost = scn.rules.road_cost
    while heap:
        d, x = heapq.heappop(heap)
        if d > dist[x]:
            continue
        enter = mc[x]                       # cost paid by a unit stepping from y into x
        if enter >= 99:
            continue
        for y in nbs[x]:
            if mc[y] >= 99:
                continue
            step = road_cost if (y, x) in roads and road_cost < enter else enter
            rv = river.get((y, x))
            if rv is not None and not rv[2]:
                step += rv[0]
            nd = d + step
            if nd < dist[y] and nd <= limit:
                dist[y] = nd
                heapq.heappush(heap, (nd, y))
    return np.array(dist)


def hop_field(scn: Scenario, sources: np.ndarray, max_hops: int = 30) -> np.ndarray:
    """Hexes (steps over passable terrain) from every cell to the nearest source cell, by a
    breadth-first search in numpy; ``max_hops`` where farther or unreachable."""
    nb = scn.grid.neighbour_table
    sd = static_data(scn)
    n = scn.grid.n_cells
    dist = np.full(n, float(max_hops))
    seen = np.zeros(n, dtype=bool)
    frontier = np.flatnonzero(sources)
    seen[frontier] = True
    dist[frontier] = 0.0
    for hop in range(1, max_hops):
        if frontier.size == 0:
            break
        cand = nb[frontier].ravel()
        cand = np.unique(cand[cand >= 0])
        cand = cand[~seen[cand] & sd.passable[cand]]
        seen[cand] = True
        dist[cand] = float(hop)
        frontier = cand
    return dist


def hex_dist_to(sd: StaticData, cells: list[int]) -> np.ndarray:
    """Hex distance from every cell to the nearest of ``cells`` (inf if none)."""
    if not cells:
        return np.full(sd.q.shape[0], INF)
    tc = np.asarray(cells, dtype=np.int64)
    dq = sd.q[:, None] - sd.q[tc][None, :]
    dr = sd.r[:, None] - sd.r[tc][None, :]
    d = (np.abs(dq) + np.abs(dr) + np.abs(dq + dr)) // 2
    return d.min(axis=1).astype(np.float64)


def hex_dist(sd: StaticData, a: int, b: int) -> int:
    dq = int(sd.q[a] - sd.q[b])
    dr = int(sd.r[a] - sd.r[b])
    return (abs(dq) + abs(dr) + abs(dq + dr)) // 2


# --- rules helpers ---------------------------------------------------------------------------

def capturable(state: GameState, cell: int, fid: str) -> bool:
    """Whether a unit of ``fid`` moving into ``cell`` takes it (the engine's rule: unheld hexes
    and hexes of factions it is at war with; deconflicted sides do not take each other's)."""
    from game import engine
    rule = getattr(engine, "can_capture", None)
    if rule is not None:
        return bool(rule(state, cell, fid))
    return int(state.control[cell]) != state.faction_index(fid)


# --- value scale ----------------------------------------------------------------------------

def remaining_rounds(state: GameState) -> int:
    """Scoring rounds still to come, this one included."""
    return max(1, state.scenario.meta.turns - state.turn + 1)


def goal_scale(state: GameState, fid: str) -> float:
    """VP that make 1.0 for ``fid``: its goal, or everything it could still score."""
    f = state.scenario.factions[state.faction_index(fid)]
    if f.vp_goal > 0:
        return float(f.vp_goal)
    total = sum(o.vp_per_turn * state.scenario.meta.turns + o.vp_end
                for o in state.scenario.objectives if not o.factions or fid in o.factions)
    return max(1.0, total)


SUDDEN_DEATH_VALUE = 1.0        # goal units: winning (or losing) the game outright
DENY_WEIGHT = 0.5               # share of an enemy's points an objective is worth to keep from it
PROGRESS_WEIGHT = 0.4           # evaluation: share of an objective's worth for being on the way to it
PROGRESS_DISCOUNT = 0.8         # ... per turn of travel the nearest unit still needs


def objective_values(state: GameState, fid: str, rounds: float | None = None,
                     deny_weight: float = DENY_WEIGHT) -> np.ndarray:
    """Goal units ``fid`` gains by holding each target: an objective's points from now to the end
    (plus half what it would be worth to an enemy that scores it);
    a sudden-death hex, a share of winning outright (its own condition) or of not losing (a
    rival's condition, for hexes that ``fid`` or that rival holds), larger as the condition
    nears completion."""
    scn = state.scenario
    sd = static_data(scn)
    R = remaining_rounds(state) if rounds is None else rounds
    sc = goal_scale(state, fid)
    out = np.zeros(len(sd.obj_cells))
    enemies = [(f.id, goal_scale(state, f.id)) for f in scn.factions if state.at_war(f.id, fid)]
    for i, o in enumerate(scn.objectives):
        worth = o.vp_per_turn * R + o.vp_end
        if not o.factions or fid in o.factions:
            out[i] = worth / sc
        # holding it also keeps it from enemies who would score it (the winner is decided on
        # shares of goals, so a point denied to a rival counts about as a point gained)
        deny = max((worth / g for e, g in enemies if not o.factions or e in o.factions), default=0.0)
        out[i] += deny_weight * deny
    if sd.sd_targets:
        fi = state.faction_index(fid)
        for j, (k, cell) in enumerate(sd.sd_targets):
            cond = scn.sudden_death[k]
            owner = state.faction_index(cond.faction)
            held = sum(1 for c in cond.control if int(state.control[c]) == owner)
            share = SUDDEN_DEATH_VALUE * (held + 1) / max(1, len(cond.control))
            if cond.faction == fid:
                out[sd.n_obj + j] = share
            elif not state.friendly(cond.faction, fid) and int(state.control[cell]) in (fi, owner):
                out[sd.n_obj + j] = share
    return out


def step_value(state: GameState, fid: str, weight: float = 0.3) -> float:
    """Goal units one strength step is worth: a share of an average objective's worth now, so
    units count for less as the end nears and the ground they hold counts for more."""
    vals = objective_values(state, fid)[:static_data(state.scenario).n_obj]
    pos = vals[vals > 0]
    mean = float(pos.mean()) if pos.size else 1.0 / max(1, static_data(state.scenario).total_steps.get(fid, 1))
    return weight * mean


# --- combat expectation ----------------------------------------------------------------------

@dataclass
class AttackOutcome:
    """Expected result of one attack, for scoring."""
    odds: combat.Odds
    e_att_loss: float
    e_def_loss: float
    p_vacate: float                   # the target hex is emptied (retreat or destroyed)
    p_destroy: float                  # every defender is destroyed


def expect_attack(state: GameState, attackers: list[Unit], target: int, shifts: int = 0) -> AttackOutcome:
    odds = combat.compute_odds(state, attackers, target, shifts)
    defenders = combat.defenders_at(state, target, attackers[0].faction)
    def_steps = sum(d.steps for d in defenders)
    min_steps = min((d.steps for d in defenders), default=0)
    ea = ed = pv = pd = 0.0
    for res, p in combat.outcome_probabilities(odds).items():
        a, d, retreat = combat.RESULTS[res]
        ea += p * a
        ed += p * min(d, def_steps)
        gone = d >= def_steps
        if retreat or gone:
            pv += p
        if gone or (len(defenders) == 1 and d >= min_steps):
            pd += p
    return AttackOutcome(odds, ea, ed, pv, pd)


# per-column expected loss of a defender attacked at that column: (E steps lost, P retreat)
def column_loss(column: int) -> tuple[float, float]:
    ed = pr = 0.0
    for res in combat.CRT[max(0, min(len(combat.CRT) - 1, column))]:
        _, d, retreat = combat.RESULTS[res]
        ed += d / 6
        pr += retreat / 6
    return ed, pr


def ratio_column(ratio: float) -> int:
    col = 0
    for i, th in enumerate(combat.THRESHOLDS):
        if ratio >= th - 1e-9:
            col = i
    return col


# --- a faction's view of the board at one decision --------------------------------------------

def fog_view(state: GameState, fid: str) -> GameState:
    """What ``fid`` knows, cheaply: a shallow copy of the state without the enemy units it
    cannot see (the same test as ``visibility.observation``).  Everything else is shared with
    the real state, so a view is for reading only."""
    seen = visibility.seen_ids(state, fid)
    v = copy.copy(state)
    v.units = {k: u for k, u in state.units.items() if k in seen or state.friendly(u.faction, fid)}
    return v


def others_signature(state: GameState, fid: str) -> tuple:
    """Where the non-friendly units ``fid`` knows of stand (the key of per-turn caches)."""
    return tuple(sorted((u.id, u.cell, u.steps) for u in state.units.values()
                        if not state.friendly(u.faction, fid)))

@dataclass
class Situation:
    """Facts for one decision of ``fid`` on a state it may see (usually its fog observation)."""
    state: GameState
    fid: str
    fi: int
    sd: StaticData
    uses_supply: bool
    supply_ok: np.ndarray             # bool per cell: a supply line reaches it now
    values: np.ndarray                # objective values for fid (goal units)
    obj_owner: np.ndarray             # control of each objective cell
    obj_holder: list[str | None]      # faction of the unit standing on each objective
    enemies: list[Unit]               # visible units at war with fid
    rivals: list[Unit]                # visible units neither friendly nor at war
    enemy_attack: np.ndarray          # summed attack strength of enemies that could hit each cell
    threat: np.ndarray                # per objective: chance an unguarded one is lost before scoring
    sv: float                         # own step value
    sv_enemy: float
    stack: dict[int, int] = field(default_factory=dict)   # friendly units per cell
    blocked: set[int] = field(default_factory=set)        # cells with non-friendly units


def situation(state: GameState, fid: str, step_weight: float = 0.3, cache: dict | None = None) -> Situation:
    """The facts for a decision.  With ``cache`` (one dict per faction turn), the slow parts -
    supply lines, enemy reach, objective threat - are reused while the known non-friendly
    units stay where they were (own moves in between change them only slightly)."""
    scn = state.scenario
    sd = static_data(scn)
    fi = state.faction_index(fid)
    n = scn.grid.n_cells
    enemies, rivals, stack, blocked = [], [], {}, set()
    for u in state.units.values():
        if state.friendly(u.faction, fid):
            stack[u.cell] = stack.get(u.cell, 0) + 1
        else:
            blocked.add(u.cell)
            (enemies if state.at_war(u.faction, fid) else rivals).append(u)
    key = others_signature(state, fid) if cache is not None else None
    slow = cache.get("slow") if cache is not None else None
    if slow is None or slow[0] != key:
        uses = any(s.faction == fid for s in list(scn.supply_sources) + state.extra_sources)
        ok = np.isfinite(supply.supply_map(state, fid)) if uses else np.ones(n, dtype=bool)
        enemy_attack = np.zeros(n)
        for e in enemies:
            ut = state.utype(e)
            radius = int(max(1, round(ut.movement / 1.5))) + max(1, ut.range)
            enemy_attack[_disc(state, e.cell, radius)] += combat.strength(state, e, ut.attack)
        threat = _objective_threat(state, fid, sd, enemies)
        slow = (key, uses, ok, enemy_attack, threat)
        if cache is not None:
            cache["slow"] = slow
    _, uses, ok, enemy_attack, threat = slow
    cells = sd.obj_cells
    owner = state.control[cells].astype(np.int64) if len(cells) else np.zeros(0, dtype=np.int64)
    holder: list[str | None] = [None] * len(cells)
    cell_idx: dict[int, list[int]] = {}
    for i, c in enumerate(cells.tolist()):
        cell_idx.setdefault(c, []).append(i)
    for u in state.units.values():
        for i in cell_idx.get(u.cell, ()):
            holder[i] = u.faction
    sv = step_value(state, fid, step_weight)
    return Situation(state, fid, fi, sd, uses, ok, objective_values(state, fid), owner, holder, enemies,
                     rivals, enemy_attack, threat, sv, sv, stack, blocked)


def _disc(state: GameState, cell: int, radius: int) -> list[int]:
    cache = state.scenario.extra.setdefault("_ai_discs", {})
    d = cache.get((cell, radius))
    if d is None:
        d = state.scenario.grid.cells_within(cell, radius)
        cache[(cell, radius)] = d
    return d


def _objective_threat(state: GameState, fid: str, sd: StaticData, others: list[Unit]) -> np.ndarray:
    """Chance an ungarrisoned objective changes hands before it scores again: near 1 when an
    enemy unit (only factions at war take each other's ground) can walk in this round, smaller
    with distance; enemy ground nearby (where unseen units may hide) keeps it above zero."""
    cells = sd.obj_cells.tolist()
    out = np.zeros(len(cells))
    if not cells:
        return out
    fi = state.faction_index(fid)
    hostile = [i for i, f in enumerate(state.scenario.factions) if state.at_war(f.id, fid)]
    for i, c in enumerate(cells):
        t = 0.0
        for o in others:
            d = hex_dist(sd, c, o.cell)
            hexes = max(1.0, state.utype(o).movement / 1.3)
            t = max(t, 1.0 if d <= hexes else 0.5 ** ((d - hexes) / hexes))
        if t < 0.35 and hostile:
            near = state.control[_disc(state, c, 3)]
            if np.isin(near, hostile).any() and int(state.control[c]) == fi:
                t = 0.35
        out[i] = t
    return out


# --- whole-position evaluation (search) --------------------------------------------------------

@dataclass(frozen=True)
class KeepModel:
    """How much of an objective's remaining worth its holder really banks, as two logistic fits
    on what the judge can see (``keep_features``): the share of the later scoring rounds at which
    it still holds it (for the points per round) and whether it holds it at the end (for the
    end points).  Fitted on all-normal games by ``benchmarks/ai_hold_calibration.py --fit``; see
    benchmarks/results/ai_experiments.md, session 16."""
    share: tuple[float, ...]
    end: tuple[float, ...]

    def held(self, x: np.ndarray) -> tuple:
        """Share of the later rounds held and chance of holding at the end, for features ``x``
        (one row of ``keep_features``, or a matrix of them: then an array of each)."""
        return (1.0 / (1.0 + np.exp(-(x @ np.asarray(self.share)))),
                1.0 / (1.0 + np.exp(-(x @ np.asarray(self.end)))))

    def keep(self, x: np.ndarray, per_round: float, at_end: float) -> float:
        """Expected share of ``per_round`` + ``at_end`` goal units banked, for features ``x``."""
        s, e = (float(v) for v in self.held(x))
        total = per_round + at_end
        return (per_round * s + at_end * e) / total if total > 0 else s

    def keep_target(self, x: np.ndarray, objective: Objective | None, rounds: int) -> float:
        """``keep`` for a target of the judge: an objective's points per round and at the end over
        ``rounds`` rounds, or (``objective`` None: a sudden-death hex) a hold that counts each round."""
        if objective is None:
            return self.keep(x, 1.0, 0.0)
        return self.keep(x, objective.vp_per_turn * rounds, objective.vp_end)


def keep_features(guarded: bool, ratio: float | None, threat: float, odds: float, rounds: int) -> np.ndarray:
    """The keep model's inputs: guarded or not, the local odds against a garrison (enemy attack in
    reach / its defence), the walk-in threat to an unguarded place, the faction's overall odds
    (``force_ratio``) and the scoring rounds still to come - with the interactions the fit needs
    (an outnumbered side's hold decays with time; guarding helps a strong side more)."""
    g = 1.0 if guarded else 0.0
    lo, lr = float(np.log(odds)), float(np.log(max(1, rounds)))
    return np.array([1.0, g, g * float(np.log1p(ratio or 0.0)), (1.0 - g) * threat, lo, lr, lo * lr, g * lo])


KEEP_MODEL = KeepModel(share=(11.848, 0.921, -1.063, -0.384, -1.566, -3.17, 0.814, 1.611),
                       end=(11.4, 1.288, -1.012, 0.27, -1.892, -3.256, 1.131, 1.248))


def garrison_ratio(state: GameState, sit: "Situation", cell: int) -> float | None:
    """Attack strength of the enemies that could strike ``cell`` against the defence of the
    friendly units on it (terrain included); None if nobody of ``sit.fid``'s side stands there."""
    garrison = [u for u in state.units.values() if u.cell == cell and state.friendly(u.faction, sit.fid)]
    if not garrison:
        return None
    dfn = sum(combat.strength(state, u, state.utype(u).defence) for u in garrison) * float(sit.sd.defence[cell])
    return float(sit.enemy_attack[cell]) / max(dfn, 0.1)


def force_ratio(state: GameState, fid: str) -> float:
    """Strength steps of ``fid`` against those of every faction at war with it: the side that is
    outnumbered overall loses what it holds however well each place is guarded."""
    own = enemy = 0
    for u in state.units.values():
        if u.faction == fid:
            own += u.steps
        elif state.at_war(u.faction, fid):
            enemy += u.steps
    return (own + 1.0) / (enemy + 1.0)


def evaluate(state: GameState, fid: str, step_weight: float = 0.3, deny_weight: float | None = None,
             material_weight: float = 1.0, keep_model: KeepModel | None = KEEP_MODEL) -> float:
    """How good ``state`` is for ``fid``, in goal units: points banked, points the objectives it
    holds should still bring (the share ``keep_model`` expects it to bank; None: the older fixed
    0.9 if guarded, else 1 - 0.6 x threat), part of what the objectives
    still to take are worth (discounted by how far its nearest unit is), and strength in the
    field against its enemies'.  Used to compare the ends of simulated turns, so it is cheap."""
    fi = state.faction_index(fid)
    sc = goal_scale(state, fid)
    if state.terminal:
        base = state.vp[fi] / sc
        return base + (1.0 if state.winner == fid else 0.0)
    sit = situation(state, fid, step_weight)
    R = remaining_rounds(state)
    vals = sit.values if deny_weight is None else objective_values(state, fid, deny_weight=deny_weight)
    sd = sit.sd
    movers = [u for u in state.units.values() if u.faction == fid and not u.static and u.steps > 0]
    if movers:
        cells = np.array([u.cell for u in movers], dtype=np.int64)
        mps = np.array([max(1.0, state.utype(u).movement) for u in movers])
        # turns the nearest own unit needs to reach each target
        reach_turns = (sd.obj_dist[:, cells] / mps[None, :]).min(axis=1)
    else:
        reach_turns = np.full(len(vals), np.inf)
    future = 0.0
    odds = force_ratio(state, fid) if keep_model is not None else 1.0
    taken = keep_features(True, None, 0.0, odds, R)     # an objective once we hold it, unthreatened
    objs = state.scenario.objectives
    for i, v in enumerate(vals):
        if v <= 0:
            continue
        owner = int(sit.obj_owner[i])
        guarded = sit.obj_holder[i] is not None and state.friendly(sit.obj_holder[i], fid)
        if owner == fi:
            if keep_model is None:
                keep = 0.9 if guarded else 1.0 - 0.6 * sit.threat[i]
            else:
                cell = int(sd.obj_cells[i])
                x = keep_features(guarded, garrison_ratio(state, sit, cell) if guarded else None,
                                  float(sit.threat[i]), odds, R)
                keep = keep_model.keep_target(x, objs[i] if i < sd.n_obj else None, R)
            future += v * keep
        elif capturable(state, int(sd.obj_cells[i]), fid) and np.isfinite(reach_turns[i]):
            # still to take: worth part of its value, less the farther our nearest unit is
            t = float(reach_turns[i])
            gain = PROGRESS_WEIGHT * v * max(0.0, (R - t) / R) * PROGRESS_DISCOUNT ** t
            if keep_model is not None and gain > 0:
                # worth no more than what holding it would keep: an outnumbered side that
                # merely nears a town it could not hold must not prefer that to holding one
                gain *= keep_model.keep_target(taken, objs[i] if i < sd.n_obj else None, R)
            future += gain
    own = enemy = 0.0
    for u in state.units.values():
        if u.faction == fid:
            w = 1.0 if (u.in_supply or not sit.uses_supply or u.supply_exempt) else 0.7
            own += u.steps * w
        elif state.at_war(u.faction, fid):
            enemy += u.steps
    material = sit.sv * own - sit.sv_enemy * 0.8 * enemy
    return state.vp[fi] / sc + future + material_weight * material * min(1.0, R / 3.0)


def seat_score(state: GameState, fid: str) -> float:
    """The victory measure of a seat: VP as a share of the faction's goal (victory.scores)."""
    f = state.scenario.factions[state.faction_index(fid)]
    v = state.vp[state.faction_index(fid)]
    return v / f.vp_goal if f.vp_goal > 0 else v


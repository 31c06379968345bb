"""The forward model: ``new_game``, ``legal_actions``, ``apply``, ``predict``.

Every change to a game goes through ``apply(state, action)``, which validates the action,
changes the state in place and returns the events it caused.  UI, AI, replays and saves all
speak these actions.  Rule modules (air power, ...) plug in through ``ACTION_HANDLERS``,
``LEGAL_HOOKS`` and the turn hooks instead of editing this file.
"""
from __future__ import annotations

import random
from operator import is_
from typing import Callable

import numpy as np

from game.actions import Action, Attack, EndTurn, Move
from game.errors import IllegalAction
from game.rules import combat, events as ev_rules, movement, supply, victory, visibility
from game.rules.terrain import tables
from game.scenario.model import Scenario
from game.state import GameEvent, GameState, Unit

ActionHandler = Callable[[GameState, Action, list[GameEvent]], None]
ACTION_HANDLERS: dict[str, ActionHandler] = {}          # extra action kinds (air missions)
LEGAL_HOOKS: list[Callable[[GameState], list[Action]]] = []   # extra legal actions for the active faction
NEW_GAME_HOOKS: list[Callable[[GameState], None]] = []        # e.g. create the air state
START_TURN_HOOKS: list[Callable[[GameState, str, list[GameEvent]], None]] = []  # faction turn starts
END_ROUND_HOOKS: list[Callable[[GameState, list[GameEvent]], None]] = []        # all factions have moved
COMBAT_SHIFT_HOOKS: list[Callable[[GameState, Attack, list[Unit], bool], int]] = []  # column shifts (CAS)
COMBAT_DONE_HOOKS: list[Callable[[GameState, Attack, list[GameEvent]], None]] = []
MOVE_DONE_HOOKS: list[Callable[[GameState, Unit, tuple[int, ...], list[GameEvent]], None]] = []

_plugins_loaded = False


def _load_plugins() -> None:
    """Import rule modules that register hooks (kept optional so the core stands alone)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    try:
        import game.rules.air  # noqa: F401
    except ModuleNotFoundError as e:
        if e.name != "game.rules.air":
            raise


# --- set-up ---------------------------------------------------------------------------------

def new_game(scenario: Scenario, seed: int | None = None) -> GameState:
    """The state at the start of turn 1, first faction to move."""
    _load_plugins()
    seed = scenario.meta.seed if seed is None else seed
    st = GameState(scenario=scenario, seed=seed, rng=random.Random(seed))
    st.control = scenario.initial_control.astype(np.int8).copy()
    st.vp = [0.0] * len(scenario.factions)
    st.relations = dict(scenario.relations)
    for spec in scenario.units:
        ut = scenario.unit_types[spec.type]
        st.units[spec.id] = Unit.from_spec(spec, ut)
    for r in scenario.reinforcements:
        for spec in r.units:
            st.pending.append((r.turn, spec, r.message))
    st.spotted = {f.id: set() for f in scenario.factions}
    for hook in NEW_GAME_HOOKS:
        hook(st)
    out: list[GameEvent] = []
    ev_rules.fire_turn_events(st, out)
    _start_faction_turn(st, out)
    st.log.extend(out)
    return st


# --- queries ----------------------------------------------------------------------------------

def is_terminal(state: GameState) -> bool:
    return state.terminal


def returns(state: GameState) -> list[float]:
    """OpenSpiel-style: +1 to the winner, -1 to the others, 0 for all on a draw or mid-game."""
    if not state.terminal or state.winner in (None, "draw"):
        return [0.0] * len(state.scenario.factions)
    return [1.0 if f.id == state.winner else -1.0 for f in state.scenario.factions]


def can_act(state: GameState, unit: Unit) -> bool:
    return unit.faction == state.active_faction and not state.terminal


def move_targets(state: GameState, unit: Unit) -> movement.Reach:
    """Where the unit may move now, as its faction knows the map."""
    if not can_act(state, unit) or unit.attacked or unit.static:
        return movement.Reach(unit.cell, {unit.cell: 0.0}, {}, set())
    return movement.reachable(state, unit, known_only=True)


def attack_targets(state: GameState, unit: Unit) -> list[int]:
    """Hexes with visible enemy units this unit may attack now."""
    if not can_act(state, unit) or unit.attacked or unit.steps <= 0:
        return []
    ut = state.utype(unit)
    fid = unit.faction
    reach = max(1, ut.range)
    war = {f.id: state.at_war(f.id, fid) for f in state.scenario.factions}
    near = visibility._disc_set(state, unit.cell, reach)      # distance <= reach
    here = unit.cell
    out = set()
    for e in state.units.values():
        if e.cell not in near or e.cell == here:
            continue
        w = war.get(e.faction)
        if not (w if w is not None else state.at_war(e.faction, fid)):
            continue
        if e.cell not in out and visibility.sees_unit(state, e, fid, unit):
            out.add(e.cell)
    return sorted(out)


def legal_actions(state: GameState) -> list[Action]:
    """Every action the active faction may take now (moves with their cheapest path)."""
    if state.terminal:
        return []
    _load_plugins()
    fid = state.active_faction
    acts: list[Action] = []
    own = sorted((u for u in state.units.values() if u.faction == fid), key=lambda u: u.id)
    by_target: dict[int, list[str]] = {}
    grid = state.scenario.grid
    seen = visibility.seen_ids(state, fid)          # the same for every unit of the faction
    for u in own:
        if u.mp > 0 and not u.attacked and not u.static:
            reach = movement.reachable(state, u, known_only=True, seen=seen)
            dests = sorted(reach.destinations())
            for dest, path in zip(dests, reach.paths(dests)):
                acts.append(Move(u.id, path))
        for tgt in attack_targets(state, u):
            acts.append(Attack((u.id,), tgt))
            if grid.distance(u.cell, tgt) == 1 or state.utype(u).range > 1:
                by_target.setdefault(tgt, []).append(u.id)
    for tgt, ids in sorted(by_target.items()):
        if len(ids) > 1:
            acts.append(Attack(tuple(ids), tgt))
    for hook in LEGAL_HOOKS:
        acts.extend(hook(state))
    acts.append(EndTurn())
    return acts


def predict(state: GameState, attack: Attack) -> combat.Prediction:
    """Odds and outcome probabilities of an attack, without rolling (raises IllegalAction)."""
    attackers = _check_attack(state, attack)
    shifts = sum(h(state, attack, attackers, False) for h in COMBAT_SHIFT_HOOKS)
    odds = combat.compute_odds(state, attackers, attack.target, shifts)
    return combat.predict_odds(odds)


# --- apply ------------------------------------------------------------------------------------

def apply(state: GameState, action: Action) -> list[GameEvent]:
    """Apply one action in place; returns what happened.  Raises IllegalAction if not allowed."""
    _load_plugins()
    if state.terminal:
        raise IllegalAction("the game is over")
    out: list[GameEvent] = []
    if isinstance(action, Move):
        _apply_move(state, action, out)
    elif isinstance(action, Attack):
        _apply_attack(state, action, out)
    elif isinstance(action, EndTurn):
        _end_turn(state, out)
    else:
        handler = ACTION_HANDLERS.get(action.kind)
        if handler is None:
            raise IllegalAction(f"unknown action {action!r}")
        handler(state, action, out)
    state.ply += 1
    for e in out:
        if not e.turn:
            e.turn = state.turn
    state.log.extend(out)
    return out


def _unit(state: GameState, uid: str) -> Unit:
    u = state.units.get(uid)
    if u is None:
        raise IllegalAction(f"no unit {uid!r}")
    if u.faction != state.active_faction:
        raise IllegalAction(f"{u.name} does not belong to {state.active_faction}")
    return u


class _UnitIndex:
    """Where the units stand, as faction ``fid`` sorts them (friendly or not, enemy at war or
    not): what ``_MoveView`` asks about hexes near a path.

    Kept on the state between moves (see ``_unit_index``) and brought up to date by the move
    itself, so a faction's moves do not each sort every unit again.  ``fp`` is what it was
    built from: the units dict, its unit objects in order and their hexes, and the relations.
    """

    __slots__ = ("fid", "units", "objs", "cells", "pos", "relations", "friendly", "war",
                 "fcells", "others", "occupied", "zoc_src")

    def __init__(self, state: GameState, fid: str, objs: tuple[Unit, ...], cells: list[int]):
        scn = state.scenario
        self.fid = fid
        self.units = state.units
        self.objs = objs
        self.cells = cells
        self.pos = {o.id: i for i, o in enumerate(objs)}
        self.relations = dict(state.relations)
        self.friendly = friendly = {f.id: state.friendly(f.id, fid) for f in scn.factions}
        self.war = war = {f.id: state.at_war(f.id, fid) for f in scn.factions}
        zoc_types = _zoc_types(scn)
        self.fcells = fcells = {}        # friendly units by hex
        self.others = others = {}        # non-friendly units by hex, in unit order
        self.occupied = occupied = {}    # truth: last non-friendly unit in each hex
        self.zoc_src = zoc_src = {}      # truth: first ZOC-casting enemy per hex, (unit order, unit)
        for i, o in enumerate(objs):
            cell = cells[i]
            fr = friendly.get(o.faction)
            if fr if fr is not None else state.friendly(o.faction, fid):
                got = fcells.get(cell)
                if got is None:
                    fcells[cell] = [o]
                else:
                    got.append(o)
                continue
            got = others.get(cell)
            if got is None:
                others[cell] = [o]
            else:
                got.append(o)
            occupied[cell] = o
            w = war.get(o.faction)
            if (w if w is not None else state.at_war(o.faction, fid)) and zoc_types[o.type] and cell not in zoc_src:
                zoc_src[cell] = (i, o)

    def moved(self, unit: Unit, start: int, cur: int) -> None:
        """The faction's own ``unit`` went from ``start`` to ``cur`` (and nothing else changed)."""
        if start == cur:
            return
        lst = self.fcells[start]
        lst.remove(unit)
        if not lst:
            del self.fcells[start]
        self.fcells.setdefault(cur, []).append(unit)
        self.cells[self.pos[unit.id]] = cur


def _unit_index(state: GameState, fid: str) -> _UnitIndex:
    """The faction's ``_UnitIndex``, rebuilt unless the units (same objects, same order, same
    hexes) and the relations are what it was built from.  Units never change faction or type."""
    caches = state.__dict__.get("_unit_index")
    if caches is None or caches[0] is not state.units:
        caches = state.__dict__["_unit_index"] = (state.units, {})
    vals = state.units.values()
    objs = tuple(vals)
    cells = [o.cell for o in vals]
    idx = caches[1].get(fid)
    if (idx is not None and idx.cells == cells and len(idx.objs) == len(objs) and all(map(is_, idx.objs, objs))
            and idx.relations == state.relations):
        return idx
    idx = caches[1][fid] = _UnitIndex(state, fid, objs, cells)
    return idx


class _MoveView:
    """For a move by ``unit``: what its faction knows near the path (fog of war, as
    ``visibility.seen_ids`` decides it) and the truth the walk runs into.

    A move only needs visibility for units next to its path and around where it ends, so
    this answers per unit instead of working out the faction's whole view.
    """

    def __init__(self, state: GameState, unit: Unit):
        scn = state.scenario
        fid = unit.faction
        self.state, self.unit, self.fid = state, unit, fid
        self.nb = tables(scn).neighbours
        idx = self.index = _unit_index(state, fid)
        self.friendly, self.war = idx.friendly, idx.war
        self.fcells, self.others, self.occupied, self.zoc_src = idx.fcells, idx.others, idx.occupied, idx.zoc_src
        self.hidden, self.max_sight = _fog_consts(scn)
        self.types = scn.unit_types
        self.spotted = state.spotted.get(fid, ())
        self._isr: set[int] | None = None
        self._sees: dict[str, bool] = {}

    def stack_at(self, cell: int) -> int:
        """Friendly units in ``cell``, the mover not counted."""
        return sum(1 for o in self.fcells.get(cell, ()) if o is not self.unit)

    def _at_war(self, o: Unit) -> bool:
        w = self.war.get(o.faction)
        return w if w is not None else self.state.at_war(o.faction, self.fid)

    @property
    def isr(self) -> set[int]:
        if self._isr is None:
            self._isr = visibility.isr_cells(self.state, self.fid)
        return self._isr

    def sees(self, o: Unit) -> bool:
        """Whether the mover's faction sees non-friendly ``o`` (before the move)."""
        got = self._sees.get(o.id)
        if got is None:
            got = self._sees[o.id] = self._compute_sees(o)
        return got

    def _compute_sees(self, o: Unit) -> bool:
        if o.id in self.spotted or o.cell in self.isr:
            return True
        st = self.state
        if o.faction in self.hidden:
            return any(c in self.fcells for c in visibility._disc_set(st, o.cell, 1))
        grid = st.scenario.grid
        for c in visibility._disc_set(st, o.cell, self.max_sight):
            for f in self.fcells.get(c, ()):
                if grid.distance(c, o.cell) <= self.types[f.type].sight:
                    return True
        return False

    def known_blocked(self, cell: int) -> bool:
        """A unit the faction sees, not friendly to it, stands in ``cell``."""
        return any(self.sees(o) for o in self.others.get(cell, ()))

    def known_zoc(self, cell: int) -> bool:
        """``cell`` is in the zone of control of an enemy the faction sees."""
        for nb in self.nb[cell]:
            for o in self.others.get(nb, ()):
                if self._at_war(o) and self.types[o.type].zoc and self.sees(o):
                    return True
        return False

    def zoc_at(self, cell: int) -> Unit | None:
        """Truth: the first enemy (in unit order) whose zone of control covers ``cell``."""
        best = None
        for nb in self.nb[cell]:
            v = self.zoc_src.get(nb)
            if v is not None and (best is None or v[0] < best[0]):
                best = v
        return None if best is None else best[1]

    def revealed_at(self, cell: int) -> list[str]:
        """Ids of units first seen because the mover now stands in ``cell`` (nothing else moved)."""
        st = self.state
        sight = self.types[self.unit.type].sight
        near = visibility._disc_set(st, cell, 1)
        far = visibility._disc_set(st, cell, sight)
        out = []
        for c in visibility._disc_set(st, cell, max(sight, 1)):
            for o in self.others.get(c, ()):
                if o.cell in (near if o.faction in self.hidden else far) and not self.sees(o):
                    out.append(o.id)
        return sorted(out)


def _fog_consts(scn: Scenario) -> tuple[set[str], int]:
    """(hidden factions, the longest sight of any unit type: a bound is enough)."""
    got = scn.extra.get("_fog_consts")
    if got is None:
        got = scn.extra["_fog_consts"] = ({f.id for f in scn.factions if f.hidden},
                                          max((t.sight for t in scn.unit_types.values()), default=0))
    return got


def _zoc_types(scn: Scenario) -> dict[str, bool]:
    got = scn.extra.get("_zoc_types")
    if got is None:
        got = scn.extra["_zoc_types"] = {k: t.zoc for k, t in scn.unit_types.items()}
    return got


def _capture_cells(scn: Scenario) -> frozenset[int]:
    """Hexes whose capture may fire a scenario event."""
    got = scn.extra.get("_capture_cells")
    if got is None:
        got = frozenset(ev.trigger.cell for ev in scn.events if ev.trigger.kind == "captured")
        scn.extra["_capture_cells"] = got
    return got


def _apply_move(state: GameState, mv: Move, out: list[GameEvent]) -> None:
    u = _unit(state, mv.unit)
    if not mv.path:
        raise IllegalAction("empty path")
    if u.attacked or u.static or u.mp <= 0:
        raise IllegalAction(f"{u.name} cannot move now")
    path = tuple(int(c) for c in mv.path)
    fid = u.faction
    view = _MoveView(state, u)
    costs = _validate_path(state, u, path, view)
    fi = state.faction_index(fid)
    # a captured hex may fire events that change who is where or friendly: then compare the
    # faction's whole view before and after; otherwise only the mover's new hex reveals
    capture = _capture_cells(state.scenario)
    seen_before = _seen_enemies(state, fid) if any(c in capture for c in path) else None
    # walk the path against the truth: stop on contact with unseen enemies
    cur = u.cell
    spent = 0.0
    walked: list[int] = []
    stopped = None
    last = path[-1]
    for i, nxt in enumerate(path):
        if nxt in view.occupied:
            stopped = view.occupied[nxt]
            break
        spent += costs[i]                 # movement.step_cost(state, u, cur, nxt), from the check
        cur = nxt
        walked.append(cur)
        if cur != last:
            z = view.zoc_at(cur)
            if z is not None:
                stopped = z
                break
    start = u.cell
    u.cell = cur
    if stopped is not None or (walked and view.zoc_at(walked[-1]) is not None):
        u.mp = 0.0
    else:
        u.mp = max(0.0, u.mp - spent)
    for c in walked:
        if can_capture(state, c, fid):
            state.control[c] = fi
            ev_rules.fire_capture_events(state, c, fid, out)
    if seen_before is not None:
        revealed = sorted(_seen_enemies(state, fid) - seen_before)
    else:
        revealed = view.revealed_at(cur)
    view.index.moved(u, start, cur)       # after revealed_at, which asks what was seen before
    if stopped is not None:
        state.spotted.setdefault(fid, set()).add(stopped.id)
        if stopped.id not in revealed:
            revealed.append(stopped.id)
    out.append(GameEvent("move", f"{u.name} moves", faction=fid,
                         data={"unit": u.id, "from": start, "to": cur, "path": walked,
                               "stopped": stopped is not None, "revealed": revealed}))
    if stopped is not None:
        out.append(GameEvent("reveal", f"{u.name} runs into {stopped.name}", faction=fid,
                             data={"unit": u.id, "enemy": stopped.id, "cell": stopped.cell}))
    for hook in MOVE_DONE_HOOKS:
        hook(state, u, tuple(walked), out)


def _seen_enemies(state: GameState, fid: str) -> set[str]:
    return visibility.seen_ids(state, fid)


def _validate_path(state: GameState, u: Unit, path: tuple[int, ...], view: _MoveView | None = None) -> list[float]:
    """The path must be legal as the mover's faction knows the map (see movement.reachable).
    Returns the step costs along it."""
    t = tables(state.scenario)
    n = state.scenario.grid.n_cells
    if view is None:
        view = _MoveView(state, u)
    cur = u.cell
    cost = 0.0
    costs: list[float] = []
    final = len(path) - 1
    for i, nxt in enumerate(path):
        if not (0 <= nxt < n) or nxt not in t.neighbours[cur]:
            raise IllegalAction(f"path step {i} is not adjacent")
        if view.known_blocked(nxt):
            raise IllegalAction("path enters a hex held by another faction's units")
        s = movement.step_cost(state, u, cur, nxt)
        if s >= movement.IMPASSABLE:
            raise IllegalAction("path enters impassable terrain")
        costs.append(s)
        cost += s
        if i != final and view.known_zoc(nxt):
            raise IllegalAction("path continues through an enemy zone of control")
        cur = nxt
    if cost > u.mp + 1e-9:
        first_step_ok = len(path) == 1 and u.mp >= movement.movement_allowance(state, u) - 1e-9
        if not first_step_ok:
            raise IllegalAction(f"path costs {cost:g} movement points, {u.mp:g} left")
    if view.stack_at(path[-1]) >= state.scenario.rules.stacking:
        raise IllegalAction("stacking limit reached in the destination hex")
    if len(set(path)) != len(path) or u.cell in path:
        raise IllegalAction("path revisits a hex")
    return costs


def _check_attack(state: GameState, atk: Attack) -> list[Unit]:
    if not atk.attackers:
        raise IllegalAction("no attackers")
    if len(set(atk.attackers)) != len(atk.attackers):
        raise IllegalAction("an attacker is listed twice")
    units = [_unit(state, uid) for uid in atk.attackers]
    for u in units:
        if atk.target not in attack_targets(state, u):
            raise IllegalAction(f"{u.name} cannot attack that hex")
    return units


def _apply_attack(state: GameState, atk: Attack, out: list[GameEvent]) -> None:
    attackers = _check_attack(state, atk)
    fid = attackers[0].faction
    shifts = sum(h(state, atk, attackers, True) for h in COMBAT_SHIFT_HOOKS)
    odds = combat.compute_odds(state, attackers, atk.target, shifts)
    die = state.rng.randint(1, 6)
    result = combat.result_for_roll(odds, die)
    a_loss, d_loss, retreat = combat.RESULTS[result]
    defenders = combat.defenders_at(state, atk.target, fid)
    for u in attackers:
        u.attacked = True
        u.mp = 0.0
    fi = state.faction_index(fid)
    lost_a = _take_losses(state, attackers, a_loss)
    lost_d = _take_losses(state, defenders, d_loss)
    retreated: list[str] = []
    if retreat:
        for d in [d for d in defenders if d.id in state.units]:
            dest = _retreat_hex(state, d, attackers)
            if dest is None:
                lost_d += _take_losses(state, [d], 1)
            else:
                d.cell = dest
                retreated.append(d.id)
    advanced = None
    if not any(u.cell == atk.target for u in state.units.values()) and not odds.bombard:
        for u in attackers:
            if u.id in state.units and not u.static and state.scenario.grid.distance(u.cell, atk.target) == 1:
                if movement.step_cost(state, u, u.cell, atk.target) < movement.IMPASSABLE:
                    u.cell = atk.target
                    advanced = u.id
                    break
        if advanced is not None and can_capture(state, atk.target, fid):
            state.control[atk.target] = fi
            ev_rules.fire_capture_events(state, atk.target, fid, out)
    text = (f"{', '.join(u.name for u in attackers)} attack at {odds.label}: die {die} -> "
            f"{combat.RESULT_TEXT[result]}")
    out.append(GameEvent("combat", text, faction=fid, data={
        "attackers": list(atk.attackers), "defenders": [d.id for d in defenders], "target": atk.target,
        "odds": odds.label, "column": odds.column, "die": die, "result": result,
        "attacker_losses": lost_a, "defender_losses": lost_d, "retreated": retreated, "advanced": advanced}))
    for hook in COMBAT_DONE_HOOKS:
        hook(state, atk, out)
    _check_elimination(state, out)


def _take_losses(state: GameState, units: list[Unit], steps: int) -> int:
    """Remove ``steps`` steps, strongest unit first; returns steps actually lost."""
    lost = 0
    for _ in range(steps):
        alive = [u for u in units if u.id in state.units]
        if not alive:
            break
        alive.sort(key=lambda u: (-u.steps, u.id))
        v = alive[0]
        v.steps -= 1
        lost += 1
        if v.steps <= 0:
            del state.units[v.id]
    return lost


def _retreat_hex(state: GameState, unit: Unit, attackers: list[Unit]) -> int | None:
    if unit.static:
        return None
    t = tables(state.scenario)
    grid = state.scenario.grid
    occ = state.occupancy()
    enemy_zoc = set()
    for o in state.units.values():
        if state.at_war(o.faction, unit.faction) and state.utype(o).zoc:
            enemy_zoc.update(t.neighbours[o.cell])
    best = None
    for nb in t.neighbours[unit.cell]:
        if t.move_cost[nb] >= movement.IMPASSABLE:
            continue
        here = occ.get(nb, [])
        if any(not state.friendly(o.faction, unit.faction) for o in here):
            continue
        if len(here) >= state.scenario.rules.stacking:
            continue
        away = min((grid.distance(nb, a.cell) for a in attackers if a.id in state.units), default=2)
        key = (away, nb not in enemy_zoc, -t.move_cost[nb], -nb)
        if best is None or key > best[0]:
            best = (key, nb)
    return best[1] if best else None


def _check_elimination(state: GameState, out: list[GameEvent]) -> None:
    present = {u.faction for u in state.units.values()}
    for f in state.scenario.factions:
        if f.id in state.eliminated:
            if f.id in present:
                # revived by a scripted reinforcement: back in the game
                state.eliminated.remove(f.id)
                out.append(GameEvent("revived", f"{f.name} returns to the field", faction=f.id))
            continue
        if f.id not in present and not any(
                s.faction == f.id for _, s, _ in state.pending):
            # a faction with no units left and none to come is out; its holdings stay
            state.eliminated.append(f.id)
            out.append(GameEvent("eliminated", f"{f.name} has no forces left", faction=f.id))


# --- turn flow -----------------------------------------------------------------------------

def _start_faction_turn(state: GameState, out: list[GameEvent]) -> None:
    fid = state.active_faction
    state.spotted[fid] = set()
    ev_rules.deliver_reinforcements(state, fid, out)
    supply.update_supply(state, fid)
    for u in sorted(state.units_of(fid), key=lambda x: x.id):
        u.attacked = False
        if not u.in_supply:
            u.oos_turns += 1
            if u.oos_turns > 1 and state.rng.random() < state.scenario.rules.attrition_chance:
                u.steps -= 1
                out.append(GameEvent("attrition", f"{u.name} loses a step out of supply", faction=fid,
                                     data={"unit": u.id}))
                if u.steps <= 0:
                    del state.units[u.id]
                    continue
        else:
            u.oos_turns = 0
        u.mp = 0.0 if u.static else movement.movement_allowance(state, u)
    for hook in START_TURN_HOOKS:
        hook(state, fid, out)
    out.append(GameEvent("turn", f"Turn {state.turn} ({state.date:%d %b %Y}): {state.scenario.factions[state.active].name}",
                         faction=fid))


def can_capture(state: GameState, cell: int, fid: str) -> bool:
    """A faction takes a hex that is unheld or held by a faction it is at war with.

    Deconflicted, allied and neutral factions pass through each other's ground without taking
    it: a deconfliction line becomes a border only by being held, not by being walked over.
    """
    old = int(state.control[cell])
    if old < 0:
        return True
    owner = state.scenario.factions[old].id
    return owner != fid and state.at_war(owner, fid)


def _claim_radius(state: GameState, fid: str, out: list[GameEvent]) -> None:
    """rules.control_radius: units also take uncontested hexes around them at the end of their
    turn (no other faction's unit in the hex, not in an enemy zone of control, passable)."""
    fi = state.faction_index(fid)
    t = tables(state.scenario)
    radius = state.scenario.rules.control_radius
    others: set[int] = set()
    zoc: set[int] = set()
    for o in state.units.values():
        if state.friendly(o.faction, fid):
            continue
        others.add(o.cell)
        if state.at_war(o.faction, fid) and state.utype(o).zoc:
            zoc.update(t.neighbours[o.cell])
    grid = state.scenario.grid
    for u in sorted(state.units_of(fid), key=lambda x: x.id):
        for c in grid.cells_within(u.cell, radius):
            if c in others or c in zoc or t.move_cost[c] >= movement.IMPASSABLE:
                continue
            if can_capture(state, c, fid):
                state.control[c] = fi
                ev_rules.fire_capture_events(state, c, fid, out)


def _end_turn(state: GameState, out: list[GameEvent]) -> None:
    fid = state.active_faction
    fi = state.active
    # units hold the hexes they stand on
    for u in state.units_of(fid):
        if can_capture(state, u.cell, fid):
            state.control[u.cell] = fi
            ev_rules.fire_capture_events(state, u.cell, fid, out)
    if state.scenario.rules.control_radius > 0:
        _claim_radius(state, fid, out)
    win = victory.sudden_death(state)
    if win is not None:
        _finish(state, win, out, "sudden death")
        return
    state.active += 1
    if state.active >= len(state.scenario.factions):
        state.active = 0
        out.extend(victory.score_turn(state, final=state.turn >= state.scenario.meta.turns))
        for hook in END_ROUND_HOOKS:
            hook(state, out)
        state.vp_history.append(list(state.vp))
        state.territory_history.append(victory.territory(state))
        if state.turn >= state.scenario.meta.turns:
            _finish(state, victory.decide_winner(state), out, "last turn played")
            return
        state.turn += 1
        ev_rules.fire_turn_events(state, out)
    _check_elimination(state, out)
    _start_faction_turn(state, out)


def _finish(state: GameState, winner: str, out: list[GameEvent], why: str) -> None:
    state.terminal = True
    state.winner = winner
    name = winner if winner == "draw" else state.scenario.factions[state.faction_index(winner)].name
    out.append(GameEvent("game_over", f"Game over ({why}): {'draw' if winner == 'draw' else name + ' wins'}",
                         data={"winner": winner, "vp": list(state.vp), "why": why}))

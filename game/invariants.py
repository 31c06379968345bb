"""Invariants of a game state: things the rules promise are always true.

The soak (``game.soak``) and the tests call ``check_invariants`` after every action; each
violation is one readable line, so a broken promise names itself instead of surfacing turns
later as a strange AI move or a crash.  The checks read the state only, never change it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from game.rules.terrain import tables
from game.scenario.model import RELATIONS
from game.state import GameEvent, GameState

IMPASSABLE = 99.0
EPS = 1e-6


@dataclass
class VPLedger:
    """VP explained by the log, read incrementally so a check after every action stays cheap.

    The log only ever grows (clones copy it), so remembering how far we have read is enough.
    """

    read: int = 0
    total: list[float] | None = None

    def update(self, state: GameState) -> list[float]:
        n = len(state.scenario.factions)
        if self.total is None or len(self.total) != n or self.read > len(state.log):
            self.total, self.read = [0.0] * n, 0
        for e in state.log[self.read:]:
            _add_vp_event(state, e, self.total)
        self.read = len(state.log)
        return self.total


def _add_vp_event(state: GameState, e: GameEvent, total: list[float]) -> None:
    """Add what one ``vp`` event says was scored: ``gained`` per faction, or ``amount`` to one."""
    if e.kind != "vp":
        return
    gained = e.data.get("gained")
    if isinstance(gained, (list, tuple)) and len(gained) == len(total):
        for i, g in enumerate(gained):
            total[i] += float(g)
        return
    amount = e.data.get("amount")
    fid = e.faction or e.data.get("faction")
    if amount is not None and fid is not None:
        try:
            total[state.faction_index(fid)] += float(amount)
        except KeyError:
            pass


def vp_from_log(state: GameState) -> list[float]:
    """Each faction's VP as the sum of the ``vp`` events in the log."""
    return VPLedger().update(state)


def check_invariants(state: GameState, ledger: VPLedger | None = None) -> list[str]:
    """Every broken invariant in ``state`` as one line each; [] when all hold."""
    out: list[str] = []
    _check_clock(state, out)
    _check_units(state, out)
    _check_control(state, out)
    _check_relations(state, out)
    _check_vp(state, ledger, out)
    return out


def _check_clock(state: GameState, out: list[str]) -> None:
    scn = state.scenario
    nf = len(scn.factions)
    if not 0 <= state.active < nf:
        out.append(f"active faction index {state.active} outside 0..{nf - 1}")
    if not 1 <= state.turn <= scn.meta.turns:
        out.append(f"turn {state.turn} outside 1..{scn.meta.turns}")
    rounds = len(state.vp_history)
    if not state.terminal and rounds != state.turn - 1:
        out.append(f"{rounds} completed rounds recorded on turn {state.turn}")
    if state.terminal and rounds not in (state.turn - 1, state.turn):
        out.append(f"{rounds} completed rounds recorded at the end on turn {state.turn}")
    if len(state.territory_history) != rounds:
        out.append(f"territory history has {len(state.territory_history)} rounds, VP history {rounds}")
    ids = {f.id for f in scn.factions}
    if state.terminal and state.winner not in ids | {"draw"}:
        out.append(f"game over with winner {state.winner!r}")
    if not state.terminal and state.winner is not None:
        out.append(f"winner {state.winner!r} set while the game goes on")
    for fid in state.eliminated:
        if fid not in ids:
            out.append(f"unknown faction {fid!r} eliminated")
    if len(set(state.eliminated)) != len(state.eliminated):
        out.append(f"a faction is eliminated twice: {state.eliminated}")


def _check_units(state: GameState, out: list[str]) -> None:
    scn = state.scenario
    n = scn.grid.n_cells
    t = tables(scn)
    ids = {f.id for f in scn.factions}
    limit = scn.rules.stacking
    cells: dict[int, list] = {}
    for key, u in state.units.items():
        name = f"unit {key}"
        if u.id != key:
            out.append(f"{name} is filed under the wrong id ({u.id!r})")
        if u.faction not in ids:
            out.append(f"{name} belongs to unknown faction {u.faction!r}")
            continue
        ut = scn.unit_types.get(u.type)
        if ut is None:
            out.append(f"{name} has unknown type {u.type!r}")
            continue
        if not isinstance(u.cell, int) or isinstance(u.cell, bool) or not 0 <= u.cell < n:
            out.append(f"{name} is off the map (cell {u.cell!r})")
            continue
        if t.move_cost[u.cell] >= IMPASSABLE:
            out.append(f"{name} stands in impassable terrain (cell {u.cell})")
        if not 1 <= u.steps <= ut.steps:
            out.append(f"{name} has {u.steps} steps, type {ut.id} allows 1..{ut.steps}")
        if not (math.isfinite(u.mp) and -EPS <= u.mp <= ut.movement + EPS):
            out.append(f"{name} has {u.mp} movement points, type {ut.id} allows 0..{ut.movement:g}")
        if u.static and u.mp > EPS:
            out.append(f"static {name} has {u.mp} movement points")
        if u.oos_turns < 0:
            out.append(f"{name} has been out of supply {u.oos_turns} turns")
        if u.faction in state.eliminated:
            out.append(f"{name} belongs to eliminated faction {u.faction}")
        cells.setdefault(u.cell, []).append(u)
    for cell, here in cells.items():
        if len(here) > limit:
            out.append(f"cell {cell} holds {len(here)} units ({', '.join(sorted(u.id for u in here))}), "
                       f"stacking limit {limit}")
        for i, a in enumerate(here):
            for b in here[i + 1:]:
                if not state.friendly(a.faction, b.faction):
                    out.append(f"cell {cell} holds units of {a.faction} ({a.id}) and {b.faction} ({b.id}), "
                               f"who are {state.relation(a.faction, b.faction)}")


def _check_control(state: GameState, out: list[str]) -> None:
    scn = state.scenario
    ctrl = state.control
    if ctrl.shape != (scn.grid.n_cells,):
        out.append(f"control array has shape {ctrl.shape}, map has {scn.grid.n_cells} cells")
        return
    nf = len(scn.factions)
    lo, hi = int(ctrl.min(initial=-1)), int(ctrl.max(initial=-1))
    if lo < -1 or hi >= nf:
        out.append(f"control values span {lo}..{hi}, allowed -1..{nf - 1}")


def _check_relations(state: GameState, out: list[str]) -> None:
    ids = {f.id for f in state.scenario.factions}
    for key, status in state.relations.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            out.append(f"relation key {key!r} is not a pair")
            continue
        a, b = key
        if a not in ids or b not in ids:
            out.append(f"relation {a}-{b} names an unknown faction")
        if not a < b:
            out.append(f"relation key {key!r} is not sorted (so its reverse would be read instead)")
        if status not in RELATIONS:
            out.append(f"relation {a}-{b} is {status!r}, not one of {', '.join(RELATIONS)}")


def _check_vp(state: GameState, ledger: VPLedger | None, out: list[str]) -> None:
    nf = len(state.scenario.factions)
    if len(state.vp) != nf:
        out.append(f"{len(state.vp)} VP totals for {nf} factions")
        return
    if not all(math.isfinite(v) for v in state.vp):
        out.append(f"VP not finite: {state.vp}")
        return
    logged = (ledger or VPLedger()).update(state)
    for f, v, w in zip(state.scenario.factions, state.vp, logged):
        if abs(v - w) > 1e-6 * max(1.0, abs(v)):
            out.append(f"{f.id} has {v:g} VP but the log's vp events add up to {w:g}")
    for i, row in enumerate(state.vp_history):
        if len(row) != nf:
            out.append(f"VP history round {i + 1} has {len(row)} entries for {nf} factions")
